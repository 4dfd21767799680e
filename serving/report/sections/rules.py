"""Sections on the point rules: disagreement with the model, rule evidence, points, backtest."""

from __future__ import annotations

from features.reasons import number_text
from serving.report.build import ComparisonReport
from serving.report.sections.base import Section, columns, not_given, top_bars
from serving.report.tables import matrix, table

LEAD_SPEC = columns(
    "contact_id", "manual_stage", "manual_score", "tier", "probability", "converted", "top_rules",
    "top_reasons",
)  # fmt: skip
GROUPS = {
    "hot_rules_cold_model": "Hot by rules, cold by model",
    "cold_rules_hot_model": "Cold by rules, hot by model",
}


def disagreement(report: ComparisonReport) -> Section:
    off = report.off_diagonal
    counts = off.counts.assign(group=off.counts["group"].map(GROUPS))
    tables = [
        ("Disagreements", table(counts, columns("group", "n", "converted", "conversion_rate")))
    ]
    for key, leads in (
        ("hot_rules_cold_model", off.hot_rules_cold_model),
        ("cold_rules_hot_model", off.cold_rules_hot_model),
    ):
        total = int(off.counts.loc[off.counts["group"] == key, "n"].iloc[0])
        caption = f"{GROUPS[key]}: {len(leads):,} of {total:,} leads listed"
        tables.append((caption, table(leads, LEAD_SPEC)))
    return Section(
        title="Where rules and model disagree",
        how="Rows are manual stages, columns predictive tiers; each cell shows leads · conversion "
        "rate. Orange-edged cells are hot by rules but cold by the model, blue-edged the reverse: "
        "whichever converts better there is right.",
        matrix=matrix(report.disagreement, report.settings.hot_stages, report.settings.hot_tiers),
        tables=tuple(tables),
    )


def rule_evidence(report: ComparisonReport) -> Section:
    evidence = report.rule_evidence
    spec = columns(
        "rule", "n_matched", "share_matched", "converted_matched", "rate_matched",
        "rate_not_matched", "lift",
    )  # fmt: skip
    figure = top_bars(
        evidence, "rule", "lift", "Lift per rule", "lift over base rate", {"base rate": 1.0}
    )
    return Section(
        title="Per-rule evidence: which behaviours signal buying",
        how="Lift above 1 means leads matched by the rule convert more often than average; a "
        "rule with many points but a lift near 1 rewards activity that does not predict buying.",
        figures=(figure,),
        tables=(("Rules, highest lift first", table(evidence, spec)),),
    )


def suggested_points(report: ComparisonReport) -> Section:
    how = (
        "Points fitted from this period's outcomes (L1 logistic regression on the rule "
        "indicators, scaled to the rulebook's range) next to the current ones; nothing is "
        "applied until someone edits the rulebook."
    )
    suggestion = report.suggestion
    if suggestion is None:
        return Section(
            title="Suggested points",
            how=how,
            paragraphs=tuple(n for n in report.notes if "Suggested" in n),
        )
    low, high = report.points_range
    spec = columns(
        "rule", "n_matched", "current_points", "suggested_points", "change", "coefficient"
    )
    paragraph = (
        f"With the suggested points the rule sum would reach a held-out ROC AUC of "
        f"{suggestion.auc_suggested:.3f}, against {suggestion.auc_current:.3f} with the current "
        f"points ({suggestion.n_folds}-fold cross-validation: each fold is scored with points "
        f"fitted on the other folds; range {number_text(low)} to {number_text(high)}; decay and "
        "caps not replayed)."
    )
    return Section(
        title="Suggested points",
        how=how,
        paragraphs=(paragraph,),
        tables=(("Current and suggested points", table(suggestion.table, spec)),),
    )


def backtest(report: ComparisonReport) -> Section:
    title = "Backtest: rulebooks replayed on a past period"
    how = (
        "Each rulebook replayed over a past period: the leads it would have made MQL or SQL and "
        "how many converted; gained/lost compare with the first (current) rulebook."
    )
    if report.backtests is None:
        return not_given(title, how, "replayed rulebook")
    spec = columns(
        "period", "rulebook", "n", "reached_mql", "reached_mql_converted", "reached_mql_rate",
        "reached_mql_recall", "reached_sql", "reached_sql_converted", "reached_sql_rate",
        "gained_mql", "gained_mql_converted", "lost_mql", "lost_mql_converted",
    )  # fmt: skip
    return Section(
        title=title,
        how=how,
        tables=(("Replayed rulebooks", table(report.backtests, spec)),),
    )
