"""The train flow's one parameter, the request, survives a Prefect deployment's JSON
parameters, and settings files are read once where the request is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from features.infer import InferSettings
from models.leakage import LeakageSettings
from pipelines.flow_requests import TrainRequest
from pipelines.flows.train import train_flow
from serving.blend import BlendConfig


def test_a_request_round_trips_through_prefects_json_parameters() -> None:
    """Prefect stores a flow run's parameters as JSON and validates them back."""
    request = TrainRequest(
        data="crm/",
        workdir=Path("w"),
        infer=InferSettings(placeholder_min_columns=4, blank_markers=("", "n/a")),
        leakage=LeakageSettings(auc_threshold=0.95),
        overrides={"horizon_days": 14, "seed": 3},
    )
    stored = json.loads(json.dumps(train_flow.serialize_parameters({"request": request})))
    assert stored["request"]["leakage"]["auc_threshold"] == 0.95
    back = train_flow.validate_parameters(stored)["request"]

    assert back == request
    assert isinstance(back.infer, InferSettings) and back.workdir == Path("w")


def test_a_deployments_mapping_becomes_a_request_with_the_owners_defaults() -> None:
    # prefect.yaml gives fields as a mapping; what it leaves out is the owners' default
    given = {"request": {"data": "crm/", "leakage": {"auc_threshold": 0.9}}}
    request = train_flow.validate_parameters(given)["request"]
    assert isinstance(request, TrainRequest)
    assert request.leakage == LeakageSettings(auc_threshold=0.9)
    assert request.infer == InferSettings() and request.blend == BlendConfig()
    assert request.overrides == {}
    with pytest.raises(Exception, match="(?i)horizon|extra"):
        train_flow.validate_parameters({"request": {"data": "crm/", "horizon": 30}})


def test_overrides_name_training_config_fields_and_unset_ones_are_dropped() -> None:
    request = TrainRequest(data="crm/", overrides={"horizon_days": 30, "seed": None})
    assert request.overrides == {"horizon_days": 30}  # None: the config's
    with pytest.raises(ValueError, match="cannot override horizon: a request overrides only"):
        TrainRequest(data="crm/", overrides={"horizon": 30})


def test_from_files_reads_each_settings_file_and_names_a_bad_field(tmp_path: Path) -> None:
    blend = tmp_path / "blend.yaml"
    blend.write_text("manual_weight: 0.25\n")
    request = TrainRequest.from_files({"blend": blend, "infer": None}, data="crm/")
    assert request.blend.manual_weight == 0.25
    assert request.infer == InferSettings()  # no file: the class's defaults

    bad = tmp_path / "leakage.yaml"
    bad.write_text("auc_treshold: 0.9\n")
    with pytest.raises(
        ValueError, match=r"leakage\.yaml: invalid leakage guard settings.*auc_treshold"
    ):
        TrainRequest.from_files({"leakage": bad}, data="crm/")
