"""Numbers in the comparison report's text: rounded, thousands separated, no exponents."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from report_example import example_inputs

from features.reasons import number_text
from serving.report import (
    ComparisonReport,
    ReportSettings,
    build_report,
    capacity_analysis,
    threshold_volumes,
)
from serving.report.headline import capacity_sentence
from serving.report.sections import ranking, rules
from serving.report.tables import FORMATS, table

# 1,500 leads: 1,368 at 60 points, one at 49.1656, 131 at 10. Sending 1,369 leads needs
# the cut-off 49.1656; today's MQL cut-off of 50 sends the 1,368 leads at 60.
MANUAL = np.concatenate([np.full(1368, 60.0), [49.1656], np.full(131, 10.0)])
MODEL = np.linspace(1.0, 0.0, 1500)
Y = (np.arange(1500) % 3 == 0).astype(int)


@pytest.fixture(scope="module")
def report() -> ComparisonReport:
    # no segment columns: no test here reads the segment tables, the slow part of a build
    lean = ReportSettings(segment_columns=())
    base = build_report(dataclasses.replace(example_inputs(n_leads=240, seed=3), settings=lean))
    return dataclasses.replace(
        base,
        capacity=(capacity_analysis({"manual": MANUAL, "model": MODEL}, Y, 1369),),
        thresholds=threshold_volumes(MANUAL, Y, {"MQL": 50.0, "SQL": 70.0}),
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (49.1656, "49.2"),
        (50.0, "50"),
        (178_649_000.0, "178,649,000"),
        (12_345.678, "12,345.7"),  # ",.4g" wrote 1.235e+04
        (float("nan"), "–"),
        (None, "–"),
    ],
)
def test_num_cells(value: object, text: str) -> None:
    assert FORMATS["num"](value) == text


def test_number_text_signed() -> None:
    assert number_text(5.13438e-06, signed=True) == "+0.0"
    assert number_text(-3.0, signed=True) == "-3"


def test_capacity_paragraph_reads_rounded_points_and_separated_counts(
    report: ComparisonReport,
) -> None:
    section = ranking.capacity(report)
    assert section.paragraphs == (
        "To send about 1,369 leads with the point rules, the MQL threshold would be 49.2 "
        "points (1,369 leads reach it); today it is 50, which sends 1,368.",
    )
    captions = [caption for caption, _ in section.tables]
    assert captions[:2] == ["Sales works 1,369 leads", "Who differs at K = 1,369"]
    summary = section.tables[0][1]
    cut = summary.rows[0][summary.headers.index("Cut-off giving K leads")]
    assert cut == "49.2"  # the manual row; the same text as the paragraph
    current = section.tables[-1][1]
    assert [r[current.headers.index("Manual score ≥")] for r in current.rows] == ["50", "70"]


def test_capacity_headline_separates_thousands(report: ComparisonReport) -> None:
    # manual top 1,369 = leads 0..1368, of which the multiples of 3 converted: 457
    sentence = capacity_sentence(report.capacity[0].summary)
    assert sentence.startswith(
        "If sales works 1,369 leads, the conversions in each method's top 1,369: "
        "the point rules 457 (33%)"
    )


def test_suggested_points_range_is_rounded(report: ComparisonReport) -> None:
    assert report.suggestion is not None
    section = rules.suggested_points(dataclasses.replace(report, points_range=(-12.34, 100.0)))
    assert "range -12.3 to 100;" in section.paragraphs[0]


def test_band_table_in_the_report_has_no_double_hyphen(report: ComparisonReport) -> None:
    bands = [row[0] for _, t in ranking.bands(report).tables for row in t.rows]
    assert bands and all("--" not in b for b in bands)
    assert table(report.bands["manual"], [("band", "Band", "text")]).rows[0][0].count(" to ") == 1


def test_calibration_section_says_how_training_weighted_the_validation_rows(report) -> None:
    import pandas as pd

    from models.calibration import RecencyChoice
    from serving.blend import BlendConfig, fit_blend
    from serving.report.weights import blend_view

    assert report.blend is not None and report.blend.calibration_recency == ""
    assert ranking.calibration(report).paragraphs == ()  # a blend fitted without recency
    rng = np.random.default_rng(0)
    y, p = (np.arange(400) % 4 == 0).astype(int), rng.uniform(0.05, 0.5, 400)
    manual = rng.integers(0, 100, 400).astype(float)
    time = pd.Series(
        pd.Timestamp("2018-01-01", tz="UTC") + pd.to_timedelta(np.arange(400) // 10, "D")
    )
    choice = RecencyChoice("auto", 28, {"none": 0.52, "hl28": 0.5}, {"hl28": 0.01}, "by hand")
    blend = fit_blend(p, manual, y, BlendConfig(), time=time, recency=choice)
    scored = pd.DataFrame({"y": y, "manual_score": manual, "probability": p})
    view = blend_view(blend, scored, 40)
    assert view is not None and view.calibration_recency == (
        "calibration recency (auto): half-life 28 days; by hand"
    )
    section = ranking.calibration(dataclasses.replace(report, blend=view))
    assert section.paragraphs == (
        "How the probabilities were calibrated at training (the model's, the manual score's "
        "and the blend's alike): calibration recency (auto): half-life 28 days; by hand.",
    )
