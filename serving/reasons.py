"""Readable reasons for every scored lead, built vectorised: model factors and rules fired.

Model factors are exact TreeSHAP values of the LightGBM booster (the fast path in
:mod:`serving.explain`), in **log-odds of the uncalibrated model margin**: they add up,
with the expected value, to the booster's raw score, so they are comparable between
leads. The calibrated probability is a monotone function of that margin.

Output cells are JSON lists (the sink contract in :mod:`serving.sinks.contract`):

* ``top_reasons``: up to ``k`` factors pushing the score up (strongest first), then up to
  ``k_down`` pushing it down: ``{"feature", "text", "lift", "contribution"}``. With the
  scorer's :class:`~serving.reason_rates.ReasonRates`, each text states its effect as a
  rate ("visited the pricing page 6 times in the last 30 days: converts 3.1x the
  average") and ``lift`` holds that number; a factor is listed up only when its lift is
  above 1 and down only below 1; the CRM's text of at
  most 200 characters from it (:func:`serving.reason_rates.reason_line`);
* ``top_rules``: up to ``k`` rules with the largest absolute points on the primary scale:
  ``{"rule", "points"}``.

Texts come from :func:`features.reasons.feature_catalog`, called once per distinct
(feature, value) pair, never once per lead.
"""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.reasons import feature_catalog, feature_reason
from features.spec import FeatureSpec
from models.estimator import ConversionModel
from serving.explain import top_factors
from serving.reason_rates import LIFT_DECIMALS, ReasonRates, rate_text, shown_lift

if TYPE_CHECKING:
    from serving.explain.explainer import FastTreeShap

CONTRIBUTION_UNIT = "log-odds (LightGBM margin)"
ShapMethod = Literal["fast", "lightgbm"]
_DECIMALS = 4
CHUNK_ROWS = 100_000
"""Rows explained and written at once by :func:`model_reasons`."""


def make_explainer(model: ConversionModel) -> FastTreeShap:
    """The fast exact TreeSHAP explainer of the model's booster (parsed once; reuse it)."""
    from serving.explain.explainer import FastTreeShap  # numba: imported when used

    return FastTreeShap(model.booster_, num_iteration=model.best_iteration_)


def shap_contributions(
    model: ConversionModel,
    X: pd.DataFrame,
    *,
    method: ShapMethod = "fast",
    explainer: FastTreeShap | None = None,
) -> np.ndarray:
    """Exact SHAP values of the model's margin, ``(n, n_features + 1)``, expected value last.

    Args:
        X: Features aligned to the model (:func:`models.frames.align_features`).
        method: ``fast`` (:class:`serving.explain.FastTreeShap`) or ``lightgbm``
            (``booster.predict(pred_contrib=True)``, the slow reference).
        explainer: A prepared fast explainer (saves re-parsing the trees).

    Returns:
        Contributions in log-odds; each row sums to the booster's raw score.
    """
    if method == "lightgbm":
        raw = model.booster_.predict(X, pred_contrib=True, num_iteration=model.best_iteration_)
        return np.asarray(raw, dtype=np.float64)
    return (explainer or make_explainer(model)).shap_values(X)


