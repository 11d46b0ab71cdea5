"""The segments API (an extension beyond Engage): segments, their members and counts, and the
count of a draft rule. Same authentication, errors and paging as the core."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.pagination import keyset_links
from interactions.public import BODY_ERRORS, TenantApiView, errors
from segments.api.serializers import (
    SegmentCountOutput,
    SegmentDraftCountInput,
    SegmentMemberOutput,
    SegmentMemberPageOutput,
    SegmentOutput,
    SegmentWriteInput,
)
from segments.exceptions import InvalidSegment
from segments.rules.checks import rule_problems
from segments.selectors import (
    rule_count,
    segment_catalog,
    segment_get,
    segment_list,
    segment_member_paginator,
)
from segments.services.segments import segment_create, segment_delete, segment_update

EXTENSION = ["extension"]
PAGE_SIZE = 50


class SegmentCollectionApi(TenantApiView):
    @extend_schema(
        operation_id="segments_list",
        tags=EXTENSION,
        description="The tenant's segments, by name.",
        responses={200: SegmentOutput(many=True), **errors()},
    )
    def get(self, request: Request, version: str) -> Response:
        return Response(SegmentOutput(segment_list(tenant=self.tenant), many=True).data)

    @extend_schema(
        operation_id="segments_create",
        tags=EXTENSION,
        description=(
            "Create a segment. Its membership is computed in the background right away, then "
            "kept fresh by interaction events and a periodic refresh (refreshMinutes, default 60). "
            "A rule that names an unknown schema, a property without addToSegmentation or an "
            "operator that does not fit the property's type is 400 InvalidSegment."
        ),
        request=SegmentWriteInput,
        responses={201: SegmentOutput, **errors(*BODY_ERRORS)},
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()
        data = _valid(SegmentWriteInput, document)
        return self.idempotent_write(
            document,
            write=lambda: SegmentOutput(segment_create(tenant=self.tenant, **data)).data,
            status=201,
        )


class SegmentDetailApi(TenantApiView):
    @extend_schema(
        operation_id="segments_get",
        tags=EXTENSION,
        responses={200: SegmentOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, segment_id: str) -> Response:
        return Response(SegmentOutput(segment_get(tenant=self.tenant, segment_id=segment_id)).data)

    @extend_schema(
        operation_id="segments_update",
        tags=EXTENSION,
        description="Replace a segment's name, description, rule and interval; a deactivated "
        "segment is active again once its rule is valid.",
        request=SegmentWriteInput,
        responses={200: SegmentOutput, **errors(404, *BODY_ERRORS)},
    )
    def put(self, request: Request, version: str, segment_id: str) -> Response:
        segment = segment_get(tenant=self.tenant, segment_id=segment_id)
        data = _valid(SegmentWriteInput, self.json_body())
        return Response(SegmentOutput(segment_update(segment=segment, **data)).data)

    @extend_schema(
        operation_id="segments_delete", tags=EXTENSION, responses={204: None, **errors(404)}
    )
    def delete(self, request: Request, version: str, segment_id: str) -> Response:
        segment_delete(segment=segment_get(tenant=self.tenant, segment_id=segment_id))
        return Response(status=204)


class SegmentMemberListApi(TenantApiView):
    @extend_schema(
        operation_id="segments_members",
        tags=EXTENSION,
        description="The current members, newest entry first, 50 a page; follow rel next.",
        parameters=[OpenApiParameter("continuation", str)],
        responses={200: SegmentMemberPageOutput, **errors(400, 404)},
    )
    def get(self, request: Request, version: str, segment_id: str) -> Response:
        segment = segment_get(tenant=self.tenant, segment_id=segment_id)
        page = segment_member_paginator(tenant=self.tenant, segment=segment, size=PAGE_SIZE).page(
            request.query_params.get("continuation")
        )
        links = keyset_links(request=request, page=page)
        return Response({"links": links, "items": SegmentMemberOutput(page.items, many=True).data})


class SegmentCountApi(TenantApiView):
    @extend_schema(
        operation_id="segments_count",
        tags=EXTENSION,
        description="How many contacts are members now, and when the membership was last "
        "fully refreshed.",
        responses={200: SegmentCountOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, segment_id: str) -> Response:
        segment = segment_get(tenant=self.tenant, segment_id=segment_id)
        return Response({"count": segment.member_count, "lastRefreshed": segment.last_refreshed_at})


class SegmentDraftCountApi(TenantApiView):
    @extend_schema(
        operation_id="segments_draft_count",
        tags=EXTENSION,
        description="How many contacts a rule selects right now, without saving anything.",
        request=SegmentDraftCountInput,
        responses={200: SegmentCountOutput, **errors(*BODY_ERRORS)},
    )
    def post(self, request: Request, version: str) -> Response:
        data = _valid(SegmentDraftCountInput, self.json_body())
        catalog = segment_catalog(tenant=self.tenant)
        problems = rule_problems(data["rule"], catalog=catalog)
        if problems:
            raise InvalidSegment(errors=problems)
        return Response(
            {"count": rule_count(tenant=self.tenant, rule=data["rule"], catalog=catalog)}
        )


def _valid(serializer_class: type, document: object) -> dict[str, Any]:
    serializer = serializer_class(data=document)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
