"""Sections on the scored population: drift since training, segments, data notes."""

from __future__ import annotations

import pandas as pd

from models.methods import METHODS
from serving.report.build import ComparisonReport
from serving.report.sections.base import Section, columns, not_given, top_bars
from serving.report.tables import table


def drift(report: ComparisonReport) -> Section:
    title = "Drift since training"
    watch, warning = report.settings.psi_watch, report.settings.psi_warning
    how = (
        f"Population stability index between the training and the scored period: below {watch:g} "
        f"is stable, {watch:g}-{warning:g} worth watching, {warning:g} or more a warning that the "
        "population changed and the model may need retraining."
    )
    if report.drift_reference_as_of:
        how += f" The training period: the leads at {report.drift_reference_as_of}."
    if report.drift is None:
        return not_given(title, how, "training-period reference")
    spec = columns("column", "kind", "psi", "level", "missing_reference", "missing_current", "note")
    compared = report.drift[report.drift["level"] != "excluded"]
    excluded = report.drift[report.drift["level"] == "excluded"]
    paragraphs = tuple(
        f"{row.column}: {row.note} (PSI {row.psi:.3f} before matching)."
        for row in excluded.itertuples()
    )
    lines = {"watch": watch, "warning": warning}
    figure = top_bars(compared, "column", "psi", "Drift per column", "PSI", lines)
    return Section(
        title=title,
        how=how,
        paragraphs=paragraphs,
        figures=(figure,),
        tables=(("Columns, largest drift first", table(report.drift, spec)),),
    )


def segments(report: ComparisonReport) -> Section:
    how = (
        "The same comparison within each lead source, region and company size: a method that "
        "wins overall can lose in a segment (AUC needs both outcomes in the segment)."
    )
    frame = report.segments
    if frame.empty:
        return not_given("Segments", how, "segment column")
    spec = list(columns("segment", "level", "n", "converted", "base_rate"))
    for method, names in METHODS.items():
        spec.append((f"roc_auc_{method}", f"AUC {names.short}", "f3"))
    for method, names in METHODS.items():
        spec.append((f"top_decile_lift_{method}", f"Top-10% lift {names.short}", "f2"))
    return Section(title="Segments", how=how, tables=(("Per segment", table(frame, spec)),))


def data_notes(report: ComparisonReport) -> Section:
    quarantined = report.quarantined
    reasons = (
        quarantined.groupby("reason", sort=True).size().rename("n").reset_index()
        if len(quarantined)
        else pd.DataFrame({"reason": [], "n": []})
    )
    paragraphs = (
        f"{report.n_leads:,} leads used, {report.n_converted:,} converted; "
        f"{len(quarantined):,} scored row(s) the report could not use.",
        *report.notes,
    )
    spec = columns("reason", "n", n="Rows")
    return Section(
        title="Data notes",
        how="Rows the report could not use are counted here with the reason, never dropped "
        "silently; fix them at the source and re-run.",
        paragraphs=paragraphs,
        tables=(("Quarantined rows by reason", table(reasons, spec)),) if len(quarantined) else (),
    )
