"""compare on a first_touch scorer: the contacts first touched in the period, each scored
and labelled at its own first touch (creation day's midnight + delay), as in training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rulebook_dicts import customer_rulebook
from scorer_helpers import model_only_blend
from table_rows import canonical_frame

from features.crm import CrmTables
from features.first_touch import day_tables, first_touch_as_of, first_touch_features
from features.spec import load_feature_spec
from models.config import LightGBMParams, TrainConfig
from models.estimator import ConversionModel
from models.train import model_from_config
from rules import Rulebook, load_rulebook, rulebook_from_dict, score_rulebook
from serving.blend import BlendConfig
from serving.compare import comparison_inputs, first_touch_period
from serving.run_config import EMPTY_RULEBOOK, RulebookRef, RunConfig
from serving.scorer import LeadScorer

DAY = pd.Timestamp("2026-03-01T10:00", tz="UTC")


SOURCES = ["paid_search", "organic_search", "referral", "email", "social", "direct", "event"]


def crm() -> CrmTables:
    """c1..c6 created a day apart from 03-01, c7 on 03-15; c5 wins on 03-07 12:00 (the
    day after its first touch), c6's lost deal on 03-20 is the data's last event."""
    created = {f"c{i}": DAY + pd.Timedelta(days=i - 1) for i in range(1, 7)}
    created["c7"] = DAY + pd.Timedelta(days=14)
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": cid, "created_at": at, "lead_source": SOURCES[i]}
            for i, (cid, at) in enumerate(created.items())
        ],
    )
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "c5", "converted_at": DAY + pd.Timedelta(days=6, hours=2),
             "outcome": "won"},
            {"contact_id": "c6", "converted_at": DAY + pd.Timedelta(days=19), "outcome": "lost"},
        ],
    )  # fmt: skip
    return CrmTables(
        contacts, canonical_frame("accounts", []), canonical_frame("activities", []), outcomes
    )


def test_the_period_is_the_latest_share_of_contacts_with_a_complete_label_window() -> None:
    tables = crm()
    # first touches (as_of) 03-02 .. 03-07 for c1..c6; c7's (03-16) + 7 days passes the
    # data's end (03-20): left out. The latest half of six: from the 4th, c4 (03-05)
    period = first_touch_period(tables, 7, 1, 0.5)
    assert list(period.index) == ["c4", "c5", "c6"]
    assert period["y"].to_dict() == {"c4": 0, "c5": 1, "c6": 0}  # lost is not a conversion
    assert list(period["as_of"]) == [pd.Timestamp(f"2026-03-0{d}", tz="UTC") for d in (5, 6, 7)]
    later = first_touch_period(tables, 7, 1, 0.5, start=pd.Timestamp("2026-03-06", tz="UTC"))
    assert list(later.index) == ["c5", "c6"]
    with pytest.raises(ValueError, match="2026-03-07"):  # the last complete first touch
        first_touch_period(tables, 7, 1, 0.5, start=pd.Timestamp("2026-03-08", tz="UTC"))


def _first_touch_scorer(
    tables: CrmTables, rulebook: Rulebook
) -> tuple[LeadScorer, ConversionModel, pd.DataFrame]:
    """A first_touch scorer (delay 1 day, horizon 7) fitted on ``tables``' own first-touch
    rows, the model and those rows' features."""
    spec = load_feature_spec()
    ids = tables.contacts["contact_id"].astype("object")
    touch = pd.Series(first_touch_as_of(tables.contacts["created_at"], 1).to_numpy(), index=ids)
    X = first_touch_features(tables, touch, spec)
    big = pd.concat([X] * 8, ignore_index=True)
    y = np.r_[np.zeros(28, dtype=int), np.ones(28, dtype=int)]
    config = TrainConfig(
        framing="first_touch",
        horizon_days=7,
        first_touch_delay_days=1,
        lightgbm=LightGBMParams(n_estimators=5, early_stopping_rounds=5, min_child_samples=1),
    )
    model = model_from_config(config).fit(big, y, X_valid=big, y_valid=y)
    run = RunConfig(
        framing="first_touch",
        train=config,
        feature_spec=spec.model_dump(mode="json"),
        rulebook=RulebookRef(name="empty", version="1", source=str(EMPTY_RULEBOOK), empty=True),
        tracking_uri="sqlite:///unused.db",
        active_share=0.0,  # trained without activity history, like Olist
    )
    scorer = LeadScorer(
        model, rulebook, model_only_blend(BlendConfig(), {}), spec=spec, run_config=run
    )
    return scorer, model, X


