"""The final score: the model's probability and the manual score, mixed on one scale.

1. **One scale.** The manual point score is calibrated to a probability on the validation
   slice (isotonic or Platt, whichever has the lower held-out log loss), like the model.
2. **Mixed in log-odds.** ``z = (1 - w) * logit(p_model) + w * logit(p_manual)``: the
   manual weight ``w`` is the share of the evidence taken from the rules. Two calibrated
   probabilities carrying different evidence, averaged, are under-confident, so the mix is
   recalibrated on the validation slice: ``p_final = sigmoid(a + b * z)`` (Platt scaling,
   ``b > 0``, which keeps the ranking). ``w = 0`` gives the model's probability exactly.
   The default ``w`` minimises the log loss of the plain mix ``sigmoid(z)`` on the
   validation slice (choosing it after the rescaling would leave it undetermined when the
   manual score carries nothing: any ``w`` could then be scaled back to the model);
   marketing ops can pin it or bound it. ``final = 100 * p_final``, so ``final / 100`` is a
   probability.
3. **Tiers from capacity.** Cut-offs on the final score are set on the validation slice so
   that each tier holds the leads sales can work per period: a share of the lead flow
   (``capacity_share``, the default, turned into leads per period at training from the flow
   measured on the validation slice) or a number of leads (``capacity``); or from the
   lowest conversion probability a tier accepts (``min_probability``).
4. **Recency as the model's.** When the model's calibrator chose recency weights
   (``calibration_recency``, :func:`models.calibration.choose_recency`), the manual
   calibration and the mix's rescaling ``(a, b)`` are fitted with the same half-life on the
   validation rows' times, so the final score follows the same recent conversion rate. The
   manual weight is still fitted with equal weights: it decides the ranking (how much
   evidence each side carries), which a prior shift does not change, and a recency-weighted
   fit would choose it from fewer effective rows.

Every setting lives in :class:`BlendConfig`; what is learned lives in :class:`FittedBlend`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, model_validator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from models.calibration import (
    PROBA_EPS,
    RecencyChoice,
    calibrated_probability,
    fit_calibrator,
    per_row_log_loss,
    recency_weights_of,
)
from models.config import UpgradableSettings

DEFAULT_CAPACITY_SHARE: dict[str, float] = {"A": 0.05, "B": 0.15, "C": 0.30}
"""The default tiers: A the best 5 % of the leads scored per period, B the next 15 %, C the
next 30 % (D the rest), whatever the CRM's size; used when no tiers are given."""
_TIER_KEYS = ("capacity", "capacity_share", "min_probability")


