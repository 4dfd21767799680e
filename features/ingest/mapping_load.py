"""Load a column-mapping YAML file into a validated :class:`ColumnMapping`.

Problems are reported all at once as one :class:`InputError` whose lines each name the
mapping file and the YAML path of the field (``contacts.columns.created_at.timezone``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from features.ingest.mapping_checks import table_mapping_problems
from features.ingest.mapping_config import ColumnMapping, TableMapping
from features.ingest.readers import InputError
from features.safe_yaml import YamlLimitError, read_yaml
from features.schema import TABLES

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
"""Folder of the mappings shipped with leadscore (``x_education.yaml``, ...)."""


def _problem_lines(err: ValidationError) -> list[str]:
    lines: list[str] = []
    for item in err.errors():
        loc = ".".join(str(part) for part in item["loc"])
        if item["type"] == "value_error":
            message = str(item.get("ctx", {}).get("error", item["msg"]))
        elif item["type"] == "extra_forbidden":
            message = "unknown field (a typo?); see mapping_json_schema() for the fields"
        else:
            message = f"{item['msg']} (got {item.get('input')!r})"
        for line in message.splitlines():
            lines.append(f"{loc}: {line}" if loc else line)
    return lines


def _schema_problems_of_valid_tables(data: dict[Any, Any]) -> list[str]:
    problems: list[str] = []
    for name in TABLES:
        if isinstance(data.get(name), dict):
            try:
                table = TableMapping.model_validate(data[name])
            except ValidationError:
                continue  # already reported
            problems += table_mapping_problems(name, table)
    return problems


def parse_mapping(data: Any, origin: str = "<mapping>") -> ColumnMapping:
    """Validate already-parsed YAML data into a :class:`ColumnMapping`.

    Raises:
        InputError: Listing every problem, each with its YAML path.
    """
    if not isinstance(data, dict):
        raise InputError(
            f"mapping {origin}: expected a YAML mapping with table names at the top level, "
            f"got {type(data).__name__}"
        )
    try:
        mapping = ColumnMapping.model_validate(data)
    except ValidationError as err:
        lines = _problem_lines(err)
        if any(item["loc"] for item in err.errors()):  # schema checks did not run: run
            lines += _schema_problems_of_valid_tables(data)  # them on the sound tables
        raise InputError(
            f"mapping {origin}: {len(lines)} problem(s):\n" + "\n".join(f"  - {x}" for x in lines)
        ) from None
    mapping._origin = origin
    return mapping


def load_mapping(path: str | Path) -> ColumnMapping:
    """Load and validate a mapping YAML file.

    Args:
        path: The YAML file; a bare name such as ``"x_education"`` refers to a mapping
            shipped in :data:`MAPPINGS_DIR`.

    Raises:
        InputError: Missing file, invalid YAML, or every problem in the mapping.
    """
    path = Path(path)
    # a folder is never a mapping: `--workdir olist --mapping olist` means the shipped one
    if not path.is_file() and (MAPPINGS_DIR / f"{path.name}.yaml").is_file():
        path = MAPPINGS_DIR / f"{path.name}.yaml"
    if not path.is_file():
        shipped = sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))
        raise InputError(f"mapping file not found: {path}; shipped mappings are: {shipped}")
    try:
        data = read_yaml(path)
    except YamlLimitError as err:
        raise InputError(f"mapping {path.name}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or err
        raise InputError(f"mapping {path.name}: invalid YAML{where}: {problem}") from None
    return parse_mapping(data, origin=path.name)


def mapping_json_schema() -> dict[str, Any]:
    """JSON Schema of the mapping config (for editors and documentation)."""
    return ColumnMapping.model_json_schema(by_alias=True)
