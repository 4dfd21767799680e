"""The plain-words headline at the top of the report: which method ranks leads better."""

from __future__ import annotations

import pandas as pd

from models.plots import label


def _the(method: str) -> str:
    return "the " + label(method).lower()


def auc_sentence(row: pd.Series) -> str:
    """One sentence on an AUC comparison row (``method`` vs ``versus``, bootstrap interval)."""
    a, b = _the(str(row["method"])), _the(str(row["versus"]))
    numbers = (
        f"ROC AUC {row['auc_a']:.3f} vs {row['auc_b']:.3f}, a difference of "
        f"{row['diff']:+.3f} (95% interval {row['low']:+.3f} to {row['high']:+.3f}, "
        f"{int(row['n_boot']):,} bootstrap resamples)"
    )
    if row["low"] > 0:
        return f"{a.capitalize()} ranked leads better than {b}: {numbers}."
    if row["high"] < 0:
        return f"{b.capitalize()} ranked leads better than {a}: {numbers}."
    return (
        f"{a.capitalize()} and {b} cannot be told apart on this period: {numbers}; "
        "the interval includes zero."
    )


def capacity_sentence(summary: pd.DataFrame) -> str:
    """What each method's top K holds, K the leads sales can work (the report's first
    capacity, :func:`serving.report.weights.capacity_of`)."""
    k = int(summary["k"].iloc[0])
    parts = [
        f"{_the(str(r.method))} {int(r.converted):,} ({r.conversion_rate:.0%})"
        for r in summary.itertuples()
    ]
    return f"If sales works {k:,} leads, the conversions in each method's top {k:,}: " + (
        ", ".join(parts) + "."
    )


def drift_sentence(drift: pd.DataFrame | None) -> str | None:
    """A warning sentence when a feature or score drifted, else None."""
    if drift is None:
        return None
    flagged = drift[drift["level"] == "warning"]
    if flagged.empty:
        return None
    names = ", ".join(flagged["column"].head(5))
    return (
        f"Warning: {len(flagged)} column(s) drifted since training (PSI >= warning level): "
        f"{names}. Check the model before trusting the comparison."
    )


def headline(
    auc_tests: pd.DataFrame, capacity: pd.DataFrame | None, drift: pd.DataFrame | None
) -> tuple[str, ...]:
    """All headline sentences, most important first."""
    sentences = [auc_sentence(row) for _, row in auc_tests.iterrows()]
    if capacity is not None and not capacity.empty:
        sentences.append(capacity_sentence(capacity))
    warning = drift_sentence(drift)
    if warning:
        sentences.append(warning)
    return tuple(sentences)
