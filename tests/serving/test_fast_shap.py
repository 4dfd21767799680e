"""FastTreeShap equals LightGBM's own pred_contrib on random and awkward models."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from serving.explain import FastTreeShap, top_factors

TOL = 1e-6
VARIANTS = [
    {},  # per-tree dedup + quadrature with leaf tables (the default)
    {"dedup_rows": True},
    {"dedup_rows": False, "dedup_trees": False, "algorithm": "treeshap"},
    {"dedup_rows": False, "dedup_trees": False},
    {"dedup_rows": True, "dedup_trees": False, "algorithm": "treeshap"},
]


def _train(X, y, rounds, params=None, **dataset_kwargs):
    base = {"objective": "binary", "verbose": -1, "min_data_in_leaf": 5, "num_threads": 1}
    return lgb.train(base | (params or {}), lgb.Dataset(X, y, **dataset_kwargs), rounds)


def _assert_matches(booster, X, **explainer_kwargs):
    expected = booster.predict(X, pred_contrib=True, **explainer_kwargs)
    explainer = FastTreeShap(booster, **explainer_kwargs)
    for variant in VARIANTS:
        got = explainer.shap_values(X, **variant)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL, err_msg=str(variant))
    return explainer


def _lumpy_data(seed, n=300, p=5):
    """Mix of continuous, few-valued and zero-inflated columns, so rows share patterns."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] = rng.integers(0, 4, n)
    X[:, 2] = np.where(rng.random(n) < 0.6, 0.0, rng.poisson(3, n))
    y = (X[:, 0] + 0.5 * X[:, 1] - 0.3 * X[:, 2] + rng.normal(size=n) > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize(
    ("seed", "num_leaves", "rounds"),
    [
        (0, 2, 1),
        (1, 2, 20),
        (2, 7, 5),
        (3, 31, 1),
        # deep and many trees together: ~1.3 s; each on its own stays in the fast set
        pytest.param(4, 31, 50, marks=pytest.mark.slow),
        (5, 12, 30),
    ],
)
def test_random_models_match_pred_contrib(seed, num_leaves, rounds):
    X, y = _lumpy_data(seed)
    booster = _train(X, y, rounds, {"num_leaves": num_leaves, "seed": seed})
    _assert_matches(booster, X)


def test_regression_objective_and_deep_leafwise_trees():
    X, y = _lumpy_data(6, n=400)
    target = X[:, 0] ** 2 + y
    booster = _train(X, target, 10, {"objective": "regression", "num_leaves": 31})
    assert max(t["num_leaves"] for t in booster.dump_model()["tree_info"]) > 16
    _assert_matches(booster, X)


def test_stump_matches_hand_formula():
    # One split: phi_0 = leaf value - cover-weighted mean of both leaves.
    X = np.array([[0.0], [0.0], [0.0], [1.0], [1.0], [1.0], [1.0], [1.0]])
    y = np.array([0, 0, 1, 1, 1, 1, 0, 1])
    booster = _train(
        X, y, 1, {"num_leaves": 2, "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 0}
    )
    tree = booster.dump_model()["tree_info"][0]["tree_structure"]
    left, right = tree["left_child"], tree["right_child"]
    mean = (left["leaf_value"] * 3 + right["leaf_value"] * 5) / 8
    got = FastTreeShap(booster).shap_values(np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(got[:, 1], [mean, mean], atol=1e-12)
    np.testing.assert_allclose(got[:, 0], [left["leaf_value"] - mean, right["leaf_value"] - mean])


def test_contributions_sum_to_raw_score():
    X, y = _lumpy_data(7)
    booster = _train(X, y, 25, {"num_leaves": 15})
    phi = FastTreeShap(booster).shap_values(X)
    np.testing.assert_allclose(phi.sum(axis=1), booster.predict(X, raw_score=True), atol=1e-9)


def test_pandas_categories_with_unseen_and_nan_levels():
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "plan": pd.Categorical(rng.choice(["free", "pro", "team", "ent"], n)),
            "source": pd.Categorical(rng.choice(list("abcdefghij"), n)),
        }
    )
    y = (frame["plan"].isin(["pro", "ent"]) ^ frame["source"].isin(list("aei"))).astype(int)
    booster = _train(frame, y, 15, {"num_leaves": 8, "min_data_per_group": 5, "cat_smooth": 1})
    assert any("==" in str(t) for t in booster.dump_model()["tree_info"])
    new = pd.DataFrame(
        {
            "x": [0.1, -1.0, 2.0, np.nan, 0.0],
            "plan": pd.Categorical(["pro", "unseen", None, "ent", "free"]),
            "source": pd.Categorical(["a", "b", "zz", None, "e"]),
        }
    )
    _assert_matches(booster, new)
    _assert_matches(booster, frame)


def test_numpy_categorical_codes_out_of_range():
    rng = np.random.default_rng(9)
    X = np.column_stack([rng.integers(0, 40, 500), rng.normal(size=500)]).astype(float)
    y = ((X[:, 0] % 3 == 0) | (X[:, 1] > 1)).astype(int)
    params = {"num_leaves": 6, "min_data_per_group": 5, "cat_smooth": 1, "max_cat_to_onehot": 2}
    booster = _train(X, y, 10, params, categorical_feature=[0])
    odd = np.array([[np.nan, 0], [-0.5, 0], [2.7, 0], [-3, 0], [1e10, 0], [3e9, 0], [39, 0]])
    _assert_matches(booster, np.vstack([X[:50], odd]))


def test_nan_missing_type_numeric():
    X, y = _lumpy_data(10)
    X[np.random.default_rng(10).random(X.shape) < 0.2] = np.nan
    booster = _train(X, y, 20, {"num_leaves": 10})
    assert '"NaN"' in str(booster.dump_model()).replace("'", '"')
    _assert_matches(booster, X)


def test_zero_as_missing_and_tiny_values():
    X, y = _lumpy_data(11)
    X[np.random.default_rng(11).random(X.shape) < 0.3] = 0.0
    booster = _train(X, y, 20, {"num_leaves": 10, "zero_as_missing": True})
    assert '"Zero"' in str(booster.dump_model()).replace("'", '"')
    probe = X[:40].copy()
    probe[0:10, 0] = 1e-40  # LightGBM's reader turns |x| <= 1e-35 into 0
    probe[10:20, 0] = np.nan
    probe[20:30, 2] = -0.0
    _assert_matches(booster, probe)


def test_nan_at_predict_time_when_training_had_none():
    X, y = _lumpy_data(12)
    booster = _train(X, y, 10, {"num_leaves": 10})
    probe = X[:30].copy()
    probe[::2, :] = np.nan  # missing_type None: LightGBM reads NaN as 0
    _assert_matches(booster, probe)


def test_single_leaf_trees():
    X, y = _lumpy_data(13)
    lonely = _train(X, y, 5, {"min_data_in_leaf": 1000})
    assert lonely.num_trees() == 1
    explainer = _assert_matches(lonely, X[:20])
    assert explainer.shap_values(X[:3])[:, :-1].tolist() == [[0.0] * 5] * 3
    mixed = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 6, "min_data_in_leaf": 5},
        lgb.Dataset(X, y),
        5,
        init_model=lonely,
    )
    assert mixed.num_trees() == 6
    assert mixed.dump_model()["tree_info"][0]["num_leaves"] == 1
    _assert_matches(mixed, X[:50])