@pytest.mark.slow  # a model fit and one scoring pass per first-touch day
def test_each_period_contact_is_scored_at_its_own_first_touch() -> None:
    tables = crm()
    scorer, model, X = _first_touch_scorer(tables, load_rulebook(EMPTY_RULEBOOK))
    period = first_touch_period(tables, 7, 1, 0.5)
    inputs = comparison_inputs(
        tables, scorer, period["as_of"].min(), 7, first_touch=period, capacity_k=[1]
    )
    scored = inputs.scored.set_index("contact_id")
    # c5 converted the day after its first touch: still in, labelled 1 (a batch at the
    # period's end would have rejected it as already converted)
    assert list(scored.index) == ["c4", "c5", "c6"]
    assert scored["y"].to_dict() == {"c4": 0, "c5": 1, "c6": 0}
    # the model's probability of its features at first touch, computed without the scorer
    expected = model.predict_conversion(X.loc[["c4", "c5", "c6"]])
    np.testing.assert_allclose(scored["probability"].to_numpy(), expected)
    assert inputs.as_of == "first touch 2026-03-05 to 2026-03-07"
    assert inputs.drift_reference is None


@pytest.mark.slow  # a model fit and one scoring pass per first-touch day
def test_only_the_days_own_contacts_are_scored_not_their_account_colleagues() -> None:
    # every contact at one account: each day's table holds the colleagues known that day
    # (the features need them), but only the day's own contacts are scored and explained
    base = crm()
    contacts = base.contacts.assign(account_id=pd.Series(["a1"] * 7, dtype="string"))
    accounts = canonical_frame("accounts", [{"account_id": "a1", "name": "Acme"}])
    tables = CrmTables(contacts, accounts, base.activities, base.outcomes)
    scorer, model, X = _first_touch_scorer(tables, load_rulebook(EMPTY_RULEBOOK))
    period = first_touch_period(tables, 7, 1, 0.5)  # c4, c5, c6, one day each
    assert len(day_tables(tables, pd.Index(["c4"])).contacts) == 7  # the colleagues are read
    seen: list[list[str]] = []
    score_frame = scorer.score_frame

    def spy(frame: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
        seen.append(sorted(frame["contact_id"].astype("str")))
        return score_frame(frame, **kwargs)  # type: ignore[arg-type]

    scorer.score_frame = spy  # type: ignore[method-assign]
    inputs = comparison_inputs(
        tables, scorer, period["as_of"].min(), 7, first_touch=period, capacity_k=[1]
    )
    assert seen == [["c4"], ["c5"], ["c6"]]  # before: c1..c4 on c4's day, c1..c5 on c5's ...
    scored = inputs.scored.set_index("contact_id")
    assert list(scored.index) == ["c4", "c5", "c6"]
    expected = model.predict_conversion(X.loc[["c4", "c5", "c6"]])
    np.testing.assert_allclose(scored["probability"].to_numpy(), expected)


@pytest.mark.slow  # a model fit
def test_preparing_only_the_days_contacts_builds_their_features_alone_with_the_same_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a colleague's features were built at its own first touch: one feature build per
    # colleague's day on every period day (Maven: about 100 opportunities an account)
    import serving.scorer as scorer_module

    base = crm()
    contacts = base.contacts.assign(account_id=pd.Series(["a1"] * 7, dtype="string"))
    accounts = canonical_frame("accounts", [{"account_id": "a1", "name": "Acme"}])
    tables = CrmTables(contacts, accounts, base.activities, base.outcomes)
    scorer, _, _ = _first_touch_scorer(tables, load_rulebook(EMPTY_RULEBOOK))
    day = pd.Timestamp("2026-03-05", tz="UTC")  # c4's first touch; c1..c3 known before
    sub = day_tables(tables, pd.Index(["c4"]))
    built: list[list[str]] = []
    real = scorer_module.first_touch_features

    def counting(tables: CrmTables, as_of: pd.Series, *args: object, **kwargs: object):
        built.append(sorted(as_of.index.astype("str")))
        return real(tables, as_of, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scorer_module, "first_touch_features", counting)
    full = scorer.prepare(sub, day, keep_excluded=True)
    part = scorer.prepare(sub, day, keep_excluded=True, only=pd.Index(["c4"]))
    assert built == [["c1", "c2", "c3", "c4"], ["c4"]]
    assert list(part.frame["contact_id"]) == ["c4"] and part.rejects.empty
    mine = full.frame.loc[full.frame["contact_id"] == "c4"].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.frame, mine, check_categorical=False)


