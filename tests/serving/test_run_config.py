"""The run configuration: overrides resolved once, one default per setting, rulebook choice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.config import DEFAULT_CONFIG_PATH
from serving.blend import BlendConfig
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

BOOK = RulebookRef(name="b", version="1", source="b.yaml")


def test_overrides_replace_only_what_is_given_and_are_validated() -> None:
    packaged = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    config = resolve_train_config(None, {"horizon_days": 7, "every_days": None})
    assert config.horizon_days == 7
    assert config.every_days == packaged["every_days"]  # None keeps the config's value
    assert config.train_snapshots == packaged["train_snapshots"]
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
