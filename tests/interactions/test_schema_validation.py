"""The rules for interaction schemas and payloads, tested on the pure module."""

import time

import pytest

from engage_site.api.problems import Problem
from interactions.schema_validation import (
    CompiledSchema,
    SchemaLimits,
    check_schema_document,
    describe_properties,
)

LIMITS = SchemaLimits()


def schema_with(**properties: object) -> dict[str, object]:
    return {"type": "object", "properties": properties}


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in problems]


class TestSchemaDocuments:
    def test_it_accepts_the_documented_example(self) -> None:
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "price": {"type": "integer", "displayName": "Price", "showInContactCard": "true"},
                "created": {"type": "string", "format": "date-time", "displayName": "Created"},
                "name": {"type": "string", "displayName": "Name", "showInContactCard": "true"},
            },
            "required": ["name"],
        }
        assert check_schema_document(document, limits=LIMITS) == []

    @pytest.mark.parametrize(
        ("document", "expected"),
        [
            ([], [("jsonSchema", "type")]),
            ({"properties": {}}, [("jsonSchema.type", "required")]),
            ({"type": "array", "properties": {}}, [("jsonSchema.type", "invalid")]),
            ({"type": "object"}, [("jsonSchema.properties", "required")]),
            (
                {
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "type": "object",
                    "properties": {},
                },
                [("jsonSchema.$schema", "invalid")],
            ),
            ({"type": "object", "properties": {}, "$ref": "#"}, [("jsonSchema.$ref", "unknown")]),
            ({"type": "object", "properties": {}, "$defs": {}}, [("jsonSchema.$defs", "unknown")]),
            ({"type": "object", "properties": {}, "allOf": []}, [("jsonSchema.allOf", "unknown")]),
            (
                {"type": "object", "properties": {}, "required": ["ghost"]},
                [("jsonSchema.required.0", "invalid")],
            ),
        ],
    )
    def test_it_names_each_broken_top_level_rule(self, document: object, expected: list) -> None:
        assert codes(check_schema_document(document, limits=LIMITS)) == expected

    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ({}, [("jsonSchema.properties.p.type", "required")]),
            ({"type": "object"}, [("jsonSchema.properties.p.type", "invalid")]),
            ({"type": "array"}, [("jsonSchema.properties.p.type", "invalid")]),
            ({"type": ["string", "null"]}, [("jsonSchema.properties.p.type", "invalid")]),
            (
                {"type": "integer", "format": "email"},
                [("jsonSchema.properties.p.format", "invalid")],
            ),
            (
                {"type": "string", "format": "hostname"},
                [("jsonSchema.properties.p.format", "invalid")],
            ),
            ({"type": "string", "minimum": 1}, [("jsonSchema.properties.p.minimum", "invalid")]),
            (
                {"type": "integer", "maxLength": 1},
                [("jsonSchema.properties.p.maxLength", "invalid")],
            ),
            ({"type": "integer", "minimum": "1"}, [("jsonSchema.properties.p.minimum", "type")]),
            ({"type": "string", "minLength": -1}, [("jsonSchema.properties.p.minLength", "type")]),
            ({"type": "string", "enum": []}, [("jsonSchema.properties.p.enum", "type")]),
            ({"type": "string", "enum": ["a", 1]}, [("jsonSchema.properties.p.enum.1", "type")]),
            ({"type": "string", "enum": ["a", "a"]}, [("jsonSchema.properties.p.enum", "invalid")]),
            ({"type": "string", "$ref": "#/x"}, [("jsonSchema.properties.p.$ref", "unknown")]),
            ({"type": "string", "items": {}}, [("jsonSchema.properties.p.items", "unknown")]),
            (
                {"type": "string", "showInContactCard": "yes"},
                [("jsonSchema.properties.p.showInContactCard", "type")],
            ),
            (
                {"type": "string", "sortOrder": "first"},
                [("jsonSchema.properties.p.sortOrder", "type")],
            ),
            (
                {"type": "string", "displayName": 3},
                [("jsonSchema.properties.p.displayName", "type")],
            ),
        ],
    )
    def test_it_names_each_broken_property_rule(self, spec: dict, expected: list) -> None:
        assert codes(check_schema_document(schema_with(p=spec), limits=LIMITS)) == expected

    def test_it_accepts_display_keywords_as_strings_or_json_values(self) -> None:
        document = schema_with(
            a={"type": "string", "showInContactCard": "true", "sortOrder": "2"},
            b={
                "type": "string",
                "showInContactCard": False,
                "sortOrder": 1,
                "addToSegmentation": "false",
            },
        )
        assert check_schema_document(document, limits=LIMITS) == []
        described = describe_properties(document)
        assert [(p.name, p.sort_order, p.show_in_contact_card) for p in described] == [
            ("b", 1, False),
            ("a", 2, True),
        ]

    def test_product_sku_must_be_a_string(self) -> None:
        problems = check_schema_document(schema_with(productSku={"type": "integer"}), limits=LIMITS)
        assert problems == [
            Problem(
                "jsonSchema.properties.productSku.type",
                "invalid",
                'must be "string": productSku is reserved',
            )
        ]

    def test_it_limits_properties_and_segmentable_properties(self) -> None:
        many = schema_with(**{f"p{i}": {"type": "string"} for i in range(4)})
        assert codes(check_schema_document(many, limits=SchemaLimits(max_properties=3))) == [
            ("jsonSchema.properties", "limit")
        ]
        segmentable = schema_with(
            **{f"p{i}": {"type": "string", "addToSegmentation": True} for i in range(3)}
        )
        limits = SchemaLimits(max_segmentable_properties=2)
        assert codes(check_schema_document(segmentable, limits=limits)) == [
            ("jsonSchema.properties", "limit")
        ]

    def test_it_limits_the_document_size(self) -> None:
        big = schema_with(p={"type": "string", "description": "x" * 2000})
        assert codes(check_schema_document(big, limits=SchemaLimits(max_bytes=1024))) == [
            ("jsonSchema", "limit")
        ]


