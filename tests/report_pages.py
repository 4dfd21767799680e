"""The HTML report's table cells, and report.json checked against them (any compare)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

METHOD_ROWS = {"rules": "Point rules", "model": "Model", "final": "Final blend"}


def html_cells(page: str) -> list[list[str]]:
    """Every table row of the page as its cell texts."""
    cell = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", flags=re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cell.findall(r)] for r in rows
    ]


def assert_summary_matches_page(data: dict[str, Any], page: str, n_leads: int) -> None:
    """report.json's per-method metrics, conversions at capacity and tiers are the numbers
    the HTML page shows (to its 3 decimals), and its tiers hold all ``n_leads`` leads."""
    rows = html_cells(page)
    assert data["n_leads"] == n_leads
    # ranking metrics: method, ROC AUC, PR AUC ... (3 decimals in the HTML)
    for key, name in METHOD_ROWS.items():
        row = next(r for r in rows if r and r[0] == name and len(r) == 6)
        assert float(row[1]) == pytest.approx(data["methods"][key]["roc_auc"], abs=5e-4)
        assert float(row[2]) == pytest.approx(data["methods"][key]["pr_auc"], abs=5e-4)
    assert data["methods"]["rules"]["brier"] is None and data["methods"]["rules"]["ece"] is None
    assert data["methods"]["final"]["ece"] is not None
    # conversions at capacity: the table "Sales works K leads"
    k = data["capacity_k"]
    for key, name in METHOD_ROWS.items():
        row = next(r for r in rows if r and r[0] == name and len(r) == 7 and r[1] == f"{k:,}")
        captured = data["methods"][key]["captured_at_capacity"]  # ties shared: may be 16.5
        assert float(row[2].replace(",", "")) == pytest.approx(captured, abs=0.05)
    # tiers: the blend section's table (tier, cut-off, set by, leads, share, converted, rate)
    for tier, values in data["tiers"].items():
        row = next(r for r in rows if r and r[0] == tier and len(r) == 7 and "%" in r[4])
        assert int(row[3].replace(",", "")) == values["leads"]
        assert int(row[5].replace(",", "")) == values["converted"]
        assert row[2] == values["set_by"]
    assert sum(v["leads"] for v in data["tiers"].values()) == n_leads
