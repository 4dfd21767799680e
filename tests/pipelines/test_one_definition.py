"""Entry points (command line, flows, prefect.yaml, notebooks, Makefile) repeat no default.

Each value below has one owner; every entry point reads it from there (or passes nothing and
lets the owner's default apply), so the value's text appears in no entry point.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = sorted(
    [
        *(ROOT / "pipelines").rglob("*.py"),
        ROOT / "prefect.yaml",
        ROOT / "Makefile",
        *(ROOT / "notebooks").glob("*.ipynb"),
    ]
)
# value's text -> its one owner (an entry point may hold it only if it is the owner)
OWNED = {
    "2026-09-30": "features/synthetic/generate.py",  # the synthetic history's end
    "20_000": "pipelines/flows/demo.py",  # the demo's contacts
    "20000": "pipelines/flows/demo.py",
    "capacity_k": "serving/report",  # the report's capacity in leads; training has none
    ", 90": "models/config_default.yaml",  # a horizon typed as an argument
    '"leadscore_"': "serving/sinks/tables.py",  # the database tables' prefix
}


@pytest.mark.parametrize("text", sorted(OWNED))
def test_no_entry_point_repeats_an_owned_default(text: str) -> None:
    owner = OWNED[text]
    holders = [
        str(p.relative_to(ROOT))
        for p in ENTRY_POINTS
        if not str(p.relative_to(ROOT)).startswith(owner) and text in p.read_text()
    ]
    assert holders == [], f"{text!r} repeated outside {owner}: {holders}"


def test_the_demo_command_and_deployment_use_the_demo_flows_defaults() -> None:
    import yaml

    from pipelines.cli import demo
    from pipelines.flows.demo import demo_flow

    flow_defaults = inspect.signature(demo_flow.fn).parameters
    assert flow_defaults["contacts"].default == 20_000  # the one definition
    cli = inspect.signature(demo).parameters
    assert cli["contacts"].default is None and cli["seed"].default is None
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    (deployment,) = [d for d in deployments if d["name"] == "demo"]
    assert not {"contacts", "seed"} & set(deployment["parameters"])


def test_the_table_prefix_is_the_sinks_in_the_score_flow_and_the_command_line() -> None:
    from pipelines.cli_options import table_prefix_or_default
    from pipelines.flows.score import score_flow
    from serving.sinks import DEFAULT_TABLE_PREFIX

    default = inspect.signature(score_flow.fn).parameters["table_prefix"].default
    assert default is DEFAULT_TABLE_PREFIX
    assert table_prefix_or_default(None) is DEFAULT_TABLE_PREFIX
    assert table_prefix_or_default("crm_") == "crm_"


def test_every_flow_and_the_command_line_share_one_default_workdir() -> None:
    from pipelines.cli_options import DEFAULT_WORKDIR
    from pipelines.flows.compare import compare_flow
    from pipelines.flows.demo import demo_flow
    from pipelines.flows.score import score_flow
    from pipelines.flows.train import train_flow

    for flow in (train_flow, score_flow, compare_flow, demo_flow):
        assert inspect.signature(flow.fn).parameters["workdir"].default == str(DEFAULT_WORKDIR)
    # the report goes to WORKDIR/report.html unless --out names another file
    assert inspect.signature(compare_flow.fn).parameters["out"].default is None
