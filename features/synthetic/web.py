"""Inbound activity: web sessions, forms, downloads, webinars, ads, chats and buying bursts.

Every contact gets *background* sessions over its life in the CRM (many right after it
arrives, fewer later); a share of them are high-intent ("hot": pricing, demo, BOFU forms).
Contacts that are in market also get a *burst*: a few weeks of dense high-intent
activity whose end is their decision time. Page-view sessions expand to several pages.
"""

from __future__ import annotations

import numpy as np

from features.schema import ASSET_TYPES, FORM_STAGES, PAGE_CATEGORIES
from features.synthetic import content
from features.synthetic.contacts import ContactDraw
from features.synthetic.events import (
    DAY,
    KIND,
    PAGE_CATEGORY_OF,
    Catalog,
    Events,
    concat_events,
    make_events,
)
from features.synthetic.latent import Latent
from features.synthetic.sampling import draw_index, pick_within, ragged_repeat

GENERIC, HOT, BURST = 0, 1, 2
# fmt: off
KIND_MIX: tuple[dict[str, float], ...] = (
    {"page_view": 0.6, "form_submit": 0.06, "content_download": 0.05, "webinar_register": 0.025,
     "chat": 0.02, "ad_click": 0.1, "social_interaction": 0.07, "demo_request": 0.004,
     "quote_request": 0.002, "call": 0.01, "meeting": 0.003},
    {"page_view": 0.55, "form_submit": 0.12, "content_download": 0.08, "webinar_register": 0.05,
     "demo_request": 0.05, "quote_request": 0.025, "chat": 0.06, "ad_click": 0.04,
     "call": 0.015, "meeting": 0.01},
    {"page_view": 0.52, "form_submit": 0.13, "content_download": 0.07, "webinar_register": 0.06,
     "demo_request": 0.05, "quote_request": 0.03, "chat": 0.06, "ad_click": 0.03, "call": 0.02,
     "meeting": 0.02},
)
PAGE_MIX: tuple[dict[str, float], ...] = (
    {"home": 0.2, "blog": 0.33, "product": 0.15, "docs": 0.08, "careers": 0.04, "other": 0.08,
     "case_study": 0.04, "pricing": 0.05, "contact": 0.02, "demo": 0.01},
    {"pricing": 0.35, "demo": 0.12, "case_study": 0.15, "product": 0.23, "contact": 0.08,
     "docs": 0.05, "home": 0.02},
    {"pricing": 0.42, "demo": 0.16, "case_study": 0.14, "product": 0.18, "contact": 0.06,
     "docs": 0.04},
)
STAGE_MIX = ((0.7, 0.25, 0.05), (0.2, 0.35, 0.45), (0.1, 0.3, 0.6))
ASSET_MIX: tuple[dict[str, float], ...] = (
    {"ebook": 0.35, "whitepaper": 0.2, "report": 0.2, "other": 0.15, "case_study": 0.08,
     "price_list": 0.02},
    {"price_list": 0.3, "case_study": 0.3, "whitepaper": 0.2, "ebook": 0.1, "report": 0.1},
    {"price_list": 0.35, "case_study": 0.3, "whitepaper": 0.2, "ebook": 0.05, "report": 0.1},
)
# fmt: on
EARLY_DAYS = 60.0
LATE_RATE = 0.3
WEBINAR_ATTEND = 0.5
LIST_JOIN_RATE = 0.35


