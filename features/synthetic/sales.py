"""Sales process: follow-up calls with feedback, deals moving through stages, outcomes.

A hand-raise (BOFU form, demo or quote request) usually gets a call within days and a
sales verdict (``true_sql`` more likely for well-fitting contacts). A conversion opens an
``opportunity`` after a discovery meeting; the deal then moves through proposal and
negotiation and closes ``won`` or ``lost`` weeks later, if it closes before the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.schema import DEAL_STAGES, FORM_STAGES, OUTCOMES, SALES_FEEDBACK
from features.synthetic.events import (
    DAY,
    FORM_STAGE_CODE,
    KIND,
    Events,
    concat_events,
    make_events,
)
from features.synthetic.latent import Latent
from features.synthetic.sampling import first_time_per_owner, ragged_repeat, sigmoid

FOLLOW_UP_RATE = 0.8
WIN: dict[str, float] = {"intercept": -1.0, "fit": 0.6}
CLOSE_DAYS = {"min": 7.0, "gamma_shape": 2.0, "gamma_scale": 15.0}
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Outcomes:
    """Outcome rows as parallel arrays: contact row, time, OUTCOMES index, deal value."""

    contact: np.ndarray
    t: np.ndarray
    outcome: np.ndarray
    deal_value: np.ndarray


def hand_raise_at(events: Events, n: int) -> np.ndarray:
    """First BOFU form, demo or quote request per contact (``NEVER`` if none)."""
    form = events.details["form"]
    bofu = (events.kind == KIND["form_submit"]) & (form >= 0)
    bofu &= FORM_STAGE_CODE[np.maximum(form, 0)] == FORM_STAGES.index("BOFU")
    raise_ = bofu | np.isin(events.kind, [KIND["demo_request"], KIND["quote_request"]])
    return first_time_per_owner(events.contact[raise_], events.t[raise_], n, NEVER)


def sales_activity(
    events: Events,
    latent: Latent,
    is_employee: np.ndarray,
    deal_size: np.ndarray,
    converted_at: np.ndarray,
    end: int,
    rng: np.random.Generator,
) -> tuple[Events, Outcomes]:
    """Sales touches and outcomes.

    Args:
        events: Inbound and e-mail activities (for the hand-raises).
        latent: Hidden traits (fit decides the sales verdict and win chance).
        is_employee: Our own employees get no follow-up.
        deal_size: Typical deal value per contact, USD.
        converted_at: Conversion time per contact (-1: never).
        end: End of the window; nothing happens at or after it.

    Returns:
        ``(events, outcomes)``.
    """
    n = len(converted_at)
    raised = hand_raise_at(events, n)
    who = np.flatnonzero((raised < NEVER) & ~is_employee & (rng.random(n) < FOLLOW_UP_RATE))
    call_at = raised[who] + (rng.uniform(0.2, 3.0, len(who)) * DAY).astype(np.int64)
    verdict_at = call_at + (rng.uniform(0.1, 2.0, len(who)) * DAY).astype(np.int64)
    fit = latent.fit[who]
    p_sql = sigmoid(0.2 + 1.0 * fit)
    p_unq = np.where(fit < -1.5, 0.8, 0.3)
    u = rng.random(len(who))
    verdict = np.where(u < p_sql, 0, np.where(u < p_sql + (1 - p_sql) * p_unq, 2, 1))
    verdict = np.array([SALES_FEEDBACK.index(v) for v in ("true_sql", "not_ready", "unqualified")])[
        verdict
    ]
    parts = [
        make_events(who, call_at, KIND["call"]),
        make_events(who, verdict_at, KIND["sales_feedback"], feedback=verdict),
    ]

    conv = np.flatnonzero(converted_at >= 0)
    opened = converted_at[conv]
    c = CLOSE_DAYS
    close_days = c["min"] + rng.gamma(c["gamma_shape"], c["gamma_scale"], len(conv))
    closed = opened + (close_days * DAY).astype(np.int64)
    won = rng.random(len(conv)) < sigmoid(WIN["intercept"] + WIN["fit"] * latent.fit[conv])
    negotiated = won | (rng.random(len(conv)) < 0.5)
    stage = DEAL_STAGES.index
    span = closed - opened

    def stage_change(who: np.ndarray, t: np.ndarray, code: np.ndarray | int) -> Events:
        return make_events(who, t, KIND["deal_stage_change"], stage=code)

    parts += [
        make_events(conv, opened - rng.integers(600, DAY // 2, len(conv)), KIND["meeting"]),
        stage_change(conv, opened, stage("qualification")),
        stage_change(conv, opened + (0.4 * span).astype(np.int64), stage("proposal")),
        stage_change(
            conv[negotiated],
            opened[negotiated] + (0.75 * span[negotiated]).astype(np.int64),
            stage("negotiation"),
        ),
        stage_change(conv, closed, np.where(won, stage("closed_won"), stage("closed_lost"))),
    ]
    touches = rng.poisson(2.0, len(conv))
    t_owner, _ = ragged_repeat(touches)
    t_touch = opened[t_owner] + (rng.random(len(t_owner)) * span[t_owner]).astype(np.int64)
    kind = np.where(rng.random(len(t_owner)) < 0.5, KIND["call"], KIND["meeting"])
    parts.append(make_events(conv[t_owner], t_touch, kind))
    sales = concat_events(parts)
    sales = sales.take(sales.t < end)

    value = np.round(deal_size[conv] * np.exp(rng.normal(0, 0.3, len(conv))), -2)
    final = np.round(value * np.where(won, rng.uniform(0.8, 1.05, len(conv)), 1.0), -2)
    done = closed < end
    outcomes = Outcomes(
        contact=np.concatenate([conv, conv[done]]).astype(np.int32),
        t=np.concatenate([opened, closed[done]]),
        outcome=np.concatenate(
            [
                np.full(len(conv), OUTCOMES.index("opportunity")),
                np.where(won[done], OUTCOMES.index("won"), OUTCOMES.index("lost")),
            ]
        ).astype(np.int8),
        deal_value=np.concatenate([value, final[done]]),
    )
    return sales, outcomes