@pytest.mark.usefixtures("no_gc_pauses")
class TestHostileSchemas:
    """Schemas that try to fetch, read, loop or hang are refused, each in well under 100 ms."""

    @pytest.mark.parametrize(
        "document",
        [
            {"type": "object", "properties": {"p": {"$ref": "https://example.com/schema.json"}}},
            {"type": "object", "properties": {"p": {"$ref": "file:///etc/passwd"}}},
            {"$id": "https://evil.example/", "type": "object", "properties": {}},
            {"type": "object", "properties": {"p": {"type": "string", "$id": "file:///etc/"}}},
            {
                "type": "object",
                "properties": {},
                "$defs": {"a": {"$ref": "#/$defs/a"}},
                "$ref": "#/$defs/a",
            },
            {"type": "object", "properties": {"p": {"$dynamicRef": "#meta"}}},
            {"type": "object", "properties": {"p": {"type": "string", "pattern": "(a+)+\\1$"}}},
            {"type": "object", "properties": {"p": {"type": "string", "pattern": "(?=a)a"}}},
            {"type": "object", "properties": {"p": {"type": "string", "pattern": "(?<!a)b"}}},
            {"type": "object", "properties": {"p": {"type": "string", "pattern": "a" * 2000}}},
            {
                "type": "object",
                "properties": {"p": {"type": "string", "pattern": "((a{1000}){1000}){1000}"}},
            },
            {"type": "object", "properties": {"p": {"type": "object", "properties": {"q": {}}}}},
            {
                "type": "object",
                "properties": {"p": {"type": "string", "unevaluatedProperties": False}},
            },
            {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(5000)}},
            {"type": "object", "properties": {"p": {"type": "string", "description": "x" * 70000}}},
        ],
    )
    def test_it_refuses_a_hostile_schema_quickly(self, document: dict) -> None:
        started = time.perf_counter()
        problems = check_schema_document(document, limits=LIMITS)
        assert problems, "a hostile schema must be refused"
        assert time.perf_counter() - started < 0.1

    def test_a_backtracking_pattern_runs_in_linear_time(self) -> None:
        document = schema_with(p={"type": "string", "pattern": "^(a+)+$"})
        assert check_schema_document(document, limits=LIMITS) == []
        compiled = CompiledSchema(document)
        started = time.perf_counter()
        split = compiled.split({"p": "a" * 50_000 + "!"})
        assert [d.code for d in split.dropped] == ["pattern"]
        assert time.perf_counter() - started < 0.1


