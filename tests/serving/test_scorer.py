"""The whole scorer: MLflow pyfunc round trip, blends, rejects, explanations, rules."""

import json
import pickle

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.crm import CrmTables
from features.customers import accounts_at
from features.reasons import feature_reason
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import LightGBMParams, QualityGates, TrainConfig
from models.frames import align_features
from models.train import train_and_register
from pipelines.plan_slices import config_slices
from rules import load_rulebook
from serving.blend import BlendConfig
from serving.eligibility import CUSTOMER, EMPLOYEE
from serving.lead_explanation import explain_contact, format_lead_explanation
from serving.reason_rates import rate_text, reason_line
from serving.reasons import shap_contributions
from serving.scorer import LeadScorer
from serving.scorer_model import load_scorer, to_pyfunc_frame
from serving.scorer_training import (
    base_rate_note,
    build_and_register_scorer,
    manual_scores_at,
    sales_share_of,
)
from serving.sinks import SCORED_COLUMNS, reconcile_leads

pytestmark = pytest.mark.slow  # trains and logs a model once per module (~15 s)

AS_OF = pd.Timestamp("2026-09-01", tz="UTC")
NAME = "test-scorer-conv"
BLEND = BlendConfig(capacity={"A": 60, "B": 200, "C": 500})


@pytest.fixture(scope="module")
def world(mlflow_store):
    """A synthetic CRM, its slices, a registered model and the registered scorer."""
    tables = generate_crm(3000, 11, dirt=DirtConfig.none()).tables
    contacts = tables.contacts.copy()
    contacts.loc[0, "created_at"] = AS_OF + pd.Timedelta(days=1)  # planted reject
    tables = CrmTables(contacts, tables.accounts, tables.activities, tables.outcomes)
    spec = load_feature_spec()
    rulebook = load_rulebook("rules/rulebooks/default.yaml")
    config = TrainConfig(
        model_name=NAME,
        experiment_name=NAME,
        framing="snapshots",
        horizon_days=90,
        train_snapshots=3,
        every_days=30,
        lightgbm=LightGBMParams(n_estimators=60, learning_rate=0.1, early_stopping_rounds=20),
        gates=QualityGates(min_auc=0.5, max_ece=0.5),
    )
    slices = config_slices(tables, spec, config, rulebook=rulebook)
    result = train_and_register(
        *(slices.X("train"), slices.train.y, slices.X("valid"), slices.valid.y),
        *(slices.X("test"), slices.test.y),
        config=config,
        k_frac=sales_share_of(slices, BLEND, tables),
        manual_score_test=slices.manual_score_test,
        tracking_uri=mlflow_store.tracking_uri,
    )
    registration = build_and_register_scorer(
        result, slices, tables, rulebook=rulebook, spec=spec, blend=BLEND
    )
    scored = registration.scorer.score(tables, AS_OF, keep_rules=True)
    return {
        "tables": tables,
        "slices": slices,
        "result": result,
        "reg": registration,
        "scored": scored,
        "uri": mlflow_store.tracking_uri,
        "rulebook": rulebook,
    }


def test_pyfunc_by_alias_scores_like_the_in_memory_scorer(world):
    reg, scored = world["reg"], world["scored"]
    assert reg.alias == "champion" and reg.model_uri == f"models:/{NAME}-scorer@champion"
    mlflow.set_registry_uri(world["uri"])
    loaded = mlflow.pyfunc.load_model(reg.model_uri)
    prepared = reg.scorer.prepare(world["tables"], AS_OF)
    out = loaded.predict(to_pyfunc_frame(prepared.frame, reg.scorer))
    assert list(out["contact_id"]) == list(scored.scores["contact_id"])
    np.testing.assert_allclose(out["final_score"], scored.scores["final_score"], atol=1e-12)
    np.testing.assert_allclose(out["probability"], scored.scores["probability"], atol=1e-12)
    assert (out["top_reasons"].to_numpy() == scored.scores["top_reasons"].to_numpy()).all()
    meta = loaded.metadata.metadata
    assert meta["rulebook_version"] == str(world["rulebook"].version)
    assert meta["spec_fingerprint"] == load_feature_spec().fingerprint()
    assert meta["conversion_model_version"] == world["result"].decision.version


def test_load_scorer_resolves_the_alias_to_a_version(world):
    loaded = load_scorer(world["reg"].model_uri, world["uri"])
    assert (loaded.model_name, loaded.model_version) == (f"{NAME}-scorer", world["reg"].version)
    again = loaded.scorer.score(world["tables"], AS_OF, explain=False)
    np.testing.assert_array_equal(
        again.scores["final_score"], world["scored"].scores["final_score"]
    )


