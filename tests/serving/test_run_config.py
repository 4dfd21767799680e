"""The run configuration: overrides resolved once, one default per setting, rulebook choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scorer_helpers import model_only_blend

from features.training_set import TRAIN_SNAPSHOTS
from models.config import DEFAULT_CONFIG_PATH, LightGBMParams
from models.train import model_from_config
from rules import load_rulebook
from serving.blend import BlendConfig
from serving.report.settings import ReportSettings
from serving.run_config import (
    DEFAULT_RULEBOOK,
    EMPTY_RULEBOOK,
    RulebookRef,
    RunConfig,
    SliceSummary,
    choose_rulebook,
    default_scorer_uri,
    resolve_train_config,
)
from serving.scorer import LeadScorer
from serving.scorer_types import ScorerSettings

BOOK = RulebookRef(name="b", version="1", source="b.yaml")


def test_overrides_replace_only_what_is_given_and_are_validated() -> None:
    packaged = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    config = resolve_train_config(None, {"horizon_days": 7, "every_days": None})
    assert config.horizon_days == 7
    assert config.every_days == packaged["every_days"]  # None keeps the config's value
    assert config.valid_snapshots == packaged["valid_snapshots"]
    assert config.train_snapshots == TRAIN_SNAPSHOTS  # shared with snapshot_schedule
    with pytest.raises(ValueError, match="horizon_days"):
        resolve_train_config(None, {"horizon_days": 0})


def test_default_scorer_uri_follows_the_config_file(tmp_path: Path) -> None:
    packaged = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    assert default_scorer_uri() == f"models:/{packaged['model_name']}-scorer@champion"
    named = tmp_path / "named.yaml"
    named.write_text("model_name: acme\n")
    assert default_scorer_uri(named) == "models:/acme-scorer@champion"
    named.write_text("model_name: acme\nscorer_name: acme-leads\n")
    assert default_scorer_uri(named) == "models:/acme-leads@champion"


def test_a_mapped_export_without_a_rulebook_gets_the_empty_one(tmp_path: Path) -> None:
    own = tmp_path / "mine.yaml"
    assert choose_rulebook(own, "olist") == own
    assert choose_rulebook(None, None) == DEFAULT_RULEBOOK
    assert choose_rulebook(None, "olist") == EMPTY_RULEBOOK
    # a shipped mapping with a shipped rulebook of its name gets it
    assert choose_rulebook(None, "x_education") == DEFAULT_RULEBOOK.with_name("x_education.yaml")
    assert choose_rulebook(None, "my/x_education") == EMPTY_RULEBOOK  # a file, not the name


def test_run_config_round_trips_through_json_and_checks_its_framing() -> None:
    config = RunConfig(
        framing="snapshots",
        train=resolve_train_config(None, {"horizon_days": 7}),
        slices={"test": SliceSummary(dates=("2026-01-01",), rows=10, positives=2)},
        feature_spec={"windows": [7]},
        rulebook=BOOK,
        blend=BlendConfig(manual_weight=0.5),
        tracking_uri="sqlite:///x.db",
    )
    again = RunConfig.model_validate(config.model_dump(mode="json"))
    assert again == config and again.horizon_days == 7
    assert again.params()["test_positives"] == "2"
    flat = config.model_copy(update={"framing": "flat", "feature_spec": None})
    assert flat.horizon_days is None
    with pytest.raises(ValueError, match="flat export has no feature spec"):
        RunConfig.model_validate({**config.model_dump(mode="json"), "framing": "flat"})


def test_scorer_and_report_settings_live_in_the_run_config() -> None:
    base = RunConfig(
        framing="flat",
        train=resolve_train_config(None),
        rulebook=BOOK,
        tracking_uri="sqlite:///x.db",
    )
    # a run config stored before these settings existed reads with their defaults
    stored = base.model_dump(mode="json")
    del stored["scorer"], stored["report"]
    stored["train"]["capacity_k"] = 0.1  # the training config's own k, before the tiers'
    old = RunConfig.model_validate(stored)
    assert old.scorer == ScorerSettings() and old.report == ReportSettings()
    assert old.train == base.train
    tuned = base.model_copy(
        update={"scorer": ScorerSettings(top_k=5), "report": ReportSettings(n_bootstrap=50)}
    )
    again = RunConfig.model_validate(tuned.model_dump(mode="json"))
    assert again.scorer.top_k == 5 and again.report.n_bootstrap == 50


def test_the_scorer_applies_the_run_configs_scorer_settings_and_stores_what_it_applies() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
    y = (X["a"] + 0.3 * rng.random(200) > 0.6).astype(int).to_numpy()
    config = resolve_train_config(None)
    params = LightGBMParams(n_estimators=5, early_stopping_rounds=2)
    model = model_from_config(config.model_copy(update={"lightgbm": params}))
    model.fit(X, y, X_valid=X, y_valid=y)
    run = RunConfig(
        framing="flat",
        train=config,
        rulebook=BOOK,
        tracking_uri="sqlite:///x.db",
        scorer=ScorerSettings(top_k=4, trend_steady_points=2.5),
    )
    blend = model_only_blend(BlendConfig(), {})
    book = load_rulebook(EMPTY_RULEBOOK)
    scorer = LeadScorer(model, book, blend, run_config=run)
    assert scorer.settings == run.scorer
    # settings given explicitly win, and the stored run config says so
    given = ScorerSettings(top_k=2)
    explicit = LeadScorer(model, book, blend, settings=given, run_config=run)
    assert explicit.settings == given
    assert explicit.run_config_ is not None and explicit.run_config_.scorer == given


def test_the_scorer_keeps_training_ids_beside_its_run_config_and_its_infer_settings() -> None:
    import pickle

    from features.infer import InferSettings
    from features.spec import load_feature_spec
    from serving.training_ids import TrainingIds

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.random(100), "b": rng.random(100)})
    y = (X["a"] > 0.5).astype(int).to_numpy()
    config = resolve_train_config(None)
    params = LightGBMParams(n_estimators=3, early_stopping_rounds=2)
    model = model_from_config(config.model_copy(update={"lightgbm": params}))
    model.fit(X, y, X_valid=X, y_valid=y)
    blend = model_only_blend(BlendConfig(), {})
    book = load_rulebook(EMPTY_RULEBOOK)
    run = RunConfig(
        framing="flat", train=config, rulebook=BOOK, tracking_uri="sqlite:///x.db",
        infer=InferSettings(numeric_min_share=0.8),
    )  # fmt: skip
    ids = TrainingIds.of(["lead-1", "lead-2"])
    scorer = pickle.loads(
        pickle.dumps(LeadScorer(model, book, blend, run_config=run, training_ids=ids))
    )
    assert scorer.run_config_mapping is not None and "training_ids" not in scorer.run_config_mapping
    kept = scorer.training_ids()
    assert kept is not None and kept.digests.tolist() == ids.digests.tolist()
    assert scorer.infer_settings().numeric_min_share == 0.8
    assert LeadScorer(model, book, blend).infer_settings() == InferSettings()  # no run config
    assert LeadScorer(model, book, blend).training_ids() is None
    snapshots = RunConfig(
        framing="snapshots", train=config, rulebook=BOOK, tracking_uri="sqlite:///x.db",
        feature_spec=load_feature_spec().model_dump(mode="json"),
    )  # fmt: skip
    with pytest.raises(ValueError, match="training_ids are a flat export's"):
        LeadScorer(
            model, book, blend, spec=load_feature_spec(), run_config=snapshots, training_ids=ids
        )


def test_with_settings_copies_the_scorer_with_changed_validated_settings() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.random(100), "b": rng.random(100)})
    y = (X["a"] > 0.5).astype(int).to_numpy()
    config = resolve_train_config(None)
    params = LightGBMParams(n_estimators=3, early_stopping_rounds=2)
    model = model_from_config(config.model_copy(update={"lightgbm": params}))
    model.fit(X, y, X_valid=X, y_valid=y)
    run = RunConfig(
        framing="flat", train=config, rulebook=BOOK, tracking_uri="sqlite:///x.db",
        scorer=ScorerSettings(top_k=4),
    )  # fmt: skip
    book = load_rulebook(EMPTY_RULEBOOK)
    scorer = LeadScorer(model, book, model_only_blend(BlendConfig(), {}), run_config=run)
    copy = scorer.with_settings(shap_method="lightgbm")
    assert copy.settings == ScorerSettings(top_k=4, shap_method="lightgbm")  # top_k kept
    assert copy.run_config_ is not None and copy.run_config_.scorer == copy.settings
    assert copy.model is scorer.model and copy.blend is scorer.blend
    # the original is unchanged
    assert scorer.settings == ScorerSettings(top_k=4)
    assert scorer.run_config_ is not None and scorer.run_config_.scorer == scorer.settings
    assert scorer.run_config_mapping is not None
    assert scorer.run_config_mapping["scorer"]["shap_method"] == "fast"
    with pytest.raises(ValueError, match=r"unknown scorer setting\(s\) \['shap_methd'\]"):
        scorer.with_settings(shap_methd="lightgbm")
    with pytest.raises(ValueError, match="shap_method"):
        scorer.with_settings(shap_method="exact")
    bare = LeadScorer(model, book, model_only_blend(BlendConfig(), {}))  # no run config
    assert bare.with_settings(top_k=1).settings.top_k == 1 and bare.settings.top_k != 1
