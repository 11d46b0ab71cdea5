"""The product catalog (extension): create, list, read, replace, delete, and upsert in bulk."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.pagination import UniqueKeyPaginator, keyset_links
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.product_serializers import (
    ProductBulkInput,
    ProductBulkOutput,
    ProductInput,
    ProductOutput,
    ProductPageOutput,
    ProductReplaceInput,
)
from interactions.api.throttling import items_admit
from interactions.api.views.common import EXTENSION, batch_shape_problems
from interactions.selectors import product_get, product_list
from interactions.services.products import (
    ProductResult,
    product_create,
    product_delete,
    product_put,
    products_upsert_many,
)

PAGE_SIZE = 50
ITEMS = "products"
IDEMPOTENCY = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)
SKU = OpenApiParameter(
    "sku", str, OpenApiParameter.PATH, description="The product's SKU, URL-encoded."
)
FILTERS = ("q", "brand", "category")
BULK = "bulk"


class ProductCollectionApi(TenantApiView):
    """The tenant's catalog: a page of it, or a new product (extension)."""

    @extend_schema(
        operation_id="products_list",
        tags=EXTENSION,
        description=(
            "The tenant's products in SKU order, 50 a page; follow the link with rel next. "
            "q finds text in the SKU, name or brand (any case); brand is matched exactly; "
            "category matches a product whose category path holds it at any level."
        ),
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("brand", str),
            OpenApiParameter("category", str),
            OpenApiParameter("continuation", str),
        ],
        responses={200: ProductPageOutput, **errors(400)},
    )
    def get(self, request: Request, version: str) -> Response:
        filters = {name: request.query_params.get(name, "") for name in FILTERS}
        page = UniqueKeyPaginator(
            product_list(tenant=self.tenant, **filters),
            key="sku",
            scope=f"products:{self.tenant.pk}:{filters}",
            size=PAGE_SIZE,
        ).page(request.query_params.get("continuation"))
        links = keyset_links(
            request=request, page=page, query={k: v for k, v in filters.items() if v}
        )
        return Response({"links": links, "items": ProductOutput(page.items, many=True).data})

    @extend_schema(
        operation_id="products_create",
        tags=EXTENSION,
        description="A new product; 409 ProductAlreadyExists when its SKU is taken.",
        request=ProductInput,
        responses={201: ProductOutput, **errors(*BODY_ERRORS)},
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()

        def create() -> Any:
            return ProductOutput(product_create(tenant=self.tenant, document=document)).data

        return self.idempotent_write(document, write=create, status=201)


class ProductDetailApi(TenantApiView):
    """One product by its SKU (extension)."""

    @extend_schema(
        operation_id="products_retrieve",
        tags=EXTENSION,
        parameters=[SKU],
        responses={200: ProductOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, sku: str) -> Response:
        return _read(self, sku)

    @extend_schema(
        operation_id="products_replace",
        tags=EXTENSION,
        description=(
            "Replaces the product whole (fields left out are cleared; created is kept), or "
            "makes it. A sku in the body must be the path's; created and updated are ignored."
        ),
        parameters=[SKU, IDEMPOTENCY],
        request=ProductReplaceInput,
        responses={200: ProductOutput, **errors(*BODY_ERRORS)},
    )
    def put(self, request: Request, version: str, sku: str) -> Response:
        return _replace(self, sku)

    @extend_schema(
        operation_id="products_delete",
        tags=EXTENSION,
        parameters=[SKU],
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, version: str, sku: str) -> Response:
        product_delete(tenant=self.tenant, sku=sku)
        return Response(status=204)


def _read(view: TenantApiView, sku: str) -> Response:
    return Response(ProductOutput(product_get(tenant=view.tenant, sku=sku)).data)


def _replace(view: TenantApiView, sku: str) -> Response:
    document = view.json_body()

    def replace() -> Any:
        product, _ = product_put(tenant=view.tenant, sku=sku, document=document)
        return ProductOutput(product).data

    return view.idempotent_write(document, write=replace)


def _result_out(index: int, result: ProductResult) -> dict[str, Any]:
    if result.upserted:
        return {"index": index, "status": "upserted", "sku": result.sku}
    return {
        "index": index,
        "status": "refused",
        "errorCode": "InvalidProduct",
        "errors": [problem.as_dict() for problem in result.problems],
    }


class ProductBulkApi(TenantApiView):
    """Upsert up to 1,000 products at once (extension). The path is also that of a product whose
    SKU is "bulk", which GET, PUT and DELETE reach as they reach any other."""

    max_body_setting = "API_PRODUCTS_BULK_MAX_BODY_BYTES"

    @extend_schema(
        operation_id="products_bulk_named_retrieve",
        tags=EXTENSION,
        description='The product whose SKU is "bulk", as GET products/{sku}.',
        responses={200: ProductOutput, **errors(404)},
    )
    def get(self, request: Request, version: str) -> Response:
        return _read(self, BULK)

    @extend_schema(
        operation_id="products_bulk_named_replace",
        tags=EXTENSION,
        description='Replaces or makes the product whose SKU is "bulk", as PUT products/{sku}.',
        parameters=[IDEMPOTENCY],
        request=ProductReplaceInput,
        responses={200: ProductOutput, **errors(*BODY_ERRORS)},
    )
    def put(self, request: Request, version: str) -> Response:
        return _replace(self, BULK)

    @extend_schema(
        operation_id="products_bulk_named_delete",
        tags=EXTENSION,
        description='Deletes the product whose SKU is "bulk", as DELETE products/{sku}.',
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, version: str) -> Response:
        product_delete(tenant=self.tenant, sku=BULK)
        return Response(status=204)

    @extend_schema(
        operation_id="products_bulk",
        tags=EXTENSION,
        description=(
            "Each product is judged on its own as POST products judges its body and, when valid, "
            "replaces the product of its SKU whole or makes it (a SKU given twice: the last "
            "wins). The answer is 200 with one result per item, in order; the valid ones are "
            "stored in one transaction. More than API_PRODUCTS_BULK_MAX_ITEMS (1,000) products is "
            "a 400 for the whole request. The body may be up to API_PRODUCTS_BULK_MAX_BODY_BYTES "
            "(5 MiB). The items count against the key's item rate."
        ),
        request=ProductBulkInput,
        responses={200: ProductBulkOutput, **errors(*BODY_ERRORS)},
        parameters=[IDEMPOTENCY],
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()
        problems = batch_shape_problems(
            document,
            member=ITEMS,
            others=(),
            most=int(settings.API_PRODUCTS_BULK_MAX_ITEMS),
            noun="products",
        )
        if problems:
            raise InvalidRequest(errors=problems)
        items = document[ITEMS]
        items_admit(api_key=self.api_key, count=len(items))

        def upsert() -> Any:
            results = products_upsert_many(tenant=self.tenant, documents=items)
            upserted = sum(1 for result in results if result.upserted)
            return {
                "upserted": upserted,
                "refused": len(results) - upserted,
                "results": [_result_out(index, result) for index, result in enumerate(results)],
            }

        return self.idempotent_write(document, write=upsert)