class BlendConfig(UpgradableSettings):
    """How the final score and the tiers are made (one definition, stored with the scorer).

    Attributes:
        manual_weight: Pinned share of the evidence taken from the manual score (0-1);
            None fits it on the validation slice (lowest log loss within ``weight_bounds``).
        weight_bounds: Lowest and highest manual weight the fit may choose.
        weight_step: Step of the weight grid searched by the fit and plotted in the report.
        manual_calibration: ``auto`` (lower held-out log loss of the two), ``isotonic`` or
            ``platt``: how the manual score becomes a probability.
        seed: Seed of the cross-fitted choice of the manual calibration.
        capacity: Leads sales can work per ``capacity_period_days`` in each tier, best tier
            first, e.g. ``{"A": 500, "B": 1500}``. Each tier's cut-off is set on the
            validation slice so that the tier holds that many of the leads scored per
            period. Wins over ``capacity_share``.
        capacity_share: Share of the leads scored per period in each tier, best tier first,
            e.g. ``{"A": 0.05, "B": 0.15}``; turned into leads per period at training (the
            flow measured on the validation slice). When no tiers are given at all:
            :data:`DEFAULT_CAPACITY_SHARE`.
        capacity_period_days: The period the capacity is counted in (7: per week).
        min_probability: Instead of a capacity: the lowest conversion probability of each
            tier, best first, e.g. ``{"A": 0.3, "B": 0.1}``.
        bottom_tier: Tier of the leads below every cut-off.
        sales_tiers: Sales works the best this many tiers (A and B by default). Their
            cumulative capacity, as a share of the lead flow (:meth:`sales_share`), is *the
            leads sales can work*: one number for training's precision and recall at k (and
            the champion comparison), the blend's test metrics and the comparison report's
            capacity headline and ``captured_at_capacity``. At most the tiers given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    manual_weight: float | None = Field(None, ge=0.0, le=1.0)
    weight_bounds: tuple[float, float] = (0.0, 1.0)
    weight_step: float = Field(0.01, gt=0.0, le=0.5)
    manual_calibration: Literal["auto", "isotonic", "platt"] = "auto"
    seed: int = 0
    capacity: dict[str, int] | None = None
    capacity_share: dict[str, float] | None = None
    capacity_period_days: int = Field(7, ge=1)
    min_probability: dict[str, float] | None = None
    bottom_tier: str = "D"
    sales_tiers: int = Field(2, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _default_tiers(cls, data: object) -> object:
        """No tiers given at all: the default shares of the lead flow."""
        if isinstance(data, dict) and all(data.get(key) is None for key in _TIER_KEYS):
            return {**data, "capacity_share": dict(DEFAULT_CAPACITY_SHARE)}
        return data

    @model_validator(mode="after")
    def _check(self) -> BlendConfig:
        low, high = self.weight_bounds
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(
                f"blend.weight_bounds {list(self.weight_bounds)}: give [low, high] with "
                "0 <= low <= high <= 1"
            )
        if self.manual_weight is not None and not low <= self.manual_weight <= high:
            raise ValueError(
                f"blend.manual_weight {self.manual_weight} is outside weight_bounds "
                f"{list(self.weight_bounds)}; widen the bounds or pin another weight"
            )
        given = [key for key in _TIER_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                "blend: give the tiers one way: capacity (leads per period, e.g. "
                "{A: 500, B: 1500}), capacity_share (share of the leads per period, e.g. "
                "{A: 0.05, B: 0.15}) or min_probability (e.g. {A: 0.3, B: 0.1}), not "
                f"{' and '.join(given) or 'none'}"
            )
        if self.capacity is not None and any(v < 1 for v in self.capacity.values()):
            raise ValueError(f"blend.capacity: leads per tier must be >= 1: {self.capacity}")
        if self.capacity_share is not None:
            shares = list(self.capacity_share.values())
            if any(not 0.0 < v <= 1.0 for v in shares) or sum(shares) > 1.0 + 1e-9:
                raise ValueError(
                    f"blend.capacity_share: each share must be in (0, 1] and together at "
                    f"most 1: {self.capacity_share}"
                )
        if self.min_probability is not None:
            cuts = list(self.min_probability.values())
            if cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
                raise ValueError(
                    f"blend.min_probability must be strictly decreasing, best tier first: {cuts}"
                )
            if any(not 0.0 < c < 1.0 for c in cuts):
                raise ValueError(f"blend.min_probability: values must be in (0, 1): {cuts}")
        tiers = self.tier_names
        if len(set(tiers)) != len(tiers):
            raise ValueError(f"blend: bottom_tier {self.bottom_tier!r} repeats a tier name")
        return self

    @property
    def tier_names(self) -> list[str]:
        """Every tier, best first, the bottom tier last."""
        named = self.capacity or self.capacity_share or self.min_probability or {}
        return [*named, self.bottom_tier]

    def capacity_in_leads(self, leads_per_period: float) -> dict[str, int]:
        """Leads per period of each tier but the bottom one: ``capacity`` as given, or each
        share of ``leads_per_period`` (at least 1); empty for ``min_probability`` tiers."""
        if self.capacity is not None:
            return dict(self.capacity)
        return {
            tier: max(1, int(round(share * leads_per_period)))
            for tier, share in (self.capacity_share or {}).items()
        }

    def shares_of_flow(self, leads_per_period: float) -> dict[str, float]:
        """Share of the leads scored per period that each tier but the bottom one holds."""
        if self.capacity_share is not None:
            return dict(self.capacity_share)
        if leads_per_period <= 0:
            raise ValueError("tiers from capacity need a lead flow of more than 0 leads")
        return {t: n / leads_per_period for t, n in (self.capacity or {}).items()}

    def sales_share(self, leads_per_period: float) -> float:
        """The leads sales can work, as a share of the leads scored per period: the
        cumulative share of the best :attr:`sales_tiers` tiers (A + B by default: 20 %).

        Tiers set by ``min_probability`` hold no capacity: the default tiers' shares
        (:data:`DEFAULT_CAPACITY_SHARE`) stand in for them.

        Args:
            leads_per_period: The lead flow (needed only for ``capacity`` in leads).
        """
        if self.min_probability is not None:
            shares = dict(DEFAULT_CAPACITY_SHARE)
        else:
            shares = self.shares_of_flow(leads_per_period)
        return min(1.0, float(sum(list(shares.values())[: self.sales_tiers])))

    def weight_grid(self) -> np.ndarray:
        """Manual weights searched by the fit (and plotted): the bounds in ``weight_step``."""
        low, high = self.weight_bounds
        steps = np.arange(low, high, self.weight_step)
        return np.unique(np.round(np.append(steps, high), 10))


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities, clipped at ``PROBA_EPS`` from 0 and 1 (the calibrators'
    range, :mod:`models.calibration`: a calibrated input is never clipped here)."""
    q = np.clip(np.asarray(p, dtype="float64"), PROBA_EPS, 1 - PROBA_EPS)
    return np.log(q / (1 - q))


