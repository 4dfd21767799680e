"""Turn generated arrays into the canonical tables (columns and dtypes of the schema),
with a lifecycle stage consistent with behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.schema import (
    ACCOUNTS,
    ACTIVITIES,
    ACTIVITY_TYPES,
    ASSET_TYPES,
    CHANNELS,
    CONTACTS,
    DEAL_STAGES,
    DEPARTMENTS,
    FORM_STAGES,
    LEAD_SOURCES,
    LIFECYCLE_STAGES,
    OUTCOMES,
    PAGE_CATEGORIES,
    REGIONS,
    SALES_FEEDBACK,
    SENIORITIES,
)
from features.synthetic import content, vocab
from features.synthetic.accounts import AccountDraw
from features.synthetic.contacts import ContactDraw, contact_emails, contact_phones
from features.synthetic.events import FORM_STAGE_CODE, KIND, PAGE_CATEGORY_CODE, Catalog, Events
from features.synthetic.latent import Latent
from features.synthetic.sales import NEVER, Outcomes, hand_raise_at

# fmt: off
CHANNEL_OF_KIND = {
    "page_view": "web", "email_sent": "email", "email_open": "email", "email_click": "email",
    "email_unsubscribe": "email", "email_bounce": "email", "form_submit": "web",
    "content_download": "web", "webinar_register": "event", "webinar_attend": "event",
    "demo_request": "web", "quote_request": "web", "chat": "chat", "call": "sales",
    "meeting": "sales", "ad_click": "ads", "social_interaction": "social",
    "list_join": "other", "deal_stage_change": "sales", "sales_feedback": "sales",
    "ad_impression": "ads", "video_view": "web",
}
# fmt: on
NOT_SIMULATED: tuple[str, ...] = ("ad_impression", "video_view")
"""Activity types of the vocabulary the synthetic CRM never emits (its story has no ad
impressions or video views; event-log exports bring them)."""


def fixed_width_ids(prefix: str, numbers: np.ndarray, width: int) -> pd.Series:
    """``prefix`` + zero-padded ``numbers`` as a ``string`` Series, built in Arrow.

    Raises:
        ValueError: If a number needs more than ``width`` digits.
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) and (numbers.min() < 0 or numbers.max() >= 10**width):
        raise ValueError(f"id numbers must lie in [0, 10**{width}) for prefix {prefix!r}")
    text = pa.large_string()  # no 2 GiB limit on a column of a billion ids
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), text), width, "0")
    ids = pc.binary_join_element_wise(pa.scalar(prefix, text), digits, pa.scalar("", text))
    return pd.Series(ids, dtype="string")


def strings_from_codes(
    codes: np.ndarray, values: list[str] | tuple[str, ...] | pd.Series
) -> pd.Series:
    """``values[code]`` per row as a ``string`` Series; code -1 gives <NA>."""
    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0)
    plain = values if isinstance(values, pd.Series) else list(values)
    dictionary = pa.array(plain, type=pa.string())
    return pd.Series(
        pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string()), dtype="string"
    )


