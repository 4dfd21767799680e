"""write_crm: folder layout, truth kept apart, manifest, CSV format, atomic idempotent writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import features.synthetic.writer as writer
from features.schema import TABLES
from features.synthetic import GENERATOR_VERSION, SyntheticCrm, generate_crm, write_crm

ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00"


@pytest.fixture(scope="module")
def crm() -> SyntheticCrm:
    return generate_crm(600, seed=3)


def test_parquet_layout_keeps_truth_apart(crm: SyntheticCrm, tmp_path: Path) -> None:
    paths = write_crm(crm, tmp_path)
    top = sorted(p.name for p in tmp_path.iterdir())
    assert top == sorted([f"{t}.parquet" for t in TABLES] + ["manifest.json", "_truth"])
    truth_files = sorted(p.name for p in (tmp_path / "_truth").iterdir())
    assert truth_files == ["bot_activities.csv", "params.json", "propensity.parquet"]
    assert paths["truth"] == tmp_path / "_truth" / "propensity.parquet"
    for name in TABLES:
        back = pd.read_parquet(paths[name])
        expected = crm.tables.table(name)
        if name in ("activities", "outcomes"):  # the lead layout: by contact, stable
            expected = expected.sort_values("contact_id", kind="stable", ignore_index=True)
        pd.testing.assert_frame_equal(back, expected)
        assert "propensity" not in back.columns
    pd.testing.assert_frame_equal(pd.read_parquet(paths["truth"]), crm.truth)
    assert json.loads(paths["params"].read_text()) == json.loads(json.dumps(crm.truth_params))


def test_manifest_describes_the_data(crm: SyntheticCrm, tmp_path: Path) -> None:
    paths = write_crm(crm, tmp_path, fmt="csv")
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["n_contacts"] == 600 and manifest["seed"] == 3
    assert manifest["end"].startswith("2026-09-30")
    assert manifest["generator_version"] == GENERATOR_VERSION
    assert manifest["format"] == "csv"
    assert manifest["rows"] == {name: len(crm.tables.table(name)) for name in TABLES}
    assert "dirt" not in json.dumps(manifest)


def test_csv_times_are_iso_with_offset_except_planted_typos(
    crm: SyntheticCrm, tmp_path: Path
) -> None:
    paths = write_crm(crm, tmp_path, fmt="csv")
    acts = pd.read_csv(paths["activities"], dtype=str, keep_default_na=False)
    ok = acts["occurred_at"].str.fullmatch(ISO)
    bad_rows = crm.csv_timestamp_typos.index
    assert sorted(ok.index[~ok]) == sorted(bad_rows)
    assert list(acts.loc[bad_rows, "occurred_at"]) == list(crm.csv_timestamp_typos)
    parsed = pd.to_datetime(acts.loc[ok, "occurred_at"], format="ISO8601", utc=True)
    expected = crm.tables.activities.loc[ok[ok].index, "occurred_at"]
    assert (parsed.to_numpy() == expected.to_numpy()).all()
    contacts = pd.read_csv(paths["contacts"], dtype=str)
    assert contacts["created_at"].str.fullmatch(ISO).all()
    assert list(contacts.columns) == list(TABLES["contacts"].names)


def test_csv_round_trips_values(crm: SyntheticCrm, tmp_path: Path) -> None:
    paths = write_crm(crm, tmp_path, fmt="csv")
    back = pd.read_csv(paths["accounts"])
    acc = crm.tables.accounts
    assert list(back["account_id"]) == list(acc["account_id"])
    assert back["annual_revenue"].equals(acc["annual_revenue"].astype(float))
    assert list(back["is_customer"]) == list(acc["is_customer"].astype(bool))
    out = pd.read_csv(paths["outcomes"])
    assert list(out["outcome"]) == list(crm.tables.outcomes["outcome"].astype(str))


def test_rewrite_is_idempotent_and_leaves_no_temp_files(crm: SyntheticCrm, tmp_path: Path) -> None:
    first = write_crm(crm, tmp_path, fmt="csv")
    before = {p: p.read_bytes() for p in first.values()}
    again = write_crm(generate_crm(600, seed=3), tmp_path, fmt="csv")
    assert {p: p.read_bytes() for p in again.values()} == before
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_failed_write_keeps_the_previous_file(
    crm: SyntheticCrm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_crm(crm, tmp_path)
    old = {key: paths[key].read_bytes() for key in ("params", "manifest")}

    def broken(data: dict, path: Path) -> None:
        path.write_text('{"half": ', encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(writer, "_write_json", broken)
    with pytest.raises(OSError, match="disk full"):
        write_crm(crm, tmp_path)
    assert {key: paths[key].read_bytes() for key in ("params", "manifest")} == old
    assert [p for p in tmp_path.rglob("*") if p.name.startswith(".")] == []


def test_unknown_format_is_rejected(crm: SyntheticCrm, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt must be"):
        write_crm(crm, tmp_path, fmt="xlsx")  # type: ignore[arg-type]


def test_iso_text_handles_missing_times() -> None:
    times = pd.Series(pd.to_datetime(["2024-02-29 23:59:58", None], utc=True)).dt.as_unit("ns")
    text = writer.iso_utc_text(times).to_pylist()
    assert text == ["2024-02-29T23:59:58+00:00", None]


def test_iso_text_matches_strftime() -> None:
    rng = np.random.default_rng(3)
    seconds = rng.integers(0, 4_102_444_800, 2_000)  # 1970 to 2100, whole seconds
    times = pd.Series(pd.to_datetime(seconds, unit="s", utc=True)).dt.as_unit("ns")
    expected = times.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()
    assert writer.iso_utc_text(times).to_pylist() == expected
