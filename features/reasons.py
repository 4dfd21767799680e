"""Readable text for a feature and its value, built from the spec's metadata, and the one
formatter of numbers and moments for people.

Explanations (SHAP top reasons, the CRM write-back) show "visited the pricing page
4 times in the last 7 days" instead of ``pricing_views_7d = 4``. The text for every
feature the spec produces comes from :func:`feature_catalog`; the phrases of activity
groups come from their ``reason`` in the YAML.

Numbers read ``178,649,000``, ``12.50``, ``+5``, ``2.67``: thousands separated, a whole
number without decimals, never an exponent (``1.78649e+08``, ``5.1e-06``).
:func:`format_number` formats one value; :func:`number_text` a score or threshold (one
decimal); :func:`points_text` the points a rule gave, :func:`rule_points_text` a fired rule
with its points. Every layer reads them
from here, so a value reads the same in a lead's reasons, ``rules explain``, the CRM
sink, the report and its figures. A moment (a command's ``as_of``) reads
``2026-09-01 00:00 UTC`` (:func:`time_text`) in every command that prints one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pandas as pd

from features.events import utc_timestamp
from features.measures import AGE_FEATURE
from features.schema import FORM_STAGES
from features.spec import FeatureSpec, load_feature_spec

Describe = Callable[[Any], str]


def format_number(x: float, *, signed: bool = False, decimals: int = 2, trim: bool = False) -> str:
    """One number for people to read: ``178,649,000``, ``12.50``, ``+0.00``.

    Args:
        x: The number (points, a rule's value, a threshold, a feature value).
        signed: Always show the sign (``+5``, ``-2.50``), as for points.
        decimals: Decimals of a number that is not whole (a whole one shows none).
        trim: Drop trailing zeros of the decimals (``2.5`` rather than ``2.50``).

    Returns:
        Thousands separated; a decayed near-zero ``5.1e-06`` reads ``0.00`` (``+0.00``).
    """
    sign = "+" if signed else ""
    if not math.isfinite(x):
        return f"{x:{sign}}"
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):{sign},d}"
    text = f"{x:{sign},.{decimals}f}"
    return text.rstrip("0").rstrip(".") if trim else text


def number_text(value: float, *, signed: bool = False) -> str:
    """A score, a threshold (of the final score or of a point total), a count or a number
    of days: ``49.2``, ``1,369``, ``4`` (one decimal; unsigned unless ``signed``).

    The form reasons ("4 times", "12 days ago"), the comparison report and its figures
    write such values in. The points a fired rule gave go through :func:`points_text`
    (always signed, two decimals) instead.
    """
    return format_number(float(value), signed=signed, decimals=1)


def points_text(points: float) -> str:
    """The points a rule gave a lead: ``+20``, ``+2.50``, ``-3``, ``+0.00`` (a decayed
    ``5.1e-06``): always signed, 2 decimals when not whole.

    The one form of a fired rule's points: :func:`rule_points_text` writes it, and
    ``leadscore explain`` prints it in its column of points.
    """
    return format_number(float(points), signed=True)


def rule_points_text(rule: object, points: float) -> str:
    """A rule and the points it gave a lead: ``demo_request (+20)``, ``decayed (+2.50)``.

    The one display text of a fired rule: the CRM sink's ``leadscore_rules`` and the
    comparison report's lead lists both write it (points as :func:`points_text` writes
    them).
    """
    return f"{rule} ({points_text(points)})"


def time_text(when: pd.Timestamp | str) -> str:
    """A moment for people: ``2026-09-01 09:30 UTC``, to the minute, in UTC.

    The form ``score``, ``explain`` and the ``rules`` commands print their ``as_of`` in
    (no seconds or microseconds of "now", no ``+00:00``).

    Args:
        when: A timestamp; a naive one is read as UTC.
    """
    return f"{utc_timestamp(when):%Y-%m-%d %H:%M} UTC"


def day_text(when: pd.Timestamp | str) -> str:
    """A day for people: ``2026-09-01``, the UTC day of ``when`` (:func:`time_text`'s date).

    The form of the dates in messages (a plan's date range, an ``--as-of`` to pass, a
    backtest's day). Not for file names, partition keys, MLflow tags or JSON fields,
    which keep their own fixed formats.

    Args:
        when: A timestamp; a naive one is read as UTC.
    """
    return f"{utc_timestamp(when):%Y-%m-%d}"


_FIT_LABELS = {
    "seniority": "seniority",
    "department": "department",
    "region": "region",
    "lead_source": "lead source",
    "industry": "industry",
    "company_size_band": "company size (employees)",
    "revenue_band": "company revenue band (USD)",
    "email_domain_type": "e-mail domain type",
}

_FLAG_LABELS = {
    "is_partner": "works for a partner",
    "do_not_email": "opted out of e-mail",
    "account_is_competitor": "works at a competitor",
    "account_is_customer": "works at a customer",
}


def _missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _plain(value: Any) -> str:
    """A value of a column the spec does not know: numbers as ``1,532`` or ``2.67``."""
    if not pd.api.types.is_number(value) or pd.api.types.is_bool(value):
        return str(value)
    return format_number(float(value), trim=True)


def _times(value: Any) -> str:
    return "once" if float(value) == 1 else f"{number_text(value)} times"


def _phrase(spec: FeatureSpec, group: str) -> str:
    return spec.groups[group].reason or f"had '{group.replace('_', ' ')}' activity"


def _unless_missing(missing: str, given: Describe) -> Describe:
    """value -> ``missing`` for a missing value (never "nan"), else ``given(value)``."""
    return lambda v: missing if _missing(v) else given(v)


def _count(phrase: str, w: int) -> Describe:
    return _unless_missing(
        f"{phrase}: count in the last {w} days unknown",
        lambda v: f"{phrase} {_times(v)} in the last {w} days",
    )


def _recency(phrase: str) -> Describe:
    return _unless_missing(f"never {phrase}", lambda v: f"last {phrase} {number_text(v)} days ago")


def _flag(phrase: str) -> Describe:
    return _unless_missing(
        f"{phrase}: unknown", lambda v: phrase if float(v) > 0 else f"never {phrase}"
    )


def _stage(v: Any) -> str:
    if _missing(v):
        return "form stage unknown"
    level = int(float(v))
    if level <= 0:
        return "submitted no funnel-stage form"
    return f"reached the {FORM_STAGES[min(level, len(FORM_STAGES)) - 1]} form stage"


def _fit(label: str) -> Describe:
    return _unless_missing(f"{label} unknown", lambda v: f"{label} is {_plain(v)}")


def _yes_no(label: str) -> Describe:
    return _unless_missing(
        f"{label}: unknown", lambda v: f"{label}: {'yes' if float(v) > 0 else 'no'}"
    )


def _text(template: str, missing: str, **names: Any) -> Describe:
    """value -> ``template`` with ``{v}`` the formatted value and ``names`` filled in; a
    missing value reads ``missing`` (with ``names`` filled in)."""
    return _unless_missing(
        missing.format(**names), lambda v: template.format(v=number_text(v), **names)
    )


def _trend_text(phrase: str, recent_days: int, baseline_days: int) -> Describe:
    return _unless_missing(
        f"{phrase}: trend over the last {recent_days} days unknown",
        lambda v: (
            f"{phrase}: {float(v):+.2f} per day in the last {recent_days} days compared "
            f"with the {baseline_days} days before"
        ),
    )


def feature_catalog(spec: FeatureSpec) -> dict[str, Describe]:
    """Every feature name the spec produces, mapped to a function value -> text."""
    catalog: dict[str, Describe] = {name: _fit(label) for name, label in _FIT_LABELS.items()}
    for name in spec.fit.passthrough_numeric:
        catalog[name] = _text("{n} is {v}", "{n} unknown", n=name.replace("_", " "))
    if spec.fit.source_labels is not None:
        catalog["original_source"] = _fit("first-touch source")
    for name in spec.fit.contact_flags:
        catalog[name] = _yes_no(_FLAG_LABELS.get(name, name.replace("_", " ")))
    for name in spec.fit.account_flags:
        label = _FLAG_LABELS.get(f"account_{name}", f"account {name.replace('_', ' ')}")
        catalog[f"account_{name}"] = _yes_no(label)
    for name in spec.fit.presence:
        catalog[f"{name}_present"] = _yes_no(f"{name.replace('_', ' ')} given")
    for group in spec.groups:
        for w in spec.group_windows(group):
            catalog[f"{group}_{w}d"] = _count(_phrase(spec, group), w)
    for w in spec.frequency_windows:
        catalog[f"active_days_{w}d"] = _text(
            "active on {v} of the last {w} days", "activity in the last {w} days unknown", w=w
        )
    for t in spec.trends:
        catalog[t.name] = _trend_text(_phrase(spec, t.group), t.recent_days, t.baseline_days)
    for group in spec.recency:
        catalog[f"days_since_last_{group}"] = _recency(_phrase(spec, group))
    catalog[AGE_FEATURE] = _text("in the CRM for {v} days", "time in the CRM unknown")
    catalog["max_form_stage"] = _stage
    for name, group in spec.flags.items():
        catalog[name] = _flag(_phrase(spec, group))
    for w in spec.account_windows:
        catalog[f"account_engaged_contacts_{w}d"] = _text(
            "{v} other contact(s) at the same company engaged in the last {w} days",
            "colleagues engaged in the last {w} days unknown",
            w=w,
        )
        catalog[f"account_engagement_{w}d"] = _text(
            "the company had {v} engagement activities in the last {w} days",
            "company engagement in the last {w} days unknown",
            w=w,
        )
    if spec.include_rule_score:
        catalog["rule_score"] = _text("rule score is {v}", "rule score unknown")
    return catalog


@lru_cache(maxsize=1)
def _default_catalog() -> dict[str, Describe]:
    return feature_catalog(load_feature_spec())


def feature_reason(name: str, value: Any, spec: FeatureSpec | None = None) -> str:
    """Readable text for feature ``name`` holding ``value``.

    Args:
        name: A feature column produced by :func:`features.build.build_features`.
        spec: The spec the features were built with (None: the packaged default).

    Returns:
        E.g. ``"visited the pricing page 4 times in the last 7 days"``; a feature the
        spec does not know (a flat export's column) reads ``"<name> is <value>"``. A
        missing value reads e.g. ``"budget unknown"``, never "nan".
    """
    catalog = _default_catalog() if spec is None else feature_catalog(spec)
    return catalog.get(name, _fit(name.replace("_", " ")))(value)