def test_constant_feature_gets_zero():
    X, y = _lumpy_data(14)
    X[:, 3] = 7.0
    booster = _train(X, y, 10, {"num_leaves": 8})
    phi = _assert_matches(booster, X).shap_values(X)
    assert np.all(phi[:, 3] == 0.0)


def test_num_iteration_and_best_iteration():
    X, y = _lumpy_data(15, n=600)
    train, valid = lgb.Dataset(X[:400], y[:400]), lgb.Dataset(X[400:], y[400:])
    params = {"objective": "binary", "verbose": -1, "num_leaves": 8, "learning_rate": 0.3}
    booster = lgb.train(
        params,
        train,
        60,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(3, verbose=False)],
        keep_training_booster=True,  # else the trees after the best iteration are dropped
    )
    assert 0 < booster.best_iteration < booster.current_iteration()
    _assert_matches(booster, X)
    _assert_matches(booster, X, num_iteration=2)
    _assert_matches(booster, X, num_iteration=-1)


def test_rows_equal_after_quantisation_get_equal_values():
    X, y = _lumpy_data(16)
    booster = _train(X, y, 15, {"num_leaves": 8})
    explainer = FastTreeShap(booster)
    thresholds = np.sort(np.unique(explainer.arrays_.node_threshold))
    # Nudge every value towards the next threshold above it, staying in its interval.
    nxt = thresholds[np.minimum(np.searchsorted(thresholds, X, side="left"), len(thresholds) - 1)]
    moved = np.where(nxt >= X, X + 0.5 * (nxt - X), X)
    assert not np.array_equal(moved, X)
    both = np.vstack([X, moved])
    phi = explainer.shap_values(both, dedup_rows=True)
    np.testing.assert_array_equal(phi[:300], phi[300:])
    assert explainer.last_stats_["unique_rows"] <= 300
    plain = explainer.shap_values(both, dedup_rows=False, dedup_trees=False)
    np.testing.assert_allclose(phi, plain, atol=1e-12)


