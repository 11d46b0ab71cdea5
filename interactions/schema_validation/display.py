"""A schema's display keywords (displayName, sortOrder, showInContactCard, addToSegmentation)
read into plain values."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interactions.schema_validation.vocabulary import read_flag, read_sort_order


@dataclass(frozen=True)
class PropertyDisplay:
    """How a property is shown: its display keywords read into plain values."""

    name: str
    type: str
    format: str | None
    display_name: str
    sort_order: int
    show_in_contact_card: bool
    add_to_segmentation: bool


def describe_properties(document: Mapping[str, Any]) -> list[PropertyDisplay]:
    """The display hints of a valid schema's properties, in sortOrder (then declaration) order."""
    described = []
    for name, spec in document.get("properties", {}).items():
        described.append(
            PropertyDisplay(
                name=name,
                type=spec.get("type", "string"),
                format=spec.get("format"),
                display_name=str(spec.get("displayName") or spec.get("title") or name),
                sort_order=read_sort_order(spec.get("sortOrder", 0)) or 0,
                show_in_contact_card=bool(read_flag(spec.get("showInContactCard", False))),
                add_to_segmentation=bool(read_flag(spec.get("addToSegmentation", False))),
            )
        )
    return sorted(described, key=lambda prop: prop.sort_order)
