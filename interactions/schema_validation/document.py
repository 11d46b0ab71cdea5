"""The rules a whole schema document must follow: its top-level keywords, its size and counts,
each property (``keywords``), ``required``, and finally the draft 2020-12 metaschema."""

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engage_site.api.problems import Problem
from interactions.schema_validation.keywords import property_problems
from interactions.schema_validation.vocabulary import (
    SCHEMA_DIALECT,
    TOP_KEYWORDS,
    property_name_problem,
    read_flag,
)


@dataclass(frozen=True)
class SchemaLimits:
    max_bytes: int = 64 * 1024
    max_properties: int = 100
    max_segmentable_properties: int = 6


def check_schema_document(document: Any, *, limits: SchemaLimits) -> list[Problem]:
    """Every way ``document`` breaks the rules for an interaction schema; empty when it is valid.

    Problems about size and counts have the code ``limit``. Only new schemas are checked: a
    stored one is never checked again, so a schema stored before a rule tightened still loads.
    """
    root = "jsonSchema"
    if not isinstance(document, dict):
        return [Problem(root, "type", "must be a JSON object")]
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limits.max_bytes:
        return [Problem(root, "limit", f"must be at most {limits.max_bytes} bytes, not {size}")]

    problems = _check_top(document, root)
    properties = document.get("properties")
    if "properties" not in document:
        problems.append(Problem(f"{root}.properties", "required", "is required"))
        properties = {}
    elif not isinstance(properties, dict):
        problems.append(Problem(f"{root}.properties", "type", "must be an object"))
        properties = {}
    too_many = property_count_problem(properties, limits)
    if too_many is not None:
        problems.append(too_many)
        properties = {}
    for name, spec in properties.items():
        path = f"{root}.properties.{name}"
        name_problem = property_name_problem(name)
        if name_problem is not None:
            problems.append(Problem(path, "invalid", name_problem))
        problems.extend(property_problems(name, spec, path))
    too_many = segmentation_limit_problem(properties, limits)
    if too_many is not None:
        problems.append(too_many)
    problems.extend(_check_required(document, properties, f"{root}.required"))
    if not problems:
        problems.extend(_check_against_metaschema(document, root))
    return problems


def property_count_problem(properties: dict[str, Any], limits: SchemaLimits) -> Problem | None:
    """The problem of a document with more properties than allowed, or None."""
    if len(properties) <= limits.max_properties:
        return None
    return Problem(
        "jsonSchema.properties",
        "limit",
        f"must have at most {limits.max_properties} properties, not {len(properties)}",
    )


def segmentable_property_names(properties: dict[str, Any]) -> list[str]:
    """The properties marked ``addToSegmentation`` (in any spelling the API accepts)."""
    return [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict) and read_flag(spec.get("addToSegmentation")) is True
    ]


def segmentation_limit_problem(properties: dict[str, Any], limits: SchemaLimits) -> Problem | None:
    """The problem of a document with more segmentable properties than allowed, or None."""
    ticked = len(segmentable_property_names(properties))
    if ticked <= limits.max_segmentable_properties:
        return None
    return Problem(
        "jsonSchema.properties",
        "limit",
        f"at most {limits.max_segmentable_properties} properties may have "
        f"addToSegmentation true, not {ticked}",
    )


def _check_top(document: dict[str, Any], root: str) -> list[Problem]:
    """The keywords at the top of the document, except ``properties`` and ``required``."""
    problems = [
        Problem(f"{root}.{keyword}", "unknown", "is not an allowed keyword at the top of a schema")
        for keyword in document
        if keyword not in TOP_KEYWORDS
    ]
    if "$schema" in document and document["$schema"] not in (SCHEMA_DIALECT, SCHEMA_DIALECT + "#"):
        problems.append(Problem(f"{root}.$schema", "invalid", f"must be {SCHEMA_DIALECT}"))
    if "type" not in document:
        problems.append(Problem(f"{root}.type", "required", "is required"))
    elif document["type"] != "object":
        problems.append(Problem(f"{root}.type", "invalid", 'must be "object"'))
    for keyword in ("title", "description"):
        if keyword in document and not isinstance(document[keyword], str):
            problems.append(Problem(f"{root}.{keyword}", "type", "must be a string"))
    return problems


def _check_required(
    document: dict[str, Any], properties: dict[str, Any], path: str
) -> list[Problem]:
    if "required" not in document:
        return []
    required = document["required"]
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return [Problem(path, "type", "must be an array of property names")]
    problems = [
        Problem(f"{path}.{index}", "invalid", f"{name!r} is not a declared property")
        for index, name in enumerate(required)
        if name not in properties
    ]
    if len(set(required)) != len(required):
        problems.append(Problem(path, "invalid", "must not repeat a property"))
    return problems


def _check_against_metaschema(document: dict[str, Any], root: str) -> list[Problem]:
    """Belt and braces: the allow-list passed, so the draft 2020-12 metaschema must agree."""
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as error:
        where = ".".join(str(part) for part in error.path)
        return [Problem(f"{root}.{where}" if where else root, "invalid", error.message)]
    return []
