"""prefect.yaml: every entrypoint resolves to a flow and every deployment's parameters fit it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def _load_flow(entrypoint: str) -> Flow:
    path, name = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location(f"_ep_{Path(path).stem}", ROOT / path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    obj = getattr(module, name)
    assert isinstance(obj, Flow), f"{entrypoint} is not a Prefect flow"
    return obj


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_deployment_entrypoint_and_parameters_fit_the_flow(deployment: dict) -> None:
    flow = _load_flow(deployment["entrypoint"])
    params = deployment.get("parameters") or {}
    validated = flow.validate_parameters(params)
    assert set(params) <= set(validated)
    assert deployment.get("description"), "every deployment says what it is for"
    for schedule in deployment.get("schedules") or []:
        assert schedule.get("timezone"), "schedules carry an explicit time zone"


def test_unknown_parameter_is_rejected() -> None:
    # the check above must be able to fail: a misspelt parameter does not validate
    flow = _load_flow(DEPLOYMENTS[0]["entrypoint"])
    with pytest.raises(Exception, match="(?i)unexpected|extra|not permitted|parameter"):
        flow.validate_parameters({"no_such_parameter": 1})


def test_no_flow_file_shadows_a_package_when_prefect_loads_it_by_path() -> None:
    # Prefect puts an entrypoint's folder first on sys.path: a pipelines/flows/features.py
    # made every "import features..." of a deployed flow fail ("'features' is not a package")
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    flows = {p.stem for p in (ROOT / "pipelines" / "flows").glob("*.py")}
    assert packages & flows == set()
