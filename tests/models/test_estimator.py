"""ConversionModel: scikit-learn contract, input checks, calibration and behaviour."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss, roc_auc_score

from models.calibration import recency_weights_of
from models.config import packaged_default
from models.estimator import FITTED_BEFORE_RECENCY, ConversionModel


def quick_model(**kw) -> ConversionModel:
    return ConversionModel(n_estimators=200, learning_rate=0.1, **kw)


@pytest.fixture(scope="module")
def fitted(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    return quick_model().fit(X, y, X_valid=Xv, y_valid=yv)


def test_init_stores_params_only_and_clone_works():
    model = ConversionModel(num_leaves=7, calibration="platt")
    assert model.get_params()["num_leaves"] == 7
    assert not hasattr(model, "booster_")
    assert clone(model).get_params() == model.get_params()


def test_a_model_pickled_before_calibration_recency_gets_its_default(fitted, leads):
    """An older pickle has no calibration_recency: unpickled, it reads __init__'s default
    (None, so settings() resolves the packaged one) and still scores as before."""
    old = pickle.loads(pickle.dumps(fitted))
    del old.calibration_recency  # what an object of the version before it holds
    assert "calibration_recency" not in old.__dict__
    restored = pickle.loads(pickle.dumps(old))
    assert restored.get_params()["calibration_recency"] is None
    assert "ConversionModel(" in repr(restored)
    assert restored.settings()["calibration_recency"] == packaged_default("calibration_recency")
    assert clone(restored).get_params() == fitted.get_params()
    X, _ = leads.slice("test")
    np.testing.assert_array_equal(restored.predict_conversion(X), fitted.predict_conversion(X))


def test_a_model_pickled_before_calibration_recency_learned_reads_equal_weights(fitted, leads):
    """An older fitted pickle has no calibration_recency_ either: unpickled, it holds the
    choice its calibration made (equal weights), which training's logging and the blend
    read as they read a new model's; an unfitted pickle gets no learned attribute."""
    old = pickle.loads(pickle.dumps(fitted))
    del old.calibration_recency_, old.calibration_recency
    restored = pickle.loads(pickle.dumps(old))
    assert restored.calibration_recency_ == FITTED_BEFORE_RECENCY
    assert restored.calibration_recency_.half_life_days is None
    assert restored.calibration_recency_.params() == {
        "calibration_recency": "none",
        "calibration_recency_chosen": "none",
    }
    assert restored.calibration_recency_.metrics() == {}
    times = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"], utc=True))
    assert recency_weights_of(times, restored.calibration_recency_) is None  # equal weights
    X, _ = leads.slice("test")
    np.testing.assert_array_equal(restored.predict_conversion(X), fitted.predict_conversion(X))
    kept = pickle.loads(pickle.dumps(fitted))  # a current pickle keeps its own choice
    assert kept.calibration_recency_ == fitted.calibration_recency_
    blank = pickle.loads(pickle.dumps(quick_model()))
    assert not hasattr(blank, "calibration_recency_")


