"""Vectorised value conversions a column mapping applies to one source column.

Conversions never lose a value: a value that cannot be converted is kept as its raw
source value (typically a ``str``), so validation can quarantine its row with a reason.
A column where everything converted gets a proper dtype; a column with leftovers is an
``object`` column mixing converted values and raw ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

UTC_DTYPE = "datetime64[ns, UTC]"
_AWARE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"  # ISO-8601 time ending in an offset
_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def snake_case(name: str) -> str:
    """``"Total Time Spent on Website"`` -> ``total_time_spent_on_website``,
    ``"TotalVisits"`` -> ``total_visits``, ``"Lead-Source (raw)"`` -> ``lead_source_raw``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", str(name))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[\W_]+", "_", text).strip("_").lower()
    if not text:
        return "column"
    return f"c_{text}" if text[0].isdigit() else text


def tidy_dtype(values: pd.Series) -> pd.Series:
    """Give a converted object column the dtype its non-missing values share."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "boolean":
        return values.astype("boolean")
    if kind == "string":
        return values.astype("str")
    if kind == "integer":
        return values.astype("Int64")
    if kind in ("floating", "mixed-integer-float"):
        return values.astype("float64")
    return values


def _with_leftovers(converted: pd.Series, raw: pd.Series, failed: pd.Series) -> pd.Series:
    """``converted`` where it worked, the raw value where it failed, None where missing."""
    if not failed.any():
        return converted
    mixed = converted.astype(object).where(converted.notna(), None)
    mixed[failed] = raw[failed].astype(object)
    return mixed


def map_values(
    values: pd.Series, value_map: Mapping[str, object], default: object | None = None
) -> pd.Series:
    """Replace values found in ``value_map``; others become ``default`` or stay raw.

    Source values are compared as text, so ``"1"`` in the map matches an integer 1.
    """
    present = values.notna()
    text = values.astype("string")
    hit = text.isin(list(value_map)).fillna(False).astype(bool)
    mapped = text.astype(object).map(value_map)
    fallback = values.astype(object) if default is None else pd.Series(default, index=values.index)
    result = mapped.where(hit, fallback.where(present, None))
    result = result.where(result.notna(), None)
    return tidy_dtype(result)


def scale_numbers(values: pd.Series, factor: float) -> pd.Series:
    """Numbers times ``factor`` (float64); unparseable values stay raw (object column)."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64") * factor
    failed = values.notna() & numbers.isna()
    return _with_leftovers(numbers, values, failed)


def parse_datetimes(values: pd.Series, fmt: str | None = None, tz: str | None = None) -> pd.Series:
    """Parse timestamps and convert them to UTC.

    Args:
        values: Source values (text, or datetimes from Parquet/SQL).
        fmt: A strptime format, or None/"iso" for ISO 8601 (date-only allowed).
        tz: IANA zone of naive timestamps (None: UTC). Timestamps that carry an offset
            are converted from it. At a daylight-saving change, wall times that do not
            exist are shifted forward and ambiguous ones are read as standard time.

    Returns:
        ``datetime64[ns, UTC]`` when every non-missing value parsed; otherwise an
        object column of UTC ``Timestamp`` s, raw unparsed values and None.
    """
    zone = tz or "UTC"
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(UTC_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, zone).astype(UTC_DTYPE)
    present = values.notna()
    text = values.astype("string").str.strip()
    parsed = pd.Series(pd.NaT, index=values.index, dtype=UTC_DTYPE)
    if fmt is None or fmt == "iso":
        pd_format = "ISO8601"
        aware = (text.str.contains(_AWARE, regex=True) & text.str.contains(":")).fillna(False)
        aware = aware.astype(bool)
    else:
        pd_format = fmt
        aware = pd.Series("%z" in fmt or "%Z" in fmt, index=values.index)
    if aware.any():
        got = pd.to_datetime(text[aware], format=pd_format, utc=True, errors="coerce")
        parsed[aware] = in_ns_range(got)
    naive = present & ~aware
    if naive.any():
        got = pd.to_datetime(text[naive], format=pd_format, errors="coerce")
        parsed[naive] = in_ns_range(_localize(got, zone))
    failed = present & parsed.isna()
    return _with_leftovers(parsed, values, failed)


def _localize(naive: pd.Series, zone: str) -> pd.Series:
    standard_time = np.zeros(len(naive), dtype=bool)
    local = naive.dt.tz_localize(zone, ambiguous=standard_time, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def in_ns_range(stamps: pd.Series) -> pd.Series:
    """NaT for timestamps nanosecond precision cannot hold (before 1677, after 2262)."""
    inside = (stamps >= _NS_MIN) & (stamps <= _NS_MAX)
    return stamps.where(inside).astype(UTC_DTYPE)


def template_values(frame: pd.DataFrame, template: str) -> pd.Series:
    """Fill ``{Column}`` placeholders from ``frame``; missing in any part -> missing."""
    parts = re.split(r"(\{[^{}]+\})", template)
    result = pd.Series("", index=frame.index, dtype="string")
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            result = result + frame[part[1:-1]].astype("string")
        elif part:
            result = result + part
    return result.astype("str")
