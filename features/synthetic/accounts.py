"""Synthetic companies: size, revenue, industry, country and made-up names and domains."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.synthetic import vocab
from features.synthetic.sampling import ParallelArrays, draw_index

CONTACTS_PER_ACCOUNT = 3.0
CUSTOMER_RATE = 0.02
COMPETITOR_RATE = 0.01
COMPANY_MIDS = ("", "", "", "a", "o", "ri", "el", "an", "is", "ul", "ex")


@dataclass(frozen=True)
class AccountDraw(ParallelArrays):
    """Accounts as parallel arrays (row ``i`` is account ``i``).

    Attributes:
        industry: Index into ``vocab.INDUSTRIES``.
        employees: Head count (heavy-tailed).
        revenue: Annual revenue in USD, correlated with head count.
        country: Index into ``vocab.COUNTRIES``.
        is_customer: Already a paying customer.
        domain: Unique web domain.
        weight: Relative chance that a new contact works there (bigger firms more).
    """

    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    country: np.ndarray
    is_customer: np.ndarray
    is_competitor: np.ndarray
    name: np.ndarray
    domain: np.ndarray
    weight: np.ndarray


def account_count(n_contacts: int) -> int:
    """How many accounts a CRM with ``n_contacts`` contacts holds."""
    return max(1, round(n_contacts / CONTACTS_PER_ACCOUNT))


def draw_accounts(n: int, rng: np.random.Generator) -> AccountDraw:
    """Draw ``n`` accounts.

    Head counts are log-normal (median ~40, a few above 100,000); revenue per employee
    is log-normal around 150k USD, so revenue tracks size with realistic scatter.
    """
    industry = draw_index(rng, [w for _, w in vocab.INDUSTRIES], n)
    employees = np.clip(np.rint(np.exp(rng.normal(3.7, 1.7, n))), 1, 400_000).astype(np.int64)
    per_head = np.exp(rng.normal(np.log(150_000), 0.6, n))
    revenue = np.round(employees * per_head, -3)
    country = draw_index(rng, [c[4] for c in vocab.COUNTRIES], n)
    kind = rng.random(n)
    is_competitor = kind < COMPETITOR_RATE
    is_customer = (kind >= COMPETITOR_RATE) & (kind < COMPETITOR_RATE + CUSTOMER_RATE)
    name, domain = _names_and_domains(n, rng)
    weight = employees.astype(float) ** 0.45
    return AccountDraw(
        industry, employees, revenue, country, is_customer, is_competitor, name, domain, weight
    )


def _names_and_domains(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    heads = np.array(vocab.COMPANY_HEADS)[rng.integers(0, len(vocab.COMPANY_HEADS), n)]
    mids = np.array(COMPANY_MIDS)[rng.integers(0, len(COMPANY_MIDS), n)]
    tails = np.array(vocab.COMPANY_TAILS)[rng.integers(0, len(vocab.COMPANY_TAILS), n)]
    kinds = np.array(vocab.COMPANY_KINDS)[rng.integers(0, len(vocab.COMPANY_KINDS), n)]
    legal = np.array(vocab.COMPANY_LEGAL)[rng.integers(0, len(vocab.COMPANY_LEGAL), n)]
    tlds = np.array([t for t, _ in vocab.COMPANY_TLDS])[
        draw_index(rng, [w for _, w in vocab.COMPANY_TLDS], n)
    ]
    word = pd.Series(heads, dtype=str) + mids + tails
    title = word.str.capitalize() + " " + kinds
    name = title.where(legal == "", title + " " + legal)
    with_kind = rng.random(n) < 0.4
    stem = word.where(~with_kind, word + "-" + pd.Series(kinds, dtype=str).str.lower())
    domain = stem + "." + tlds
    # Disambiguate repeats the way people do: zentrova.com, zentrova2.com, ...
    dup = domain.groupby(domain, sort=False).cumcount().to_numpy()
    domain = stem.where(dup == 0, stem + (dup + 1).astype(str)) + "." + tlds
    return name.to_numpy(dtype=object), domain.to_numpy(dtype=object)


def account_created_at(
    first_contact_at: np.ndarray, start: int, end: int, rng: np.random.Generator
) -> np.ndarray:
    """Account creation times: some weeks to years before its first contact.

    Args:
        first_contact_at: Earliest contact creation per account (``end`` if none).
        start: Start of the contact window (seconds since the epoch).
        end: End of the window.

    Returns:
        Seconds since the epoch, never after the account's first contact.
    """
    n = len(first_contact_at)
    lead = (rng.exponential(240.0, n) * 86_400).astype(np.int64)
    no_contact = first_contact_at >= end
    anchor = np.where(no_contact, start + (rng.random(n) * (end - start)).astype(np.int64), end)
    anchor = np.minimum(anchor, first_contact_at)
    return anchor - np.where(no_contact, 0, lead)
