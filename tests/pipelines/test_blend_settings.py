"""train --blend: the blend YAML is read once into the request's BlendConfig; the empty
rulebook pins the manual weight to 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.flow_requests import TrainRequest
from pipelines.flows.train import blend_settings
from serving.blend import BlendConfig


def _blend(path: Path | None) -> BlendConfig:
    """What ``leadscore train --blend PATH`` passes to the flow."""
    return TrainRequest.from_files({"blend": path}, data="crm/").blend


def test_blend_yaml_pins_the_weight_and_sets_the_capacity(tmp_path: Path) -> None:
    path = tmp_path / "blend.yaml"
    path.write_text("manual_weight: 0.3\nweight_bounds: [0.1, 0.5]\ncapacity: {A: 50, B: 150}\n")
    config = blend_settings(_blend(path), empty_rulebook=False)
    assert config == BlendConfig(
        manual_weight=0.3, weight_bounds=(0.1, 0.5), capacity={"A": 50, "B": 150}
    )
    assert config.tier_names == ["A", "B", "D"]


def test_the_empty_rulebook_gives_the_model_all_the_weight(tmp_path: Path) -> None:
    path = tmp_path / "blend.yaml"
    path.write_text("weight_bounds: [0.2, 0.6]\n")
    config = blend_settings(_blend(path), empty_rulebook=True)
    assert config.manual_weight == 0.0 and config.weight_bounds == (0.0, 0.6)
    assert blend_settings(_blend(None), empty_rulebook=False) == BlendConfig()


def test_a_bad_blend_yaml_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "blend.yaml"
    path.write_text("manual_weight: 0.9\nweight_bounds: [0.0, 0.5]\n")
    with pytest.raises(ValueError, match="outside weight_bounds"):
        _blend(path)
