"""The optional random search: trial 0 is the defaults and the winner is never worse."""

from models.estimator import ConversionModel
from models.search import SEARCH_SPACE, random_search

BASE = {
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_child_samples": 50,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
}


def _search(leads, **kw):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    model = ConversionModel(**BASE, seed=0, n_estimators=100)
    return random_search(X, y, Xv, yv, model=model, **kw)


def test_search_keeps_defaults_as_trial_zero_and_picks_lowest_loss(leads):
    result = _search(leads, budget_seconds=3600, max_trials=4)
    trials = result.trials
    assert len(trials) == 4
    assert trials.loc[0, "num_leaves"] == 31 and trials.loc[0, "learning_rate"] == 0.1
    best = trials.loc[trials["log_loss"].idxmin()]
    assert {k: result.best_params[k] for k in SEARCH_SPACE} == {k: best[k] for k in SEARCH_SPACE}
    assert best["log_loss"] <= trials.loc[0, "log_loss"]
    assert all(type(result.best_params[k]) is type(BASE[k]) for k in BASE)
    # sampled without repeats: no combination is trained twice
    assert not trials[list(SEARCH_SPACE)].iloc[1:].duplicated().any()


def test_exhausted_budget_runs_only_the_defaults(leads):
    result = _search(leads, budget_seconds=1e-9, max_trials=10)
    assert len(result.trials) == 1
    assert result.best_params == BASE
