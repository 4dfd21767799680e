"""Values of rulebook variables for every contact: columns, account columns, derived values.

Derived variables (e-mail domain and free/corporate, phone present, budget stated, days
since created, deal and unsubscribe history) are computed here, vectorised; history-based
ones read the full activity history before ``as_of`` (not the recycled view).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.events import positions_of
from features.measures import (
    AGE_FEATURE,
    days_since_created,
    email_domain,
    email_domain_class,
    value_present,
)
from rules.activities import ActivityIndex
from rules.operators import apply_operator
from rules.vocabulary import Variable

OPEN_DEAL_STAGES = ("prospecting", "qualification", "proposal", "negotiation")


@dataclass
class VariableCache:
    """Intermediate results shared by the variables of one set of contacts.

    Attributes:
        account_pos: Position of each contact's account in the account table (-1: none).
            A caller scoring in blocks looks it up once for all blocks and passes each
            block its slice; None means it is looked up on first use.
        email_domain: Each contact's e-mail domain (:func:`features.measures.email_domain`).
    """

    account_pos: np.ndarray | None = None
    email_domain: pd.Series | None = None


def account_positions(contacts: pd.DataFrame, accounts: pd.DataFrame) -> np.ndarray | None:
    """Each contact's row in ``accounts`` (-1: none); None when either table has no
    ``account_id`` (no account variable can be read then)."""
    if "account_id" not in contacts or "account_id" not in accounts:
        return None
    return positions_of(contacts["account_id"], pd.Index(accounts["account_id"]))


def _email_domain(contacts: pd.DataFrame, cache: VariableCache) -> pd.Series:
    if cache.email_domain is None:
        if "email" not in contacts:
            cache.email_domain = pd.Series(pd.NA, index=contacts.index, dtype="string")
        else:
            cache.email_domain = email_domain(contacts["email"])
    return cache.email_domain


def variable_values(
    var: Variable,
    contacts: pd.DataFrame,
    accounts: pd.DataFrame,
    history: ActivityIndex,
    free_domains: tuple[str, ...] | None,
    cache: VariableCache,
) -> pd.Series:
    """The values of one variable for every contact (positional index).

    Args:
        var: Registry entry.
        contacts: Contacts in scoring order (RangeIndex).
        accounts: Account table.
        history: Full activity index (not recycled) for derived history variables.
        free_domains: Free e-mail domains (None:
            :data:`features.measures.FREE_EMAIL_DOMAINS`, the features' list).
        cache: Shared intermediate results (account positions, e-mail domains).

    Returns:
        A series aligned with ``contacts``.
    """
    n = len(contacts)
    if var.source in {"contact", "extra"}:
        if var.column not in contacts:
            return pd.Series([pd.NA] * n, dtype="object")
        return contacts[var.column]
    if var.source == "account":
        if cache.account_pos is None:
            cache.account_pos = account_positions(contacts, accounts)
        idx = cache.account_pos
        if idx is None or var.column not in accounts:
            return pd.Series([pd.NA] * n, dtype="object")
        col = accounts[var.column].reset_index(drop=True)
        if col.empty:  # no accounts at all (a flat export): every value is missing
            return pd.Series([pd.NA] * n, dtype="object")
        taken = col.take(np.where(idx >= 0, idx, 0)).reset_index(drop=True)
        return taken.where(pd.Series(idx >= 0), other=pd.NA) if (idx < 0).any() else taken
    name = var.name
    if name == "email_domain":
        return _email_domain(contacts, cache)
    if name in {"email_is_free", "email_is_corporate"}:
        kind = email_domain_class(_email_domain(contacts, cache), free_domains or None)
        wanted = "free" if name == "email_is_free" else "corporate"
        return pd.Series((kind == wanted).to_numpy(dtype=bool)).reset_index(drop=True)
    if name == "phone_present":
        if "phone" not in contacts:
            return pd.Series(np.zeros(n, dtype=bool))
        return pd.Series(value_present(contacts["phone"]))
    if name == "budget_stated":
        return pd.Series(
            contacts.get("budget", pd.Series(np.nan, index=contacts.index))
            .astype(float)
            .fillna(0)
            .to_numpy()
            > 0
        )
    if name == AGE_FEATURE:
        as_of = pd.Timestamp(history.as_of_ns, tz="UTC")
        return pd.Series(days_since_created(contacts["created_at"], as_of))
    return pd.Series(_history_flag(name, contacts, accounts, history, free_domains, cache))


def _history_flag(
    name: str,
    contacts: pd.DataFrame,
    accounts: pd.DataFrame,
    history: ActivityIndex,
    free_domains: tuple[str, ...] | None,
    cache: VariableCache,
) -> np.ndarray:
    def latest_deal_stage_is(stages: tuple[str, ...]) -> np.ndarray:
        deals = history.filter_rows({"activity_type": "deal_stage_change"})
        last = history.days_since(deals, last=True)
        is_stage = history.filter_rows(
            {"activity_type": "deal_stage_change", "deal_stage": list(stages)}
        )
        return (last == history.days_since(is_stage, last=True)) & ~np.isnan(last)

    if name == "has_open_opportunity":
        return latest_deal_stage_is(OPEN_DEAL_STAGES)
    won = (
        history.count(
            history.filter_rows({"activity_type": "deal_stage_change", "deal_stage": "closed_won"})
        )
        > 0
    )
    if name == "has_won_deal":
        return won
    if name == "is_customer":
        acc = variable_values(
            Variable("a", "bool", "account", "is_customer"),
            contacts,
            accounts,
            history,
            free_domains,
            cache,
        )
        life = contacts.get("lifecycle_stage")
        is_life = (
            apply_operator(life, "eq", "customer")
            if life is not None
            else np.zeros(len(contacts), dtype=bool)
        )
        return won | apply_operator(acc, "is_true") | is_life
    if name == "is_unsubscribed":
        unsub = history.count(history.filter_rows({"activity_type": "email_unsubscribe"})) > 0
        dne = contacts.get("do_not_email")
        return unsub | (apply_operator(dne, "is_true") if dne is not None else False)
    raise ValueError(f"no implementation for derived variable {name!r}")
