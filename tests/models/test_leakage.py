"""Leakage guard: planted leaks, honest features, the X Education file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.leakage import LeakageSettings, check_leakage

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
AS_OF = pd.Timestamp("2024-06-01", tz="UTC")


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(7)
    n = 2000
    y = pd.Series((rng.random(n) < 0.3).astype(int))
    honest = y * 1.0 + rng.normal(0, 1.5, n)  # informative but far from perfect
    days = pd.to_timedelta(rng.integers(1, 100, n), unit="D")
    X = pd.DataFrame(
        {
            "honest": honest,
            "label_with_noise": y + rng.normal(0, 0.2, n),
            "won_amount": np.where(y == 1, rng.uniform(100, 900, n), np.nan),
            "closed_at": pd.Series(AS_OF + np.where(y == 1, 1, -1) * days),
            "opened_at": pd.Series(AS_OF - days),
            "lead_id": [f"id{i}" for i in range(n)],  # one level per row
            "source": pd.Categorical(rng.choice(["web", "ads", "event"], n)),
            "constant": 1.0,
        }
    )
    return X, y


def test_planted_leaks_are_named_with_evidence(planted):
    X, y = planted
    report = check_leakage(X, y, as_of=AS_OF)
    assert report.suspects == ["label_with_noise", "won_amount", "closed_at"]
    ev = report.evidence
    assert ev.loc["label_with_noise", "auc"] > 0.95
    assert "AUC" in ev.loc["label_with_noise", "reasons"]
    assert ev.loc["won_amount", "presence_pos"] == 1.0
    assert ev.loc["won_amount", "presence_neg"] == 0.0
    assert "present mostly for positives" in ev.loc["won_amount", "reasons"]
    assert ev.loc["closed_at", "after_as_of"] == pytest.approx(y.mean())
    assert ev.loc["opened_at", "after_as_of"] == 0.0
    assert ev.loc["lead_id", "auc"] < 0.6  # out-of-fold encoding: an id cannot fake it
    assert 0.6 < ev.loc["honest", "auc"] < 0.9
    assert ev.loc["constant", "auc"] == 0.5


def test_suspects_excluded_by_default_and_kept_on_request(planted):
    X, y = planted
    report = check_leakage(X, y, as_of=AS_OF)
    assert report.excluded == report.suspects
    assert list(report.apply(X).columns) == report.kept
    kept = check_leakage(X, y, as_of=AS_OF, keep_suspects=True)
    assert kept.excluded == [] and kept.suspects == report.suspects
    assert list(kept.apply(X).columns) == list(X.columns)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["excluded"] == report.suspects
    assert data["evidence"]["won_amount"]["presence_neg"] == 0.0


def test_per_row_as_of_and_threshold(planted):
    X, y = planted
    per_row = pd.Series(AS_OF + pd.Timedelta(days=200), index=X.index)
    report = check_leakage(X, y, as_of=per_row)
    assert report.evidence.loc["closed_at", "after_as_of"] == 0.0  # none after its own as_of
    assert "after as_of" not in report.evidence.loc["closed_at", "reasons"]
    strict = check_leakage(X[["honest"]], y, settings=LeakageSettings(auc_threshold=0.6))
    assert strict.suspects == ["honest"]


def test_near_perfect_proxy_level():
    # a "Closed" note that only converted leads get, on 30 % of rows; the rest is mixed
    y = pd.Series([1] * 300 + [1] * 200 + [0] * 500)
    note = pd.Series(["Closed"] * 300 + ["Call back"] * 700)
    report = check_leakage(
        pd.DataFrame({"note": note}), y, settings=LeakageSettings(auc_threshold=0.99)
    )
    assert report.evidence.loc["note", "proxy_share"] == pytest.approx(0.3)
    assert report.suspects == ["note"]


def test_bad_labels():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="0/1"):
        check_leakage(X, pd.Series([0, 1, 2]))
    with pytest.raises(ValueError, match="one class"):
        check_leakage(X, pd.Series([1, 1, 1]))
    with pytest.raises(ValueError, match="greater than 1"):
        LeakageSettings(proxy_odds_ratio=0.5)


@pytest.fixture(scope="module")
def x_education():
    path = DATA / "x_education" / "leads.csv"
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data beside the checkout)")
    leads = pd.read_csv(path, na_values=["Select"])
    y = leads["Converted"]
    return leads.drop(columns=["Prospect ID", "Lead Number", "Converted"]), y


def test_x_education_tags_and_lead_quality(x_education):
    X, y = x_education
    report = check_leakage(X, y)
    assert {"Tags", "Lead Quality"} <= set(report.suspects)
    assert "Total Time Spent on Website" not in report.suspects  # strong but honest
    assert report.evidence.loc["Tags", "auc"] > 0.9
    assert "Tags" not in report.apply(X).columns


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_x_education_guard_holds_on_a_training_split(x_education, seed):
    # the guard runs on the training part only (60 %): it must still name both columns
    X, y = x_education
    rows = np.random.default_rng(seed).permutation(len(X))[: int(0.6 * len(X))]
    report = check_leakage(X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True))
    assert {"Tags", "Lead Quality"} <= set(report.suspects)
    assert "What is your current occupation" not in report.suspects  # honest, known at signup


def test_segment_that_never_converts_at_low_base_rate_is_not_a_leak():
    # 3 % base rate; students (20 % of leads) never convert: a strong honest feature
    rng = np.random.default_rng(5)
    n = 20_000
    student = rng.random(n) < 0.2
    y = pd.Series(((rng.random(n) < 0.0375) & ~student).astype(int))
    X = pd.DataFrame({"seniority": pd.Categorical(np.where(student, "student", "manager"))})
    report = check_leakage(X, y)
    assert report.suspects == []
    assert report.evidence.loc["seniority", "proxy_share"] == 0.0
    # the same segment converting almost always is a proxy of the label
    y_leak = pd.Series(np.where(student, rng.random(n) < 0.99, rng.random(n) < 0.01).astype(int))
    assert check_leakage(X, y_leak).suspects == ["seniority"]
