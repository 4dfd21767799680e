"""Entry points (command line, flows, prefect.yaml, notebooks, Makefile) repeat no default.

Each value below has one owner; every entry point reads it from there (or passes nothing and
lets the owner's default apply), so the value's text appears in no entry point.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

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
    from pipelines.flow_requests import ScoreRequest
    from serving.sinks import DEFAULT_TABLE_PREFIX

    assert ScoreRequest(data="crm/", sink="s.csv").table_prefix is DEFAULT_TABLE_PREFIX
    assert table_prefix_or_default(None) is DEFAULT_TABLE_PREFIX
    assert table_prefix_or_default("crm_") == "crm_"


def test_every_flow_and_the_command_line_share_one_default_workdir() -> None:
    from pipelines.cli_options import DEFAULT_WORKDIR
    from pipelines.flow_requests import CompareRequest, CrmRequest, ScoreRequest, TrainRequest
    from pipelines.flows.compare import compare_flow
    from pipelines.flows.demo import demo_flow
    from pipelines.flows.score import score_flow
    from pipelines.flows.train import train_flow

    assert inspect.signature(demo_flow.fn).parameters["workdir"].default == str(DEFAULT_WORKDIR)
    # the train, score and compare flows take one request each: the working directory is
    # the requests' shared field (CrmRequest), one default
    for flow in (train_flow, score_flow, compare_flow):
        assert list(inspect.signature(flow.fn).parameters) == ["request"] + (
            ["show_plan"] if flow is train_flow else []
        )
    assert CrmRequest.model_fields["workdir"].default == DEFAULT_WORKDIR
    for request in (TrainRequest, ScoreRequest, CompareRequest):
        assert issubclass(request, CrmRequest) and "workdir" not in request.__annotations__
    # the report goes to WORKDIR/report.html unless --out names another file
    compare = CompareRequest(data="crm/", workdir=Path("w"))
    assert compare.report_path() == Path("w") / "report.html"


def _help_texts() -> dict[str, str]:
    """``command --option`` -> its help text, for every option of every command."""
    import typer.main

    from pipelines.cli import app

    def walk(command: Any, prefix: str) -> dict[str, str]:
        if hasattr(command, "commands"):  # a group (typer ships its own click)
            return {
                key: text
                for name, sub in command.commands.items()
                for key, text in walk(sub, f"{prefix} {name}".strip()).items()
            }
        return {
            f"{prefix} {param.opts[0]}": getattr(param, "help", None) or ""
            for param in command.params
        }

    return walk(typer.main.get_command(app), "")


def test_every_default_a_help_text_names_exists_where_it_says() -> None:
    """A help text names the owner of a default (``serving.blend.DEFAULT_CAPACITY_SHARE``)
    instead of typing its value; each name must resolve, so a moved default is caught."""
    import importlib
    import re

    named = {
        (key, match.rstrip("."))
        for key, text in _help_texts().items()
        for match in re.findall(r"\b(?:features|models|serving|rules|pipelines)\.[\w.]+", text)
    }
    assert {key for key, _ in named} >= {
        "train --blend",
        "train --every-days",
        "explain --factors",
        "validate --out",
    }
    for key, dotted in sorted(named):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[cut:]:
                assert hasattr(owner, attribute), f"{key}: {dotted} does not exist"
                owner = getattr(owner, attribute)
            break
        else:
            raise AssertionError(f"{key}: no module in {dotted}")


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("generate", "seed"),
        ("explain", "factors"),
        ("validate", "encoding"),
        ("fit_table_command", "encoding"),
    ],
)
def test_command_line_options_leave_library_defaults_to_the_library(command, option) -> None:
    import pipelines.cli as cli

    assert inspect.signature(getattr(cli, command)).parameters[option].default is None


def test_the_reader_functions_share_one_default_encoding(tmp_path) -> None:
    from features.ingest import read_table
    from features.ingest.load import ingest
    from features.ingest.readers import DEFAULT_ENCODING
    from features.ingest.sources import read_source
    from pipelines.fit_table import FlatExport
    from serving.lead_rows import read_lead

    for function in (read_table, ingest, read_source):
        assert inspect.signature(function).parameters["encoding"].default is None
    # one lead's rows are read with the mapping's encoding or the readers' default: no own
    assert "encoding" not in inspect.signature(read_lead).parameters
    assert FlatExport("y").encoding is None
    path = tmp_path / "t.csv"
    path.write_bytes("id,city\n1,São Paulo\n".encode(DEFAULT_ENCODING))
    assert read_table(path)["city"].tolist() == ["São Paulo"]


def test_generate_without_a_seed_writes_the_crm_of_generate_crm_s_default_seed(tmp_path) -> None:
    from typer.testing import CliRunner

    from features.synthetic import generate_crm
    from pipelines.cli import app

    default = inspect.signature(generate_crm).parameters["seed"].default
    runner = CliRunner()
    for name, extra in (
        ("default", []),
        ("given", ["--seed", str(default)]),
        ("other", ["--seed", str(default + 1)]),
    ):
        result = runner.invoke(
            app,
            [
                "generate",
                "--contacts",
                "100",
                "--format",
                "csv",
                "--out",
                str(tmp_path / name),
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output
    read = lambda name: (tmp_path / name / "contacts.csv").read_text()  # noqa: E731
    assert read("default") == read("given") != read("other")


SOURCES = sorted(
    p
    for package in ("features", "models", "rules", "serving", "pipelines")
    for p in (ROOT / package).rglob("*.py")
)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^SettingsT = TypeVar\(",  # the settings-model type variable of the YAML loaders
        r"^def _?jsonable\(",  # the JSON default hook (features.json_text)
        r"preserve_rowcount",  # the sinks' row-count execution options (sinks.ddl.ROWCOUNT)
    ],
)
def test_shared_helpers_are_defined_once(pattern: str) -> None:
    import re

    found = re.compile(pattern, re.MULTILINE)
    holders = [str(p.relative_to(ROOT)) for p in SOURCES if found.search(p.read_text())]
    assert len(holders) == 1, f"{pattern!r} defined in {holders}"


def test_an_errors_first_line_is_cut_in_one_place() -> None:
    """Every message quoting an error's first line calls ``pipelines.errors.first_line``:
    the one cut (``splitlines()[0]``, ``split("\\n")[0]``, ``partition("\\n")[0]``)
    appears once in all the sources, inside it, not by hand in another message."""
    import re

    cut = re.compile(r"\.splitlines\(\)\[0\]|\.(?:split|partition)\(\s*[\"']\\n[\"']\s*\)\[0\]")
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in SOURCES
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if cut.search(line)
    ]
    assert len(found) == 1 and found[0].startswith("pipelines/errors.py:"), found