def mix(
    p_model: np.ndarray,
    p_manual: np.ndarray,
    weight: float,
    scale: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """``sigmoid(a + b * ((1 - weight) * logit(p_model) + weight * logit(p_manual)))``.

    ``scale = (a, b)`` recalibrates the mix (see :func:`fit_blend`). ``weight == 0`` returns
    ``p_model`` itself (no round trip through the log-odds; the scale is not used).
    """
    p_model = np.asarray(p_model, dtype="float64")
    if weight == 0.0:
        return p_model.copy()
    z = (1.0 - weight) * logit(p_model) + weight * logit(p_manual)
    a, b = scale
    return 1.0 / (1.0 + np.exp(-(a + b * z)))


def fit_scale(
    p_model: np.ndarray,
    p_manual: np.ndarray,
    y: np.ndarray,
    weight: float,
    sample_weight: np.ndarray | None = None,
) -> tuple[float, float]:
    """Platt scaling ``(a, b)`` of the mixed log-odds at ``weight`` (identity at weight 0).

    Two calibrated probabilities that carry different evidence, averaged in log-odds, are
    under-confident: the rescaling restores calibration without changing the ranking
    (``b > 0`` keeps the order; a negative fit falls back to the identity).
    ``sample_weight``: the rows' recency weights (None: equal weights).
    """
    if weight == 0.0:
        return (0.0, 1.0)
    z = (1.0 - weight) * logit(p_model) + weight * logit(p_manual)
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(z.reshape(-1, 1), y, sample_weight=sample_weight)
    a, b = float(model.intercept_[0]), float(model.coef_[0, 0])
    return (a, b) if b > 0 else (0.0, 1.0)


def _manual_values(manual: pd.Series | np.ndarray) -> np.ndarray:
    """Manual scores as floats; a missing score counts as 0 points (no rule fired)."""
    return np.nan_to_num(np.asarray(manual, dtype="float64"), nan=0.0)


def _check_probability(probability: np.ndarray) -> np.ndarray:
    p = np.asarray(probability, dtype="float64")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("probability: values must be in [0, 1] with no missing values")
    return p


@dataclass
class FittedBlend:
    """What the blend learned on the validation slice (see the module docstring).

    Attributes:
        config: The settings it was fitted with.
        manual_calibrator: Maps manual points to a probability (None: not fitted, weight 0).
        manual_method: ``isotonic`` or ``platt``.
        fitted_weight: The manual weight with the lowest validation log loss (within bounds);
            the lowest bound when the manual score has one value (it ranks nobody).
        weight: The manual weight used: the pinned one, else ``fitted_weight``.
        scale: Platt scaling ``(a, b)`` of the mix at ``weight`` (identity at weight 0).
        cutoffs: Lowest final score (0-100) of each tier but the bottom one, best first.
        leads_per_period: Leads the batch scores per ``capacity_period_days``, measured on
            the validation slice (:mod:`serving.lead_flow`): what a capacity is a share of.
        capacity: Leads per period of each capacity tier, as used (the shares turned into
            leads at training); empty for ``min_probability`` tiers.
        valid_curve: Validation log loss of the plain mix per weight of the grid
            (``weight``, ``log_loss``): the fitted weight is its minimum.
        calibration_log_loss: Held-out log loss of each manual calibration candidate.
        valid_shares: Share of the validation leads in each tier (ties can make a capacity
            tier hold more or fewer leads than asked: see :meth:`capacity_note`).
        distinct_scores: Distinct final scores on the validation slice.
        recency: The model's recency choice the manual calibration and the rescaling
            followed (None: fitted before recency existed, or without it: equal weights).
    """

    config: BlendConfig
    manual_calibrator: CalibratedClassifierCV | None
    manual_method: str
    fitted_weight: float
    weight: float
    scale: tuple[float, float]
    cutoffs: dict[str, float]
    leads_per_period: float = 0.0
    capacity: dict[str, int] = field(default_factory=dict)
    valid_curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration_log_loss: dict[str, float] = field(default_factory=dict)
    valid_shares: dict[str, float] = field(default_factory=dict)
    distinct_scores: int = 0
    recency: RecencyChoice | None = None

    def manual_probability(self, manual: pd.Series | np.ndarray) -> np.ndarray:
        """The manual score as a calibrated probability."""
        values = _manual_values(manual)
        if self.manual_calibrator is None:
            raise ValueError("the manual calibrator is not fitted: fit the blend on valid")
        return calibrated_probability(self.manual_calibrator, values)

    def probability(self, probability: np.ndarray, manual: pd.Series | np.ndarray) -> np.ndarray:
        """The final probability of each lead (the model's exactly when the weight is 0)."""
        p = _check_probability(probability)
        if self.weight == 0.0:
            return p.copy()
        return mix(p, self.manual_probability(manual), self.weight, self.scale)

    def final_score(self, probability: np.ndarray, manual: pd.Series | np.ndarray) -> np.ndarray:
        """The final 0-100 score: 100 times the final probability."""
        return 100.0 * self.probability(probability, manual)

    def tier(self, final: np.ndarray) -> np.ndarray:
        """Tier of each final score: the best tier whose cut-off the score reaches."""
        return assign_tier(final, self.cutoffs, self.config.bottom_tier)

    def capacity_note(self, tolerance: float = 1.5) -> str | None:
        """Capacity tiers holding far more or fewer validation leads than asked, or None.

        Leads with the same final score share a tier, so a score with few distinct values
        (a model that tells few leads apart) cannot be cut at the share asked, e.g.
        ``tier A holds 36.5% of the validation leads, not the 4.8% its capacity asks (4
        distinct final scores: tied leads share a tier)``.

        Args:
            tolerance: Factor between the share held and the share asked that is noted.
        """
        if not self.capacity or not self.valid_shares or self.leads_per_period <= 0:
            return None
        asked = self.config.shares_of_flow(self.leads_per_period)
        off = [
            f"tier {t} holds {self.valid_shares.get(t, 0.0):.1%} of the validation leads, "
            f"not the {min(share, 1.0):.1%} its capacity asks"
            for t, share in asked.items()
            if not min(share, 1.0) / tolerance
            <= self.valid_shares.get(t, 0.0)
            <= min(share, 1.0) * tolerance
        ]
        if not off:
            return None
        return (
            f"{'; '.join(off)} ({self.distinct_scores:,} distinct final scores: tied leads "
            "share a tier)"
        )

    def describe(self) -> dict[str, str]:
        """Short text of what was fitted, for registry tags and logs: how the calibrations
        weighted rows (``equal weights`` or ``half-life 28 days``) and, for capacity tiers,
        ``A 14, B 43, C 86 leads per 7 days (of 287)``."""
        cuts = ", ".join(f"{t} >= {c:.2f}" for t, c in self.cutoffs.items())
        out = {
            "blend_manual_calibration": self.manual_method,
            "blend_manual_weight": f"{self.weight:.2f}",
            "blend_fitted_weight": f"{self.fitted_weight:.2f}",
            "blend_tier_cutoffs": cuts,
            "blend_calibration_recency": (
                "equal weights" if self.recency is None else self.recency.label
            ),
        }
        if self.capacity:
            leads = ", ".join(f"{t} {n:,}" for t, n in self.capacity.items())
            days = self.config.capacity_period_days
            flow = f"{self.leads_per_period:,.0f}"
            out["blend_tier_capacity"] = f"{leads} leads per {days} days (of {flow})"
        return out


def assign_tier(score: np.ndarray, cutoffs: dict[str, float], bottom_tier: str) -> np.ndarray:
    """Tier of each score: the best tier whose cut-off (best first) the score reaches."""
    score = np.asarray(score, dtype="float64")
    out = np.full(score.shape, bottom_tier, dtype=object)
    for tier, cut in reversed(list(cutoffs.items())):
        out[score >= cut] = tier
    return out


def _nearest_cut(desc: np.ndarray, rank: int) -> float:
    """The cut-off that puts the number of leads nearest to ``rank`` at or above it.

    Leads with the same score share a tier: a block of tied scores at the boundary goes
    wholly in or wholly out, whichever leaves the tier nearer its size (in, when the block
    holds the best scores, so that a tier is never empty for a tie).

    Args:
        desc: Scores sorted from the highest.
        rank: The number of leads wanted at or above the cut-off (>= 1).
    """
    value = desc[rank - 1]
    asc = desc[::-1]
    above = desc.size - int(np.searchsorted(asc, value, side="right"))  # strictly higher
    with_block = desc.size - int(np.searchsorted(asc, value, side="left"))
    if above > 0 and rank - above < with_block - rank:
        return float(asc[desc.size - above])  # the lowest strictly higher score
    return float(value)


def tier_cutoffs(
    final: np.ndarray, config: BlendConfig, leads_per_period: float
) -> dict[str, float]:
    """Cut-offs on the final score (0-100) for each tier but the bottom one, best first.

    With a capacity, tier t's cut-off is the final score of the lead at rank
    ``round(n * cumulative share)`` among the ``n`` validation leads, the share being
    ``capacity_share[t]`` or ``capacity[t] / leads_per_period``: tier t then holds about
    its capacity of the leads scored per period (tied scores stay together: see
    :func:`_nearest_cut`). With ``min_probability`` it is ``100 * min_probability[t]``.

    Args:
        final: Final scores of the validation slice.
        leads_per_period: Leads the batch scores per period (:mod:`serving.lead_flow`).

    Raises:
        ValueError: No validation score, or a flow of less than one lead per period.
    """
    if config.min_probability is not None:
        return {t: 100.0 * p for t, p in config.min_probability.items()}
    values = np.sort(np.asarray(final, dtype="float64"))[::-1]
    if values.size == 0 or leads_per_period < 1:
        raise ValueError("tier cut-offs need validation scores and at least 1 lead per period")
    out: dict[str, float] = {}
    total = 0.0
    top = float(values[0]) + 1e-9  # an empty tier: nobody reaches it
    for tier, share in config.shares_of_flow(leads_per_period).items():
        total += share
        rank = int(round(values.size * min(total, 1.0)))
        out[tier] = _nearest_cut(values, rank) if rank >= 1 else top
    # equal cut-offs (ties, or a capacity beyond the pool) keep the better tier first
    cuts = list(out.values())
    for i in range(1, len(cuts)):
        cuts[i] = min(cuts[i], np.nextafter(cuts[i - 1], -np.inf))
    return dict(zip(out, cuts, strict=True))


def _valid_curve(
    p_model: np.ndarray, p_manual: np.ndarray, y: np.ndarray, grid: np.ndarray
) -> pd.DataFrame:
    """Validation log loss of the plain mix (no scale) at each weight of the grid.

    Each value is the mean of :func:`models.calibration.per_row_log_loss`, the one per-row
    log loss (clipped at ``PROBA_EPS``, as the calibrators' probabilities are): both inputs
    come clipped so from the calibrators, and the log-odds of the plain mix are a convex
    combination of theirs, so the mix never leaves that range and a looser clip would
    change nothing on a fit; a raw probability of 0 or 1 (a model without calibration)
    costs one row at most ``-log(PROBA_EPS)``, so no single confident row decides the
    weight. ``sklearn.metrics.log_loss``, called once per weight, spent most of a blend fit
    validating the same labels a hundred times; ``tests/serving/test_blend.py`` checks
    each value against it.
    """
    labels = np.asarray(y)
    losses = [
        float(per_row_log_loss(labels, mix(p_model, p_manual, float(w))).mean()) for w in grid
    ]
    return pd.DataFrame({"weight": grid, "log_loss": losses})


def fit_blend(
    probability: np.ndarray,
    manual: pd.Series | np.ndarray,
    y: np.ndarray,
    config: BlendConfig,
    *,
    leads_per_period: float | None = None,
    time: pd.Series | np.ndarray | None = None,
    recency: RecencyChoice | None = None,
) -> FittedBlend:
    """Fit the manual calibration, the manual weight and the tier cut-offs on validation.

    Args:
        probability: The model's calibrated probability on the validation slice.
        manual: The manual score of the same leads (missing: 0 points).
        y: Their 0/1 outcomes.
        leads_per_period: Leads the batch scores per period (:mod:`serving.lead_flow`;
            default: the validation slice's size).
        time: The time of each validation row (snapshot or ``first_touch`` ``as_of``).
        recency: The model calibrator's recency choice
            (``ConversionModel.calibration_recency_``): the manual calibration and the
            rescaling are fitted with its half-life on ``time`` (None: equal weights).

    Returns:
        The :class:`FittedBlend`.

    Raises:
        ValueError: Probabilities outside [0, 1], lengths that differ or a single class.
    """
    p = _check_probability(probability)
    points = _manual_values(manual)
    labels = np.asarray(y, dtype=int)
    if not len(p) == len(points) == len(labels):
        raise ValueError(
            f"blend fit: probability ({len(p)}), manual ({len(points)}) and y ({len(labels)}) "
            "must describe the same leads"
        )
    if len(np.unique(labels)) != 2:
        raise ValueError("y: the blend needs both classes on the validation slice")
    method = config.manual_calibration
    weights = recency_weights_of(time, recency)
    calibrator, chosen, candidates = fit_calibrator(
        points, labels, method, config.seed, sample_weight=weights
    )
    p_manual = calibrated_probability(calibrator, points)
    grid = config.weight_grid()
    curve = _valid_curve(p, p_manual, labels, grid)
    fitted = float(curve["weight"].iloc[int(np.argmin(curve["log_loss"].to_numpy()))])
    if np.unique(points).size <= 1:
        # one value (the empty rulebook's 0 points) ranks nobody: its calibrated probability
        # is the base rate, which can beat a weak model's log loss on its own and would win
        # the whole weight, making every final score the same; the lowest weight allowed
        fitted = float(grid[0])
    weight = fitted if config.manual_weight is None else float(config.manual_weight)
    scale = fit_scale(p, p_manual, labels, weight, sample_weight=weights)
    final = 100.0 * mix(p, p_manual, weight, scale)
    flow = float(len(p) if leads_per_period is None else leads_per_period)
    cutoffs = tier_cutoffs(final, config, flow)
    tiers = assign_tier(final, cutoffs, config.bottom_tier)
    return FittedBlend(
        config=config,
        manual_calibrator=calibrator,
        manual_method=chosen,
        fitted_weight=fitted,
        weight=weight,
        scale=scale,
        cutoffs=cutoffs,
        leads_per_period=flow,
        capacity=config.capacity_in_leads(flow),
        valid_curve=curve,
        calibration_log_loss=candidates,
        valid_shares={t: float(np.mean(tiers == t)) for t in config.tier_names},
        distinct_scores=int(np.unique(final).size),
        recency=recency,
    )
