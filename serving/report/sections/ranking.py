"""Sections on how well each method ranks and how its scores are distributed."""

from __future__ import annotations

import pandas as pd

from features.reasons import number_text
from models import plots
from models.methods import method_label
from serving.report import weights
from serving.report.build import ComparisonReport
from serving.report.sections.base import Section, columns, embedded, labelled, not_given
from serving.report.tables import table


def roc(report: ComparisonReport) -> Section:
    metrics = labelled(report.metrics)
    k = int(report.capacity[0].summary["k"].iloc[0])  # the leads sales can work
    spec = columns(
        "method", "roc_auc", "pr_auc", "top_decile_lift", "precision_at_k", "recall_at_k",
        precision_at_k=f"Precision top {k:,}", recall_at_k=f"Recall top {k:,}",
    )  # fmt: skip
    tests = labelled(report.auc_tests, "method", "versus")
    test_spec = columns("method", "versus", "diff", "low", "high")
    figure = plots.roc_pr_figure(report.curves, report.metrics, report.n_converted / report.n_leads)
    return Section(
        title="Ranking: ROC and precision-recall",
        how="Curves further up and to the left rank converters above the rest; an AUC of 0.5 "
        "is a coin toss and 1.0 is perfect.",
        figures=(embedded(figure, "ROC and precision-recall curves"),),
        tables=(
            ("Ranking metrics", table(metrics, spec)),
            ("AUC difference with a paired bootstrap interval", table(tests, test_spec)),
        ),
    )


def gains(report: ComparisonReport) -> Section:
    wide = report.gains.pivot(index="decile", columns="method")
    frame = pd.DataFrame({"decile": wide.index})
    spec = list(columns("decile"))
    for method in dict.fromkeys(report.gains["method"]):
        for col, head, kind in (
            ("conversion_rate", "rate", "pct"),
            ("lift", "lift", "f2"),
            ("cumulative_recall", "gains", "pct"),
        ):
            frame[f"{col}_{method}"] = wide[(col, method)].to_numpy()
            spec.append((f"{col}_{method}", f"{method_label(method)} {head}", kind))
    return Section(
        title="Cumulative gains and lift by decile",
        how="Gains: the share of all conversions found by working the top x% of leads; lift: "
        "how many times the base rate each decile converts (decile 1 holds the best scores).",
        figures=(embedded(plots.gains_figure(report.gains), "Cumulative gains and lift"),),
        tables=(("Per decile", table(frame, spec)),),
    )


def calibration(report: ComparisonReport) -> Section:
    spec = columns("method", "brier", "ece", "mean_predicted", "observed_rate", "z")
    # how the calibrations at training weighted the validation rows (recency), if known
    recency = "" if report.blend is None else report.blend.calibration_recency
    paragraph = (
        "How the probabilities were calibrated at training (the model's, the manual score's "
        f"and the blend's alike): {recency}."
    )
    return Section(
        title="Calibration: do the probabilities mean what they say?",
        how="Points on the diagonal mean a lead given 30% converts 30% of the time; lower Brier "
        "and ECE are better; z says how surprising the gap between the average probability and "
        "the observed rate is (beyond about 3: the conversion rate moved). Point rules have no "
        "probability scale, so they appear in the band table instead; the final blend is read "
        "as final score / 100.",
        paragraphs=(paragraph,) if recency else (),
        figures=(embedded(plots.calibration_figure(report.calibration), "Reliability curves"),),
        tables=(("Probability quality", table(labelled(report.calibration_summary), spec)),),
    )


def bands(report: ComparisonReport) -> Section:
    spec = columns("band", "n", "share", "converted", "conversion_rate")
    level_spec = columns("level", "n", "share", "converted", "conversion_rate")
    names = {"manual_stage": "Manual stage", "tier": "Predictive tier", "manual_grade": "Grade"}
    tables = [(f"{method_label(m)} bands", table(t, spec)) for m, t in report.bands.items()]
    tables += [(names.get(k, k), table(t, level_spec)) for k, t in report.stages.items()]
    return Section(
        title="Score distributions: bands and stages",
        how="Each band should convert better than the one below it; a flat or falling rate "
        "means the points in that range do not measure buying intent (the quarterly audit).",
        figures=(embedded(plots.bands_figure(report.bands), "Leads and conversion rate per band"),),
        tables=tuple(tables),
    )


def capacity(report: ComparisonReport) -> Section:
    spec = columns(
        "method", "k", "converted", "conversion_rate", "share_of_conversions", "threshold",
        "volume_at_threshold",
    )  # fmt: skip
    overlap_spec = columns(
        "method_a", "method_b", "both", "both_converted", "only_a", "only_a_converted", "only_b",
        "only_b_converted",
    )  # fmt: skip
    tables, paragraphs = [], []
    mql = report.thresholds.set_index("name").loc["MQL"]
    for result in report.capacity:
        k = int(result.summary["k"].iloc[0])
        manual = result.summary.set_index("method").loc["manual"]
        paragraphs.append(
            f"To send about {k:,} leads with the point rules, the MQL threshold would be "
            f"{number_text(manual['threshold'])} points "
            f"({int(manual['volume_at_threshold']):,} leads reach it); today it is "
            f"{number_text(mql['threshold'])}, which sends {int(mql['n']):,}."
        )
        overlap = labelled(result.overlap, "method_a", "method_b")
        tables.append((f"Sales works {k:,} leads", table(labelled(result.summary), spec)))
        tables.append((f"Who differs at K = {k:,}", table(overlap, overlap_spec)))
    current = columns(
        "name", "threshold", "n", "converted", "conversion_rate", "share_of_conversions",
        threshold="Manual score ≥",
    )  # fmt: skip
    tables.append(("Current rulebook cut-offs", table(report.thresholds, current)))
    return Section(
        title="Threshold analysis at sales capacity",
        how="If sales can work K leads, each method sends its K best; more conversions in the "
        "top K is better, and the cut-off column is the threshold that sends K leads.",
        paragraphs=tuple(paragraphs),
        tables=tuple(tables),
    )


def blend(report: ComparisonReport) -> Section:
    title = "Blend weight and tiers"
    how = (
        "The final score mixes the model's probability with the calibrated manual score in "
        "log-odds; the manual weight is the share of the evidence taken from the rules. The "
        "curves show what each weight would have given on this period."
    )
    view = report.blend
    if view is None or report.tiers is None:
        return not_given(title, how, "blend")
    figure = plots.weight_figure(view.curve, view.fitted_weight, view.used_weight, view.k)
    spec = columns("tier", "cutoff", "sizing", "leads", "share", "converted", "conversion_rate")
    paragraphs = (
        weights.price_sentence(view),
        f"Tier cut-offs were set on the validation slice at training ({view.manual_calibration}"
        " calibration of the manual score); the table shows how this period fills them.",
    )
    return Section(
        title=title,
        how=how,
        paragraphs=paragraphs,
        figures=(
            embedded(figure, "ROC AUC and conversions at capacity against the manual weight"),
        ),
        tables=(("Tiers on this period", table(report.tiers, spec)),),
    )
