"""The one way leadscore turns a mapping of results into JSON text.

Used by the validation report files (:mod:`features.ingest.report`) and the JSON artifacts
of a training run (:func:`models.tracking.log_json`), so both write numbers, timestamps and
sets the same way.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """A JSON value for what :mod:`json` cannot write itself (its ``default=`` hook).

    numpy scalars become Python numbers, timestamps (``pd.Timestamp``, ``datetime``) ISO 8601
    text with their offset (``2024-01-01T00:00:00+00:00``), sets lists, anything else its
    ``str``.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)


def json_text(obj: Any) -> str:
    """``obj`` as pretty JSON: indented by 2, keys sorted, other values by :func:`jsonable`."""
    return json.dumps(obj, indent=2, sort_keys=True, default=jsonable)
