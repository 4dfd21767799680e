"""Would the nightly run gain from skipping leads whose inputs did not change since yesterday?

Measured on a synthetic CRM scored as of day D and D+1 (the nightly cadence), with the
shared benchmark scorer. For the leads scored on both days it reports the fraction with

* identical feature rows (the model's matrix, NaN equal to NaN),
* identical decision codes (the quantised row that :mod:`serving.explain.dedup` uses as
  its dedup key: equal codes make equal decisions at every split, hence equal SHAP values),
* a D+1 pattern seen among any of day D's rows (a global pattern cache),

and times a per-lead cache on D+1: compute the codes, reuse yesterday's SHAP row where
the lead's code is unchanged, explain the rest. The reference is the fast path without a
cache on the same D+1 rows, so the ratio is the gain such a cache would give. The cached
values are checked to equal the uncached ones exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import AS_OF, trained_scorer
from features.synthetic import DirtConfig, generate_crm
from models.frames import align_features
from serving.explain import FastTreeShap
from serving.explain.dedup import decision_codes, unique_keys
from serving.explain.inputs import model_matrix
from serving.scorer import LeadScorer


def same_cells(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``(n, k)`` bool: True where two ``(n, k)`` matrices' cells are equal; NaN equals NaN."""
    same = before == after
    if np.issubdtype(before.dtype, np.floating):
        same |= np.isnan(before) & np.isnan(after)
    return same


def previous_positions(previous_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Position of each of ``ids`` in ``previous_ids``; -1 where a lead is new."""
    return pd.Index(previous_ids).get_indexer(ids)


def unchanged_since(previous: np.ndarray, current: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """True where a lead existed before and its row of ``current`` equals its previous row
    (``positions``: its row in ``previous``, -1 for a new lead)."""
    known = positions >= 0
    out = np.zeros(len(current), dtype=bool)
    out[known] = same_cells(previous[positions[known]], current[known]).all(axis=1)
    return out


def seen_patterns(previous_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """True where a row of ``codes`` equals some row of ``previous_codes`` (any lead)."""
    both = np.ascontiguousarray(np.concatenate([previous_codes, codes]))
    inverse, first = np.empty(len(both), np.int64), np.empty(len(both), np.int64)
    unique_keys(both, both.shape[1], inverse, first)
    return np.isin(inverse[len(previous_codes) :], inverse[: len(previous_codes)])


def cached_shap(
    explainer: FastTreeShap,
    matrix: np.ndarray,
    positions: np.ndarray,
    previous_codes: np.ndarray,
    previous_shap: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values of ``matrix``, reusing yesterday's row where a lead's code is unchanged.

    Returns:
        The values and the bool mask of reused rows.
    """
    codes = decision_codes(matrix, explainer.arrays_)
    hit = unchanged_since(previous_codes, codes, positions)
    out = np.empty((len(matrix), previous_shap.shape[1]), dtype=np.float64)
    out[hit] = previous_shap[positions[hit]]
    if (~hit).any():
        out[~hit] = explainer.shap_values(matrix[~hit])
    return out, hit


def _day(scorer: LeadScorer, tables, as_of: pd.Timestamp) -> tuple[np.ndarray, pd.DataFrame]:
    frame = scorer.prepare(tables, as_of).frame
    model = scorer.model
    X = align_features(frame, model.feature_names_, model.categories_, "benchmark")
    arrays = scorer.explainer.arrays_
    return frame["contact_id"].to_numpy(), model_matrix(
        X, arrays.feature_names, arrays.pandas_categorical
    )


def bench_skip_unchanged(size: int, repeats: int) -> BenchResult:
    """Day D vs D+1 on a ``size``-contact synthetic CRM (see the module docstring)."""
    scorer = trained_scorer()
    explainer = scorer.explainer
    tables = generate_crm(size, 404, dirt=DirtConfig.none()).tables
    ids0, m0 = _day(scorer, tables, AS_OF)
    ids1, m1 = _day(scorer, tables, AS_OF + pd.Timedelta(days=1))
    pos = previous_positions(ids0, ids1)
    known = pos >= 0
    codes0, codes1 = decision_codes(m0, explainer.arrays_), decision_codes(m1, explainer.arrays_)
    same_features = unchanged_since(m0, m1, pos)
    same_codes = unchanged_since(codes0, codes1, pos)
    seen = seen_patterns(codes0, codes1)
    changed_cols = ~same_cells(m0[pos[known]], m1[known])
    names = explainer.feature_names_
    top = np.argsort(-changed_cols.mean(axis=0))[:3]
    movers = ", ".join(f"{names[j]} {changed_cols[:, j].mean():.1%}" for j in top)
    shap0 = explainer.shap_values(m0)
    full = measure(lambda: explainer.shap_values(m1), repeats)
    ours = measure(lambda: cached_shap(explainer, m1, pos, codes0, shap0), repeats)
    values, hit = ours.result
    diff = float(np.abs(values - full.result).max()) if len(values) else 0.0
    if diff > 0.0:
        raise AssertionError(f"skip_unchanged: cached SHAP differs from full by {diff:.3g}")
    n = max(int(known.sum()), 1)
    notes = (
        f"D={AS_OF:%Y-%m-%d} vs D+1 on the synthetic CRM, {len(ids1):,} leads at D+1 "
        f"({int((~known).sum()):,} new); of leads scored both days: identical feature rows "
        f"{same_features.sum() / n:.1%}, identical quantised SHAP pattern "
        f"{same_codes.sum() / n:.1%}; "
        f"D+1 patterns seen among any D row {seen.mean():.1%}; most changed features: {movers}; "
        f"ours = per-lead pattern cache ({hit.mean():.1%} reused, values identical), "
        f"ref = fast path without cache on the same rows: ratio = cache gain "
        f"(saves {full.median_s - ours.median_s:.2f}s of {full.median_s:.2f}s)"
    )
    return BenchResult(
        "shap_skip_unchanged", size, ours.median_s, full.median_s, ours.peak_rss_mb, notes
    )
