"""Synthetic comparison inputs with planted signals, for the report's tests.

Six rules, of which ``demo_request`` and ``pricing_page`` really signal buying while
``newsletter_open`` earns many points and signals nothing; the model sees the hidden
propensity, so it should rank better than the rules; ``pricing_views_7d`` drifts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.blend import BlendConfig, fit_blend
from serving.report.backtest import BacktestResult
from serving.report.inputs import ComparisonInputs
from serving.report.weights import blend_view

RULE_POINTS: dict[str, float] = {
    "demo_request": 30,
    "pricing_page": 15,
    "webinar": 10,
    "newsletter_open": 20,
    "job_title_vp": 15,
    "free_email_domain": -10,
}
MQL, SQL, LEAD = 40.0, 70.0, 10.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _stage(score: np.ndarray) -> np.ndarray:
    return np.select(
        [score >= SQL, score >= MQL, score >= LEAD], ["sql", "mql", "lead"], "subscriber"
    )


def _hits(rng: np.random.Generator, z: np.ndarray) -> pd.DataFrame:
    n = len(z)
    signal = {  # log-odds of each rule firing: intercept + weight * propensity
        "demo_request": (-2.0, 1.6),
        "pricing_page": (-1.0, 1.0),
        "webinar": (-1.5, 0.3),
        "newsletter_open": (0.0, 0.0),
        "job_title_vp": (-1.5, 0.6),
        "free_email_domain": (-1.0, -0.8),
    }
    return pd.DataFrame({r: rng.random(n) < _sigmoid(a + b * z) for r, (a, b) in signal.items()})


def example_inputs(n_leads: int = 400, seed: int = 0) -> ComparisonInputs:
    """Comparison inputs for ``n_leads`` synthetic leads (plus two unusable rows).

    Args:
        n_leads: Leads in the scored period.
        seed: Random seed (the same seed gives the same inputs).

    Returns:
        :class:`ComparisonInputs` with drift data and a backtest of an edited rulebook.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n_leads)
    y = (rng.random(n_leads) < _sigmoid(-1.6 + 1.4 * z)).astype(int)
    hits = _hits(rng, z)
    points = np.array(list(RULE_POINTS.values()))
    manual = np.maximum(hits.to_numpy(dtype=float) @ points, 0.0)
    probability = _sigmoid(-1.6 + 1.3 * z + rng.normal(0, 0.4, n_leads))
    capacity = {"A": max(1, n_leads // 20), "B": max(1, n_leads // 10), "C": max(1, n_leads // 5)}
    blend = fit_blend(probability, manual, y, BlendConfig(capacity=capacity))  # in-sample
    final = blend.final_score(probability, manual)
    tier = blend.tier(final)
    ids = pd.Series([f"C{i:05d}" for i in range(n_leads)], dtype="str")
    strongest = np.array(list(RULE_POINTS))[np.argmax(hits.to_numpy() * points, axis=1)]
    scored = pd.DataFrame(
        {
            "contact_id": ids,
            "y": y,
            "manual_score": manual,
            "manual_stage": _stage(manual),
            "probability": probability,
            "final_score": final,
            "tier": tier,
            "lead_source": rng.choice(["web", "event", "partner", "paid_search"], n_leads),
            "region": rng.choice(["EMEA", "NA", "APAC"], n_leads),
            "company_size_band": rng.choice(["1-10", "11-50", "51-200", "201+"], n_leads),
            "top_rules": '[{"rule": "' + pd.Series(strongest) + '", "points": 20}]',
            "top_reasons": '[{"feature": "pricing_views_7d", "text": "Viewed pricing '
            + (1 + (z > 0)).astype(str)
            + ' times this week", "contribution": 0.1}]',
        }
    )
    unusable = scored.head(2).assign(contact_id=["X00001", "X00002"], probability=[np.nan, 1.5])
    scored = pd.concat([scored, unusable], ignore_index=True)
    views = rng.poisson(2.0, n_leads)
    reference = pd.DataFrame(
        {
            "pricing_views_7d": views,
            "email_opens_30d": rng.poisson(4.0, n_leads),
            "company_size_band": scored["company_size_band"].head(n_leads).to_numpy(),
            "probability": probability,
            "manual_score": manual,
        }
    )
    current = reference.assign(pricing_views_7d=views + 3)
    edited = dict(RULE_POINTS, newsletter_open=0, demo_request=45)
    edited_score = np.maximum(hits.to_numpy(dtype=float) @ np.array(list(edited.values())), 0)
    truth = pd.Series(y, index=ids)
    return ComparisonInputs(
        scored=scored,
        rule_hits=hits.assign(contact_id=ids),
        rule_points=RULE_POINTS,
        rule_points_range=(-10.0, 45.0),
        mql_threshold=MQL,
        sql_threshold=SQL,
        capacity_k=[max(1, n_leads // 10), max(1, n_leads // 4)],
        drift_reference=reference,
        drift_current=current,
        backtests=[
            BacktestResult("current", pd.Series(_stage(manual), index=ids), truth, "example"),
            BacktestResult("edited", pd.Series(_stage(edited_score), index=ids), truth, "example"),
        ],
        title="Predictive model vs point rules (synthetic example)",
        as_of="2026-01-05",
        model_version="example",
        rulebook_version="example",
        blend=blend_view(blend, scored.head(n_leads), max(1, n_leads // 10)),
    )