def test_fit_returns_self_and_sets_learned_attributes(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    model = quick_model()
    assert model.fit(X, y, X_valid=Xv, y_valid=yv) is model
    assert model.feature_names_ == list(X.columns)
    assert model.categories_["lead_source"] == list(X["lead_source"].cat.categories)
    assert 1 <= model.best_iteration_ <= 200
    assert model.calibration_method_ in ("isotonic", "platt")
    assert set(model.calibration_scores_) == {"isotonic", "platt"}


def test_predicts_signal_with_calibrated_probabilities(fitted, leads):
    Xt, yt = leads.slice("test")
    proba = fitted.predict_proba(Xt)
    assert proba.shape == (len(Xt), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert roc_auc_score(yt, proba[:, 1]) > 0.7
    np.testing.assert_array_equal(fitted.predict(Xt), (proba[:, 1] >= 0.5).astype(int))


def test_not_fitted_raises():
    with pytest.raises(NotFittedError, match="not fitted"):
        ConversionModel().predict_proba(pd.DataFrame({"a": [1.0]}))


def test_missing_columns_are_listed(fitted, leads):
    Xt, _ = leads.slice("test")
    with pytest.raises(ValueError, match=r"\['visits_30d', 'employees'\]"):
        fitted.predict_proba(Xt.drop(columns=["visits_30d", "employees"]))


def test_string_column_at_fit_names_the_column(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    bad = X.assign(job_title="engineer")
    with pytest.raises(ValueError, match="'job_title'.*category"):
        quick_model().fit(bad, y, X_valid=Xv, y_valid=yv)


def test_non_numeric_scoring_column_names_the_column(fitted, leads):
    Xt, _ = leads.slice("test")
    with pytest.raises(ValueError, match="'visits_30d'.*numeric"):
        fitted.predict_proba(Xt.assign(visits_30d="many"))


@pytest.mark.parametrize(
    ("labels", "message"),
    [([0, 2], "label 2 at position 1"), ([0, None], "missing label at position 1")],
)
def test_bad_labels_name_the_position(leads, labels, message):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    y = y.astype(object).copy()
    y[: len(labels)] = labels
    with pytest.raises(ValueError, match=message):
        quick_model().fit(X, y, X_valid=Xv, y_valid=yv)


def test_too_few_positives_in_validation_slice_is_explained(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    keep = np.flatnonzero(yv == 0)[:200].tolist() + np.flatnonzero(yv == 1)[:7].tolist()
    with pytest.raises(ValueError, match="y_valid has 7 converted.*at least 8"):
        quick_model().fit(X, y, X_valid=Xv.iloc[keep], y_valid=yv[keep])


def test_unseen_category_level_scores_like_missing(fitted, leads):
    Xt, _ = leads.slice("test")
    rows = Xt.head(20)
    unseen = rows.assign(lead_source=pd.Categorical(["tiktok"] * 20))
    missing = rows.assign(lead_source=pd.Categorical([None] * 20, categories=["referral"]))
    p_unseen = fitted.predict_proba(unseen)[:, 1]
    np.testing.assert_allclose(p_unseen, fitted.predict_proba(missing)[:, 1])
    assert np.isfinite(p_unseen).all()


def test_category_as_plain_strings_scores_the_same(fitted, leads):
    Xt, _ = leads.slice("test")
    as_str = Xt.assign(lead_source=Xt["lead_source"].astype(str))
    np.testing.assert_allclose(fitted.predict_proba(as_str), fitted.predict_proba(Xt))


def test_renaming_index_or_reordering_columns_does_not_change_scores(fitted, leads):
    Xt, _ = leads.slice("test")
    before = fitted.predict_proba(Xt)[:, 1]
    renamed = Xt.set_axis([f"lead-{i}" for i in range(len(Xt))])[Xt.columns[::-1]]
    np.testing.assert_array_equal(fitted.predict_proba(renamed)[:, 1], before)


def test_more_pricing_views_never_lower_the_average_score(fitted, leads):
    Xt, _ = leads.slice("test")
    base = fitted.predict_proba(Xt.assign(pricing_views_7d=0.0))[:, 1].mean()
    more = fitted.predict_proba(Xt.assign(pricing_views_7d=1.0))[:, 1].mean()
    assert more > base


def test_same_seed_reproduces_predictions(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    Xt, _ = leads.slice("test")
    a = quick_model(seed=3).fit(X, y, X_valid=Xv, y_valid=yv).predict_proba(Xt)
    b = quick_model(seed=3).fit(X, y, X_valid=Xv, y_valid=yv).predict_proba(Xt)
    np.testing.assert_array_equal(a, b)


def test_calibration_repairs_heavy_class_weighting():
    # Rare positives (about 5 %) and a 'balanced' weight push raw probabilities far up;
    # the calibrator, fitted on held-out rows, must bring log loss back down.
    rng = np.random.default_rng(11)
    n = 6000
    X = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * X["x"] - 3.5)))).astype(int).to_numpy()
    model = quick_model(class_weight="balanced").fit(
        X[:3000], y[:3000], X_valid=X[3000:4500], y_valid=y[3000:4500]
    )
    X_test, y_test = X[4500:], y[4500:]
    raw = 1 / (1 + np.exp(-model.predict_raw(X_test)))
    calibrated = model.predict_proba(X_test)[:, 1]
    assert raw.mean() > 2 * y_test.mean()  # the setting is really mis-calibrated
    assert log_loss(y_test, calibrated) < log_loss(y_test, raw)
    assert abs(calibrated.mean() - y_test.mean()) < 0.02


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_fixed_calibration_method_is_used(leads, method):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    model = quick_model(calibration=method).fit(X, y, X_valid=Xv, y_valid=yv)
    assert model.calibration_method_ == method
    assert model.calibration_scores_ == {}


def test_separate_calibration_slice(leads):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    half = len(Xv) // 2
    model = quick_model().fit(
        X, y, X_valid=Xv[:half], y_valid=yv[:half], X_calib=Xv[half:], y_calib=yv[half:]
    )
    assert model.predict_proba(Xv).shape == (len(Xv), 2)


def test_feature_importance_ranks_the_real_signal_above_noise(fitted):
    importance = fitted.feature_importance().set_index("feature")
    assert importance.loc["visits_30d", "gain"] > importance.loc["noise", "gain"]


def test_refit_trains_the_chosen_trees_on_the_training_and_stopping_rows(leads):
    import lightgbm as lgb

    from models.frames import align_features
    from models.splits import stratified_halves

    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    once = quick_model(refit_on_stopping_rows=False).fit(X, y, X_valid=Xv, y_valid=yv)
    model = quick_model(refit_on_stopping_rows=True).fit(X, y, X_valid=Xv, y_valid=yv)
    # early stopping chose the same number of trees; the final booster has exactly that many
    assert model.best_iteration_ == once.best_iteration_
    assert model.booster_.current_iteration() == model.best_iteration_
    # the same booster, trained independently on train + the early-stopping half
    stop, _ = stratified_halves(np.asarray(yv), model.settings()["seed"])
    cats = model.categories_
    both = pd.concat([X, Xv.iloc[stop]])
    aligned = align_features(both, model.feature_names_, cats, "X")
    labels = np.r_[np.asarray(y), np.asarray(yv)[stop]]
    params = {**model.lgb_params(), "metric": "binary_logloss"}
    booster = lgb.train(params, lgb.Dataset(aligned, label=labels), model.best_iteration_)
    Xt, _ = leads.slice("test")
    expected = booster.predict(align_features(Xt, model.feature_names_, cats, "X"), raw_score=True)
    np.testing.assert_allclose(model.predict_raw(Xt), expected)
    assert not np.allclose(once.predict_raw(Xt), expected)  # the refit changed the model


def _shifted_valid(leads):
    """The validation rows over 100 days; after day 50 two in three conversions are lost."""
    Xv, yv = leads.slice("valid")
    day = np.arange(len(yv)) * 100 // len(yv)
    rng = np.random.default_rng(0)
    y = np.where((day >= 50) & (rng.random(len(yv)) < 2 / 3), 0, yv)
    time = pd.Series(pd.Timestamp("2018-01-01", tz="UTC") + pd.to_timedelta(day, unit="D"))
    return Xv, y, time


def test_recency_is_chosen_on_the_calibration_half_by_its_times(leads):
    from models.calibration import choose_recency
    from models.splits import stratified_halves

    X, y = leads.slice("train")
    Xv, yv, time = _shifted_valid(leads)
    model = quick_model(calibration="platt", calibration_recency="auto")
    model.fit(X, y, X_valid=Xv, y_valid=yv, time_valid=time)
    chosen = model.calibration_recency_
    assert chosen.half_life_days is not None
    _, cal = stratified_halves(yv, model.settings()["seed"])
    expected = choose_recency(model.predict_raw(Xv.iloc[cal]), yv[cal], time[cal], "platt", "auto")
    assert chosen == expected
    plain = quick_model(calibration="platt", calibration_recency="none")
    plain.fit(X, y, X_valid=Xv, y_valid=yv, time_valid=time)
    assert plain.calibration_recency_.half_life_days is None
    late = (time >= pd.Timestamp("2018-03-01", tz="UTC")).to_numpy()
    recent = yv[late].mean()
    weighted = model.predict_conversion(Xv[late]).mean()
    equal = plain.predict_conversion(Xv[late]).mean()
    assert abs(weighted - recent) < abs(equal - recent)


def test_recency_without_times_keeps_equal_weights(leads, fitted):
    assert fitted.settings()["calibration_recency"] == "none"  # the packaged default
    assert fitted.calibration_recency_.half_life_days is None
    X, y = leads.slice("train")
    Xv, yv, time = _shifted_valid(leads)
    with pytest.raises(ValueError, match="time: 3 values for"):
        quick_model().fit(X, y, X_valid=Xv, y_valid=yv, time_valid=time[:3])
