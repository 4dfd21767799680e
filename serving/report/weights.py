"""The price of a blend weight, and the tiers it makes: what the report shows of the blend.

:func:`weight_curve` scores the compared period again at every manual weight of a grid
(ranking only: AUC and conversions captured at sales capacity do not depend on the
calibration scale), so marketing ops see what pinning a weight costs or gains against the
model alone (weight 0) and the rules alone (weight 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from models.metrics import expected_hits_at_k
from serving.blend import FittedBlend, mix
from serving.report.bands import stage_table
from serving.report.tables import count_text


@dataclass(frozen=True)
class BlendView:
    """What the report shows of the scorer's blend.

    Attributes:
        fitted_weight: The manual weight fitted on the validation slice.
        used_weight: The manual weight the scorer uses (pinned or fitted).
        curve: ``weight``, ``roc_auc``, ``captured`` (conversions in the top ``k``) on the
            compared period, one row per weight of the grid.
        k: Sales capacity the curve counts conversions at.
        cutoffs: Lowest final score of each tier but the bottom one, best first.
        tier_sizing: Per tier, what set its cut-off (:func:`tier_sizing`).
        bottom_tier: Tier of the leads below every cut-off.
        manual_calibration: How the manual score became a probability.
        calibration_recency: How the calibrations weighted the validation rows and why
            (:meth:`models.calibration.RecencyChoice.text`); empty for a scorer fitted
            before recency weighting existed.
    """

    fitted_weight: float
    used_weight: float
    curve: pd.DataFrame
    k: int
    cutoffs: Mapping[str, float]
    tier_sizing: Mapping[str, str] = field(default_factory=dict)
    bottom_tier: str = "D"
    manual_calibration: str = ""
    calibration_recency: str = ""

    def at(self, weight: float) -> pd.Series:
        """The curve's row nearest to ``weight``."""
        w = self.curve["weight"].to_numpy()
        return self.curve.iloc[int(np.argmin(np.abs(w - weight)))]


def weight_curve(
    y: np.ndarray, p_model: np.ndarray, p_manual: np.ndarray, weights: np.ndarray, k: int
) -> pd.DataFrame:
    """``weight``, ``roc_auc`` and ``captured`` (conversions in the top ``k``, the leads sales
    can work, ties shared as :func:`models.metrics.expected_hits_at_k` does) of the log-odds
    mix of ``p_model`` and the calibrated ``p_manual`` at each manual weight (0: the model
    alone, 1: the rules alone)."""
    labels = np.asarray(y, dtype=int)
    rows = []
    for w in np.asarray(weights, dtype=float):
        score = mix(p_model, p_manual, float(w))
        rows.append(
            {
                "weight": float(w),
                "roc_auc": float(roc_auc_score(labels, score)),
                "captured": expected_hits_at_k(labels, score, k),
            }
        )
    return pd.DataFrame(rows)


def price_sentence(view: BlendView) -> str:
    """What the used weight costs or gains against the model alone and the rules alone."""
    used, model, rules = view.at(view.used_weight), view.at(0.0), view.at(1.0)

    def versus(name: str, other: pd.Series) -> str:
        d_auc = used["roc_auc"] - other["roc_auc"]
        d_cap = used["captured"] - other["captured"]
        sign = "+" if d_cap >= 0 else "-"
        return f"{d_auc:+.3f} AUC and {sign}{count_text(abs(d_cap))} conversions against {name}"

    pinned = "pinned" if abs(view.used_weight - view.fitted_weight) > 1e-9 else "fitted"
    return (
        f"The final score takes {view.used_weight:.0%} of its evidence from the rules "
        f"({pinned}; the validation fit chose {view.fitted_weight:.0%}): "
        f"AUC {used['roc_auc']:.3f} and {count_text(used['captured'])} conversions in the top "
        f"{view.k:,} leads, {versus('the model alone', model)}, "
        f"{versus('the rules alone', rules)}."
    )


def tier_table(tiers: pd.Series, y: np.ndarray, view: BlendView) -> pd.DataFrame:
    """Per tier, best first (then any other level, e.g. grades when tiers come from
    grades): cut-off and what set it (from ``view``), leads, share, converted, rate
    (:func:`serving.report.bands.stage_table`)."""
    table = stage_table(tiers, y, order=[*view.cutoffs, view.bottom_tier])
    tier = table["level"]
    bottom = tier == view.bottom_tier
    return pd.DataFrame(
        {
            "tier": tier,
            "cutoff": tier.map(view.cutoffs).where(~bottom, 0.0).astype("float64"),
            "sizing": tier.map(view.tier_sizing).fillna("the rest"),
            "leads": table["n"],
            "share": table["share"],
            "converted": table["converted"],
            "conversion_rate": table["conversion_rate"],
        }
    )


def capacity_of(blend: FittedBlend, n_leads: int) -> list[int]:
    """The capacities the report analyses, in leads of the ``n_leads`` compared: first the
    leads sales can work (the best ``sales_tiers`` tiers' cumulative capacity, as training
    counts it: :meth:`serving.blend.BlendConfig.sales_share`), then every other cumulative
    tier capacity (A, A+B, ...), each in leads when the tiers are, else as the same share.
    Tiers from probabilities hold no capacity: only the first, from the default shares."""
    config = blend.config
    if config.capacity:
        cumulative = [int(k) for k in np.cumsum(list(config.capacity.values()))]
        worked = cumulative[min(config.sales_tiers, len(cumulative)) - 1]
    else:
        shares = np.cumsum(list((config.capacity_share or {}).values()))
        cumulative = [max(1, int(round(n_leads * min(f, 1.0)))) for f in shares]
        worked = max(1, int(round(n_leads * config.sales_share(blend.leads_per_period))))
    return [worked, *(k for k in cumulative if k != worked)]


def tier_sizing(blend: FittedBlend) -> dict[str, str]:
    """What set each tier's cut-off: ``500 leads per 7 days``, ``5% of the leads per 7 days
    (14 of 287)`` or ``P(convert) >= 30%``."""
    config = blend.config
    days = config.capacity_period_days
    if config.capacity:
        return {t: f"{n:,} leads per {days} days" for t, n in config.capacity.items()}
    if config.capacity_share:
        flow = blend.leads_per_period
        leads = blend.capacity or config.capacity_in_leads(flow)
        return {
            t: f"{share:.0%} of the leads per {days} days ({leads[t]:,} of {flow:,.0f})"
            for t, share in config.capacity_share.items()
        }
    return {t: f"P(convert) >= {p:.0%}" for t, p in (config.min_probability or {}).items()}


def blend_view(blend: FittedBlend, scored: pd.DataFrame, k: int) -> BlendView | None:
    """The blend's weights, their price on the compared period and what set its tiers."""
    if blend.manual_calibrator is None:  # a pass-through blend: no manual side to weigh
        return None
    y = scored["y"].to_numpy(dtype=int)
    p_manual = blend.manual_probability(scored["manual_score"].to_numpy())
    grid = np.union1d(np.round(np.linspace(0, 1, 21), 10), [blend.weight, blend.fitted_weight])
    config = blend.config
    return BlendView(
        fitted_weight=blend.fitted_weight,
        used_weight=blend.weight,
        curve=weight_curve(y, scored["probability"].to_numpy(), p_manual, grid, k),
        k=k,
        cutoffs=dict(blend.cutoffs),
        tier_sizing=tier_sizing(blend),
        bottom_tier=config.bottom_tier,
        manual_calibration=blend.manual_method,
        calibration_recency="" if blend.recency is None else blend.recency.text(),
    )