# 40 points for a VP: an MQL, unless the customer exclusion caps the contact at lead
STAGED = customer_rulebook(
    {
        "name": "vp",
        "category": "fit",
        "points": 40,
        "when": {"var": "seniority", "op": "eq", "value": "vp"},
    },
    name="staged",
)


def converter_crm() -> CrmTables:
    """:func:`crm` where every contact is a VP and c5, who wins the day after its first
    touch and does nothing else, is exported as a ``customer`` (the export's stage)."""
    tables = crm()
    stage = np.where(tables.contacts["contact_id"] == "c5", "customer", "lead")
    contacts = tables.contacts.assign(
        seniority=pd.Categorical(["vp"] * len(stage), dtype=tables.contacts["seniority"].dtype),
        lifecycle_stage=pd.Categorical(stage, dtype=tables.contacts["lifecycle_stage"].dtype),
    )
    return CrmTables(contacts, tables.accounts, tables.activities, tables.outcomes)


def test_a_day_table_dates_the_export_stage_of_a_later_converter() -> None:
    tables = converter_crm()
    book = rulebook_from_dict(STAGED)
    day = pd.Timestamp("2026-03-06", tz="UTC")  # c5's first touch; it wins on 03-07
    sub = day_tables(tables, pd.Index(["c5"]))
    assert list(sub.outcomes["contact_id"]) == ["c5"]  # its own outcomes, nobody else's
    scores = score_rulebook(sub, book, day).scores.set_index("contact_id")
    # the export's "customer" comes from after the first touch: unknown then, so c5 is
    # a lead that reached MQL, as training labels it (converted later, not before)
    assert pd.isna(scores.loc["c5", "excluded_reason"])  # no exclusion applies
    assert scores.loc["c5", "stage"] == "mql"
    # at the export's end the stage is known: c5 is a customer, capped at lead
    end = score_rulebook(tables, book, pd.Timestamp("2026-03-21", tz="UTC")).scores
    assert end.set_index("contact_id").loc["c5", ["excluded_reason", "stage"]].tolist() == [
        "customer",
        "lead",
    ]


@pytest.mark.slow  # a model fit and one scoring pass per first-touch day
def test_compare_scores_a_later_converters_rules_at_its_first_touch_as_a_lead() -> None:
    tables = converter_crm()
    book = rulebook_from_dict(STAGED)
    scorer, _, _ = _first_touch_scorer(tables, book)
    period = first_touch_period(tables, 7, 1, 0.5)
    inputs = comparison_inputs(
        tables, scorer, period["as_of"].min(), 7, first_touch=period, capacity_k=[1],
        backtest_rulebooks={"again": book},
    )  # fmt: skip
    scored = inputs.scored.set_index("contact_id")
    assert scored.loc["c5", "y"] == 1
    assert scored["manual_stage"].to_dict() == {"c4": "mql", "c5": "mql", "c6": "mql"}
    assert scored["manual_score"].to_dict() == {"c4": 40.0, "c5": 40.0, "c6": 40.0}
    replayed = {b.name: b for b in inputs.backtests}["again"]
    assert replayed.stages.to_dict() == {"c4": "mql", "c5": "mql", "c6": "mql"}
