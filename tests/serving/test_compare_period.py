"""compare_period: the period's report, and a warning when as_of is stale for the scorer."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scorer_helpers import model_only_blend

from features.build import build_features
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from features.training_set import data_end_of, outcome_labels, snapshot_schedule
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import load_rulebook
from serving.blend import BlendConfig
from serving.compare import compare_period
from serving.run_config import RulebookRef, RunConfig
from serving.scorer import LeadScorer

DEFAULT_RULEBOOK = "rules/rulebooks/default.yaml"
AS_OF = pd.Timestamp("2026-07-01", tz="UTC")
HORIZON = 30

pytestmark = pytest.mark.slow  # two comparison reports (~17 s on a busy machine)


@pytest.fixture(scope="module")
def crm_and_scorer():
    """A 400-contact CRM and a scorer with a 30-day horizon in its run configuration
    (random labels: the test is about the period and the warning, not about quality)."""
    tables = generate_crm(400, seed=8, dirt=DirtConfig.none()).tables
    spec = load_feature_spec()
    X = build_features(tables, pd.Timestamp("2026-03-01", tz="UTC"), spec)
    y = np.random.default_rng(0).integers(0, 2, len(X))
    config = TrainConfig(
        horizon_days=HORIZON, lightgbm=LightGBMParams(n_estimators=10, early_stopping_rounds=5)
    )
    model = model_from_config(config).fit(X, y, X_valid=X, y_valid=y)
    rulebook = load_rulebook(DEFAULT_RULEBOOK)
    run = RunConfig(
        framing="snapshots",
        train=config,
        feature_spec=spec.model_dump(mode="json"),
        rulebook=RulebookRef(name=rulebook.name, version=str(rulebook.version),
                             source=DEFAULT_RULEBOOK, empty=False),
        tracking_uri="sqlite:///unused.db",
    )  # fmt: skip
    blend = model_only_blend(BlendConfig(), {"A": 0.5, "B": 0.3, "C": 0.1})
    return tables, LeadScorer(model, rulebook, blend, spec=spec, run_config=run)


def _stale_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "after the data's last record" in r.message]


def test_compare_warns_when_as_of_is_more_than_the_horizon_after_the_last_record(
    crm_and_scorer, caplog
):
    tables, scorer = crm_and_scorer
    with caplog.at_level(logging.WARNING):
        report, when = compare_period(tables, scorer, f"{AS_OF:%Y-%m-%d}")
    assert when == AS_OF and report.to_dict()  # activity up to 2026-09: nothing stale
    assert _stale_warnings(caplog) == []

    # the same CRM gone quiet 61 days before as_of (no record from 2026-05-01 on)
    cut = pd.Timestamp("2026-05-01", tz="UTC")
    quiet = replace(
        tables,
        **{
            name: frame.loc[pd.to_datetime(frame[col], utc=True) < cut]
            for name, frame, col in (
                ("contacts", tables.contacts, "created_at"),
                ("activities", tables.activities, "occurred_at"),
                ("outcomes", tables.outcomes, "converted_at"),
            )
        },
    )
    last = data_end_of(quiet)
    assert (AS_OF - last).days > HORIZON  # the fixture is stale by construction
    caplog.clear()
    # nothing happened after as_of either, so the report has no labels to rank by: the
    # warning, logged first, says why
    with caplog.at_level(logging.WARNING), pytest.raises(ValueError, match="both converted"):
        compare_period(quiet, scorer, f"{AS_OF:%Y-%m-%d}")
    (message,) = _stale_warnings(caplog)
    assert f"({last:%Y-%m-%d})" in message
    assert f"as_of 2026-07-01 is {(AS_OF - last).days:,} days after" in message
    assert f"more than the model's {HORIZON}-day horizon" in message


def test_the_period_holds_the_leads_training_would_label_whatever_their_export_stage(
    crm_and_scorer,
):
    """The export's ``lifecycle_stage`` is written at export time: a lead that converted
    after as_of is a ``customer`` there, and the rulebook excludes customers. Rejecting by
    that exclusion took the period's converters out of the report (the demo lost 145 of
    482); the period holds exactly the contacts training labels at as_of."""
    from serving.compare import comparison_inputs

    tables, scorer = crm_and_scorer
    inputs = comparison_inputs(tables, scorer, AS_OF, HORIZON)
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    known = tables.contacts.loc[created < AS_OF, "contact_id"].astype("str")
    labels = outcome_labels(tables, pd.Index(known), AS_OF, HORIZON)
    expected = labels.loc[labels["eligible"]]
    scored = inputs.scored.set_index("contact_id")
    assert sorted(scored.index) == sorted(expected.index.astype("str"))
    assert scored["y"].to_dict() == {str(k): int(v) for k, v in expected["y"].items()}
    # the case that used to vanish is in the fixture: a converter whose stage in the
    # export is customer; at as_of the rules no longer read that stage (it was written
    # after as_of), so neither the rulebook nor the scorer excludes it
    stage = tables.contacts.set_index(tables.contacts["contact_id"].astype("str"))[
        "lifecycle_stage"
    ].astype("object")
    leaked = [c for c in scored.index if scored.at[c, "y"] == 1 and stage[c] == "customer"]
    assert leaked
    rejected = set(scorer.prepare(tables, AS_OF).rejects["contact_id"])
    assert not set(leaked) & rejected


def test_drift_is_measured_against_the_training_runs_last_training_snapshot(crm_and_scorer):
    """The reference of the drift section comes from the scorer's run configuration (its
    last training snapshot), not from a schedule recomputed on the data compared, and the
    report names it."""
    from serving.compare import training_reference
    from serving.report.summary import report_summary
    from serving.run_config import SliceSummary

    tables, scorer = crm_and_scorer
    run = scorer.run_config_
    train = SliceSummary(dates=("2026-02-01", "2026-03-01"), rows=10, positives=2)
    with_slices = run.model_copy(update={"slices": {"train": train}})
    assert training_reference(with_slices, AS_OF) == pd.Timestamp("2026-03-01", tz="UTC")
    assert training_reference(run, AS_OF) is None  # no slices recorded: the schedule's
    assert training_reference(with_slices, pd.Timestamp("2026-03-01", tz="UTC")) is None
    first_touch = with_slices.model_copy(update={"framing": "first_touch"})
    assert training_reference(first_touch, AS_OF) is None

    recorded = LeadScorer(
        scorer.model, scorer.rulebook_, scorer.blend, spec=scorer.spec_, run_config=with_slices
    )
    report, _ = compare_period(tables, recorded, f"{AS_OF:%Y-%m-%d}")
    assert report.drift is not None and report.drift_reference_as_of == "2026-03-01"
    assert report_summary(report)["drift_reference_as_of"] == "2026-03-01"
    from serving.report.sections.population import drift

    assert "the leads at 2026-03-01" in drift(report).how
    default, _ = compare_period(tables, scorer, f"{AS_OF:%Y-%m-%d}")
    train_dates, _, _ = snapshot_schedule(data_end_of(tables), HORIZON)
    assert default.drift_reference_as_of == f"{train_dates[-1]:%Y-%m-%d}" != "2026-03-01"
