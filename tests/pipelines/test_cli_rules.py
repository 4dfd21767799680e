"""leadscore rules score: --previous, --accounts-out and the summary line, on a tiny CRM."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rulebook_dicts import two_rule_text
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.cli_rules import stage_counts
from pipelines.files import FRAME_SUFFIXES, write_frame

runner = CliRunner()

BOOK = two_rule_text(more="accounts: {method: sum, threshold: 100}\n")
STAGES = "stages: {lead: 10, mql: 35, sql: 65, never_backwards: true}\n"


def _crm(folder: Path) -> Path:
    folder.mkdir()
    pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "created_at": ["2026-01-01"] * 3,
            "seniority": ["vp", "manager", "vp"],
            "account_id": ["A1", "A1", "A2"],
        }
    ).to_csv(folder / "contacts.csv", index=False)
    pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Beta"]}).to_csv(
        folder / "accounts.csv", index=False
    )
    pd.DataFrame(
        {
            "activity_id": ["x1", "x2"],
            "contact_id": ["c1", "c2"],
            "occurred_at": ["2026-05-20", "2026-05-21"],
            "activity_type": ["demo_request", "demo_request"],
        }
    ).to_csv(folder / "activities.csv", index=False)
    return folder


@pytest.mark.slow
def test_accounts_out_previous_and_summary(tmp_path: Path) -> None:
    crm = _crm(tmp_path / "crm")
    plain, staged = tmp_path / "plain.yaml", tmp_path / "staged.yaml"
    plain.write_text(BOOK)
    staged.write_text(BOOK + STAGES)
    base = ["rules", "score", "--data", str(crm)]

    accounts = tmp_path / "accounts.csv"
    run = runner.invoke(
        app,
        [*base, "--rulebook", str(plain), "--as-of", "2026-06-01", "--out", str(tmp_path / "a.csv"),
         "--accounts-out", str(accounts)],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "subscriber" not in run.output and "sql" not in run.output  # no stages: no counts
    got = pd.read_csv(accounts).set_index("account_id")
    # by hand: A1 = c1 (30 + 40) + c2 (40) = 110 >= 100 hot; A2 = c3 (30)
    assert got["score"].to_dict() == {"A1": 110.0, "A2": 30.0}
    assert got["hot"].to_dict() == {"A1": True, "A2": False}
    assert set(got["rulebook_version"].astype(str)) == {"1"}

    june = tmp_path / "june.csv"
    run = runner.invoke(
        app, [*base, "--rulebook", str(staged), "--as-of", "2026-06-01", "--out", str(june)]
    )
    assert run.exit_code == 0, run.output
    assert "as of 2026-06-01 00:00 UTC: lead 1, mql 1, sql 1" in " ".join(run.output.split())
    stage = pd.read_csv(june).set_index("contact_id")["stage"]
    assert stage.to_dict() == {"c1": "sql", "c2": "mql", "c3": "lead"}

    # 15 July: the demos are older than 30 days, c1 falls to 30 (lead) and c2 to 0
    args = [*base, "--rulebook", str(staged), "--as-of", "2026-07-15"]
    alone = runner.invoke(app, [*args, "--out", str(tmp_path / "alone.csv")])
    assert alone.exit_code == 0, alone.output
    # funnel order, not by count (lead 2 would come first)
    assert "as of 2026-07-15 00:00 UTC: subscriber 1, lead 2" in " ".join(alone.output.split())
    stage = pd.read_csv(tmp_path / "alone.csv").set_index("contact_id")["stage"]
    assert stage.to_dict() == {"c1": "lead", "c2": "subscriber", "c3": "lead"}
    kept = runner.invoke(app, [*args, "--out", str(tmp_path / "kept.csv"), "--previous", str(june)])
    assert kept.exit_code == 0, kept.output
    stage = pd.read_csv(tmp_path / "kept.csv").set_index("contact_id")["stage"]
    assert stage.to_dict() == {"c1": "sql", "c2": "mql", "c3": "lead"}  # never backwards

    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "x.csv"), "--previous", str(accounts)])
    assert bad.exit_code == 1
    assert "lacks column(s) ['contact_id', 'stage']" in " ".join(bad.output.split())


@pytest.mark.parametrize("suffix", FRAME_SUFFIXES)
def test_previous_reads_every_kind_rules_score_writes(tmp_path: Path, suffix: str) -> None:
    from pipelines.cli_rules import _read_previous

    scores = pd.DataFrame(
        {"contact_id": ["007"], "stage": ["mql"], "as_of": ["2026-06-01T00:00:00Z"], "x": [1]}
    )
    path = write_frame(scores, tmp_path / f"june{suffix}")
    got = _read_previous(path)
    assert got.columns.tolist() == ["contact_id", "stage", "as_of"]
    assert got["contact_id"].tolist() == ["007"]  # read as text: the leading zeros stay
    assert got["as_of"].tolist() == [pd.Timestamp("2026-06-01", tz="UTC")]


def test_previous_of_another_kind_names_the_kinds(tmp_path: Path) -> None:
    from pipelines.cli_rules import _read_previous

    path = tmp_path / "june.json"
    path.write_text("{}")
    with pytest.raises(ValueError, match=r"use the \.csv or \.parquet file of an earlier run"):
        _read_previous(path)


def test_stage_counts_follow_the_funnel_not_the_counts() -> None:
    # text stages as a --previous file holds them, most frequent last in the funnel
    scores = pd.DataFrame({"stage": ["sql", "sql", "sql", "lead", "subscriber", "subscriber"]})
    assert stage_counts(scores) == ": subscriber 2, lead 1, sql 3"  # mql: nobody, left out
    big = pd.DataFrame({"stage": ["mql"] * 1200 + ["lead"]})
    assert stage_counts(big) == ": lead 1, mql 1,200"
    assert stage_counts(pd.DataFrame({"stage": [None, None]})) == ""  # a rulebook without stages
