"""The command line on small inputs: exit codes, messages and files (no Prefect here)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.environment_variables import MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR as bar
from typer.testing import CliRunner

from features.infer import InferSettings
from models.leakage import LeakageSettings
from pipelines.cli import app
from serving.blend import BlendConfig
from serving.report.settings import ReportSettings
from serving.run_config import SETTINGS_FILES, FlatExportChecks
from serving.scorer_types import ScorerSettings

runner = CliRunner()
RULEBOOKS = Path(__file__).resolve().parents[2] / "rules" / "rulebooks"


@pytest.mark.slow
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


@pytest.mark.slow
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
    created = pd.to_datetime(pd.read_parquet(out / "contacts.parquet")["created_at"], utc=True)
    known = int((created < pd.Timestamp("2026-09-01", tz="UTC")).sum())
    assert len(frame) == known and {"contact_id", "total", "stage"} <= set(frame.columns)
    top = frame.sort_values("total").iloc[-1]
    result = runner.invoke(
        app, ["rules", "explain", top["contact_id"], *args, "--as-of", "2026-09-01"]
    )
    assert result.exit_code == 0, result.output
    assert "TOTAL" in result.output and top["contact_id"] in result.output
    missing = runner.invoke(app, ["rules", "explain", "nobody", *args])
    assert missing.exit_code == 1
    latest = pd.read_parquet(out / "contacts.parquet").sort_values("created_at").iloc[-1]
    late = runner.invoke(
        app, ["rules", "explain", latest["contact_id"], *args, "--as-of", "2026-09-01"]
    )
    assert late.exit_code == 1 and "created after as_of" in " ".join(late.output.split())


@pytest.mark.slow
def test_validate_write_accepted_writes_the_accepted_tables_idempotently(tmp_path: Path) -> None:
    from features.ingest.load import ingest

    raw, accepted = tmp_path / "crm", tmp_path / "accepted"
    assert runner.invoke(app, ["generate", "--out", str(raw), "--contacts", "400"]).exit_code == 0
    args = ["validate", "--data", str(raw), "--now", "2026-11-01", "--out", str(tmp_path / "v")]
    result = runner.invoke(app, [*args, "--write-accepted", str(accepted)])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "v" / "validation_summary.json").read_text())
    counts, n_bots = summary["counts"], summary["bots"]["bots"]
    assert counts["contacts"]["quarantined"] > 0  # the planted duplicates went to quarantine
    assert n_bots > 0  # and the planted bots to bots.csv
    assert len(pd.read_csv(tmp_path / "v" / "bots.csv")) == n_bots
    assert "filtered as bots" in result.output
    again = ingest(accepted)
    for table, c in counts.items():  # the accepted tables hold no bots' activities
        assert again.counts[table]["input"] == c["accepted"] - n_bots * (table == "activities")
        assert again.counts[table]["quarantined"] == 0, table
    assert again.bots.empty
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


@pytest.mark.slow
def test_validate_writes_under_work_never_beside_the_data(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "exports"
    data.mkdir()
    pd.DataFrame({"contact_id": ["a", "b"], "created_at": ["2026-01-01", "2026-01-02"]}).to_csv(
        data / "contacts.csv", index=False
    )
    cwd = tmp_path / "project"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = runner.invoke(app, ["validate", "--data", str(data / "contacts.csv")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in data.iterdir()) == ["contacts.csv"]  # nothing written there
    assert (cwd / "work" / "validation" / "contacts" / "validation_summary.json").exists()
    result = runner.invoke(app, ["validate", "--data", str(data)])  # the folder
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in data.iterdir()) == ["contacts.csv"]
    assert (cwd / "work" / "validation" / "exports" / "validation_summary.json").exists()


@pytest.mark.slow
def test_dates_must_be_iso_and_real_and_errors_name_the_option(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    assert runner.invoke(app, ["generate", "--out", str(crm), "--contacts", "200"]).exit_code == 0
    rulebook = str(RULEBOOKS / "default.yaml")
    out = str(tmp_path / "s.csv")
    cases = [
        (["rules", "score", "--data", str(crm), "--rulebook", rulebook, "--out", out,
          "--as-of", "05/09/2026"], "--as-of '05/09/2026' is not an ISO date"),
        (["rules", "score", "--data", str(crm), "--rulebook", rulebook, "--out", out,
          "--as-of", "2026-09-31"], "--as-of '2026-09-31' is not a real date"),
        (["validate", "--data", str(crm), "--now", "garbage", "--out", str(tmp_path / "v")],
         "--now 'garbage' is not an ISO date"),
        (["generate", "--out", str(tmp_path / "g"), "--end", "2026-13-01"],
         "--end '2026-13-01' is not a real date"),
        (["score", "--data", str(crm), "--sink", out, "--as-of", "30/09/2026"],
         "--as-of '30/09/2026' is not an ISO date"),
    ]  # fmt: skip
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "g").exists()


def test_rules_score_leaves_out_contacts_created_after_as_of(tmp_path: Path) -> None:
    crm = tmp_path / "crm"
    args = ["generate", "--out", str(crm), "--contacts", "300", "--clean"]
    assert runner.invoke(app, args).exit_code == 0
    contacts = pd.read_parquet(crm / "contacts.parquet")
    as_of = pd.to_datetime(contacts["created_at"], utc=True).median().ceil("D")
    late = int((pd.to_datetime(contacts["created_at"], utc=True) >= as_of).sum())
    assert 0 < late < len(contacts)
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app,
        ["rules", "score", "--data", str(crm), "--rulebook", str(RULEBOOKS / "default.yaml"),
         "--out", str(out), "--as-of", f"{as_of:%Y-%m-%d}"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out)
    assert len(scored) == len(contacts) - late
    early = contacts.loc[pd.to_datetime(contacts["created_at"], utc=True) < as_of, "contact_id"]
    assert set(scored["contact_id"]) == set(early)
    assert f"{late:,} left out: created after as_of" in " ".join(result.output.split())


def test_rules_score_refuses_a_wrong_output_type_before_scoring(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["rules", "score", "--data", str(tmp_path / "missing"), "--rulebook",
         str(RULEBOOKS / "default.yaml"), "--out", str(tmp_path / "x.txt")],
    )  # fmt: skip
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "--out" in text and ".csv or .parquet" in text


def test_errors_keep_square_brackets() -> None:
    from pipelines.console import err_console, fail

    with err_console.capture() as captured:
        fail("pip install 'leadscore[spark]'")
    assert "leadscore[spark]" in captured.get()


def test_generate_refuses_a_folder_holding_the_other_format(tmp_path: Path) -> None:
    out = tmp_path / "crm"
    args = ["generate", "--out", str(out), "--contacts", "100"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 1
    assert "already holds accounts.parquet" in " ".join(result.output.split())
    assert not list(out.glob("*.csv"))
    assert runner.invoke(app, args).exit_code == 0  # the same format again is a re-run


SETTINGS_OPTIONS = {
    "--infer": InferSettings,
    "--leakage-settings": LeakageSettings,
    "--checks": FlatExportChecks,
    "--scorer-settings": ScorerSettings,
    "--report-settings": ReportSettings,
    "--blend": BlendConfig,
}
FIT_TABLE_ONLY = ("--checks",)
TRAIN_ONLY = ("--scorer-settings", "--report-settings", "--blend")


@pytest.mark.parametrize(
    ("command", "option"),
    [("fit-table", o) for o in SETTINGS_OPTIONS if o not in TRAIN_ONLY]
    + [("train", o) for o in SETTINGS_OPTIONS if o not in FIT_TABLE_ONLY],
)
def test_settings_options_reach_their_settings_class(
    tmp_path: Path, command: str, option: str
) -> None:
    """Each settings file is read into its class before any data is: a field the class
    does not have is named with the file and the class's name in messages."""
    what = SETTINGS_FILES[SETTINGS_OPTIONS[option]]
    field = "no_such_setting"
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"{field}: 1\n")
    data = tmp_path / "leads.csv"
    data.write_text("y,x\n1,2\n")
    args = (
        ["fit-table", str(data), "--target", "y", "--out", str(tmp_path / "out")]
        if command == "fit-table"
        else ["train", "--data", str(data), "--workdir", str(tmp_path / "w")]
    )
    result = runner.invoke(app, [*args, option, str(settings)])
    assert result.exit_code != 0
    assert f"invalid {what}: {field}" in " ".join(result.output.split())
