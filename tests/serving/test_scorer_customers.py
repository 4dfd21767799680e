"""A scorer rejects, with reason ``customer``, the contacts at customer accounts its training
framing left out (``snapshots``), whatever the rulebook says; a ``first_touch`` scorer
learned them and scores them (serving.eligibility.customer_rejects). Our own employees,
which both framings leave out, are rejected by every such scorer
(serving.eligibility.employee_rejects)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rulebook_dicts import customer_rulebook
from scorer_helpers import model_only_blend
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.measures import AGE_FEATURE
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from features.training_set import outcome_labels
from models.config import LightGBMParams, TrainConfig
from models.estimator import ConversionModel
from models.train import model_from_config
from rules import Rulebook, load_rulebook, rulebook_from_dict
from serving.blend import BlendConfig
from serving.eligibility import CONVERTED, CUSTOMER, EMPLOYEE
from serving.run_config import EMPTY_RULEBOOK, RulebookRef, RunConfig
from serving.scorer import LeadScorer
from serving.scorer_types import ScorerSettings

UTC = "UTC"
AS_OF = pd.Timestamp("2026-04-01", tz=UTC)
CREATED = pd.Timestamp("2026-01-05", tz=UTC)


def _crm() -> CrmTables:
    """F: flagged is_customer, no won deal (a customer before the data begins): f1.
    W: not flagged; w1 won on 02-01, before as_of (a churned customer): w1 converted, w2
    its colleague. L: not flagged; l1 wins on 05-01, after as_of: no customer yet. P: a
    plain account (p1, and e1, one of our employees); n1 has no account.

    By hand at 04-01: converted w1; at customers f1, w2; employee e1; leads l1, p1, n1."""
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": cid, "created_at": CREATED, "account_id": acc,
             "is_employee": cid == "e1"}
            for cid, acc in (
                ("f1", "F"), ("w1", "W"), ("w2", "W"), ("l1", "L"), ("p1", "P"), ("e1", "P"),
                ("n1", None),
            )
        ],
    )  # fmt: skip
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "F", "is_customer": True},
            {"account_id": "W", "is_customer": False},
            {"account_id": "L", "is_customer": False},
            {"account_id": "P", "is_customer": False},
        ],
    )
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "w1", "converted_at": pd.Timestamp("2026-02-01", tz=UTC),
             "outcome": "won"},
            {"contact_id": "l1", "converted_at": pd.Timestamp("2026-05-01", tz=UTC),
             "outcome": "won"},
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, canonical_frame("activities", []), outcomes)


@pytest.fixture(scope="module")
def model() -> ConversionModel:
    """A quick model on the default features of a small synthetic CRM (the tests are about
    who is scored, not about the scores); without the contact's age, which the first_touch
    framing does not build."""
    tables = generate_crm(150, seed=3, dirt=DirtConfig.none()).tables
    X = build_features(tables, AS_OF, load_feature_spec()).drop(columns=[AGE_FEATURE])
    y = np.random.default_rng(0).integers(0, 2, len(X))
    config = TrainConfig(lightgbm=LightGBMParams(n_estimators=5, early_stopping_rounds=5))
    return model_from_config(config).fit(X, y, X_valid=X, y_valid=y)


def _scorer(
    model: ConversionModel,
    framing: str,
    rulebook: Rulebook | None = None,
    settings: ScorerSettings | None = None,
) -> LeadScorer:
    spec = load_feature_spec()
    run = RunConfig(
        framing=framing,
        train=TrainConfig(framing=framing, horizon_days=30, first_touch_delay_days=1),
        feature_spec=spec.model_dump(mode="json"),
        rulebook=RulebookRef(name="empty", version="1", source=str(EMPTY_RULEBOOK), empty=True),
        tracking_uri="sqlite:///unused.db",
        active_share=0.0,  # the tiny CRM has no activities
    )
    return LeadScorer(
        model,
        rulebook or load_rulebook(EMPTY_RULEBOOK),
        model_only_blend(BlendConfig(), {}),
        spec=spec,
        run_config=run,
        settings=settings,
    )


def _outcome(scorer: LeadScorer) -> tuple[set[str], dict[str, str]]:
    scored = scorer.score(_crm(), AS_OF, explain=False)
    rejects = dict(zip(scored.rejects["contact_id"], scored.rejects["reason"], strict=True))
    return set(scored.scores["contact_id"]), rejects


def test_a_snapshot_scorer_with_the_empty_rulebook_rejects_contacts_at_customers(model) -> None:
    scored, rejects = _outcome(_scorer(model, "snapshots"))
    assert rejects == {"w1": CONVERTED, "f1": CUSTOMER, "w2": CUSTOMER, "e1": EMPLOYEE}
    assert scored == {"l1", "p1", "n1"}


def test_the_rejected_customers_are_the_contacts_snapshot_training_left_out(model) -> None:
    """One definition: training's eligibility and the scorer's reject agree contact by
    contact (both call features.training_set.at_customers)."""
    tables = _crm()
    labels = outcome_labels(tables, pd.Index(tables.contacts["contact_id"]), AS_OF, 30)
    _, rejects = _outcome(_scorer(model, "snapshots"))
    assert set(labels.index[~labels["eligible"]]) == set(rejects)
    assert labels.loc["l1", "y"] == 1  # won 30 days after as_of: a lead, positive within H
    assert labels.loc[["f1", "w2", "e1"], "eligible"].eq(False).all()


def test_a_first_touch_scorer_keeps_contacts_at_customers(model) -> None:
    scored, rejects = _outcome(_scorer(model, "first_touch"))
    assert rejects == {"w1": CONVERTED, "e1": EMPLOYEE}
    assert scored == {"f1", "w2", "l1", "p1", "n1"}


def test_a_rulebook_excluding_customers_too_rejects_them_once_with_one_reason(model) -> None:
    never = {"name": "none", "category": "fit", "points": 0,
             "when": {"var": "contact_id", "op": "is_missing"}}  # fmt: skip
    book = rulebook_from_dict(customer_rulebook(never))
    scorer = _scorer(model, "snapshots", rulebook=book)
    scored = scorer.score(_crm(), AS_OF, explain=False)
    assert not scored.rejects["contact_id"].duplicated().any()
    rejects = dict(zip(scored.rejects["contact_id"], scored.rejects["reason"], strict=True))
    assert rejects == {"w1": CONVERTED, "f1": CUSTOMER, "w2": CUSTOMER, "e1": EMPLOYEE}
    # a first_touch scorer with that rulebook rejects them as the rulebook says
    _, by_rules = _outcome(_scorer(model, "first_touch", rulebook=book))
    assert by_rules == {
        "w1": CONVERTED,
        "f1": "excluded by the rulebook: customer",
        "w2": "excluded by the rulebook: customer",
        "e1": EMPLOYEE,
    }


def test_reject_customers_off_scores_them(model) -> None:
    scorer = _scorer(model, "snapshots", settings=ScorerSettings(reject_customers=False))
    scored, rejects = _outcome(scorer)
    assert rejects == {"w1": CONVERTED, "e1": EMPLOYEE}
    assert scored == {"f1", "w2", "l1", "p1", "n1"}


def test_reject_employees_off_scores_them(model) -> None:
    scorer = _scorer(model, "first_touch", settings=ScorerSettings(reject_employees=False))
    scored, rejects = _outcome(scorer)
    assert rejects == {"w1": CONVERTED}
    assert scored == {"f1", "w2", "l1", "p1", "e1", "n1"}


def test_first_touch_training_leaves_out_the_employees_the_scorer_rejects() -> None:
    """One definition: first_touch's eligibility (features.first_touch) and the scorer's
    employee reject read features.customers.employees_of."""
    from features.first_touch import first_touch_labels
    from features.schema import POSITIVE_OUTCOMES

    end = pd.Timestamp("2026-12-31", tz=UTC)
    labels = first_touch_labels(_crm(), 30, 1, end, POSITIVE_OUTCOMES)
    assert labels.loc["e1", "reason"] == "employee"
    assert (labels["reason"] == "employee").sum() == 1


def test_keep_excluded_scores_contacts_at_customers_for_compare(model) -> None:
    prepared = _scorer(model, "snapshots").prepare(_crm(), AS_OF, keep_excluded=True)
    assert set(prepared.frame["contact_id"]) == {"f1", "w2", "l1", "p1", "e1", "n1"}
    assert dict(zip(prepared.rejects["contact_id"], prepared.rejects["reason"], strict=True)) == {
        "w1": CONVERTED
    }
