"""The command line on small inputs: exit codes, messages and files (no Prefect here)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from mlflow.environment_variables import MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR as bar
from typer.testing import CliRunner

from pipelines.cli import app

runner = CliRunner()
RULEBOOKS = Path(__file__).resolve().parents[2] / "rules" / "rulebooks"


def test_generate_then_validate_quarantines_the_planted_dirt(tmp_path: Path) -> None:
    out = tmp_path / "crm"
    result = runner.invoke(
        app, ["generate", "--out", str(out), "--contacts", "1000", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "contacts.parquet").exists() and (out / "_truth" / "propensity.parquet").exists()
    planted = json.loads((out / "_truth" / "params.json").read_text())["dirt"]

    result = runner.invoke(
        app, ["validate", "--data", str(out), "--now", "2026-11-01", "--out", str(tmp_path / "v")]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "v" / "validation_summary.json").read_text())
    counts = summary["counts"]
    for table, c in counts.items():
        assert c["input"] == c["accepted"] + c["quarantined"], table
    assert counts["contacts"]["quarantined"] == planted["duplicate_contacts"]
    assert counts["activities"]["quarantined"] >= planted["duplicate_activities"]
    assert (tmp_path / "v" / "quarantine" / "activities.csv").exists()
    assert "quarantined" in result.output


def test_validate_missing_required_column_exits_1_with_the_column(tmp_path: Path) -> None:
    folder = tmp_path / "crm"
    folder.mkdir()
    pd.DataFrame({"contact_id": ["a", "b"], "email": ["x@y.com", None]}).to_csv(
        folder / "contacts.csv", index=False
    )
    result = runner.invoke(app, ["validate", "--data", str(folder)])
    assert result.exit_code == 1
    assert "created_at" in result.output


def test_validate_missing_folder_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "nope" in result.output


def test_rules_check_passes_shipped_and_fails_broken(tmp_path: Path) -> None:
    assert runner.invoke(app, ["rules", "check", str(RULEBOOKS / "default.yaml")]).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "name: broken\nversion: '1'\nrules:\n"
        "  - name: bad\n    category: fit\n    points: 5\n"
        "    when: {var: no_such_variable, op: eq, value: 1}\n"
    )
    result = runner.invoke(app, ["rules", "check", str(broken)])
    assert result.exit_code == 1
    assert "no_such_variable" in result.output


def test_rules_score_and_explain_on_a_generated_crm(tmp_path: Path) -> None:
    out = tmp_path / "crm"
    assert (
        runner.invoke(
            app, ["generate", "--out", str(out), "--contacts", "500", "--clean"]
        ).exit_code
        == 0
    )
    scores = tmp_path / "scores.csv"
    args = ["--data", str(out), "--rulebook", str(RULEBOOKS / "default.yaml")]
    result = runner.invoke(
        app, ["rules", "score", *args, "--as-of", "2026-09-01", "--out", str(scores)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(scores)
    assert len(frame) == 500 and {"contact_id", "total", "stage"} <= set(frame.columns)
    top = frame.sort_values("total").iloc[-1]
    result = runner.invoke(
        app, ["rules", "explain", top["contact_id"], *args, "--as-of", "2026-09-01"]
    )
    assert result.exit_code == 0, result.output
    assert "TOTAL" in result.output and top["contact_id"] in result.output
    missing = runner.invoke(app, ["rules", "explain", "nobody", *args])
    assert missing.exit_code == 1


def test_validate_write_accepted_writes_the_accepted_tables_idempotently(tmp_path: Path) -> None:
    from features.ingest.load import ingest

    raw, accepted = tmp_path / "crm", tmp_path / "accepted"
    assert runner.invoke(app, ["generate", "--out", str(raw), "--contacts", "400"]).exit_code == 0
    args = ["validate", "--data", str(raw), "--now", "2026-11-01", "--out", str(tmp_path / "v")]
    result = runner.invoke(app, [*args, "--write-accepted", str(accepted)])
    assert result.exit_code == 0, result.output
    counts = json.loads((tmp_path / "v" / "validation_summary.json").read_text())["counts"]
    assert counts["contacts"]["quarantined"] > 0  # the planted duplicates went to quarantine
    again = ingest(accepted)
    for table, c in counts.items():
        assert again.counts[table]["input"] == c["accepted"], table
        assert again.counts[table]["quarantined"] == 0, table
    assert again.tables.contacts["contact_id"].is_unique
    first = {p.name: p.read_bytes() for p in accepted.glob("*.parquet")}
    assert sorted(first) == [f"{t}.parquet" for t in sorted(counts)]
    assert runner.invoke(app, [*args, "--write-accepted", str(accepted)]).exit_code == 0
    assert {p.name: p.read_bytes() for p in accepted.glob("*.parquet")} == first
    assert not [p for p in accepted.iterdir() if p.name.startswith(".")]  # no temp files left


def test_quiet_runs_turn_mlflow_download_bars_off_unless_the_user_chose(monkeypatch) -> None:
    shipped = str(RULEBOOKS / "default.yaml")
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    assert runner.invoke(app, ["rules", "check", shipped]).exit_code == 0
    assert bar.get() is False
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "true")
    assert runner.invoke(app, ["rules", "check", shipped]).exit_code == 0
    assert bar.get() is True
