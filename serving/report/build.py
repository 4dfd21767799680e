"""Build the comparison report: every section table from :class:`ComparisonInputs`.

``build_report`` is pure (no I/O): the flow loads and scores the data, this module computes,
:mod:`serving.report.render` turns the result into one HTML file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.measures import ratio
from models.curves import calibration_table, gains_lift, roc_pr_curves
from models.metrics import evaluate
from serving.report.backtest import summarise_backtest
from serving.report.bands import band_table, stage_table
from serving.report.capacity import CapacityResult, capacity_analysis, threshold_volumes
from serving.report.disagreement import OffDiagonal, disagreement_matrix, off_diagonal_leads
from serving.report.drift import psi
from serving.report.evidence import PointSuggestion, rule_evidence, suggest_points
from serving.report.headline import calibration_sentence, drift_sentence, headline
from serving.report.inputs import ComparisonInputs, split_usable
from serving.report.ranking import auc_difference
from serving.report.segments import segment_table
from serving.report.settings import ReportSettings
from serving.report.weights import BlendView, tier_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComparisonReport:
    """Every section of the report as tables (see the section functions for columns)."""

    title: str
    as_of: str
    model_version: str
    rulebook_version: str
    n_leads: int
    n_converted: int
    quarantined: pd.DataFrame
    headline: tuple[str, ...]
    metrics: pd.DataFrame
    auc_tests: pd.DataFrame
    curves: pd.DataFrame
    gains: pd.DataFrame
    calibration: pd.DataFrame
    calibration_summary: pd.DataFrame
    bands: dict[str, pd.DataFrame]
    stages: dict[str, pd.DataFrame]
    capacity: tuple[CapacityResult, ...]
    thresholds: pd.DataFrame
    disagreement: pd.DataFrame
    off_diagonal: OffDiagonal
    rule_evidence: pd.DataFrame
    suggestion: PointSuggestion | None
    backtests: pd.DataFrame | None
    drift: pd.DataFrame | None
    drift_reference_as_of: str
    segments: pd.DataFrame
    points_range: tuple[float, float] = (0.0, 100.0)
    settings: ReportSettings = field(default_factory=ReportSettings)
    notes: tuple[str, ...] = ()
    blend: BlendView | None = None
    tiers: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, float]:
        """Headline metrics as floats (NaN when not computable), ready for MLflow metrics."""
        out: dict[str, float] = {
            "n_leads": float(self.n_leads),
            "n_converted": float(self.n_converted),
            "n_quarantined": float(len(self.quarantined)),
            "base_rate": ratio(self.n_converted, self.n_leads),
        }
        for row in self.metrics.to_dict("records"):
            # Brier and ECE only where the score is a probability (not the manual points).
            keys = ("roc_auc", "pr_auc", "top_decile_lift", "brier", "ece")
            for key in keys if row["method"] != "manual" else keys[:3]:
                out[f"{key}_{row['method']}"] = float(row.get(key, np.nan))
        for row in self.auc_tests.to_dict("records"):
            stem = f"auc_diff_{row['method']}_vs_{row['versus']}"
            out[stem] = float(row["diff"])
            out[f"{stem}_low"] = float(row["low"])
            out[f"{stem}_high"] = float(row["high"])
        for result in self.capacity:
            for row in result.summary.to_dict("records"):
                out[f"top{row['k']}_converted_{row['method']}"] = float(row["converted"])
        for row in self.off_diagonal.counts.to_dict("records"):
            out[f"{row['group']}_n"] = float(row["n"])
        if self.suggestion is not None:
            out["points_auc_cv_current"] = self.suggestion.auc_current
            out["points_auc_cv_suggested"] = self.suggestion.auc_suggested
        if self.drift is not None and not self.drift.empty:
            compared = self.drift[self.drift["level"] != "excluded"]
            out["drift_max_psi"] = float(compared["psi"].max()) if len(compared) else 0.0
            out["drift_n_warning"] = float((self.drift["level"] == "warning").sum())
        if self.blend is not None:
            out["blend_fitted_weight"] = self.blend.fitted_weight
            out["blend_manual_weight"] = self.blend.used_weight
        if self.tiers is not None:
            for row in self.tiers.to_dict("records"):
                out[f"tier_{row['tier']}_share"] = float(row["share"])
        return out


def _metrics(
    y: np.ndarray, scores: dict[str, np.ndarray], probs: dict[str, np.ndarray], k_frac: float
) -> pd.DataFrame:
    rows = []
    for name, score in scores.items():
        is_prob = name in probs
        values = probs[name] if is_prob else score
        metrics = evaluate(y, values, is_probability=is_prob, k_frac=k_frac)
        rows.append({"method": name, **metrics})
    return pd.DataFrame(rows)


def _aligned_hits(scored: pd.DataFrame, rule_hits: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rule indicators in the row order of ``scored``; leads without a row match no rule."""
    hits = rule_hits.assign(contact_id=rule_hits["contact_id"].astype("str"))
    merged = scored[["contact_id"]].merge(hits, on="contact_id", how="left", indicator=True)
    absent = int((merged["_merge"] == "left_only").sum())
    rules = [c for c in rule_hits.columns if c != "contact_id"]
    return merged[rules].fillna(False).astype(bool), absent


