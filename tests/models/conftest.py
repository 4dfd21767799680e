"""Fixtures for the model tests: a small synthetic lead table with a known signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from models.config import LightGBMParams, QualityGates, TrainConfig
from models.splits import Split, split_random_stratified

SOURCES = ["organic_search", "paid_search", "referral", "event"]
REGIONS = ["NA", "EMEA", "APAC"]


@dataclass(frozen=True)
class Leads:
    """Features, labels, a manual score and segment columns of synthetic leads."""

    X: pd.DataFrame
    y: np.ndarray
    manual: np.ndarray
    segments: pd.DataFrame
    split: Split

    def slice(self, part: str) -> tuple[pd.DataFrame, np.ndarray]:
        idx = getattr(self.split, part)
        return self.X.iloc[idx], self.y[idx]


def make_leads(n: int, seed: int, base_logit: float = -2.5) -> Leads:
    """Leads whose conversion depends on visits, pricing views and source (known signal)."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, n).astype(float)
    pricing = rng.binomial(1, 0.3, n).astype(float)
    source = rng.choice(SOURCES, n)
    region = rng.choice(REGIONS, n)
    employees = rng.lognormal(4, 1.5, n)
    logit = (
        base_logit
        + 0.6 * visits
        + 1.5 * pricing
        + 1.2 * (source == "referral")
        - 1.0 * (source == "paid_search")
        + 0.3 * np.log1p(employees)
        - 2.5
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame(
        {
            "visits_30d": visits,
            "pricing_views_7d": pricing,
            "lead_source": pd.Categorical(source, categories=SOURCES),
            "employees": employees,
            "noise": rng.normal(size=n),
        }
    )
    # A crude rule score: points for visits and pricing views only.
    manual = 5 * np.minimum(visits, 5) + 10 * pricing
    size = pd.cut(employees, [0, 50, 500, np.inf], labels=["small", "mid", "large"])
    segments = pd.DataFrame({"lead_source": source, "region": region, "company_size": size})
    return Leads(X, y, manual, segments, split_random_stratified(y, 0.25, 0.25, seed=seed))


@pytest.fixture(scope="session")
def leads() -> Leads:
    return make_leads(4000, seed=7)


@pytest.fixture
def fast_config() -> TrainConfig:
    """Defaults, with fewer rounds so tests stay quick, and permissive gates."""
    return TrainConfig(
        lightgbm=LightGBMParams(n_estimators=300, learning_rate=0.1),
        gates=QualityGates(min_auc=0.6, max_ece=0.1),
    )
