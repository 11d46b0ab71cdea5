from segments.models.segments import Segment, SegmentMembership

__all__ = ["Segment", "SegmentMembership"]
