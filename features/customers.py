"""When an account became a customer, and its export-time ``is_customer`` flag at a past date.

The accounts' ``is_customer`` flag is written at export time (:mod:`features.schema`), like
the contacts' ``lifecycle_stage``: an account won after ``as_of`` is flagged in the export
though it was no customer at ``as_of``. One rule dates it (:func:`customer_since`): an
account became a customer at its contacts' first ``won`` outcome, or, flagged without a
won deal in the data, before the data begins. Training's exclusions
(:mod:`features.training_set`), the features (``fit.account_flags``,
:func:`features.build.build_features`) and the rules (the ``is_customer`` variable and
``account.is_customer``, :func:`rules.score_rulebook`) all read the flag through
:func:`accounts_at`, so the three agree at every date. Pure functions of the tables.
"""

from __future__ import annotations

import pandas as pd

from features.crm import CrmTables


def reads_dated_flag(account_flags: tuple[str, ...]) -> bool:
    """Whether fit features over these account flags read one dated by :func:`accounts_at`
    (``is_customer``): they then depend on ``as_of`` and are built per date."""
    return "is_customer" in account_flags


def first_positive(outcomes: pd.DataFrame, positive: tuple[str, ...]) -> pd.Series:
    """Each contact's first outcome in ``positive`` (UTC), indexed by ``contact_id``."""
    hits = outcomes.loc[outcomes["outcome"].astype("object").isin(positive)]
    times = pd.to_datetime(hits["converted_at"], utc=True)
    return times.groupby(hits["contact_id"].astype("object")).min()


def times_of(keys: pd.Series | pd.Index, times: pd.Series) -> pd.Series:
    """``times`` (indexed by unique keys) looked up for each key; NaT where absent.

    ``Series.map`` with an empty datetime series fails under pandas 3.1 (it casts the empty
    result to float), which a CRM without accounts or won deals hits.
    """
    values = pd.to_datetime(times, utc=True).reindex(pd.Index(keys, dtype="object"))
    index = keys.index if isinstance(keys, pd.Series) else None
    return pd.Series(values.to_numpy(), index=index, dtype="datetime64[ns, UTC]")


def customer_since(tables: CrmTables) -> pd.Series:
    """When each account became a customer, indexed by ``account_id``: its contacts' first
    won deal, or the beginning of time when it is flagged ``is_customer`` without a won
    deal in the data. Accounts that are neither are absent."""
    contacts = tables.contacts
    first_won = first_positive(tables.outcomes, ("won",))
    won_at = times_of(contacts["contact_id"].astype("object"), first_won)
    per_account = won_at.groupby(contacts["account_id"].astype("object")).min()
    accounts = tables.accounts
    flagged = accounts.loc[accounts["is_customer"].fillna(False).astype(bool), "account_id"]
    earliest = pd.Series(pd.Timestamp.min.tz_localize("UTC"), index=flagged.astype("object"))
    return per_account.dropna().combine_first(earliest)


def accounts_at(tables: CrmTables, as_of: pd.Timestamp) -> pd.DataFrame:
    """``tables.accounts`` with ``is_customer`` as it stood at ``as_of``.

    A flagged account that became a customer after ``as_of`` (:func:`customer_since`: its
    first won deal comes later) was no customer then: its flag reads False. Every other
    value is the export's. A run after the export's last won deal (every nightly run)
    gets the accounts table itself, uncopied.

    Args:
        tables: Canonical tables (the outcomes date the flag; any subset holding each
            account's contacts and their outcomes agrees: a first-touch day, an account).
        as_of: The date the flag is read at (UTC).

    Returns:
        The accounts, ``is_customer`` cleared where it was set after ``as_of``.
    """
    accounts = tables.accounts
    if "is_customer" not in accounts.columns or accounts.empty:
        return accounts
    outcomes = tables.outcomes
    won = outcomes["outcome"].astype("object") == "won"
    later = pd.to_datetime(outcomes["converted_at"], utc=True) > as_of
    if not (won & later).any():  # nothing won after as_of: every flag stands
        return accounts
    flagged = accounts["is_customer"].fillna(False).astype(bool).to_numpy()
    since = times_of(accounts["account_id"].astype("object"), customer_since(tables))
    not_yet = flagged & (since > as_of).to_numpy()
    if not not_yet.any():
        return accounts
    return accounts.assign(is_customer=accounts["is_customer"].mask(not_yet, False))