class TestPayloads:
    compiled = CompiledSchema(
        {
            "type": "object",
            "properties": {
                "price": {"type": "integer", "minimum": 0, "exclusiveMaximum": 1000},
                "created": {"type": "string", "format": "date-time"},
                "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[A-Z]"},
                "size": {"type": "string", "enum": ["S", "M"]},
                "ok": {"type": "boolean"},
                "ratio": {"type": "number"},
            },
            "required": ["name"],
        }
    )

    def test_it_keeps_matching_properties(self) -> None:
        payload = {
            "price": 100,
            "created": "2018-11-13T20:20:39+00:00",
            "name": "Ada",
            "ok": True,
            "ratio": 0.5,
            "size": "M",
        }
        split = self.compiled.split(payload)
        assert split.kept == payload
        assert split.dropped == split.violations == []

    @pytest.mark.parametrize(
        ("name", "value", "code", "message"),
        [
            ("price", "100", "type", "must be an integer"),
            ("price", 1.5, "type", "must be an integer"),
            ("price", True, "type", "must be an integer"),
            ("price", -1, "minimum", "must be at least 0"),
            ("price", 1000, "maximum", "must be less than 1000"),
            (
                "created",
                "2011-11-03T20:00:11",
                "format",
                "must be an RFC 3339 date-time with an offset, like 2018-11-13T20:20:39+00:00",
            ),
            (
                "created",
                "2011-02-30T20:00:11Z",
                "format",
                "must be an RFC 3339 date-time with an offset, like 2018-11-13T20:20:39+00:00",
            ),
            ("size", "XL", "enum", 'must be one of "S", "M"'),
            ("ok", "true", "type", "must be a boolean"),
            ("ratio", None, "type", "must be a number"),
            ("ghost", 1, "unknown", "is not a property of the schema"),
        ],
    )
    def test_it_drops_a_property_that_breaks_its_declaration(
        self, name: str, value: object, code: str, message: str
    ) -> None:
        split = self.compiled.split({"name": "Ada", name: value})
        assert split.kept == {"name": "Ada"}
        assert split.dropped == [Problem(f"payload.{name}", code, message)]
        assert split.violations == []

    @pytest.mark.parametrize(
        ("value", "code"), [("A", "minLength"), ("Abcdef", "maxLength"), ("ada", "pattern")]
    )
    def test_a_required_property_that_is_dropped_refuses_the_interaction(
        self, value: str, code: str
    ) -> None:
        split = self.compiled.split({"name": value})
        assert [(v.field, v.code) for v in split.violations] == [("payload.name", code)]

    def test_a_missing_required_property_refuses_the_interaction(self) -> None:
        split = self.compiled.split({"price": 1})
        assert split.violations == [Problem("payload.name", "required", "is required")]

    def test_a_payload_that_is_not_an_object_refuses_the_interaction(self) -> None:
        split = self.compiled.split([1, 2])
        assert split.violations == [Problem("payload", "type", "must be a JSON object")]

    @pytest.mark.parametrize(
        ("fmt", "good", "bad"),
        [
            ("date", "2024-02-29", "2023-02-29"),
            ("time", "20:20:39+00:00", "20:20:39"),
            ("email", "ada@example.com", "ada@example"),
            ("uri", "https://example.com/a?b=c", "not a uri"),
            ("uuid", "cf6d21fa-6e2b-481c-ab38-afa1012233ff", "cf6d21fa6e2b481c"),
            ("date-time", "2023-05-23T11:13:42.074Z", "2023-05-23711:13:42.074Z"),
        ],
    )
    def test_it_asserts_each_format(self, fmt: str, good: str, bad: str) -> None:
        compiled = CompiledSchema(schema_with(v={"type": "string", "format": fmt}))
        assert compiled.split({"v": good}).kept == {"v": good}
        assert [d.code for d in compiled.split({"v": bad}).dropped] == ["format"]


class TestValuesEveryLayerHolds:
    """Numbers past a double's range and date-times past the years 0001-9999 in UTC: valid JSON
    and well-formed text, refused in a schema and dropped from a payload, each with its reason."""

    @pytest.mark.parametrize(
        ("spec", "field"),
        [
            ({"type": "number", "enum": [1, 10**400]}, "jsonSchema.properties.p.enum.1"),
            ({"type": "number", "maximum": 10**400}, "jsonSchema.properties.p.maximum"),
            ({"type": "integer", "minimum": -(10**309)}, "jsonSchema.properties.p.minimum"),
            (
                {"type": "number", "exclusiveMaximum": 10**309},
                "jsonSchema.properties.p.exclusiveMaximum",
            ),
            ({"type": "string", "maxLength": 2**53}, "jsonSchema.properties.p.maxLength"),
            ({"type": "string", "minLength": 10**400}, "jsonSchema.properties.p.minLength"),
            ({"type": "number", "const": 1}, "jsonSchema.properties.p.const"),
        ],
    )
    def test_a_schema_with_one_is_refused_naming_the_keyword(
        self, spec: dict[str, object], field: str
    ) -> None:
        problems = check_schema_document(schema_with(p=spec), limits=LIMITS)
        assert [problem.field for problem in problems] == [field]

    def test_the_largest_double_is_still_a_number(self) -> None:
        spec = {
            "type": "number",
            "minimum": -1.7976931348623157e308,
            "enum": [int(1.7976931348623157e308)],
        }
        assert check_schema_document(schema_with(p=spec), limits=LIMITS) == []

    def test_a_payload_with_one_keeps_the_rest(self) -> None:
        compiled = CompiledSchema(
            schema_with(
                n={"type": "number"},
                i={"type": "integer"},
                at={"type": "string", "format": "date-time"},
                ok={"type": "number"},
            )
        )
        split = compiled.split(
            {"n": 10**400, "i": -(10**400), "at": "9999-12-31T23:59:59-14:00", "ok": 2**64}
        )
        assert split.kept == {"ok": 2**64}
        assert codes(split.dropped) == [
            ("payload.n", "maximum"),
            ("payload.i", "minimum"),
            ("payload.at", "format"),
        ]
        assert "0001 to 9999" in split.dropped[2].message
