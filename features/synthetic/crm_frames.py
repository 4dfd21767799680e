"""The contacts and accounts tables, with a lifecycle stage consistent with behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.schema import (
    ACCOUNTS,
    CONTACTS,
    DEPARTMENTS,
    LEAD_SOURCES,
    LIFECYCLE_STAGES,
    OUTCOMES,
    REGIONS,
    SALES_FEEDBACK,
    SENIORITIES,
)
from features.synthetic import vocab
from features.synthetic.accounts import AccountDraw
from features.synthetic.assemble import (
    category_from_codes,
    fixed_width_ids,
    kind_flags,
    lead_source_labels,
    region_codes,
    strings_from_codes,
    to_datetime,
)
from features.synthetic.contacts import ContactDraw, contact_emails, contact_phones
from features.synthetic.events import KIND, Events
from features.synthetic.latent import Latent
from features.synthetic.sales import NEVER, Outcomes, hand_raise_at


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

    def has_outcome(name: str) -> np.ndarray:
        mask = outcomes.outcome == OUTCOMES.index(name)
        return np.bincount(outcomes.contact[mask], minlength=n) > 0

    sql_mask = (events.kind == KIND["sales_feedback"]) & (
        events.details["feedback"] == SALES_FEEDBACK.index("true_sql")
    )
    is_sql = np.bincount(events.contact[sql_mask], minlength=n) > 0
    engaged = kind_flags(events, n, ["form_submit", "content_download", "webinar_register"])
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
