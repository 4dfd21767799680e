"""Generate a synthetic B2B CRM with a known conversion probability behind every contact.

The generative story (coefficients in :mod:`features.synthetic.propensity`):

1. **Accounts** have an industry, a heavy-tailed head count, revenue that tracks it, a
   country and region; ~2% are customers, ~1% competitors.
2. **Contacts** arrive uniformly over ``months`` before ``end``. Two in three write from
   their company's domain, the rest from gmail.com, yahoo.com, ... (those are more often
   students or freelancers and only sometimes linked to an account); a few are our own
   employees or partners. Job titles are free text ("VP of Marketing", "Head of
   Growth", "Student") with seniority and department derived from them.
3. **Fit** (who they are) sets a fit log-odds and makes a contact more likely to be
   *in market*.
4. **Activities**: every contact browses, downloads, registers for webinars, clicks ads
   and receives campaign e-mails at its own pace (many contacts do almost nothing, a
   few a lot); careers-page visitors are often job seekers. In-market contacts (and
   snooping competitors) go through a *buying burst*: weeks of pricing and demo pages,
   BOFU forms, webinars, demo and quote requests and more e-mail clicks. Its end is the
   contact's *decision time*; contacts not in market decide at a random time.
5. **Propensity**: log-odds = intercept + fit + engagement (computed from the activities
   up to the decision time, with saturation, interactions and recency) + noise. An
   opportunity opens days to weeks after the decision time if it falls before ``end``;
   ``propensity`` is the true probability of that. Hand-raises get a sales call and a
   verdict; opportunities move through deal stages and close won or lost weeks later.
6. **Dirt** is planted last, on copies, and counted (:mod:`features.synthetic.dirt`).

Traps for scorers, on purpose: competitors view pricing a lot but never buy; pricing
views count more from decision makers; demo requests from free-mail addresses count
less; company size helps up to a point; engagement goes stale. ``lifecycle_stage`` is
the stage at export time and leaks the outcome, as in real CRMs.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.events import utc_timestamp
from features.synthetic import propensity
from features.synthetic.accounts import account_count, account_created_at, draw_accounts
from features.synthetic.assemble import (
    accounts_frame,
    activities_frame,
    contact_ids,
    contacts_frame,
    lifecycle_codes,
    outcomes_frame,
    to_datetime,
)
from features.synthetic.bots import plant_bots
from features.synthetic.config import GENERATOR_VERSION, DirtConfig, SyntheticCrm
from features.synthetic.contacts import CORPORATE, draw_contacts
from features.synthetic.dirt import plant_dirt
from features.synthetic.email import email_activity
from features.synthetic.events import build_catalog, concat_events
from features.synthetic.latent import LATENT, draw_latent
from features.synthetic.sales import WIN, sales_activity
from features.synthetic.sampling import first_time_per_owner
from features.synthetic.web import web_activity

logger = logging.getLogger(__name__)
MAX_CONTACTS = 50_000_000
DEFAULT_BOT_SHARE = 0.2
DEFAULT_END = "2026-09-30"
"""End of the synthetic history (exclusive) when none is given: ``generate_crm`` and
``leadscore generate --end``."""


def generate_crm(
    n_contacts: int,
    seed: int = 0,
    *,
    end: str | pd.Timestamp = DEFAULT_END,
    months: int = 18,
    dirt: DirtConfig | None = None,
    bot_share: float = DEFAULT_BOT_SHARE,
) -> SyntheticCrm:
    """Generate a synthetic CRM with a hidden, known conversion probability per contact.

    About 10% of contacts open an opportunity; the same arguments always give the same data.

    Args:
        n_contacts: Number of contacts (1 to 50,000,000; ~20 activities each).
        seed: Random seed; all randomness derives from it.
        end: End of the data (exclusive), e.g. "2026-09-30"; naive times are UTC (default
            :data:`DEFAULT_END`).
        months: Length of the period in which contacts arrive.
        dirt: Dirt to plant; None plants the small defaults of :class:`DirtConfig`,
            ``DirtConfig.none()`` gives clean data.
        bot_share: Bots' events (link-scanner clicks, privacy-proxy opens) as a share of
            all e-mail opens and clicks (:mod:`features.synthetic.bots`); 0 plants none.

    Returns:
        The tables (canonical columns and dtypes, with dirt), the truth per contact and
        the parameters used (``truth_params``, incl. the planted dirt counts) and the
        ids of the planted bot events (``bot_activities``).

    Raises:
        ValueError: If ``n_contacts`` or ``months`` is out of range.
    """
    if not 1 <= n_contacts <= MAX_CONTACTS:
        raise ValueError(f"n_contacts must be between 1 and {MAX_CONTACTS:,}, got {n_contacts}")
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if not 0 <= bot_share < 1:
        raise ValueError(f"bot_share must be at least 0 and below 1, got {bot_share}")
    dirt = DirtConfig() if dirt is None else dirt
    end_ts = utc_timestamp(end)
    start_ts = end_ts - pd.DateOffset(months=months)
    start, stop = start_ts.value // 10**9, end_ts.value // 10**9
    rngs = np.random.default_rng(seed).spawn(10)

    accounts = draw_accounts(account_count(n_contacts), rngs[0])
    contacts = draw_contacts(n_contacts, start, stop, accounts, rngs[1])
    fit = propensity.fit_logit(contacts, accounts)
    latent = draw_latent(contacts, accounts, fit, rngs[2])
    catalog = build_catalog(start, stop)
    web, decision_at = web_activity(contacts, latent, stop, catalog, rngs[3])
    mail, unsubscribed = email_activity(
        contacts.created, latent, decision_at, stop, catalog, rngs[4]
    )
    inbound = concat_events([web, mail])
    counts = propensity.engagement_counts(inbound, decision_at)
    engagement = propensity.engagement_logit(counts, latent.senior, latent.free_email)
    conv = propensity.draw_conversions(
        propensity.INTERCEPT + fit + engagement, decision_at, stop, rngs[5]
    )
    acc = np.maximum(contacts.account, 0)
    deal_size = np.where(
        contacts.account >= 0, 2_000 * (accounts.employees[acc] + 1.0) ** 0.35, 2_500.0
    )
    sales, outcomes = sales_activity(
        inbound, latent, contacts.is_employee, deal_size, conv["converted_at"], stop, rngs[6]
    )
    events = concat_events([inbound, sales])
    del web, mail, inbound, sales
    logger.info("generated %d contacts, %d activities", n_contacts, len(events))

    ids = contact_ids(n_contacts)
    lifecycle = lifecycle_codes(contacts, accounts, events, outcomes, rngs[7])
    first_contact = first_time_per_owner(
        contacts.account[contacts.account >= 0],
        contacts.created[contacts.account >= 0],
        len(accounts),
        stop,
    )
    clean = CrmTables(
        contacts=contacts_frame(
            contacts, accounts, latent, lifecycle, latent.opted_out | unsubscribed, rngs[7]
        ),
        accounts=accounts_frame(accounts, account_created_at(first_contact, start, stop, rngs[7])),
        activities=activities_frame(events, catalog, ids),
        outcomes=outcomes_frame(outcomes, ids),
    )
    del events
    people = len(clean.activities)
    corporate = pd.Series(contacts.email_kind == CORPORATE, index=ids)
    activities, bot_ids = plant_bots(clean.activities, bot_share, end_ts, rngs[9], corporate)
    clean = replace(clean, activities=activities)
    tables, dirt_counts, typos = plant_dirt(clean, dirt, rngs[8])
    truth = pd.DataFrame(
        {
            "contact_id": ids,
            "fit_logit": fit,
            "engagement_logit": engagement,
            "propensity": conv["propensity"],
            "converted": conv["converted"],
            "converted_at": to_datetime(np.maximum(conv["converted_at"], 0)).where(
                conv["converted"]
            ),
        }
    )
    params = {
        "generator_version": GENERATOR_VERSION,
        "n_contacts": n_contacts,
        "seed": seed,
        "start": start_ts.isoformat(),
        "end": end_ts.isoformat(),
        "months": months,
        "propensity": propensity.params(),
        "latent": LATENT,
        "win": WIN,
        "dirt_config": dirt.model_dump(),
        "dirt": dirt_counts,
        "realised": {
            "conversion_rate": float(conv["converted"].mean()),
            "in_market_rate": float(latent.in_market.mean()),
            "activities_per_contact": float(people / n_contacts),
        },
        "bots": {"share": bot_share, "planted": len(bot_ids)},
    }
    return SyntheticCrm(
        tables=tables,
        truth=truth,
        truth_params=params,
        csv_timestamp_typos=typos,
        bot_activities=bot_ids,
    )
