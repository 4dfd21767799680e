"""A column mapping inferred for a flat export (one row per lead, the outcome a column).

``leadscore fit-table`` writes what this module returns as ``mapping.yaml``, then trains,
scores and reports through the same path as ``leadscore train --mapping``; the user can
edit the file and train with it again. Pure: a frame and the type decisions of
:func:`features.infer.infer_table_types` in, a plain mapping (YAML-ready) out.

What the mapping says:

* ``contacts``: one contact per row whose outcome is readable (a ``row_filter`` on the
  target column's usable values); ``contact_id`` from ``--id`` (else ``row-<row number>``);
  ``created_at`` from ``--time`` (else the constant :data:`NO_DATE`: the export has no
  dates); every column the inference kept as a feature under ``keep_extra`` (a name that
  would clash with a canonical column gets ``_raw``); left-out columns (personal data, ids,
  free text, constants, the target) are listed with their reason in the header comment.
* ``outcomes``: one ``won`` row per row whose outcome is positive.
* ``null_values``: the form placeholders found in several columns ("Select").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from features.infer import TableTypes
from features.ingest.convert import snake_case
from features.schema import CONTACTS

NO_DATE = "2000-01-01T00:00:00Z"
"""``created_at`` of every lead of an export without a ``--time`` column (only its being
one date matters: the training split is then stratified at random)."""


def extra_names(columns: Sequence[str]) -> dict[str, str]:
    """Source column -> a snake_case name clashing with no canonical column or other name."""
    taken = set(CONTACTS.names)
    out: dict[str, str] = {}
    for column in columns:
        name = snake_case(column)
        name = f"{name}_raw" if name in taken else name
        base, n = name, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        out[column] = name
    return out


def _values(values: pd.Series) -> list[str]:
    """Distinct values as the mapping's ``row_filter`` compares them (text, file order)."""
    return [str(v) for v in values.astype("string").dropna().unique()]


def flat_export_mapping(
    frame: pd.DataFrame,
    types: TableTypes,
    *,
    source: str,
    target: str,
    usable: pd.Series,
    positive: pd.Series,
    id_column: str | None = None,
    time_column: str | None = None,
    time_format: str | None = None,
    sep: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """The mapping of a flat export (see the module docstring).

    Args:
        frame: The export as read (every row).
        types: Type decisions of the usable rows' columns; excluded ones are left out.
        source: The file's name (the mapping reads the file ``--data`` names).
        target: The outcome column.
        usable: Per row, True when its outcome is readable.
        positive: Per row, True when its outcome means converted.
        id_column: Lead id column, or None (rows are numbered).
        time_column: Creation date column, or None (every lead gets :data:`NO_DATE`).
        time_format: Its strptime format (``ISO8601`` for ISO dates).
        sep: CSV delimiter, when given.
        encoding: Text encoding, when given (None: the reader's default, UTF-8).

    Returns:
        The mapping as plain data (load it with :func:`features.ingest.load_mapping`).
    """
    contact_id: Any = id_column if id_column else {"template": "row-{_row}"}
    created_at: Any = {"constant": NO_DATE}
    if time_column:
        fmt = "iso" if time_format in (None, "ISO8601") else time_format
        created_at = {"source": time_column, "datetime_format": fmt}
    kept = [n for n, c in types.columns.items() if c.kind != "excluded"]
    read = {"sep": sep} if sep else {}
    read |= {"encoding": encoding} if encoding else {}
    mapping: dict[str, Any] = {
        "version": 1,
        "description": f"{source}: outcome in {target!r} (inferred by leadscore fit-table)",
    }
    placeholders = list(types.placeholders)
    if placeholders:
        mapping["null_values"] = placeholders
    mapping["contacts"] = {
        "source": source,
        **read,
        "row_filter": {"column": target, "in": _values(frame.loc[usable.to_numpy(), target])},
        "columns": {"contact_id": contact_id, "created_at": created_at},
        "keep_extra": extra_names(kept),
    }
    mapping["outcomes"] = {
        "source": source,
        **read,
        "row_filter": {"column": target, "in": _values(frame.loc[positive.to_numpy(), target])},
        "columns": {
            "contact_id": contact_id if isinstance(contact_id, str) else dict(contact_id),
            "converted_at": dict(created_at),
            "outcome": {"constant": "won"},
        },
    }
    return mapping


def mapping_yaml(mapping: Mapping[str, Any], excluded: Mapping[str, str]) -> str:
    """The mapping as YAML text, headed by the left-out columns and why (no values)."""
    lines = [
        "# Column mapping inferred by `leadscore fit-table`; edit it and train with",
        "#   leadscore train --data FILE --mapping THIS_FILE --framing flat",
        "# Columns left out, and why:",
        *(f"#   {name}: {reason}" for name, reason in excluded.items()),
    ]
    body = yaml.safe_dump(dict(mapping), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body
