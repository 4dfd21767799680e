"""Sections on the point rules: disagreement with the model, rule evidence, points, backtest."""

from __future__ import annotations

from features.number_text import number_text
from models import plots
from serving.report.build import ComparisonReport
from serving.report.sections.base import RATE, Section, embedded
from serving.report.tables import matrix, table

LEAD_SPEC = (
    ("contact_id", "Contact id", "text"),
    ("manual_stage", "Stage", "text"),
    ("manual_score", "Points", "num"),
    ("tier", "Tier", "text"),
    ("probability", "P(convert)", "pct"),
    ("converted", "Converted", "int"),
    ("top_rules", "Rules that fired", "text"),
    ("top_reasons", "Model's reasons", "text"),
)
GROUPS = {
    "hot_rules_cold_model": "Hot by rules, cold by model",
    "cold_rules_hot_model": "Cold by rules, hot by model",
}


def disagreement(report: ComparisonReport) -> Section:
    off = report.off_diagonal
    counts = off.counts.assign(group=off.counts["group"].map(GROUPS))
    tables = [("Disagreements", table(counts, (("group", "Group", "text"), *RATE)))]
    for key, leads in (
        ("hot_rules_cold_model", off.hot_rules_cold_model),
        ("cold_rules_hot_model", off.cold_rules_hot_model),
    ):
        total = int(off.counts.loc[off.counts["group"] == key, "n"].iloc[0])
        caption = f"{GROUPS[key]}: {len(leads):,} of {total:,} leads listed"
        tables.append((caption, table(leads, LEAD_SPEC)))
    return Section(
        id="disagreement",
        title="Where rules and model disagree",
        how="Rows are manual stages, columns predictive tiers; each cell shows leads · conversion "
        "rate. Orange-edged cells are hot by rules but cold by the model, blue-edged the reverse: "
        "whichever converts better there is right.",
        matrix=matrix(report.disagreement, report.settings.hot_stages, report.settings.hot_tiers),
        tables=tuple(tables),
    )


def rule_evidence(report: ComparisonReport) -> Section:
    evidence = report.rule_evidence
    spec = (
        ("rule", "Rule", "text"),
        ("n_matched", "Leads matched", "int"),
        ("share_matched", "Share", "pct"),
        ("converted_matched", "Converted", "int"),
        ("rate_matched", "Rate if matched", "pct"),
        ("rate_not_matched", "Rate if not", "pct"),
        ("lift", "Lift", "f2"),
    )
    top = evidence.head(20)
    figure = plots.barh_figure(
        top["rule"],
        top["lift"],
        xlabel="lift over base rate",
        title="Lift per rule (top 20)",
        lines={"base rate": 1.0},
    )
    return Section(
        id="rule-evidence",
        title="Per-rule evidence: which behaviours signal buying",
        how="Lift above 1 means leads matched by the rule convert more often than average; a "
        "rule with many points but a lift near 1 rewards activity that does not predict buying.",
        figures=(embedded(figure, "Lift per rule"),),
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
            id="suggested-points",
            title="Suggested points",
            how=how,
            paragraphs=tuple(n for n in report.notes if "Suggested" in n),
        )
    low, high = report.points_range
    spec = (
        ("rule", "Rule", "text"),
        ("n_matched", "Leads matched", "int"),
        ("current_points", "Current", "points"),
        ("suggested_points", "Suggested", "points"),
        ("change", "Change", "points"),
        ("coefficient", "Log-odds weight", "f2"),
    )
    paragraph = (
        f"With the suggested points the rule sum would reach a held-out ROC AUC of "
        f"{suggestion.auc_suggested:.3f}, against {suggestion.auc_current:.3f} with the current "
        f"points ({suggestion.n_folds}-fold cross-validation: each fold is scored with points "
        f"fitted on the other folds; range {number_text(low)} to {number_text(high)}; decay and "
        "caps not replayed)."
    )
    return Section(
        id="suggested-points",
        title="Suggested points",
        how=how,
        paragraphs=(paragraph,),
        tables=(("Current and suggested points", table(suggestion.table, spec)),),
    )


def backtest(report: ComparisonReport) -> Section:
    how = (
        "Each rulebook replayed over a past period: the leads it would have made MQL or SQL and "
        "how many converted; gained/lost compare with the first (current) rulebook."
    )
    if report.backtests is None:
        return Section(
            id="backtest",
            title="Backtest",
            how=how,
            paragraphs=("No replayed rulebook was given.",),
        )
    spec = (
        ("period", "Period", "text"),
        ("rulebook", "Rulebook", "text"),
        ("n", "Leads", "int"),
        ("reached_mql", "MQL or SQL", "int"),
        ("reached_mql_converted", "MQL+ converted", "int"),
        ("reached_mql_rate", "MQL+ rate", "pct"),
        ("reached_mql_recall", "MQL+ share of conv.", "pct"),
        ("reached_sql", "SQL", "int"),
        ("reached_sql_converted", "SQL converted", "int"),
        ("reached_sql_rate", "SQL rate", "pct"),
        ("gained_mql", "New MQLs", "int"),
        ("gained_mql_converted", "new converted", "int"),
        ("lost_mql", "Lost MQLs", "int"),
        ("lost_mql_converted", "lost converted", "int"),
    )
    return Section(
        id="backtest",
        title="Backtest: rulebooks replayed on a past period",
        how=how,
        tables=(("Replayed rulebooks", table(report.backtests, spec)),),
    )