def _backtests(inputs: ComparisonInputs) -> pd.DataFrame | None:
    if not inputs.backtests:
        return None
    periods: dict[str, list] = {}
    for result in inputs.backtests:
        periods.setdefault(result.period, []).append(result)
    tables = []
    for period, results in periods.items():
        y = results[0].y
        for other in results[1:]:
            if not other.y.sort_index().equals(y.sort_index()):
                raise ValueError(
                    f"backtest '{other.name}' (period '{period}'): its outcomes differ from "
                    f"those of '{results[0].name}'; replay every rulebook over the same leads"
                )
        table = summarise_backtest({r.name: r.stages for r in results}, y)
        tables.append(table.assign(period=period))
    return pd.concat(tables, ignore_index=True)


def build_report(inputs: ComparisonInputs) -> ComparisonReport:
    """Compute every section of the comparison report.

    Raises:
        ValueError: No usable lead, or a single class among the usable ones.
    """
    settings = inputs.settings
    scored, quarantined = split_usable(inputs.scored)
    if len(quarantined):
        log.warning("report: %d scored row(s) quarantined (see the report)", len(quarantined))
    if scored.empty or scored["y"].nunique() < 2:
        raise ValueError(
            "scored: the usable rows need both converted and unconverted leads; "
            f"{len(scored)} usable, {len(quarantined)} quarantined"
        )
    y = scored["y"].to_numpy(dtype=int)
    scores = {
        "manual": scored["manual_score"].to_numpy(),
        "model": scored["probability"].to_numpy(),
        "blend": scored["final_score"].to_numpy(),
    }
    probs = {"model": scores["model"], "blend": np.clip(scores["blend"] / 100.0, 0.0, 1.0)}
    notes: list[str] = list(inputs.input_notes)

    _, curves = roc_pr_curves(y, scores)
    tests = [
        {"method": m, "versus": "manual", **auc_difference(
            y, scores[m], scores["manual"], n_boot=settings.n_bootstrap, seed=settings.seed
        )}
        for m in ("model", "blend")
    ]  # fmt: skip
    auc_tests = pd.DataFrame(tests)
    calibration, calibration_summary = calibration_table(y, probs, settings.calibration_bins)
    # the first capacity is the leads sales can work: the headline and report.json use it
    ks = list(dict.fromkeys(int(k) for k in inputs.capacity_k))
    capacity = tuple(capacity_analysis(scores, y, k) for k in ks)
    k_frac = min(1.0, ks[0] / len(y))  # precision and recall at the leads sales can work

    hits, absent = _aligned_hits(scored, inputs.rule_hits)
    if absent:
        notes.append(f"{absent} lead(s) had no row in rule_hits and count as matching no rule.")
    suggestion = None
    try:
        suggestion = suggest_points(
            hits, y, inputs.rule_points, inputs.rule_points_range,
            c=settings.l1_c, folds=settings.cv_folds, seed=settings.seed,
        )  # fmt: skip
    except ValueError as err:
        notes.append(f"Suggested points not computed: {err}")

    drift = None
    if inputs.drift_reference is not None and inputs.drift_current is not None:
        drift = psi(
            inputs.drift_reference, inputs.drift_current, settings.psi_bins,
            watch=settings.psi_watch, warning=settings.psi_warning,
            age_column=settings.age_column,
        )  # fmt: skip
    else:
        notes.append("Drift not computed: no training-period reference was given.")
    backtests = _backtests(inputs)
    if backtests is None:
        notes.append("Backtest not computed: no replayed rulebook was given.")

    calibration_warning = calibration_sentence(calibration_summary, settings.calibration_z)
    warnings = [w for w in (drift_sentence(drift), calibration_warning) if w]
    for warning in warnings:  # also on stderr: a nightly job's log shows them
        log.warning("report: %s", warning)

    stages = {"manual_stage": stage_table(scored["manual_stage"], y)}
    stages["tier"] = stage_table(scored["tier"], y, order=sorted(scored["tier"].unique()))
    if "manual_grade" in scored.columns and scored["manual_grade"].notna().any():
        grades = scored["manual_grade"].dropna().astype(str).unique()
        stages["manual_grade"] = stage_table(scored["manual_grade"], y, order=sorted(grades))
    return ComparisonReport(
        title=inputs.title,
        as_of=inputs.as_of,
        model_version=inputs.model_version,
        rulebook_version=inputs.rulebook_version,
        n_leads=len(scored),
        n_converted=int(y.sum()),
        quarantined=quarantined,
        headline=headline(auc_tests, capacity[0].summary, warnings),
        metrics=_metrics(y, scores, probs, k_frac),
        auc_tests=auc_tests,
        curves=curves,
        gains=gains_lift(y, scores, settings.n_deciles),
        calibration=calibration,
        calibration_summary=calibration_summary,
        bands={m: band_table(scores[m], y, settings.band_width) for m in ("manual", "blend")},
        stages=stages,
        capacity=capacity,
        thresholds=threshold_volumes(
            scores["manual"], y, {"MQL": inputs.mql_threshold, "SQL": inputs.sql_threshold}
        ),
        disagreement=disagreement_matrix(scored["manual_stage"], scored["tier"], y),
        off_diagonal=off_diagonal_leads(
            scored, settings.hot_stages, settings.hot_tiers, settings.max_listed
        ),
        rule_evidence=rule_evidence(hits, y),
        suggestion=suggestion,
        backtests=backtests,
        drift=drift,
        drift_reference_as_of=inputs.drift_reference_as_of,
        segments=segment_table(scored, y, scores, settings.segment_columns),
        points_range=(float(inputs.rule_points_range[0]), float(inputs.rule_points_range[1])),
        settings=settings,
        notes=tuple(notes),
        blend=inputs.blend,
        tiers=None if inputs.blend is None else tier_table(scored["tier"], y, inputs.blend),
    )
