"""Exact SHAP values: ``FastTreeShap`` vs LightGBM's ``predict(pred_contrib=True)``.

A 300-tree, 31-leaf binary model is trained (not timed) on lead-like data: zero-inflated
activity counts, recencies that are NaN for leads never seen, skewed firmographics with
gaps, a ratio feature and five categorical columns. Both sides explain the same fresh rows;
the benchmark checks max |ours - reference| <= 1e-6 and fails loudly otherwise.

Rows per variant: ``shap_fast`` (the default: per-tree decision-pattern dedup + exact
quadrature kernel with leaf tables), ``shap_fast_plus_row_dedup`` (whole-row pattern
dedup first), ``shap_quadrature_per_row`` (no dedup) and ``shap_baseline_numba``
(LightGBM's TreeSHAP recursion per row), then ``shap_skip_unchanged``: what skipping leads
whose inputs did not change since the last nightly run would give, on a synthetic CRM
scored at D and D+1 (:mod:`benchmarks.skip_unchanged`; up to ``SKIP_UNCHANGED_MAX``
contacts). The per-row variants are timed on a prefix and scaled linearly, as is the
reference (on half the rows, at most ``REF_SAMPLE``). Model parsing and numba compile
(or cache load) are timed once, before the timed runs.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import lightgbm as lgb
import numpy as np

from benchmarks.harness import BenchResult, measure
from benchmarks.skip_unchanged import bench_skip_unchanged
from serving.explain import FastTreeShap

SIZES = {"quick": [20_000], "full": [100_000, 1_000_000]}
REF_SAMPLE = 50_000
SKIP_UNCHANGED_MAX = 100_000
TOLERANCE = 1e-6
COUNTS = [
    f"{kind}_{days}d"
    for kind, windows in {
        "email_opens": (7, 30, 90),
        "email_clicks": (7, 30),
        "web_visits": (7, 30, 90),
        "pricing_views": (7, 30),
        "form_submits": (30, 90),
        "webinars": (90,),
        "demo_requests": (90,),
        "downloads": (90,),
    }.items()
    for days in windows
]
CATEGORICAL = {"industry": 15, "country": 25, "lead_source": 8, "seniority": 5, "department": 9}


def lead_like_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    """Lead-like feature matrix, labels, feature names and categorical column indices."""
    rng = np.random.default_rng(seed)
    engaged = rng.gamma(0.6, 1.0, n)  # latent interest, most leads cold
    fit = rng.normal(0.0, 1.0, n)
    cols: dict[str, np.ndarray] = {}
    for j, name in enumerate(COUNTS):
        window = 7 if "7d" in name else 30 if "30d" in name else 90
        active = rng.random(n) < np.clip(0.12 + 0.25 * engaged * (window / 90) ** 0.3, 0, 0.9)
        rate = engaged * window / 30 / (1 + j % 5)
        cols[name] = np.where(active, rng.poisson(rate + 0.3), 0).astype(np.float64)
    seen = rng.random(n) < 0.75
    cols["days_since_activity"] = np.where(seen, np.floor(rng.exponential(40, n)), np.nan)
    cols["days_since_open"] = np.where(cols["email_opens_90d"] > 0, rng.integers(0, 90, n), np.nan)
    cols["days_since_pricing"] = np.where(
        cols["pricing_views_30d"] > 0, rng.integers(0, 30, n), np.nan
    )
    cols["click_rate"] = np.where(
        cols["email_opens_30d"] > 0,
        np.round(cols["email_clicks_30d"] / np.maximum(cols["email_opens_30d"], 1), 3),
        np.nan,
    )
    employees = np.round(np.exp(rng.normal(4.0 + 0.5 * fit, 1.5)))
    cols["employees"] = np.where(rng.random(n) < 0.03, np.nan, employees)
    revenue = np.round(np.exp(rng.normal(14.0 + 0.6 * fit, 1.4)), -3)
    cols["annual_revenue"] = np.where(rng.random(n) < 0.05, np.nan, revenue)
    cols["account_age_days"] = rng.integers(0, 3650, n).astype(np.float64)
    cols["has_phone"] = (rng.random(n) < 0.6).astype(np.float64)
    for name, levels in CATEGORICAL.items():
        weights = rng.dirichlet(np.full(levels, 0.7))
        cols[name] = rng.choice(levels, size=n, p=weights).astype(np.float64)
    names = list(cols)
    X = np.column_stack([cols[c] for c in names])
    logit = -3.2 + 1.1 * np.log1p(engaged) + 0.5 * fit + 0.3 * (cols["industry"] % 3 == 0)
    logit += 0.4 * np.log1p(cols["pricing_views_30d"]) + 0.3 * (cols["demo_requests_90d"] > 0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    cat_idx = [names.index(c) for c in CATEGORICAL]
    return X, y, names, cat_idx


@lru_cache(maxsize=1)
def train_model(seed: int = 0, n_train: int = 50_000) -> lgb.Booster:
    """The 300-tree, 31-leaf model both sides explain."""
    X, y, names, cat_idx = lead_like_data(n_train, seed)
    params = {"objective": "binary", "num_leaves": 31, "learning_rate": 0.05, "verbose": -1}
    data = lgb.Dataset(X, y, feature_name=names, categorical_feature=cat_idx)
    return lgb.train(params, data, num_boost_round=300)


def _scaled_seconds(fn, rows: np.ndarray, n: int, repeats: int) -> tuple[float, str]:
    """Seconds for ``n`` rows, timing ``fn`` on ``rows`` (a prefix) and scaling linearly."""
    timing = measure(lambda: fn(rows), repeats)
    if len(rows) == n:
        return timing.median_s, ""
    scale = n / len(rows)
    return timing.median_s * scale, f"timed on {len(rows):,} rows, scaled x{scale:g}; "


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time every variant and the reference on ``size`` fresh lead rows."""
    booster = train_model()
    X = lead_like_data(size, seed=size + 1)[0]
    start = time.perf_counter()
    explainer = FastTreeShap(booster)  # parses the model and fills the leaf tables
    explainer.shap_values(X[:100])  # numba compile or cache load
    explainer.shap_values(X[:100], dedup_rows=False, dedup_trees=False, algorithm="treeshap")
    warm_s = time.perf_counter() - start
    # pred_contrib is slow and linear in rows: one run on half the rows (at most
    # REF_SAMPLE), scaled linearly
    ref_s, ref_note = _scaled_seconds(
        lambda rows: booster.predict(rows, pred_contrib=True),
        X[: min(REF_SAMPLE, max(size // 2, 1))],
        size,
        1,
    )
    check_rows = X[: min(size, 5_000)]
    expected = booster.predict(check_rows, pred_contrib=True)
    plain = measure(lambda: booster.predict(X), repeats)
    variants: dict[str, tuple[dict[str, Any], int]] = {
        "shap_fast": ({}, size),
        "shap_fast_plus_row_dedup": ({"dedup_rows": True}, size),
        "shap_quadrature_per_row": ({"dedup_rows": False, "dedup_trees": False}, 5_000),
        "shap_baseline_numba": (
            {"dedup_rows": False, "dedup_trees": False, "algorithm": "treeshap"},
            2_000,
        ),
    }
    results = []
    for name, (kwargs, max_rows) in variants.items():
        seconds, note = _scaled_seconds(
            lambda rows, kw=kwargs: explainer.shap_values(rows, **kw), X[:max_rows], size, repeats
        )
        stats = explainer.last_stats_
        got = explainer.shap_values(check_rows, **kwargs)
        diff = float(np.abs(got - expected).max())
        if diff > TOLERANCE:
            raise AssertionError(f"{name}: max |ours - pred_contrib| = {diff:.3g} > {TOLERANCE}")
        notes = (
            f"{note}max|diff| vs pred_contrib {diff:.1e} (<= 1e-6 checked on "
            f"{len(check_rows):,} rows); unique rows {stats['unique_rows'] / stats['rows']:.1%}, "
            f"patterns/tree {stats.get('patterns_per_tree', float('nan')):,.0f} of "
            f"{stats['rows']:,}; reference {ref_note or 'timed on all rows; '}"
            f"plain predict {plain.median_s:.2f}s; init + numba compile/load {warm_s:.1f}s"
        )
        results.append(BenchResult(name, size, seconds, ref_s, plain.peak_rss_mb, notes))
    if size <= SKIP_UNCHANGED_MAX:  # its fractions do not depend on size; 1M costs ~25 min
        results.append(bench_skip_unchanged(size, repeats))
    return results