def top_model_factors(
    model: ConversionModel,
    X: pd.DataFrame,
    k: int,
    *,
    method: ShapMethod = "fast",
    explainer: FastTreeShap | None = None,
    rates: ReasonRates | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` positive then top ``k`` negative factors per row (:func:`model_reasons`
    passes one chunk of rows at a time, so memory stays bounded).

    With ``rates``, a factor goes up only when its value converts above the average and
    down only below it (:func:`serving.explain.top_factors`).

    Returns:
        ``(feature_index, contribution)``, each ``(n, 2k)``; empty slots hold -1 and 0.0.
    """
    contrib = shap_contributions(model, X, method=method, explainer=explainer)
    lift = None if rates is None else shown_lift(rates.lift_matrix(X))
    i_pos, v_pos, i_neg, v_neg = top_factors(contrib, k, lift)
    return np.hstack([i_pos, i_neg]), np.hstack([v_pos, v_neg])


def _prefixes(
    X: pd.DataFrame,
    rows: np.ndarray,
    feats: np.ndarray,
    spec: FeatureSpec | None,
    rates: ReasonRates | None = None,
) -> np.ndarray:
    """JSON entry up to the contribution for each (row, feature) pair."""
    catalog = feature_catalog(spec) if spec is not None else {}
    out = np.empty(len(rows), dtype=object)
    for j in np.unique(feats):
        hit = np.flatnonzero(feats == j)
        name = str(X.columns[j])
        values = X.iloc[rows[hit], j]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=False)
        # a flat export's own column has no catalog entry
        describe = catalog.get(name) or partial(feature_reason, name)
        head = json.dumps(name)
        if rates is None:
            texts = [
                f'{{"feature": {head}, "text": {json.dumps(describe(u))}, "contribution": '
                for u in uniques
            ]
        else:
            lifts = rates.lift(name, np.asarray(uniques, dtype=object))
            texts = [
                f'{{"feature": {head}, "text": {json.dumps(f"{describe(u)}: {rate_text(lift)}")}'
                f', "lift": {round(float(lift), LIFT_DECIMALS)}, "contribution": '
                for u, lift in zip(uniques, lifts, strict=True)
            ]
        out[hit] = np.asarray(texts, dtype=object)[codes]
    return out


def _entries(prefix: np.ndarray, numbers: np.ndarray) -> pa.Array:
    """``prefix + number + "}"`` as Arrow strings; null where ``prefix`` is None."""
    text = pc.cast(pa.array(np.round(numbers, _DECIMALS) + 0.0), pa.string())
    return pc.binary_join_element_wise(pa.array(prefix, pa.string()), text, pa.scalar("}"), "")


def _json_lists(slots: list[pa.Array]) -> pa.Array:
    """One JSON list per row from aligned per-slot entries (null: empty slot)."""
    pieces = [pc.binary_join_element_wise(", ", entries, "").fill_null("") for entries in slots]
    joined = pc.binary_join_element_wise(*pieces, "")
    body = pc.utf8_slice_codeunits(joined, 2)  # drop the first ", "
    return pc.binary_join_element_wise(pa.scalar("["), body, pa.scalar("]"), "")


def _as_series(parts: list[pa.Array]) -> pd.Series:
    """Arrow string chunks as one pandas ``str`` Series (no Python string objects)."""
    return pd.Series(pd.array(pa.chunked_array(parts, pa.string()), dtype="str"))


def reasons_json(
    X: pd.DataFrame,
    idx: np.ndarray,
    val: np.ndarray,
    spec: FeatureSpec | None,
    rates: ReasonRates | None = None,
) -> pd.Series:
    """``top_reasons`` cells from :func:`top_model_factors` output.

    Args:
        X: The aligned features the factors were computed on (values feed the texts).
        idx: Feature index per row and slot (-1: empty).
        val: Contribution per row and slot (log-odds).
        spec: The feature spec (texts of activity groups); None for a flat export.
        rates: Conversion rates per feature band (texts state the lift); None: no rates.

    Returns:
        One JSON list string per row, positional like ``X``.
    """
    n, n_slots = idx.shape
    rows, slot = np.nonzero(idx >= 0)
    prefix = np.full((n, n_slots), None, dtype=object)
    prefix[rows, slot] = _prefixes(X, rows, idx[rows, slot], spec, rates)
    return _as_series([_json_lists([_entries(prefix[:, s], val[:, s]) for s in range(n_slots)])])


def model_reasons(
    model: ConversionModel,
    X: pd.DataFrame,
    k: int,
    spec: FeatureSpec | None,
    *,
    method: ShapMethod = "fast",
    explainer: FastTreeShap | None = None,
    k_down: int | None = None,
    rates: ReasonRates | None = None,
) -> pd.Series:
    """``top_reasons`` of every row, computed :data:`CHUNK_ROWS` rows at a time so memory
    stays bounded.

    ``k`` factors up and ``k_down`` (default ``k``) down; ``rates`` add the lift texts and
    keep each factor on the side its rate says (above or below the average).
    """
    explainer = explainer if method == "lightgbm" or explainer else make_explainer(model)
    down = k if k_down is None else k_down
    width = max(k, down)
    keep = np.r_[np.arange(k), width + np.arange(down)]
    parts: list[pd.Series] = []
    for start in range(0, len(X), CHUNK_ROWS):
        chunk = X.iloc[start : start + CHUNK_ROWS]
        idx, val = top_model_factors(
            model, chunk, width, method=method, explainer=explainer, rates=rates
        )
        parts.append(reasons_json(chunk, idx[:, keep], val[:, keep], spec, rates))
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="str")


def _top_k_per_contact(
    pos: np.ndarray, rule: np.ndarray, points: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per contact, the ``k`` rows with the largest ``|points|`` (ties: lower rule code).

    Instead of sorting every row by (contact, size, rule), the rows are grouped by
    (contact, rule) once and each of the ``k`` places is a per-group maximum: at 1M
    contacts (17M rows) that sort took 3 s.

    Returns:
        ``(pos, rule, points, place)`` of the chosen rows, by contact, then place (0 is
        the largest).
    """
    if pos.size == 0 or k < 1:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    # (contact, rule) pairs are unique; the breakdown lists them rule by rule, so the keys
    # are a few ascending runs, which a stable (merging) sort puts together quickly
    order = np.argsort(pos * (int(rule.max()) + 1) + rule, kind="stable")
    pos, rule, points = pos[order], rule[order], points[order]
    starts = np.flatnonzero(np.concatenate([[True], pos[1:] != pos[:-1]]))
    group = np.zeros(pos.size, dtype=np.int64)
    group[starts[1:]] = 1
    np.cumsum(group, out=group)  # group number of each row
    left = np.abs(points)  # > 0; a taken row becomes -1
    picked = []
    for _ in range(k):
        best = np.maximum.reduceat(left, starts)
        hits = np.flatnonzero((left == best[group]) & (left > 0))
        if hits.size == 0:  # every contact has fewer than k rows
            break
        first = hits[np.concatenate([[True], group[hits][1:] != group[hits][:-1]])]
        picked.append(first)  # the first row reaching the maximum: the lowest rule code
        left[first] = -1.0
    rows = np.concatenate(picked)
    place = np.repeat(np.arange(len(picked)), [p.size for p in picked])
    by_contact = np.lexsort((place, pos[rows]))
    rows, place = rows[by_contact], place[by_contact]
    return pos[rows], rule[rows], points[rows], place


def rules_json(
    breakdown: pd.DataFrame, n_contacts: int, scale: str, k: int
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """``top_rules`` cells: the ``k`` largest absolute point contributions per contact.

    Args:
        breakdown: :attr:`rules.ScoreResult.breakdown` (``contact_id`` categorical whose
            codes are contact positions) of ``n_contacts`` contacts.
        scale: The primary scale's name.
        k: Rules per contact.

    Returns:
        ``(cells, position, rule, points)``: one JSON list per contact position, and the
        chosen rows (contact position, rule name, points) for tests and ``explain``.
    """
    points = breakdown["points_after_caps"].to_numpy(dtype=np.float64)
    scale_codes = breakdown["scale"].array.codes  # .cat.codes would copy
    scale_code = breakdown["scale"].cat.categories.get_indexer([scale])[0]
    sel = np.flatnonzero((scale_codes == scale_code) & (points != 0))  # arrays, no frame copy
    pos = breakdown["contact_id"].array.codes[sel].astype(np.int64)
    rule_code = breakdown["rule"].array.codes[sel].astype(np.int64)
    pos, rule_code, points, rank = _top_k_per_contact(pos, rule_code, points[sel], k)
    names = np.asarray(breakdown["rule"].cat.categories.astype(str), dtype=object)
    heads = np.array([f'{{"rule": {json.dumps(r)}, "points": ' for r in names], dtype=object)
    slots = []
    for s in range(k):
        take = rank == s
        prefix = np.full(n_contacts, None, dtype=object)
        prefix[pos[take]] = heads[rule_code[take]]
        numbers = np.zeros(n_contacts)
        numbers[pos[take]] = points[take]
        slots.append(_entries(prefix, numbers))
    return _as_series([_json_lists(slots)]), pos, names[rule_code], points