def _weights(mix: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    return np.array([mix.get(name, 0.0) for name in names])


def _sessions(
    contact: np.ndarray,
    t: np.ndarray,
    mix: int,
    catalog: Catalog,
    latent: Latent,
    rng: np.random.Generator,
) -> Events:
    """Turn session starts of one mix into activities with their detail codes."""
    kinds_all = tuple(KIND)
    kind = draw_index(rng, _weights(KIND_MIX[mix], kinds_all), len(contact))
    pv = kind == KIND["page_view"]
    pages_per = np.where(pv, rng.geometric(0.45, len(contact)), 1)
    owner, rank = ragged_repeat(pages_per)
    contact, kind = contact[owner], kind[owner]
    t = t[owner] + rank * rng.integers(15, 300, len(owner))
    n = len(contact)
    pv = kind == KIND["page_view"]

    category = draw_index(rng, _weights(PAGE_MIX[mix], PAGE_CATEGORIES), n)
    seeking = latent.job_seeker[contact] & (rng.random(n) < 0.3)
    category = np.where(seeking, PAGE_CATEGORIES.index("careers"), category)
    page = np.where(pv, pick_within(rng, category, PAGE_CATEGORY_OF, PAGE_CATEGORIES), -1)

    stage = draw_index(rng, STAGE_MIX[mix], n)
    form_stages = [s for _, s in content.FORMS]
    is_form = kind == KIND["form_submit"]
    form = np.where(is_form, pick_within(rng, stage, form_stages, FORM_STAGES), -1)

    asset_code = draw_index(rng, _weights(ASSET_MIX[mix], ASSET_TYPES), n)
    content_assets = [a for _, a in content.CONTENT_CAMPAIGNS]
    campaign_of_asset = np.array(
        [content_assets.index(a) if a in content_assets else -1 for a in ASSET_TYPES]
    )
    is_download = kind == KIND["content_download"]
    is_webinar = kind == KIND["webinar_register"]
    is_ad = kind == KIND["ad_click"]
    webinar = rng.integers(0, len(content.WEBINAR_CAMPAIGNS), n)
    ad = rng.integers(0, len(content.AD_CAMPAIGNS), n)
    campaign = np.select(
        [is_download, is_webinar, is_ad],
        [
            catalog.content_offset + campaign_of_asset[asset_code],
            catalog.webinar_offset + webinar,
            catalog.ad_offset + ad,
        ],
        -1,
    )
    asset = np.select(
        [is_download, is_webinar], [asset_code, ASSET_TYPES.index("webinar_recording")], -1
    )
    return make_events(contact, t, kind, page=page, form=form, asset=asset, campaign=campaign)


def web_activity(
    contacts: ContactDraw, latent: Latent, end: int, catalog: Catalog, rng: np.random.Generator
) -> tuple[Events, np.ndarray]:
    """Background sessions, buying bursts, webinar attendance and list joins.

    Args:
        latent: The contacts' hidden traits.
        end: End of the window, seconds since the epoch (nothing happens at or after it).
        catalog: Campaign names and e-mail sends.

    Returns:
        ``(events, decision_at)``: the activities and every contact's decision time.
    """
    n = len(contacts)
    created = contacts.created
    life = (end - created) / DAY
    early = EARLY_DAYS * (1 - np.exp(-life / EARLY_DAYS))
    counts = rng.poisson(latent.session_rate * (early + LATE_RATE * life))
    owner, _ = ragged_repeat(counts)
    m = len(owner)
    u = rng.random(m)
    is_early = rng.random(m) < (early / (early + LATE_RATE * life + 1e-9))[owner]
    trunc = 1 - np.exp(-life[owner] / EARLY_DAYS)
    offset = np.where(is_early, -EARLY_DAYS * np.log1p(-u * trunc), u * life[owner])
    t_bg = created[owner] + (offset * DAY).astype(np.int64)
    hot = rng.random(m) < latent.hot_share[owner]

    idx = np.flatnonzero(latent.in_market)
    span = (7 + rng.gamma(2.0, 8.0, len(idx))) * DAY
    room = np.maximum(end - created[idx] - span, 0)
    b0 = created[idx] + (rng.beta(0.8, 1.6, len(idx)) * room).astype(np.int64)
    b1 = np.minimum(b0 + span.astype(np.int64), end - 1)
    n_burst = 3 + rng.poisson(6 * np.exp(rng.normal(0, 0.5, len(idx))))
    b_owner, _ = ragged_repeat(n_burst)
    t_burst = b0[b_owner] + (rng.random(len(b_owner)) * (b1 - b0)[b_owner]).astype(np.int64)

    parts = [
        _sessions(owner[~hot], t_bg[~hot], GENERIC, catalog, latent, rng),
        _sessions(owner[hot], t_bg[hot], HOT, catalog, latent, rng),
        _sessions(idx[b_owner], t_burst, BURST, catalog, latent, rng),
    ]
    parts.append(_webinar_attendance(concat_events(parts), rng))
    joins = np.flatnonzero(rng.random(n) < LIST_JOIN_RATE)
    t_join = created[joins] + rng.integers(0, 120, len(joins))
    listn = draw_index(rng, [3, 2, 1, 1, 0.5, 1], len(joins))
    parts.append(make_events(joins, t_join, KIND["list_join"], listn=listn))
    events = concat_events(parts)
    events = events.take(events.t < end)

    decision_at = created + (rng.random(n) * (end - created)).astype(np.int64)
    decision_at[idx] = b1
    return events, decision_at


def _webinar_attendance(events: Events, rng: np.random.Generator) -> Events:
    """Some registrants attend, one to fourteen days after registering."""
    reg = events.take(events.kind == KIND["webinar_register"])
    attend = reg.take(rng.random(len(reg)) < WEBINAR_ATTEND)
    t = attend.t + rng.integers(1 * DAY, 14 * DAY, len(attend))
    return make_events(
        attend.contact,
        t,
        KIND["webinar_attend"],
        asset=attend.details["asset"],
        campaign=attend.details["campaign"],
    )
