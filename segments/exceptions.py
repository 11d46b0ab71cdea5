"""The errors of the segments domain, each with its stable wire code."""

from engage_site.api.exceptions import ApiError


class SegmentNotFound(ApiError):
    status_code = 404
    error_code = "SegmentNotFound"
    default_message = "No segment has this id."


class InvalidSegment(ApiError):
    status_code = 400
    error_code = "InvalidSegment"
    default_message = "The segment or its rule is not valid."
