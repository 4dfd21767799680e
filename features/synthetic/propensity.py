"""The hidden truth: fit, latent buying intent, engagement and conversion probability.

Conversion log-odds = ``INTERCEPT + fit_logit + engagement_logit + noise``.

* ``fit_logit`` is who the contact is: seniority, department, industry, company size
  (a hump: mid-sized firms fit best, one-person shops and giants less), corporate vs
  free e-mail, first-touch source; competitors, students, our own employees and
  partners are strongly negative.
* ``engagement_logit`` is what the contact did up to its *decision time*: pricing and
  demo page views (saturating, and worth more from decision makers), BOFU forms,
  webinar attendance, demo/quote requests (worth less from free-mail addresses), e-mail
  clicks, a bonus when pricing visits and a hand-raise come together, recency of the
  latest engagement (decays over weeks); careers-page visits and unsubscribing are
  negative.

Contacts that are *in market* (more likely when fit is high) go through a buying burst
of a few weeks of high-intent activity; their decision time is the burst's end. Others
decide at a random time of their life in the CRM. An opportunity opens a lag of days to
weeks after the decision time, so the observed probability of converting by the end
date is ``sigmoid(log-odds) * P(lag <= end - decision time)``: that is ``propensity``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.schema import FORM_STAGES, LEAD_SOURCES, PAGE_CATEGORIES
from features.synthetic import vocab
from features.synthetic.accounts import AccountDraw
from features.synthetic.contacts import FREE, ContactDraw
from features.synthetic.events import DAY, FORM_STAGE_CODE, KIND, PAGE_CATEGORY_CODE, Events
from features.synthetic.sampling import sigmoid

INTERCEPT = -4.6
NOISE_SD = 0.5
LAG_MIN_DAYS = 1.0
LAG_MEAN_DAYS = 12.0

# fmt: off
FIT: dict[str, Any] = {
    "seniority": {
        "c_level": 0.7, "vp": 0.9, "director": 0.8, "manager": 0.4,
        "individual_contributor": 0.0, "student": -2.0, "other": -0.6,
    },
    "department": {
        "executive": 0.4, "marketing": 0.6, "sales": 0.4, "it": 0.1, "engineering": -0.1,
        "finance": 0.0, "hr": -0.5, "operations": 0.0, "education": -0.8, "other": -0.3,
    },
    "industry": {
        "software": 0.6, "financial services": 0.3, "marketing & advertising": 0.5,
        "consulting": 0.2, "healthcare": 0.0, "manufacturing": 0.1, "retail": 0.1,
        "e-commerce": 0.3, "education": -0.6, "telecommunications": 0.1, "media": 0.0,
        "logistics": 0.0, "real estate": -0.2, "government": -0.7, "non-profit": -0.8,
        "energy": 0.0,
    },
    "source": {
        "organic_search": 0.0, "paid_search": 0.0, "paid_social": -0.3, "social": -0.2,
        "email": 0.0, "referral": 0.5, "direct": 0.2, "event": 0.3, "partner": 0.3,
        "webinar": 0.2, "content": -0.4, "other": -0.2,
    },
    "size_peak": 0.5, "size_curvature": 0.22, "size_center_log10": 2.8, "no_account": -0.4,
    "free_email": -0.9, "competitor": -4.0, "customer": 0.4, "employee": -6.0,
    "partner": -2.0,
}
ENGAGEMENT: dict[str, float] = {
    "log_pricing_views": 0.55, "senior_pricing_boost": 0.6, "log_demo_views": 0.45,
    "bofu_forms_capped2": 0.8, "webinar_attended": 0.5, "hand_raise": 1.3,
    "hand_raise_free_email": -0.7, "pricing_and_hand_raise": 0.5, "log_email_clicks": 0.35,
    "log_careers_views": -0.6, "unsubscribed": -1.5, "staleness": -1.3,
    "staleness_scale_days": 21.0, "log_page_views": 0.1,
}
# fmt: on


def fit_logit(contacts: ContactDraw, accounts: AccountDraw) -> np.ndarray:
    """Fit log-odds of every contact from its firmographics and demographics."""
    acc = np.maximum(contacts.account, 0)
    has_acc = contacts.account >= 0
    titles = vocab.JOB_TITLES
    seniority = np.array([FIT["seniority"][t[1]] for t in titles])[contacts.title]
    department = np.array([FIT["department"][t[2]] for t in titles])[contacts.title]
    industries = [name for name, _ in vocab.INDUSTRIES]
    industry = np.array([FIT["industry"][i] for i in industries])[accounts.industry[acc]]
    source = np.array([FIT["source"][s] for s in LEAD_SOURCES])[contacts.original_source]
    size_dev = np.log10(accounts.employees[acc] + 1.0) - FIT["size_center_log10"]
    size = FIT["size_peak"] - FIT["size_curvature"] * size_dev**2
    logit = (
        seniority
        + department
        + source
        + np.where(has_acc, industry + size, FIT["no_account"])
        + FIT["free_email"] * (contacts.email_kind == FREE)
        + FIT["competitor"] * (has_acc & accounts.is_competitor[acc])
        + FIT["customer"] * (has_acc & accounts.is_customer[acc])
        + FIT["employee"] * contacts.is_employee
        + FIT["partner"] * contacts.is_partner
    )
    return logit.astype(float)


def engagement_counts(events: Events, decision_at: np.ndarray) -> dict[str, np.ndarray]:
    """Per-contact counts of the engagement signals that happened by the decision time."""
    n = len(decision_at)
    before = events.t <= decision_at[events.contact]
    contact, t, kind = events.contact[before], events.t[before], events.kind[before]
    page, form = events.details["page"][before], events.details["form"][before]
    category = np.where(page >= 0, PAGE_CATEGORY_CODE[np.maximum(page, 0)], -1)
    stage = np.where(form >= 0, FORM_STAGE_CODE[np.maximum(form, 0)], -1)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(contact[mask], minlength=n).astype(float)

    def is_category(name: str) -> np.ndarray:
        return category == PAGE_CATEGORIES.index(name)

    engaged = ~np.isin(kind, [KIND["email_sent"], KIND["email_bounce"], KIND["list_join"]])
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, contact[engaged], t[engaged])
    staleness_days = np.where(last >= 0, (decision_at - last) / DAY, np.inf)
    bofu = FORM_STAGES.index("BOFU")
    return {
        "pricing_views": count(is_category("pricing")),
        "demo_views": count(is_category("demo")),
        "careers_views": count(is_category("careers")),
        "page_views": count(kind == KIND["page_view"]),
        "bofu_forms": count((kind == KIND["form_submit"]) & (stage == bofu)),
        "webinars_attended": count(kind == KIND["webinar_attend"]),
        "hand_raises": count(np.isin(kind, [KIND["demo_request"], KIND["quote_request"]])),
        "email_clicks": count(kind == KIND["email_click"]),
        "unsubscribes": count(kind == KIND["email_unsubscribe"]),
        "staleness_days": staleness_days,
    }


def engagement_logit(
    counts: dict[str, np.ndarray], senior: np.ndarray, free_email: np.ndarray
) -> np.ndarray:
    """Engagement log-odds from :func:`engagement_counts` (non-linear, with interactions)."""
    e = ENGAGEMENT
    hand_raise = counts["hand_raises"] > 0
    pricing = np.log1p(counts["pricing_views"])
    stale = 1.0 - np.exp(-counts["staleness_days"] / e["staleness_scale_days"])
    return (
        e["log_pricing_views"] * pricing * (1.0 + e["senior_pricing_boost"] * senior)
        + e["log_demo_views"] * np.log1p(counts["demo_views"])
        + e["bofu_forms_capped2"] * np.minimum(counts["bofu_forms"], 2)
        + e["webinar_attended"] * (counts["webinars_attended"] > 0)
        + hand_raise * (e["hand_raise"] + e["hand_raise_free_email"] * free_email)
        + e["pricing_and_hand_raise"] * (hand_raise & (counts["pricing_views"] >= 2))
        + e["log_email_clicks"] * np.log1p(counts["email_clicks"])
        + e["log_careers_views"] * np.log1p(counts["careers_views"])
        + e["unsubscribed"] * (counts["unsubscribes"] > 0)
        + e["staleness"] * stale
        + e["log_page_views"] * np.log1p(counts["page_views"])
    )


def lag_cdf(days: np.ndarray) -> np.ndarray:
    """P(decision-to-opportunity lag <= ``days``): a shifted exponential."""
    return np.where(days > LAG_MIN_DAYS, 1.0 - np.exp(-(days - LAG_MIN_DAYS) / LAG_MEAN_DAYS), 0.0)


def params() -> dict[str, Any]:
    """The coefficients above as JSON-serialisable data."""
    return {
        "intercept": INTERCEPT,
        "noise_sd": NOISE_SD,
        "fit": FIT,
        "engagement": ENGAGEMENT,
        "lag_days": {"min": LAG_MIN_DAYS, "exponential_mean": LAG_MEAN_DAYS},
    }


def draw_conversions(
    logit_without_noise: np.ndarray,
    decision_at: np.ndarray,
    end: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Who opens an opportunity by ``end``, when, and with what true probability.

    Args:
        logit_without_noise: ``INTERCEPT + fit_logit + engagement_logit`` per contact.
        decision_at: Decision time per contact, seconds since the epoch.
        end: End of the window.

    Returns:
        ``propensity`` (includes the contact's noise draw and the chance that the lag
        ends before ``end``), ``converted`` and ``converted_at`` (seconds; -1 if not).
    """
    n = len(decision_at)
    p_decide = sigmoid(logit_without_noise + rng.normal(0.0, NOISE_SD, n))
    lag_days = LAG_MIN_DAYS + rng.exponential(LAG_MEAN_DAYS, n)  # distributed as lag_cdf
    converted_at = decision_at + (lag_days * DAY).astype(np.int64)
    converted = (rng.random(n) < p_decide) & (converted_at < end)
    propensity = p_decide * lag_cdf((end - decision_at) / DAY)
    return {
        "propensity": propensity,
        "converted": converted,
        "converted_at": np.where(converted, converted_at, -1),
    }
