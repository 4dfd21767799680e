"""Drift that means something: lead age is compared like with like, a real shift is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.measures import AGE_FEATURE
from serving.report.drift import age_weights, psi
from serving.report.settings import ReportSettings

REPORT = ReportSettings()
LEVELS = {"watch": REPORT.psi_watch, "warning": REPORT.psi_warning}  # the report's

SOURCES = ["web", "event", "partner", "paid_search"]


def _pool(
    rng: np.random.Generator, n: int, max_age: float, source_mix: list[float]
) -> pd.DataFrame:
    """Open leads of one scoring date: activity accumulates with age, nothing else changes."""
    age = rng.uniform(0, max_age, n)
    source = rng.choice(SOURCES, n, p=source_mix)
    visits = rng.poisson(0.05 * age + 1)
    fit = rng.normal(size=n)
    score = 1 / (1 + np.exp(-(-3 + 0.01 * age + fit)))
    return pd.DataFrame(
        {
            AGE_FEATURE: age,
            "lead_source": pd.Categorical(source, categories=SOURCES),
            "page_views_90d": visits,
            "fit": fit,
            "probability": score,
        }
    )


MIX = [0.4, 0.3, 0.2, 0.1]


def test_an_unchanged_population_scored_later_raises_no_warning() -> None:
    rng = np.random.default_rng(0)
    reference = _pool(rng, 6_000, 200, MIX)
    later = _pool(rng, 9_000, 400, MIX)  # the pool grew older: open leads accumulate
    raw = psi(reference, later, REPORT.psi_bins, **LEVELS, age_column=None).set_index("column")
    assert raw.loc[AGE_FEATURE, "level"] == "warning"  # what the old report warned about
    assert raw.loc["page_views_90d", "level"] == "warning"
    table = psi(reference, later, REPORT.psi_bins, **LEVELS, age_column=AGE_FEATURE).set_index(
        "column"
    )
    assert table.loc[AGE_FEATURE, "level"] == "excluded"
    assert "by construction" in table.loc[AGE_FEATURE, "note"]
    assert (table.drop(index=AGE_FEATURE)["level"] == "ok").all(), table
    assert table.index[-1] == AGE_FEATURE  # listed last, apart from the compared columns


def test_a_new_lead_source_mix_is_still_caught() -> None:
    rng = np.random.default_rng(1)
    reference = _pool(rng, 6_000, 200, MIX)
    shifted = _pool(rng, 9_000, 400, [0.1, 0.1, 0.2, 0.6])  # paid search took over
    table = psi(reference, shifted, REPORT.psi_bins, **LEVELS, age_column=AGE_FEATURE).set_index(
        "column"
    )
    assert table.loc["lead_source", "level"] == "warning"
    assert table.index[0] == "lead_source"
    assert (table.drop(index=["lead_source", AGE_FEATURE])["level"] == "ok").all()


def test_age_weights_by_hand() -> None:
    # current ages: half below 10, half above; reference: 3 of 4 below -> weights 2/3 and 2
    reference = pd.Series([1.0, 2.0, 3.0, 20.0])
    current = pd.Series([1.0, 5.0, 15.0, 30.0])
    weights = age_weights(reference, current, bins=2)
    # bins at the current median (10): reference shares 3/4 and 1/4, current 1/2 and 1/2
    np.testing.assert_allclose(weights, [2 / 3, 2 / 3, 2 / 3, 2.0])
    assert weights.sum() == pytest.approx(len(reference))


def test_without_an_age_column_nothing_is_matched() -> None:
    rng = np.random.default_rng(2)
    reference = _pool(rng, 2_000, 200, MIX).drop(columns=AGE_FEATURE)
    table = psi(reference, reference.copy(), REPORT.psi_bins, **LEVELS, age_column=AGE_FEATURE)
    assert (table["level"] == "ok").all() and (table["note"] == "").all()
