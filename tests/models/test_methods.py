"""Each method's names and colour are written once (models.methods) and read by training's
figures, the comparison report's tables and report.json."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from models.methods import METHODS, method_color, method_label, method_short
from serving.report.sections.population import segments

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("models", "serving", "pipelines") for p in (ROOT / d).rglob("*.py"))


def test_the_long_labels_are_written_in_one_module() -> None:
    for names in METHODS.values():
        if names.label.lower() == names.short:
            continue  # "Model": also an ordinary word
        holders = [str(p.relative_to(ROOT)) for p in SOURCES if f'"{names.label}"' in p.read_text()]
        assert holders == ["models/methods.py"], names.label


def test_both_names_of_a_method_come_from_the_one_mapping() -> None:
    assert [method_label(m) for m in ("manual", "model", "blend")] == [
        "Point rules",
        "Model",
        "Final blend",
    ]
    assert [method_short(m) for m in ("manual", "model", "blend")] == ["rules", "model", "final"]
    assert method_label("other") == "other" and method_short("other") == "other"


def test_the_segment_tables_headers_are_the_short_names() -> None:
    row = {"segment": "region", "level": "EU", "n": 4, "converted": 1, "base_rate": 0.25}
    row |= {f"roc_auc_{m}": 0.5 for m in METHODS} | {f"top_decile_lift_{m}": 1.0 for m in METHODS}
    report = SimpleNamespace(segments=pd.DataFrame([row]))
    ((_, table),) = segments(report).tables  # type: ignore[arg-type]
    assert table.headers[-6:] == (
        "AUC rules", "AUC model", "AUC final",
        "Top-10% lift rules", "Top-10% lift model", "Top-10% lift final",
    )  # fmt: skip


def test_each_methods_colour_is_written_in_one_module_and_read_by_the_figures() -> None:
    # Okabe-Ito orange, blue and green, as the figures have drawn them
    colours = [method_color(m) for m in ("manual", "model", "blend")]
    assert colours == ["#E69F00", "#0072B2", "#009E73"]
    assert method_color("other") is None  # matplotlib's next colour
    for colour in colours:
        holders = [str(p.relative_to(ROOT)) for p in SOURCES if str(colour) in p.read_text()]
        assert holders == ["models/methods.py"], colour