def category_from_codes(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    """A categorical with exactly ``categories``; code -1 gives NaN."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), categories=categories)


def to_datetime(seconds: np.ndarray) -> pd.Series:
    """Seconds since the epoch to ``datetime64[ns, UTC]``."""
    ns = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[ns]")
    return pd.Series(ns).dt.tz_localize("UTC")


def region_codes(country: np.ndarray) -> np.ndarray:
    """Index into ``schema.REGIONS`` of each ``vocab.COUNTRIES`` index."""
    return np.array([REGIONS.index(c[2]) for c in vocab.COUNTRIES], np.int8)[country]


def activities_frame(events: Events, catalog: Catalog, contact_ids: pd.Series) -> pd.DataFrame:
    """The activities table, ordered by time, with sequential ids in that order."""
    order = np.lexsort((events.kind, events.contact, events.t))
    ev = events.take(order)
    d = ev.details
    list_channel = np.array([CHANNELS.index(ch) for _, ch in content.LISTS], np.int8)
    kind_channel = np.array([CHANNELS.index(CHANNEL_OF_KIND[k]) for k in ACTIVITY_TYPES], np.int8)
    channel = np.where(
        d["listn"] >= 0, list_channel[np.maximum(d["listn"], 0)], kind_channel[ev.kind]
    )
    page_cat = np.where(d["page"] >= 0, PAGE_CATEGORY_CODE[np.maximum(d["page"], 0)], -1)
    stage = np.where(d["form"] >= 0, FORM_STAGE_CODE[np.maximum(d["form"], 0)], -1)
    frame = pd.DataFrame(
        {
            "activity_id": fixed_width_ids("act_", np.arange(1, len(ev) + 1), 10),
            "contact_id": contact_ids.take(ev.contact).reset_index(drop=True),
            "occurred_at": to_datetime(ev.t),
            "activity_type": category_from_codes(ev.kind, ACTIVITY_TYPES),
            "page_url": strings_from_codes(d["page"], [p for p, _ in content.PAGES]),
            "page_category": category_from_codes(page_cat, PAGE_CATEGORIES),
            "email_id": strings_from_codes(d["email"], catalog.email_ids),
            "form_id": strings_from_codes(d["form"], [f for f, _ in content.FORMS]),
            "form_stage": category_from_codes(stage, FORM_STAGES),
            "asset_type": category_from_codes(d["asset"], ASSET_TYPES),
            "campaign": strings_from_codes(d["campaign"], catalog.campaigns),
            "channel": category_from_codes(channel, CHANNELS),
            "list_name": strings_from_codes(d["listn"], [name for name, _ in content.LISTS]),
            "deal_stage": category_from_codes(d["stage"], DEAL_STAGES),
            "feedback": category_from_codes(d["feedback"], SALES_FEEDBACK),
            "user_agent": pd.Series(pd.NA, index=range(len(ev)), dtype="string"),
            "ip": pd.Series(pd.NA, index=range(len(ev)), dtype="string"),
            "delivered_at": pd.Series(pd.NaT, index=range(len(ev)), dtype="datetime64[ns, UTC]"),
        }
    )
    return frame[list(ACTIVITIES.names)]


def outcomes_frame(outcomes: Outcomes, contact_ids: pd.Series) -> pd.DataFrame:
    """The outcomes table, ordered by time."""
    order = np.lexsort((outcomes.outcome, outcomes.contact, outcomes.t))
    return pd.DataFrame(
        {
            "contact_id": contact_ids.take(outcomes.contact[order]).reset_index(drop=True),
            "converted_at": to_datetime(outcomes.t[order]),
            "outcome": category_from_codes(outcomes.outcome[order], OUTCOMES),
            "deal_value": outcomes.deal_value[order].astype(float),
        }
    )


def lead_source_labels(codes: np.ndarray) -> pd.Series:
    """First-touch source as a CRM exports it ("Organic Search", ...)."""
    return strings_from_codes(codes, [vocab.ORIGINAL_SOURCE_LABELS[s] for s in LEAD_SOURCES])


def contact_ids(n: int) -> pd.Series:
    """Ids of contacts 0..n-1 (``con_00000001``, ...), in creation order."""
    return fixed_width_ids("con_", np.arange(1, n + 1), 8)


def account_ids(n: int) -> pd.Series:
    """Ids of accounts 0..n-1 (``acc_00000001``, ...)."""
    return fixed_width_ids("acc_", np.arange(1, n + 1), 8)


def lifecycle_codes(
    contacts: ContactDraw,
    accounts: AccountDraw,
    events: Events,
    outcomes: Outcomes,
    rng: np.random.Generator,
) -> np.ndarray:
    """Lifecycle stage at export time, index into ``schema.LIFECYCLE_STAGES``.

    Employees and partners are ``other``; won deals and most contacts of customer
    accounts are ``customer``; open deals ``opportunity`` (lost ones half ``other``);
    a ``true_sql`` verdict makes an ``sql``; a hand-raise an ``mql``; any form, download
    or webinar registration a ``lead``; the rest are subscribers or bare leads.
    """
    n = len(contacts)

    def any_of(contact: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Per contact: whether any of its rows is in ``mask``."""
        return np.bincount(contact[mask], minlength=n) > 0

    def has_outcome(name: str) -> np.ndarray:
        return any_of(outcomes.contact, outcomes.outcome == OUTCOMES.index(name))

    verdict = events.details["feedback"] == SALES_FEEDBACK.index("true_sql")
    is_sql = any_of(events.contact, (events.kind == KIND["sales_feedback"]) & verdict)
    engaging = [KIND[k] for k in ("form_submit", "content_download", "webinar_register")]
    engaged = any_of(events.contact, np.isin(events.kind, engaging))
    raised = hand_raise_at(events, n) < NEVER
    acc = np.maximum(contacts.account, 0)
    customer_account = (contacts.account >= 0) & accounts.is_customer[acc]
    lost, won = has_outcome("lost"), has_outcome("won")
    u = rng.random(n)
    stage = np.select(
        [
            contacts.is_employee | contacts.is_partner,
            won | (customer_account & (u < 0.6)),
            lost & (u < 0.5),
            has_outcome("opportunity"),
            is_sql,
            raised,
            engaged,
            u < 0.6,
        ],
        ["other", "customer", "other", "opportunity", "sql", "mql", "lead", "subscriber"],
        "lead",
    )
    return pd.Index(LIFECYCLE_STAGES).get_indexer(stage).astype(np.int16)


def contacts_frame(
    contacts: ContactDraw,
    accounts: AccountDraw,
    latent: Latent,
    lifecycle: np.ndarray,
    do_not_email: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The contacts table in canonical columns and dtypes."""
    n = len(contacts)
    acc_ids = account_ids(len(accounts))
    account_id = strings_from_codes(contacts.account, acc_ids)
    frame = pd.DataFrame(
        {
            "contact_id": contact_ids(n),
            "created_at": to_datetime(contacts.created),
            "email": contact_emails(contacts, accounts, rng),
            "phone": contact_phones(contacts, latent.has_phone, rng),
            "job_title": strings_from_codes(contacts.title, [t[0] for t in vocab.JOB_TITLES]),
            "seniority": pd.Categorical(contacts.seniority, categories=SENIORITIES),
            "department": pd.Categorical(contacts.department, categories=DEPARTMENTS),
            "country": strings_from_codes(contacts.country, [c[0] for c in vocab.COUNTRIES]),
            "region": category_from_codes(region_codes(contacts.country), REGIONS),
            "lead_source": category_from_codes(contacts.lead_source, LEAD_SOURCES),
            "original_source": lead_source_labels(contacts.original_source),
            "lifecycle_stage": category_from_codes(lifecycle, LIFECYCLE_STAGES),
            "account_id": account_id,
            "do_not_email": pd.array(do_not_email, dtype="boolean"),
            "budget": latent.budget.astype(float),
            "is_employee": pd.array(contacts.is_employee, dtype="boolean"),
            "is_partner": pd.array(contacts.is_partner, dtype="boolean"),
        }
    )
    return frame[list(CONTACTS.names)]


def accounts_frame(accounts: AccountDraw, created_at: np.ndarray) -> pd.DataFrame:
    """The accounts table in canonical columns and dtypes."""
    frame = pd.DataFrame(
        {
            "account_id": account_ids(len(accounts)),
            "name": pd.Series(accounts.name, dtype="string"),
            "domain": pd.Series(accounts.domain, dtype="string"),
            "industry": strings_from_codes(accounts.industry, [i for i, _ in vocab.INDUSTRIES]),
            "employees": pd.array(accounts.employees, dtype="Int64"),
            "annual_revenue": accounts.revenue.astype(float),
            "country": strings_from_codes(accounts.country, [c[0] for c in vocab.COUNTRIES]),
            "region": category_from_codes(region_codes(accounts.country), REGIONS),
            "is_customer": pd.array(accounts.is_customer, dtype="boolean"),
            "is_competitor": pd.array(accounts.is_competitor, dtype="boolean"),
            "created_at": to_datetime(created_at),
        }
    )
    return frame[list(ACCOUNTS.names)]
