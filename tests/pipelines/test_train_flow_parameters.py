"""The train flow's settings parameters survive a Prefect deployment's JSON parameters."""

from __future__ import annotations

import json

from features.infer import InferSettings
from models.leakage import LeakageSettings
from pipelines.flows.train import train_flow


def test_settings_objects_round_trip_through_prefects_json_parameters() -> None:
    """The entry point reads ``--infer`` and ``--leakage-settings`` once and passes the
    objects; Prefect stores a flow run's parameters as JSON and validates them back."""
    infer = InferSettings(placeholder_min_columns=4, blank_markers=("", "n/a"))
    leakage = LeakageSettings(auc_threshold=0.95)
    given = {"data": "crm/", "infer": infer, "leakage": leakage}

    stored = json.loads(json.dumps(train_flow.serialize_parameters(given)))
    assert stored["leakage"]["auc_threshold"] == 0.95
    back = train_flow.validate_parameters(stored)

    assert back["infer"] == infer and back["leakage"] == leakage
    assert isinstance(back["infer"], InferSettings)
    # a deployment that sets neither (prefect.yaml's train-weekly) gets the defaults
    assert train_flow.validate_parameters({"data": "crm/"}).get("infer") is None
