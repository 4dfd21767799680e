"""The assembled report: inputs checks, quarantine, headline metrics and the HTML file."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_example import example_inputs

from models.methods import METHODS
from serving.report import (
    ComparisonInputs,
    ComparisonReport,
    ReportSettings,
    build_report,
    split_usable,
    write_report,
)
from serving.report.sections import population, rules
from serving.report.summary import report_summary

SECTION_IDS = (
    "roc", "gains", "calibration", "bands", "capacity", "blend", "disagreement", "rule-evidence",
    "suggested-points", "backtest", "drift", "segments", "data-notes",
)  # fmt: skip


# a note from input validation, as the compare flow passes it (input_notes)
INPUT_NOTE = "Validation quarantined 1,420 input row(s) (contacts 40, activities 1,380)"


@pytest.fixture(scope="module")
def inputs() -> ComparisonInputs:
    base = example_inputs(n_leads=240, seed=3)
    hostile = base.scored.assign(
        email="someone@example.com",
        top_reasons=json.dumps([{"feature": "f", "text": "Wrote from boss@corp.example"}]),
    )
    hits = base.rule_hits.rename(columns={"webinar": "<b>webinar</b>"})
    points = {("<b>webinar</b>" if k == "webinar" else k): v for k, v in base.rule_points.items()}
    return dataclasses.replace(
        base, scored=hostile, rule_hits=hits, rule_points=points, input_notes=(INPUT_NOTE,)
    )


@pytest.fixture(scope="module")
def report(inputs: ComparisonInputs) -> ComparisonReport:
    return build_report(inputs)


@pytest.fixture(scope="module")
def written(report: ComparisonReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(report, tmp_path_factory.mktemp("report") / "out" / "report.html")


@pytest.fixture(scope="module")
def html(written: Path) -> str:
    return written.read_text("utf-8")


def test_html_has_every_section_with_a_how_to_read_line(html: str) -> None:
    for section_id in SECTION_IDS:
        match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, flags=re.S)
        assert match is not None, section_id
        assert "How to read this:" in match.group(1), section_id
    assert 'id="summary"' in html


def test_html_is_self_contained_and_embeds_images(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert re.search(r"<script[^>]*src=", html) is None
    assert re.search(r"<link[^>]*stylesheet", html) is None
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 6
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_html_never_shows_email_addresses_and_escapes_names(html: str) -> None:
    assert "someone@example.com" not in html and "boss@corp.example" not in html
    assert "<b>webinar</b>" not in html and "&lt;b&gt;webinar&lt;/b&gt;" in html


def test_unusable_rows_are_quarantined_and_counted(report: ComparisonReport, html: str) -> None:
    assert report.n_leads == 240
    assert sorted(report.quarantined["contact_id"]) == ["X00001", "X00002"]
    assert set(report.quarantined["reason"]) == {"probability is missing or outside [0, 1]"}
    assert report.to_dict()["n_quarantined"] == 2.0
    assert "2 scored row(s) the report could not use" in html


def test_input_notes_from_validation_reach_the_data_notes(
    report: ComparisonReport, html: str
) -> None:
    assert INPUT_NOTE in report.notes
    assert INPUT_NOTE in html  # written by render_html


def test_to_dict_is_flat_floats_for_mlflow(report: ComparisonReport) -> None:
    metrics = report.to_dict()
    assert all(isinstance(v, float) for v in metrics.values())
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", k) for k in metrics)
    expected = ["roc_auc_manual", "roc_auc_model", "roc_auc_blend", "brier_model", "ece_blend"]
    expected += ["auc_diff_model_vs_manual_low", "drift_max_psi", "top24_converted_model"]
    for key in expected:
        assert key in metrics and math.isfinite(metrics[key]), key
    assert "brier_manual" not in metrics  # the point total is not a probability
    assert metrics["drift_n_warning"] >= 1  # pricing_views_7d is shifted in the example


def test_headline_matches_the_auc_tests(report: ComparisonReport) -> None:
    row = report.auc_tests.set_index("method").loc["model"]
    assert f"ROC AUC {row['auc_a']:.3f} vs {row['auc_b']:.3f}" in report.headline[0]
    assert row["low"] <= row["diff"] <= row["high"]


def _lean(n_leads: int, seed: int) -> ComparisonInputs:
    """Small example inputs without segments (segment metrics are the slow part)."""
    base = example_inputs(n_leads=n_leads, seed=seed)
    return dataclasses.replace(base, settings=ReportSettings(segment_columns=()))


def test_build_notes_missing_optional_sections(report: ComparisonReport) -> None:
    lean = dataclasses.replace(_lean(60, 1), drift_reference=None, drift_current=None, backtests=())
    missing = build_report(lean)
    assert missing.drift is None and missing.backtests is None and missing.segments.empty
    assert "No training-period reference was given." in population.drift(missing).paragraphs
    assert "No replayed rulebook was given." in rules.backtest(missing).paragraphs
    assert "No segment column was given." in population.segments(missing).paragraphs
    # a section keeps its title when its input is missing
    for build in (population.drift, rules.backtest, population.segments):
        assert build(missing).title == build(report).title


def test_segment_headers_name_the_methods_as_report_json_does(report: ComparisonReport) -> None:
    """One vocabulary for the short method names: the Segments table's headers and
    ``report.json``'s method keys (the README's "final", not "blend")."""
    ((_, segments),) = population.segments(report).tables
    aucs = [h.removeprefix("AUC ") for h in segments.headers if h.startswith("AUC ")]
    lifts = [h.removeprefix("Top-10% lift ") for h in segments.headers if "lift" in h]
    assert aucs == lifts == ["rules", "model", "final"]
    assert set(report_summary(report)["methods"]) == {"rules", "model", "final"}


def test_method_colours_come_from_methods_only(html: str) -> None:
    """A method's colour is typed once (models/methods.py): the templates only use the
    ``--method-<key>`` variables the renderer declares from METHODS."""
    templates = resources.files("serving.report").joinpath("templates")
    for template in templates.iterdir():
        text = template.read_text("utf-8").lower()
        for key, names in METHODS.items():
            assert names.color.lower() not in text, f"{template.name} repeats {key}'s colour"
        used = set(re.findall(r"var\(--method-([a-z_]+)\)", text))
        assert used <= set(METHODS), f"{template.name} uses undeclared {used - set(METHODS)}"
    for key, names in METHODS.items():
        assert f"--method-{key}: {names.color};" in html
    assert "var(--method-model)" in html and "var(--method-manual)" in html


def test_nav_links_every_section_by_its_id_and_label(html: str) -> None:
    nav = re.search(r'<nav aria-label="Sections">(.*?)</nav>', html, flags=re.S)
    assert nav is not None
    links = re.findall(r'<a href="#([a-z-]+)">([^<]+)</a>', nav.group(1))
    assert [section_id for section_id, _ in links] == ["summary", *SECTION_IDS]
    labels = dict(links)
    assert labels["blend"] == "Blend &amp; tiers" and labels["roc"] == "Ranking"


def test_missing_rule_hits_rows_count_as_no_rule_and_are_noted() -> None:
    base = _lean(60, 2)
    report = build_report(dataclasses.replace(base, rule_hits=base.rule_hits.iloc[5:]))
    assert any(note.startswith("5 lead(s) had no row in rule_hits") for note in report.notes)


def test_write_report_is_atomic_and_creates_folders(written: Path, html: str) -> None:
    assert written.name == "report.html" and html.startswith("<!DOCTYPE html>")
    assert [p.name for p in written.parent.iterdir()] == ["report.html"]  # no temp file left


def _scored() -> pd.DataFrame:
    return pd.DataFrame(
        {"contact_id": ["a", "b"], "y": [0, 1], "manual_score": [1.0, 2.0],
         "manual_stage": ["lead", "mql"], "probability": [0.1, 0.9], "final_score": [10.0, 90.0],
         "tier": ["D", "A"]}
    )  # fmt: skip


def _inputs(**changes: object) -> ComparisonInputs:
    args: dict[str, object] = {
        "scored": _scored(),
        "rule_hits": pd.DataFrame({"contact_id": ["a", "b"], "r1": [False, True]}),
        "rule_points": {"r1": 10},
        "rule_points_range": (0.0, 50.0),
        "mql_threshold": 40.0,
        "sql_threshold": 70.0,
        "capacity_k": [1],
    }
    args.update(changes)
    return ComparisonInputs(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"scored": _scored().drop(columns="tier")}, r"missing column\(s\) \['tier'\]"),
        ({"scored": _scored().assign(contact_id=["a@x.io", "b"])}, "look like e-mail"),
        ({"rule_points": {}}, r"no current points for rule\(s\) \['r1'\]"),
        (
            {"rule_hits": pd.DataFrame({"contact_id": ["a"], "r1": [np.nan]})},
            "column 'r1' must hold",
        ),
        ({"rule_hits": pd.DataFrame({"contact_id": ["a", "a"], "r1": [1, 0]})}, "'a' appears more"),
        ({"rule_points_range": (5.0, 5.0)}, "min 5.0 must be below max 5.0"),
        ({"sql_threshold": 10.0}, "below mql_threshold"),
        ({"capacity_k": [0]}, "positive whole numbers"),
        ({"drift_reference": pd.DataFrame({"x": [1]})}, "must be given together"),
    ],
)
def test_inputs_errors_name_the_problem(changes: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _inputs(**changes)


def test_build_needs_both_classes_among_usable_rows() -> None:
    scored = _scored().assign(y=[1, None])
    with pytest.raises(ValueError, match="1 usable, 1 quarantined"):
        build_report(_inputs(scored=scored))


def test_backtests_of_one_period_must_share_outcomes() -> None:
    base = _lean(40, 4)
    current, edited = base.backtests
    other = dataclasses.replace(edited, y=1 - edited.y)
    with pytest.raises(ValueError, match="'edited' \\(period 'example'\\): its outcomes differ"):
        build_report(dataclasses.replace(base, backtests=(current, other)))


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="psi_warning"):
        ReportSettings(psi_watch=0.3, psi_warning=0.2)
    with pytest.raises(ValueError, match="extra"):
        ReportSettings(n_boot=10)  # type: ignore[call-arg]


def test_split_usable_gives_the_first_reason_per_row() -> None:
    scored = pd.DataFrame(
        {"contact_id": ["a", "b", "c", "d", "a", "e"], "y": [True, False, None, 1, 0, 1],
         "manual_score": [1.0, 2, 3, 4, 5, np.nan],
         "manual_stage": ["lead", None, "mql", "sql", "lead", "mql"],
         "probability": [0.1, 0.2, 0.3, -0.1, 0.5, 0.6], "final_score": [1.0, 2, 3, 4, 5, 6],
         "tier": ["A", "B", "C", "D", "A", "B"]}
    )  # fmt: skip
    usable, quarantined = split_usable(scored)
    assert usable["contact_id"].tolist() == ["a"] and usable["y"].tolist() == [1]
    assert quarantined.to_dict("list") == {
        "contact_id": ["b", "c", "d", "a", "e"],
        "reason": [
            "manual_stage is missing",
            "y is missing or not 0/1",
            "probability is missing or outside [0, 1]",
            "duplicate contact_id (first row kept)",
            "manual_score is missing or not a number",
        ],
    }
