"""Latent behaviour of each contact: how active, how interested, how reachable.

These hidden traits drive the activity streams. Buying intent (``in_market``) and the
share of high-intent visits grow with fit, so fit and engagement are correlated the way
they are in a real funnel; the conversion probability itself is only computed from
fit and the observed activities (:mod:`features.synthetic.propensity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from features.synthetic.accounts import AccountDraw
from features.synthetic.contacts import CORPORATE, FREE, ContactDraw
from features.synthetic.sampling import sigmoid

LATENT: dict[str, Any] = {
    "in_market": {"intercept": -2.0, "fit": 0.8, "noise_sd": 0.7, "competitor_rate": 0.5},
    "ghost_rate": 0.25,
    "sessions_per_day": {"log_mean": -3.6, "log_sd": 1.1, "in_market_factor": 1.6},
    "hot_share": {"intercept": -2.8, "fit": 0.5, "noise_sd": 0.6, "competitor": 0.5},
    "job_seeker": {"student": 0.5, "other": 0.05},
    "email": {
        "import_opt_out": 0.03,
        "unreached": 0.2,
        "bouncy": 0.015,
        # engaged leads read and click more: added to the rates of contacts in market
        "open_in_market": 0.2,
        "click_in_market": 0.3,
    },
    "phone": {"intercept": -0.3, "corporate": 0.6, "in_market": 0.8},
    "budget": {"intercept": -2.4, "in_market": 1.4},
}


@dataclass(frozen=True)
class Latent:
    """Hidden traits per contact (row ``i`` is contact ``i``)."""

    fit: np.ndarray
    in_market: np.ndarray
    senior: np.ndarray
    free_email: np.ndarray
    session_rate: np.ndarray
    hot_share: np.ndarray
    job_seeker: np.ndarray
    opted_out: np.ndarray
    email_share: np.ndarray
    open_rate: np.ndarray
    click_rate: np.ndarray
    unsubscribe_rate: np.ndarray
    bouncy: np.ndarray
    has_phone: np.ndarray
    budget: np.ndarray


def draw_latent(
    contacts: ContactDraw, accounts: AccountDraw, fit: np.ndarray, rng: np.random.Generator
) -> Latent:
    """Draw the hidden traits of every contact given its fit log-odds."""
    n = len(contacts)
    cfg = LATENT
    acc = np.maximum(contacts.account, 0)
    competitor = (contacts.account >= 0) & accounts.is_competitor[acc]
    seniority = contacts.seniority
    senior = np.isin(seniority, ["c_level", "vp", "director"])
    employee = contacts.is_employee

    im = cfg["in_market"]
    p_market = sigmoid(im["intercept"] + im["fit"] * fit + rng.normal(0, im["noise_sd"], n))
    p_market = np.where(competitor, im["competitor_rate"], p_market)
    in_market = (rng.random(n) < p_market) & ~employee

    sr = cfg["sessions_per_day"]
    rate = np.exp(rng.normal(sr["log_mean"], sr["log_sd"], n))
    rate = rate * np.where(in_market, sr["in_market_factor"], 1.0)
    rate = np.where(rng.random(n) < cfg["ghost_rate"], 0.0, rate)

    hs = cfg["hot_share"]
    hot = sigmoid(hs["intercept"] + hs["fit"] * fit + rng.normal(0, hs["noise_sd"], n))
    hot = np.where(competitor, hs["competitor"], hot)

    js = cfg["job_seeker"]
    p_seek = np.where(seniority == "student", js["student"], js["other"])
    job_seeker = rng.random(n) < p_seek

    em = cfg["email"]
    opted_out = (rng.random(n) < em["import_opt_out"]) | employee
    unreached = rng.random(n) < em["unreached"]
    email_share = np.where(opted_out | unreached, 0.0, rng.beta(1.5, 8.0, n))
    open_rate = np.minimum(rng.beta(1.5, 4.0, n) + em["open_in_market"] * in_market, 0.95)
    click_rate = rng.beta(1.0, 7.0, n) + em["click_in_market"] * in_market
    unsubscribe_rate = sigmoid(-2.8 - 0.4 * fit + rng.normal(0, 0.5, n))
    bouncy = rng.random(n) < em["bouncy"]

    ph = cfg["phone"]
    p_phone = sigmoid(
        ph["intercept"]
        + ph["corporate"] * (contacts.email_kind == CORPORATE)
        + ph["in_market"] * in_market
    )
    bd = cfg["budget"]
    states_budget = rng.random(n) < sigmoid(bd["intercept"] + bd["in_market"] * in_market)
    size = accounts.employees[acc].astype(float)
    amount = np.round(np.exp(rng.normal(np.log(3_000) + 0.35 * np.log(size + 1), 0.8)), -2)
    budget = np.where(states_budget, amount, np.nan)
    return Latent(
        fit=fit,
        in_market=in_market,
        senior=senior,
        free_email=contacts.email_kind == FREE,
        session_rate=rate,
        hot_share=hot,
        job_seeker=job_seeker,
        opted_out=opted_out,
        email_share=email_share,
        open_rate=open_rate,
        click_rate=np.minimum(click_rate, 0.9),
        unsubscribe_rate=unsubscribe_rate,
        bouncy=bouncy & (email_share > 0),
        has_phone=rng.random(n) < p_phone,
        budget=budget,
    )
