"""The plain-words headline at the top of the report: which method ranks leads better."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from models.methods import method_label
from serving.report.tables import count_text


def _the(method: str) -> str:
    return "the " + method_label(method).lower()


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
        f"{_the(str(r.method))} {count_text(r.converted)} ({r.conversion_rate:.0%})"
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


def calibration_flags(calibration_summary: pd.DataFrame, z_warning: float) -> pd.Series:
    """Per method: True where the average probability is far from the observed conversion
    rate (``|z| >= z_warning``, :func:`models.metrics.calibration_in_the_large`; an
    undefined z is never flagged)."""
    z = calibration_summary.set_index("method")["z"]
    return z.abs() >= z_warning


def calibration_sentence(calibration_summary: pd.DataFrame, z_warning: float) -> str | None:
    """A warning sentence when the final score is flagged by :func:`calibration_flags`,
    else None."""
    if not calibration_flags(calibration_summary, z_warning).get("blend", False):
        return None
    row = calibration_summary.loc[calibration_summary["method"] == "blend"].iloc[0]
    return (
        f"Warning: the final score predicts {row['mean_predicted']:.1%} conversion on "
        f"average, but {row['observed_rate']:.1%} of these leads converted (z = "
        f"{row['z']:+.1f}): the conversion rate moved since training, so probabilities and "
        "tier conversion rates are off by about that much (the ranking is not affected). "
        "Retrain on recent outcomes, and check whether the lead mix or the sales process "
        "changed."
    )


def headline(
    auc_tests: pd.DataFrame, capacity: pd.DataFrame | None, warnings: Sequence[str] = ()
) -> tuple[str, ...]:
    """All headline sentences, most important first; ``warnings`` (:func:`drift_sentence`,
    :func:`calibration_sentence`) close it."""
    sentences = [auc_sentence(row) for _, row in auc_tests.iterrows()]
    if capacity is not None and not capacity.empty:
        sentences.append(capacity_sentence(capacity))
    return (*sentences, *warnings)
