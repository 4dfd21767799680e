"""benchmarks.ceiling(_bounds, _grid): the ECE floor, the in-sample bound, the grid on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from benchmarks.ceiling import run_study
from benchmarks.ceiling_bounds import floor_row, saturated_auc
from benchmarks.ceiling_data import StudyData
from benchmarks.ceiling_grid import (
    BASELINE,
    CEILING_CANDIDATES,
    SHIPPED,
    target_encoded,
    with_contact_dates,
)
from benchmarks.time_folds import baseline_scorer, fold_aucs, rolling_folds
from models.config import TrainConfig
from models.metrics import calibration_in_the_large, ece

rows = st.lists(
    st.tuples(st.integers(0, 1), st.floats(0.0, 1.0, allow_nan=False)), min_size=1, max_size=300
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(rows, st.integers(1, 25))
def test_ece_is_never_below_the_gap_between_mean_probability_and_rate(pairs, n_bins) -> None:
    y = np.array([a for a, _ in pairs], dtype=float)
    p = np.array([b for _, b in pairs], dtype=float)
    big = calibration_in_the_large(y, p)
    assert ece(y, p, n_bins) >= abs(big["mean_predicted"] - big["observed_rate"]) - 1e-12


def test_the_floor_is_reached_in_one_bin_and_can_be_far_below_the_ece() -> None:
    # one bin (0.30 and 0.35 both fall in [0.3, 0.4)): ECE = |1/4 - 0.325| = 0.075 = floor
    one = floor_row("one bin", np.array([1, 0, 0, 0]), np.array([0.3, 0.3, 0.35, 0.35]))
    assert one["ece"] == pytest.approx(0.075)
    assert one["ece_floor"] == pytest.approx(0.075)
    assert one["test_rate"] == 0.25 and one["test_mean_predicted"] == pytest.approx(0.325)
    # four bins of one row: gaps .95, .15, .95, .15 give ECE 0.55; the means agree (0.5)
    apart = floor_row("apart", np.array([1, 0, 0, 1]), np.array([0.05, 0.15, 0.95, 0.85]))
    assert apart["ece"] == pytest.approx(0.55)
    assert apart["ece_floor"] == pytest.approx(0.0)


def test_the_saturated_auc_ranks_cells_by_their_own_rate() -> None:
    # cells a (2 of 3 converted), b (1 of 4), c (0 of 1): 3 converted, 5 other rows.
    # pairs won: a-pos over b/c-neg 2*4 = 8, b-pos over c-neg 1; ties within a (2*1) and
    # b (1*3) count half: 8 + 1 + 2.5 = 11.5 of 15
    X = pd.DataFrame({"page": list("aaabbbbc")})
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    out = saturated_auc(X, y)
    assert out == {"auc": pytest.approx(11.5 / 15), "cells": 3}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(0, 10_000))
def test_no_function_of_the_columns_beats_the_saturated_auc(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 80))
    X = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.choice(["x", "y", None], n)})
    y = rng.integers(0, 2, n)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    cell_score = {key: rng.random() for key in set(zip(X["a"], X["b"], strict=True))}
    score = np.array([cell_score[k] for k in zip(X["a"], X["b"], strict=True)])
    assert roc_auc_score(y, score) <= saturated_auc(X, y)["auc"] + 1e-12


def test_contact_dates_are_weekday_and_month_categories() -> None:
    X = pd.DataFrame({"v": [1.0, 2.0]})
    out = with_contact_dates(X, pd.Series(pd.to_datetime(["2018-05-07", "2018-06-03"], utc=True)))
    assert out["contact_weekday"].tolist() == [0, 6]  # a Monday, a Sunday
    assert out["contact_month"].tolist() == [5, 6]
    assert list(out["contact_month"].cat.categories) == list(range(1, 13))
    with pytest.raises(ValueError, match="contact days: 1 values"):
        with_contact_dates(X, pd.Series(pd.to_datetime(["2018-05-07"], utc=True)))


def test_the_target_encoding_is_learned_on_the_training_rows_only() -> None:
    fit = pd.DataFrame({"landing_page_id": ["a"] * 50 + ["b"] * 50})
    y = np.r_[np.ones(40), np.zeros(10), np.zeros(50)].astype(int)
    other = pd.DataFrame({"landing_page_id": ["a", "b", "never seen"]})
    _, encoded = target_encoded(fit, y, other, seed=0)
    a, b, unseen = encoded["landing_page_id"].tolist()
    assert a > 0.6 and b < 0.05  # shrunk towards the mean, ordered as the rates 0.8 / 0.0
    assert unseen == pytest.approx(0.4)  # an unseen page gets the training rate 40 / 100


def _tiny(n: int = 900) -> StudyData:
    """Landing pages p0-p3 convert at 70 %, the others at 10 %; four rows a day."""
    rng = np.random.default_rng(0)
    pages = rng.choice([f"p{i}" for i in range(12)], n)
    source = rng.choice(["ads", "seo", "mail"], n)
    y = (rng.random(n) < np.where(np.isin(pages, ["p0", "p1", "p2", "p3"]), 0.7, 0.1)).astype(int)
    day = pd.Series(pd.date_range("2018-01-01", periods=n, freq="6h", tz="UTC").floor("D"))
    X = pd.DataFrame(
        {
            "lead_source": pd.Categorical(source),
            "original_source": pd.Categorical(source),
            "landing_page_id": pd.Categorical(pages),
            "visits": np.zeros(n),
        }
    )
    cut = {"train": slice(0, 540), "valid": slice(540, 720), "test": slice(720, n)}
    days = {p: day.iloc[s].reset_index(drop=True) for p, s in cut.items()}
    return StudyData(
        X={p: with_contact_dates(X.iloc[s], days[p]) for p, s in cut.items()},
        y={p: y[s] for p, s in cut.items()},
        contact_day=days,
        time_valid=days["valid"] + pd.Timedelta(days=1),
        manual={"valid": np.zeros(180), "test": np.zeros(n - 720)},
        empty_rulebook=True,
    )


@pytest.mark.slow
def test_the_study_runs_every_part_on_tiny_data() -> None:
    data = _tiny()
    out = run_study(data, TrainConfig(), seeds=1, all_rows_seeds=1, n_folds=2)
    tested = out["test_slice"]
    # the planted pages are learnable: every candidate ranks the test rows well
    assert min(r["auc"] for r in tested.values()) > 0.75
    assert tested[SHIPPED]["minus_shipped"] == 0.0
    best = out["selections"]["best_on_test_slice"]
    assert best["test_auc"] == max(r["auc"] for r in tested.values())
    # the grid's baseline is the time-fold study's baseline, fold by fold
    X = pd.concat([data.X["train"], data.X["valid"]], ignore_index=True).drop(
        columns=["contact_weekday", "contact_month"]
    )
    y = np.r_[data.y["train"], data.y["valid"]]
    folds = rolling_folds(len(y), 2, 0.1, 0.1)
    assert out["time_folds"][BASELINE]["fold_aucs"] == fold_aucs(X, y, folds, baseline_scorer)
    assert set(out["ceiling_cv_inside_test"]) == set(CEILING_CANDIDATES)
    floor = out["ece_floor"]
    assert floor["test_rate"] == pytest.approx(data.y["test"].mean())
    by_name = {r["calibrator"]: r for r in floor["calibrators"]}
    for r in floor["calibrators"]:
        assert r["ece"] >= r["ece_floor"] - 1e-12
    # refitting the product's calibration on the same half reproduces the shipped model
    shipped = by_name["shipped model"]
    assert by_name[f"{shipped['method']}, recency none"]["ece"] == pytest.approx(shipped["ece"])
    assert floor["lowest_floor"] == min(r["ece_floor"] for r in floor["calibrators"])
    months = out["monthly_rates"]
    assert sum(m["rows"] for m in months) == 900
    assert sum(m["conversions"] for m in months) == sum(int(v.sum()) for v in data.y.values())
