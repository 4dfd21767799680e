"""Synthetic contacts: when they arrived, where they work, who they are and how they came.

Corporate contacts work at an account and write from its domain; free-mail contacts
(gmail.com, yahoo.com, ...) are more often students, freelancers or consumers and are
only sometimes linked to an account; a few contacts are our own employees or partners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.schema import LEAD_SOURCES
from features.synthetic import vocab
from features.synthetic.accounts import AccountDraw
from features.synthetic.sampling import ParallelArrays, draw_index

CORPORATE, FREE, OWN = 0, 1, 2
FREE_EMAIL_RATE = 0.33
EMPLOYEE_RATE = 0.003
PARTNER_RATE = 0.01
FREE_WITH_ACCOUNT = 0.3
TITLE_SENIORITY = np.array([t[1] for t in vocab.JOB_TITLES])
TITLE_DEPARTMENT = np.array([t[2] for t in vocab.JOB_TITLES])


@dataclass(frozen=True)
class ContactDraw(ParallelArrays):
    """Contacts as parallel arrays, row ``i`` is contact ``i`` (ordered by ``created``).

    Attributes:
        created: Creation time, seconds since the epoch, ascending.
        account: Account row (-1: no account).
        email_kind: CORPORATE, FREE or OWN (our employees).
        free_domain: Index into ``vocab.FREE_EMAIL_DOMAINS`` (-1 unless FREE).
        is_partner: Works for a partner.
        title: Index into ``vocab.JOB_TITLES``.
        country: Index into ``vocab.COUNTRIES``.
        first: Index into ``vocab.FIRST_NAMES``.
        last: Index into ``vocab.LAST_NAMES``.
        lead_source: Index into ``schema.LEAD_SOURCES`` (latest source).
        original_source: Index into ``schema.LEAD_SOURCES`` (first touch).
    """

    created: np.ndarray
    account: np.ndarray
    email_kind: np.ndarray
    free_domain: np.ndarray
    is_partner: np.ndarray
    title: np.ndarray
    country: np.ndarray
    first: np.ndarray
    last: np.ndarray
    lead_source: np.ndarray
    original_source: np.ndarray

    @property
    def seniority(self) -> np.ndarray:
        return TITLE_SENIORITY[self.title]

    @property
    def department(self) -> np.ndarray:
        return TITLE_DEPARTMENT[self.title]

    @property
    def is_employee(self) -> np.ndarray:
        return self.email_kind == OWN


def draw_contacts(
    n: int, start: int, end: int, accounts: AccountDraw, rng: np.random.Generator
) -> ContactDraw:
    """Draw ``n`` contacts created uniformly in ``[start, end)``.

    Args:
        start: Window start, seconds since the epoch.
        end: Window end (exclusive).
        accounts: The accounts contacts can work at.

    Returns:
        The contacts, sorted by creation time.
    """
    created = np.sort(rng.integers(start, end, n, dtype=np.int64))
    u = rng.random(n)
    email_kind = np.where(u < EMPLOYEE_RATE, OWN, np.where(u < FREE_EMAIL_RATE, FREE, CORPORATE))
    free = email_kind == FREE
    account = draw_index(rng, accounts.weight, n)
    keeps_account = (email_kind == CORPORATE) | (free & (rng.random(n) < FREE_WITH_ACCOUNT))
    account = np.where(keeps_account, account, -1).astype(np.int32)
    free_domain = np.where(
        free, draw_index(rng, [w for _, w in vocab.FREE_EMAIL_DOMAINS], n), -1
    ).astype(np.int32)
    is_partner = (email_kind == CORPORATE) & (rng.random(n) < PARTNER_RATE)

    base = np.array([t[3] for t in vocab.JOB_TITLES])
    boost = {"student": 4.0, "other": 3.0, "individual_contributor": 1.3, "vp": 0.5}
    free_w = base * np.array([boost.get(s, 0.7) for s in TITLE_SENIORITY])
    title = np.where(free, draw_index(rng, free_w, n), draw_index(rng, base, n)).astype(np.int32)

    random_country = draw_index(rng, [c[4] for c in vocab.COUNTRIES], n)
    abroad = rng.random(n) < 0.1
    country = np.where(
        (account >= 0) & ~abroad, accounts.country[np.maximum(account, 0)], random_country
    ).astype(np.int32)

    weights = [vocab.LEAD_SOURCE_WEIGHTS[s] for s in LEAD_SOURCES]
    original = draw_index(rng, weights, n)
    original = np.where(is_partner, LEAD_SOURCES.index("partner"), original)
    latest = np.where(rng.random(n) < 0.75, original, draw_index(rng, weights, n))
    own_source = LEAD_SOURCES.index("direct")
    return ContactDraw(
        created=created,
        account=account,
        email_kind=email_kind.astype(np.int8),
        free_domain=free_domain,
        is_partner=is_partner,
        title=title,
        country=country,
        first=rng.integers(0, len(vocab.FIRST_NAMES), n).astype(np.int32),
        last=rng.integers(0, len(vocab.LAST_NAMES), n).astype(np.int32),
        lead_source=np.where(email_kind == OWN, own_source, latest).astype(np.int32),
        original_source=np.where(email_kind == OWN, own_source, original).astype(np.int32),
    )


def contact_emails(
    contacts: ContactDraw, accounts: AccountDraw, rng: np.random.Generator
) -> pd.Series:
    """Synthetic e-mail addresses ``first.last@domain``, unique across contacts."""
    n = len(contacts)
    first = pd.Series(np.array(vocab.FIRST_NAMES)[contacts.first], dtype=str)
    last = pd.Series(np.array(vocab.LAST_NAMES)[contacts.last], dtype=str)
    free_domains = np.array([d for d, _ in vocab.FREE_EMAIL_DOMAINS] + [""])
    corp_domain = np.where(
        contacts.account >= 0, accounts.domain[np.maximum(contacts.account, 0)], ""
    )
    domain = np.where(
        contacts.email_kind == FREE,
        free_domains[contacts.free_domain],
        np.where(contacts.email_kind == OWN, vocab.OWN_DOMAIN, corp_domain),
    )
    style = rng.integers(0, 4, n)
    digits = pd.Series(rng.integers(10, 100, n).astype(str), dtype=str)
    dotted = first + "." + last
    free_local = (
        dotted.where(style == 0, first + last + digits)
        .where(style != 2, first + "_" + last)
        .where(style != 3, first.str[0] + last + digits)
    )
    local = dotted.where(contacts.email_kind != FREE, free_local)
    address = local + "@" + domain
    dup = address.groupby(address, sort=False).cumcount().to_numpy()
    local = local.where(dup == 0, local + (dup + 1).astype(str))
    return (local + "@" + domain).astype("string")


def contact_phones(
    contacts: ContactDraw, has_phone: np.ndarray, rng: np.random.Generator
) -> pd.Series:
    """Fictional phone numbers (+<country code> 555 ...) where ``has_phone``."""
    codes = np.array([c[3] for c in vocab.COUNTRIES])[contacts.country]
    number = rng.integers(0, 10_000_000, len(contacts))
    text = (
        "+"
        + pd.Series(codes.astype(str), dtype=str)
        + " 555 "
        + pd.Series(number.astype(str), dtype=str).str.zfill(7)
    )
    return text.where(has_phone).astype("string")
