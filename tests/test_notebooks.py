"""Notebooks are executed so they never rot, and are stored without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_notebooks_folder_is_found() -> None:
    # with no notebook found, the parametrised tests below would be collected as skips
    assert NOTEBOOKS, "no notebooks/*.ipynb found beside tests/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.slow
def test_the_quick_start_compares_with_its_scorers_own_horizon(tmp_path: Path) -> None:
    """The notebook types no horizon: a scorer trained for 7 days is compared over 7 days."""
    from features.ingest.load import ingest
    from features.training_set import data_end_of

    path = NOTEBOOKS[0].parent / "01_quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += (
        f"\nWORKDIR = Path({str(tmp_path)!r})"
        '\nTRAIN_OPTIONS = {"horizon_days": 7, "valid_snapshots": 3}'
    )
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name")
    )
    assert "horizon 7 days" in text and "labelled over 7 days" in text
    # the newest period with complete 7-day outcomes starts at midnight, 7 days before the end
    end = data_end_of(ingest(tmp_path / "crm").tables)
    summary = json.loads((tmp_path / "report.json").read_text())
    assert summary["as_of"] == f"{(end - pd.Timedelta(days=7)).normalize():%Y-%m-%d}"