def test_scores_follow_the_contract_and_the_blend_formula(world):
    scores, blend = world["scored"].scores, world["reg"].scorer.blend
    assert tuple(scores.columns) == SCORED_COLUMNS
    p, manual = scores["probability"].to_numpy(), scores["manual_score"].to_numpy()
    # by hand: the calibrated manual score and the model mixed in log-odds, then scaled
    q = blend.manual_probability(manual)
    lo = lambda x: np.log(np.clip(x, 1e-6, 1 - 1e-6) / (1 - np.clip(x, 1e-6, 1 - 1e-6)))  # noqa: E731
    a, b = blend.scale
    z = a + b * ((1 - blend.weight) * lo(p) + blend.weight * lo(q))
    expected = 100 * p if blend.weight == 0 else 100 / (1 + np.exp(-z))
    np.testing.assert_allclose(scores["final_score"], expected, atol=1e-9)
    cuts = blend.cutoffs
    final = scores["final_score"].to_numpy()
    tier = np.select([final >= cuts["A"], final >= cuts["B"], final >= cuts["C"]], list("ABC"), "D")
    assert (scores["tier"].to_numpy() == tier).all()
    assert set(scores["stage"]) <= {"subscriber", "lead", "mql", "sql"}


def test_scored_plus_rejected_equals_eligible_with_planted_rejects(world):
    tables, scored = world["tables"], world["scored"]
    counts = reconcile_leads(scored.eligible_ids, scored.scores, scored.rejects)
    assert counts.eligible == len(tables.contacts) == counts.scored + counts.rejected
    reasons = scored.rejects.set_index("contact_id")["reason"]
    planted = str(tables.contacts.loc[0, "contact_id"])
    assert reasons[planted].startswith("created after as_of")
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    late = tables.contacts.loc[created >= AS_OF, "contact_id"].astype(str)
    assert set(late) == set(reasons[reasons.str.startswith("created after")].index)
    # converted contacts (first opportunity or won at or before as_of) are not leads,
    # whatever the rulebook says: rejected with that reason
    out = tables.outcomes.loc[tables.outcomes["outcome"].astype(str).isin(["opportunity", "won"])]
    first = pd.to_datetime(out["converted_at"], utc=True).groupby(out["contact_id"].astype(str))
    converted = set(first.min().index[first.min() <= AS_OF]) & set(
        tables.contacts.loc[created < AS_OF, "contact_id"].astype(str)
    )
    assert converted
    assert converted == set(reasons[reasons.str.startswith("already converted")].index)
    assert not converted & set(scored.scores["contact_id"].astype(str))
    employees = tables.contacts.loc[
        (created < AS_OF) & tables.contacts["is_employee"].fillna(False).astype(bool), "contact_id"
    ].astype(str)
    assert len(employees) > 0
    # contacts at customers (the accounts' flag as the rules read it at as_of) are not
    # leads: the snapshot framing leaves them out, so they are rejected with its reason
    # whatever the rulebook says (an employee at a customer account too), one reason each
    flags = accounts_at(tables, AS_OF).set_index("account_id")["is_customer"]
    at_customer = tables.contacts["account_id"].map(flags).fillna(False).astype(bool)
    customers = set(tables.contacts.loc[(created < AS_OF) & at_customer, "contact_id"].astype(str))
    assert customers - converted
    assert customers - converted == set(reasons[reasons == CUSTOMER].index)
    assert set(employees) - converted - customers == set(reasons[reasons == EMPLOYEE].index)
    # the rulebook's customers (its is_customer also reads a won deal activity and the
    # export's lifecycle stage) and open opportunities are not leads either: rejected, as
    # converted or at a customer when they are (an open opportunity always is converted)
    rules = scored.rules.scores.set_index(scored.rules.scores["contact_id"].astype(str))
    for reason in ("customer", "open_opportunity"):
        flagged = set(rules.index[rules["excluded_reason"].astype(str) == reason])
        assert flagged, reason
        named = set(reasons[reasons == f"excluded by the rulebook: {reason}"].index)
        assert flagged - converted - customers == named
        assert not flagged & set(scored.scores["contact_id"].astype(str))