def test_dataframe_columns_are_matched_by_name():
    X, y = _lumpy_data(17)
    names = [f"f{i}" for i in range(5)]
    booster = _train(pd.DataFrame(X, columns=names), y, 5, {"num_leaves": 6})
    explainer = FastTreeShap(booster)
    shuffled = pd.DataFrame(X, columns=names)[names[::-1]].assign(extra=1.0)
    np.testing.assert_allclose(explainer.shap_values(shuffled), explainer.shap_values(X))


def test_top_factors_hand_example():
    contrib = np.array([[0.5, -0.2, 0.1, -0.7, 9.0], [0.0, 0.3, 0.0, 0.0, 9.0]])
    idx_pos, val_pos, idx_neg, val_neg = top_factors(contrib, k=2)
    assert idx_pos.tolist() == [[0, 2], [1, -1]]
    assert val_pos.tolist() == [[0.5, 0.1], [0.3, 0.0]]
    assert idx_neg.tolist() == [[3, 1], [-1, -1]]
    assert val_neg.tolist() == [[-0.7, -0.2], [0.0, 0.0]]
    with pytest.raises(ValueError, match="k >= 1"):
        top_factors(contrib, k=0)


def test_bad_inputs_raise_clear_errors():
    X, y = _lumpy_data(18)
    names = [f"f{i}" for i in range(5)]
    booster = _train(pd.DataFrame(X, columns=names), y, 3, {"num_leaves": 4})
    explainer = FastTreeShap(booster)
    with pytest.raises(ValueError, match="expected \\(n_rows, 5\\)"):
        explainer.shap_values(X[:, :4])
    with pytest.raises(ValueError, match=r"missing model feature column\(s\) \['f4'\]"):
        explainer.shap_values(pd.DataFrame(X[:, :4], columns=names[:4]))
    text = pd.DataFrame(X, columns=names).astype({"f2": str})
    with pytest.raises(ValueError, match="column 'f2' has dtype"):
        explainer.shap_values(text)
    with pytest.raises(ValueError, match="algorithm='exact' is unknown"):
        explainer.shap_values(X, algorithm="exact")
    multi = _train(X, y % 3 + (X[:, 1] > 2), 2, {"objective": "multiclass", "num_class": 3})
    with pytest.raises(ValueError, match="multiclass"):
        FastTreeShap(multi)
