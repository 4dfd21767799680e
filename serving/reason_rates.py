"""Conversion rates behind the reason texts ("converts 3.1x the average"), and the CRM line.

A model factor says *which* feature moved a lead's score; sales reads it as a rate: how
often leads like this one (the same level, or a value in the same band) converted in the
training data, against the average lead. :func:`fit_reason_rates` learns one small table
per feature on the training slice; :meth:`ReasonRates.lift` looks a value up.

Numeric features are banded at upper quantiles of their distinct values (buying signals
live in the tail), categorical ones by level; missing values are a band of their own.
Rates are shrunk towards the average with ``prior`` pseudo-leads, so a band of five leads
does not claim "converts 20x the average".

:func:`reason_line` turns a lead's ``top_reasons`` into the CRM's text of at most 200
characters. This module imports nothing heavy, so the sinks can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

QUANTILES = (0.5, 0.75, 0.9, 0.97)
LIFT_DECIMALS = 2
"""Decimals of the lift a reason shows and stores; its side (up or down) is decided on it."""
REASON_LINE_CHARS = 200
MISSING = "(missing)"


@dataclass(frozen=True)
class FeatureRates:
    """One feature's bands and the lift of each.

    Attributes:
        edges: Upper edges of the numeric bands (a value ``v`` is in band
            ``searchsorted(edges, v, "left")``); empty for a categorical feature.
        lifts: Lift of each numeric band (``len(edges) + 1`` values), or of each level.
        levels: Categorical levels, in the order of ``lifts``; empty when numeric.
    """

    edges: tuple[float, ...] = ()
    lifts: tuple[float, ...] = ()
    levels: tuple[str, ...] = ()
    missing_lift: float = 1.0


@dataclass(frozen=True)
class ReasonRates:
    """Lift per feature band, learned on the training slice (see the module docstring).

    Attributes:
        base_rate: The training slice's conversion rate (the "average").
    """

    base_rate: float
    features: dict[str, FeatureRates] = field(default_factory=dict)

    def lift(self, feature: str, values: np.ndarray | pd.Series) -> np.ndarray:
        """Lift of each value of ``feature`` (1.0 for a feature or level never seen)."""
        rates = self.features.get(feature)
        out = np.ones(len(values), dtype="float64")
        if rates is None:
            return out
        if rates.levels:
            text = pd.Series(np.asarray(values, dtype=object))
            missing = text.isna().to_numpy()
            lookup = dict(zip(rates.levels, rates.lifts, strict=True))
            found = text.astype(str).map(lookup).to_numpy(dtype="float64", na_value=np.nan)
            out = np.where(np.isnan(found), 1.0, found)
            out[missing] = rates.missing_lift
            return out
        plain = np.asarray(values)
        if plain.dtype.kind in "biuf":  # numbers already: no round trip through objects
            x = plain.astype("float64")
        else:
            x = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce")
            x = x.to_numpy(dtype="float64", na_value=np.nan)
        lifts = np.asarray(rates.lifts, dtype="float64")
        if not len(lifts):  # a category column blank on every training row (Olist's seniority)
            return np.where(np.isnan(x), rates.missing_lift, 1.0)
        band = np.searchsorted(np.asarray(rates.edges, dtype="float64"), x, side="left")
        return np.where(np.isnan(x), rates.missing_lift, lifts[np.minimum(band, len(lifts) - 1)])

    def lift_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Lift of every value of ``X``, ``(n, n_columns)`` (see :meth:`lift`); a
        categorical column is looked up once per category, not once per row."""
        out = np.ones(X.shape, dtype="float64")
        for j, name in enumerate(X.columns):
            column = X.iloc[:, j]
            if isinstance(column.dtype, pd.CategoricalDtype):
                levels = [*column.cat.categories, None]  # the last one: a missing value
                by_level = self.lift(str(name), np.array(levels, dtype=object))
                codes = column.cat.codes.to_numpy()
                out[:, j] = by_level[np.where(codes >= 0, codes, len(levels) - 1)]
            else:
                out[:, j] = self.lift(str(name), column)
        return out


def _shrunk_lift(converted: np.ndarray, n: np.ndarray, base: float, prior: float) -> np.ndarray:
    """Shrunk rate over the base rate; a band without leads is average (1.0)."""
    total = np.asarray(n, dtype="float64") + prior
    rate = np.divide(converted + prior * base, total, out=np.full(total.shape, base),
                     where=total > 0)  # fmt: skip
    return rate / base


def _numeric_rates(x: np.ndarray, y: np.ndarray, base: float, prior: float) -> FeatureRates:
    present = ~np.isnan(x)
    values = x[present]
    distinct = np.unique(values)
    if distinct.size <= 6:  # few values (flags, small counts): one band per value
        edges = distinct[:-1]
    else:
        edges = np.unique(np.quantile(values, QUANTILES, method="lower"))
        edges = edges[edges < distinct[-1]]
    band = np.searchsorted(edges, values, side="left")
    n = np.bincount(band, minlength=len(edges) + 1).astype("float64")
    converted = np.bincount(band, weights=y[present], minlength=len(edges) + 1)
    lifts = _shrunk_lift(converted, n, base, prior)
    missing = _shrunk_lift(np.array([y[~present].sum()]), np.array([(~present).sum()]), base, prior)
    return FeatureRates(
        edges=tuple(float(e) for e in edges),
        lifts=tuple(float(v) for v in lifts),
        missing_lift=float(missing[0]),
    )