def test_keep_excluded_scores_the_rulebooks_exclusions_and_rejects_the_rest_alike(world):
    """compare's period: the rulebook's exclusions, the contacts at customers and employees
    are scored (training's eligibility picks the period's leads), every other reject stays."""
    tables, scorer = world["tables"], world["reg"].scorer
    default = scorer.prepare(tables, AS_OF)
    kept = scorer.prepare(tables, AS_OF, keep_excluded=True)
    reason = default.rejects["reason"]
    by_rulebook = reason.str.startswith("excluded by the rulebook")
    by_rulebook |= reason.isin([CUSTOMER, EMPLOYEE])
    assert (reason == EMPLOYEE).any()
    assert by_rulebook.any()
    assert set(kept.rejects["contact_id"]) == set(default.rejects.loc[~by_rulebook, "contact_id"])
    assert set(kept.frame["contact_id"]) == set(default.frame["contact_id"]) | set(
        default.rejects.loc[by_rulebook, "contact_id"]
    )


def test_final_score_reports_metrics_next_to_each_part_alone(world):
    reg, slices = world["reg"], world["slices"]
    y = slices.test.y.to_numpy()
    p = world["result"].model.predict_conversion(slices.X("test"))
    manual = np.nan_to_num(slices.manual_score_test)
    final = reg.scorer.blend.probability(p, manual)
    assert reg.metrics["final_roc_auc"] == pytest.approx(roc_auc_score(y, final))
    assert reg.metrics["model_roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert reg.metrics["manual_roc_auc"] == pytest.approx(roc_auc_score(y, manual))
    assert {"final_ece", "model_ece", "manual_calibrated_ece"} <= set(reg.metrics)
    assert reg.metrics["blend_manual_weight"] == reg.scorer.blend.weight
    shares = [reg.metrics[f"tier_{t}_share"] for t in "ABCD"]
    assert sum(shares) == pytest.approx(1.0)
    # calibration in the large: the test slice's rate next to the final score's mean there
    assert reg.metrics["test_base_rate"] == pytest.approx(y.mean())
    assert reg.metrics["final_test_mean"] == pytest.approx(final.mean())


def test_final_score_is_calibrated_on_the_validation_slice(world):
    slices, tables = world["slices"], world["tables"]
    scorer = world["reg"].scorer
    valid_as_of = slices.valid.snapshot.iloc[0]
    manual = manual_scores_at(tables, world["rulebook"], valid_as_of, slices.valid.contact_id)
    out = scorer.score_frame(slices.X("valid").assign(manual_score=manual), explain=False)
    y = slices.valid.y.to_numpy()
    assert out["final_score"].mean() / 100 == pytest.approx(y.mean(), abs=0.01)
    assert roc_auc_score(y, out["final_score"]) > 0.6
    # the validation slice is the pool: tier A holds the capacity asked for (60 leads)
    assert 60 <= (out["tier"] == "A").sum() <= 63


def test_top_reasons_are_the_largest_shap_values_and_add_up_to_the_margin(world):
    scorer, scored = world["reg"].scorer, world["scored"]
    prepared = scorer.prepare(world["tables"], AS_OF)
    model = scorer.model
    X = align_features(prepared.frame, model.feature_names_, model.categories_, "test")
    # independent implementation: LightGBM's own pred_contrib
    ref = model.booster_.predict(X, pred_contrib=True, num_iteration=model.best_iteration_)
    fast = shap_contributions(model, X, explainer=scorer.explainer)
    np.testing.assert_allclose(fast, ref, atol=1e-6)
    np.testing.assert_allclose(fast.sum(axis=1), scored.margin, atol=1e-6)
    names = np.array(model.feature_names_)
    rates = scorer.reason_rates
    for i in range(0, len(X), 97):
        cells = json.loads(scored.scores["top_reasons"].iloc[i])
        phi = ref[i, :-1]
        # a factor is up only when its value converts above the average, down only below
        lift = np.array([rates.lift(f, np.array([X[f].iloc[i]], dtype=object))[0] for f in names])
        lift = lift.round(2)  # the side is the shown rate's
        up = [j for j in np.argsort(-phi, kind="stable") if phi[j] > 0 and lift[j] > 1][:3]
        down = [j for j in np.argsort(phi, kind="stable") if phi[j] < 0 and lift[j] < 1][:2]
        assert [c["feature"] for c in cells] == list(names[up]) + list(names[down])
        assert [c["contribution"] for c in cells] == pytest.approx(
            list(phi[up]) + list(phi[down]), abs=1e-4
        )
        for c in cells:
            value = X[c["feature"]].iloc[i]
            lift = scorer.reason_rates.lift(c["feature"], np.array([value], dtype=object))[0]
            assert c["lift"] == pytest.approx(lift, abs=0.005)
            # a "down" factor says a rate below the average, an "up" one above it
            assert c["lift"] < 1 if c["contribution"] < 0 else c["lift"] > 1
            assert c["text"] == f"{feature_reason(c['feature'], value, scorer.spec_)}: " + (
                rate_text(lift)
            )
        assert len(reason_line(scored.scores["top_reasons"].iloc[i])) <= 200


def test_reason_rates_are_the_training_slice_conversion_rates(world):
    scorer, slices = world["reg"].scorer, world["slices"]
    X, y = slices.X("train"), slices.train.y.to_numpy()
    rates = scorer.reason_rates
    assert rates.base_rate == pytest.approx(y.mean())
    # independent: the shrunk conversion rate of the leads in the same band, by hand
    feature = "days_since_created"
    bands = rates.features[feature]
    x = X[feature].to_numpy(dtype=float)
    top = x > bands.edges[-1]
    by_hand = (y[top].sum() + 20 * y.mean()) / (top.sum() + 20) / y.mean()
    assert rates.lift(feature, np.array([x[top].max()]))[0] == pytest.approx(by_hand)


def test_top_rules_are_the_largest_point_contributions(world):
    scored = world["scored"]
    breakdown = scored.rules.breakdown
    main = breakdown[(breakdown["scale"] == "main") & (breakdown["points_after_caps"] != 0)]
    by_contact = {cid: g for cid, g in main.groupby("contact_id", observed=True)}
    checked = 0
    for cid, cell in zip(scored.scores["contact_id"], scored.scores["top_rules"], strict=True):
        if checked >= 40 or cid not in by_contact:
            continue
        rows = by_contact[cid]
        size = rows["points_after_caps"].abs().sort_values(ascending=False, kind="stable")
        got = json.loads(cell)
        assert [abs(r["points"]) for r in got] == pytest.approx(list(size.iloc[:3]), abs=1e-4)
        assert {r["rule"] for r in got} <= set(rows["rule"].astype(str))
        checked += 1
    assert checked == 40


def test_explain_contact_prints_model_factors_and_rules(world):
    scorer, scored = world["reg"].scorer, world["scored"]
    row = scored.scores.iloc[5]
    explanation = explain_contact(scorer, world["tables"], AS_OF, row["contact_id"], k=4)
    assert explanation.scores["final_score"] == pytest.approx(row["final_score"])
    text = format_lead_explanation(explanation)
    assert "Model factors" in text and "Rules that fired" in text
    for rule in json.loads(row["top_rules"]):
        assert rule["rule"] in text
    planted = str(world["tables"].contacts.loc[0, "contact_id"])
    with pytest.raises(KeyError, match="created after as_of"):
        explain_contact(scorer, world["tables"], AS_OF, planted)


def test_scorer_pickles_without_the_explainer_and_rebuilds_it(world):
    scorer = world["reg"].scorer
    _ = scorer.explainer
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone._explainer is None and clone.rulebook_ == scorer.rulebook_
    assert clone.describe() == scorer.describe()


def test_bad_inputs_are_rejected_with_a_clear_message(world):
    scorer = world["reg"].scorer
    with pytest.raises(ValueError, match="manual_score"):
        scorer.score_frame(world["slices"].X("test").head(3))


def test_data_of_another_shape_than_training_is_refused(world):
    scorer, tables = world["reg"].scorer, world["tables"]
    flat_export = CrmTables(
        tables.contacts, tables.accounts, tables.activities.iloc[:0], tables.outcomes
    )
    with pytest.raises(ValueError, match="trained on a CRM with activity history, but the data"):
        scorer.score(flat_export, "2026-09-01")
    # a scorer of a flat export (no feature spec) needs the column types of its training
    # data (the columns behind them: tests/serving/test_scorer_flat.py)
    flat_scorer = LeadScorer(scorer.model, world["rulebook"], scorer.blend)
    with pytest.raises(ValueError, match="column types of their training data: retrain"):
        flat_scorer.score(tables, "2026-09-01")


def test_base_rate_note_states_both_rates_and_the_mean() -> None:
    metrics = {"valid_base_rate": 0.1303, "test_base_rate": 0.0753, "final_test_mean": 0.126}
    assert base_rate_note(metrics) == (
        "conversion rate: 13.0% on the validation slice, 7.5% on the test slice; the final "
        "score predicts 12.6% there on average"
    )
    assert base_rate_note({"valid_base_rate": 0.1}) is None
