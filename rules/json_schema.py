"""The JSON Schema of a rulebook, published for editors as ``rules/rulebook.schema.json``.

The schema is generated from the pydantic models, so it cannot drift from what the loader
accepts structurally; the vocabulary checks (variables, operators per type, bands) stay in
:mod:`rules.validation`. Regenerate the file with ``python -m rules.json_schema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from features.files import atomic_write_text
from rules.model import Rulebook
from rules.vocabulary import ACTIVITY_FIELDS, ALL_OPS

SCHEMA_PATH = Path(__file__).with_name("rulebook.schema.json")


def rulebook_json_schema() -> dict[str, Any]:
    """The rulebook JSON Schema (draft 2020-12) as a dict."""
    schema = Rulebook.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadscore rulebook"
    defs = schema["$defs"]
    defs["Leaf"]["properties"]["op"]["enum"] = sorted(ALL_OPS)
    for name, key in (("Leaf", "activity"), ("Measure", "activity"), ("Rule", "each")):
        defs[name]["properties"][key]["propertyNames"] = {"enum": sorted(ACTIVITY_FIELDS)}
    return schema


if __name__ == "__main__":  # pretty JSON, written atomically
    text = json.dumps(rulebook_json_schema(), indent=2, sort_keys=True) + "\n"
    atomic_write_text(SCHEMA_PATH, text)