def _level_rates(x: pd.Series, y: np.ndarray, base: float, prior: float) -> FeatureRates:
    missing = x.isna().to_numpy()
    text = x.astype(object).where(~missing, MISSING).astype(str).to_numpy()
    frame = pd.DataFrame({"level": text, "y": y}).groupby("level")["y"].agg(["sum", "count"])
    lifts = _shrunk_lift(frame["sum"].to_numpy(), frame["count"].to_numpy(), base, prior)
    table = dict(zip(frame.index.astype(str), lifts, strict=True))
    missing_lift = float(table.pop(MISSING, 1.0))
    return FeatureRates(
        lifts=tuple(float(v) for v in table.values()),
        levels=tuple(table),
        missing_lift=missing_lift,
    )


def fit_reason_rates(
    X: pd.DataFrame, y: np.ndarray | pd.Series, prior: float = 20.0
) -> ReasonRates:
    """Learn the lift of every feature band on the training slice.

    Args:
        X: Training features (numeric, boolean or categorical columns).
        y: 0/1 outcomes of the same rows.
        prior: Pseudo-leads at the average rate added to every band.

    Raises:
        ValueError: Lengths differ, or no lead converted (no average to compare with).
    """
    labels = np.asarray(y, dtype="float64")
    if len(labels) != len(X):
        raise ValueError(f"reason rates: X has {len(X)} rows but y has {len(labels)}")
    base = float(labels.mean()) if len(labels) else 0.0
    if base <= 0.0:
        raise ValueError("reason rates: no lead of the training slice converted")
    features: dict[str, FeatureRates] = {}
    for name in X.columns:
        column = X[name]
        numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        if numeric and not isinstance(column.dtype, pd.CategoricalDtype):
            x = column.astype("float64").to_numpy(na_value=np.nan)
            features[str(name)] = _numeric_rates(x, labels, base, prior)
        else:
            features[str(name)] = _level_rates(column, labels, base, prior)
    return ReasonRates(base, features)


def shown_lift(lift: np.ndarray) -> np.ndarray:
    """The lift as reasons show it (:data:`LIFT_DECIMALS`): a reason is up only when this
    is above 1 and down only when it is below 1."""
    return np.round(np.asarray(lift, dtype="float64"), LIFT_DECIMALS)


def lift_text(lift: float) -> str:
    """``3.1x``; near the average two decimals (``0.97x``, ``1.03x``), so that a rate below
    the average never reads ``1.0x``; below 0.95 two significant digits (``0.46x``)."""
    if lift >= 1.05:
        return f"{lift:.1f}x"
    return f"{lift:.2f}x" if lift >= 0.95 else f"{lift:.2g}x"


def rate_text(lift: float) -> str:
    """``converts 3.1x the average``."""
    return f"converts {lift_text(lift)} the average"


_RATE_SEP = ": converts "
_PRIORITY = ("up", "up", "down", "up", "down")  # which factors the line keeps first


def _short(item: dict[str, Any]) -> str:
    """``+ visited the pricing page 6 times in the last 30 days (3.1x avg)``."""
    sign = "+" if float(item["contribution"]) >= 0 else "-"
    text = str(item.get("text") or item.get("feature", "?"))
    if "lift" in item:
        text = f"{text.rsplit(_RATE_SEP, 1)[0]} ({lift_text(float(item['lift']))} avg)"
    return f"{sign} {text}"


def reason_line(cell: str, limit: int = REASON_LINE_CHARS) -> str:
    """The CRM's text of one lead's factors, at most ``limit`` characters:
    ``+ a (3.1x avg); + b (2.2x avg); - c (0.6x avg)``.

    Factors are taken strongest up, second up, strongest down, third up, second down,
    each kept while it still fits, and shown ups first, then downs. A first factor longer
    than ``limit`` is cut with an ellipsis.

    Raises:
        KeyError: An entry without ``contribution``.
        ValueError: ``cell`` is not JSON.
    """
    items = json.loads(cell)
    texts = [_short(item) for item in items]
    ups = [i for i, t in enumerate(texts) if t.startswith("+")]
    downs = [i for i, t in enumerate(texts) if t.startswith("-")]
    queues = {"up": ups, "down": downs}
    order = [queues[side].pop(0) for side in _PRIORITY if queues[side]]
    order += ups + downs  # beyond three up and two down, in their order
    kept: list[int] = []
    for i in order:
        candidate = "; ".join(texts[j] for j in sorted([*kept, i]))
        if len(candidate) <= limit:
            kept.append(i)
        elif not kept and i == order[0]:
            return texts[i][: limit - 1] + "…"
    return "; ".join(texts[j] for j in sorted(kept))
