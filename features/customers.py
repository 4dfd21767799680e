"""When an account became a customer, and its ``is_customer`` flag at a past date.

The accounts' ``is_customer`` flag is written at export time (:mod:`features.schema`), like
the contacts' ``lifecycle_stage``: an account won after ``as_of`` is flagged in the export
though it was no customer at ``as_of``. One rule dates it (:func:`customer_since`): an
account became a customer at its contacts' first ``won`` outcome, or, flagged without a
won deal in the data, before the data begins. An account the export does not flag but
whose contacts won a deal is a **churned customer** (or a CRM that does not keep the flag
up to date): when it churned is not in the data, so it counts as a customer from its first
won deal on, flag or no flag; its other contacts are upsell, not new leads, and training
has never learned them. :func:`accounts_at` turns that rule into the flag at ``as_of``
(``customer_since <= as_of``), and training's exclusions (:mod:`features.training_set`),
the features (``fit.account_flags``, :func:`features.build.build_features`) and the
rules (the ``is_customer`` variable and ``account.is_customer``,
:func:`rules.score_rulebook`) all read it, so the three agree at every date. Pure
functions of the tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.crm import CrmTables

CUSTOMER_SINCE = "customer_since"
"""The key of :func:`customer_since` in ``CrmTables.derived``."""


def employees_of(contacts: pd.DataFrame, contact_ids: pd.Series | pd.Index) -> np.ndarray:
    """Whether each of ``contact_ids`` is one of our employees (``is_employee``; a blank
    flag, a CRM without the column, or an id not in ``contacts``: no).

    Employees are never leads: both training framings leave them out, and every scorer
    rejects them (:func:`serving.eligibility.employee_rejects`), whatever the rulebook says.

    Returns:
        One bool per id of ``contact_ids``, in its order.
    """
    if "is_employee" not in contacts.columns:
        return np.zeros(len(contact_ids), dtype=bool)
    flag = contacts["is_employee"].set_axis(contacts["contact_id"].astype("object").to_numpy())
    ids = pd.Index(np.asarray(contact_ids, dtype=object))
    return flag.reindex(ids).fillna(False).astype(bool).to_numpy()


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
    # .array keeps the datetimes (to_numpy() would box each one in an object array)
    return pd.Series(values.array, index=index).astype("datetime64[ns, UTC]")


def customer_since(tables: CrmTables) -> pd.Series:
    """When each account became a customer, indexed by ``account_id``: its contacts' first
    won deal, flagged ``is_customer`` or not (an unflagged one is a churned customer, see
    the module docstring), or the beginning of time when it is flagged without a won deal
    in the data. Accounts that are neither are absent.

    Computed once per tables object (:func:`compute_customer_since`) and kept on it
    (``tables.derived``), so every snapshot of a training run, every rule scoring and the
    scorer read the same series instead of scanning the contacts again (about 1.4 s on 1M
    contacts with 90k winners). Treat the result as read-only.
    """
    since = tables.derived.get(CUSTOMER_SINCE)
    if since is None:
        since = tables.derived[CUSTOMER_SINCE] = compute_customer_since(tables)
    return since


def share_customer_since(tables: CrmTables, part: CrmTables) -> CrmTables:
    """``part`` reading ``tables``' :func:`customer_since` instead of computing its own.

    For a part read at dates where its own would give the same flags to its contacts'
    accounts: its contacts with all their account colleagues (a first-touch day,
    :func:`features.first_touch.day_tables`), or the contacts created before one
    ``as_of`` (the scorer's known contacts: a won deal never comes before its contact's
    creation, which validation checks, so a later contact's deal is after ``as_of`` too).

    Returns:
        ``part`` itself, its ``derived`` holding ``tables``' series.
    """
    part.derived[CUSTOMER_SINCE] = customer_since(tables)
    return part


def compute_customer_since(tables: CrmTables) -> pd.Series:
    """:func:`customer_since` computed from the tables, nothing kept."""
    first_won = first_positive(tables.outcomes, ("won",))
    # only the winners' rows: every score run and explain reads this, on up to 1M contacts
    contacts = tables.contacts
    winners = contacts.loc[contacts["contact_id"].isin(first_won.index).to_numpy()]
    won_at = times_of(winners["contact_id"].astype("object"), first_won)
    per_account = won_at.groupby(winners["account_id"].astype("object")).min()
    accounts = tables.accounts
    exported = accounts.get("is_customer", pd.Series(False, index=accounts.index))
    flagged = accounts.loc[exported.fillna(False).astype(bool).to_numpy(), "account_id"]
    earliest = pd.Series(pd.Timestamp.min.tz_localize("UTC"), index=flagged.astype("object"))
    return per_account.dropna().combine_first(earliest)


def customer_at(
    account_ids: pd.Series, as_of: pd.Timestamp | pd.Series, since: pd.Series
) -> np.ndarray:
    """Whether each account of ``account_ids`` was a customer at ``as_of``: its
    :func:`customer_since` (``since``) is at or before it. An account ``since`` lacks
    (or a missing id) was none.

    Args:
        account_ids: One account id per row (missing for contacts without an account).
        as_of: One date for every row, or one per row (aligned by position).
        since: From :func:`customer_since`.
    """
    when = pd.DatetimeIndex(times_of(account_ids, since))
    at = as_of if isinstance(as_of, pd.Timestamp) else pd.DatetimeIndex(as_of)
    return np.asarray(when <= at)


def accounts_at(tables: CrmTables, as_of: pd.Timestamp) -> pd.DataFrame:
    """``tables.accounts`` with ``is_customer`` as it stood at ``as_of``.

    An account is a customer at ``as_of`` when :func:`customer_since` dates it at or before
    ``as_of``: a flagged account whose first won deal comes later reads False, and an
    unflagged one whose contacts won a deal before reads True (a churned customer, see the
    module docstring). An account with neither keeps the export's value (False or
    missing). When that changes no value (e.g. every winner is flagged and a nightly run
    comes after the last won deal), the accounts table itself is returned, uncopied; an
    export without the column gets one when an account is a customer.

    Args:
        tables: Canonical tables (the outcomes date the flag; any subset holding each
            account's contacts and their outcomes agrees: a first-touch day, an account).
        as_of: The date the flag is read at (UTC).

    Returns:
        The accounts, ``is_customer`` True exactly where :func:`customer_since` is at or
        before ``as_of``, else as exported.
    """
    accounts = tables.accounts
    if accounts.empty:
        return accounts
    dates = customer_since(tables)
    dated = accounts["account_id"].isin(dates.index).to_numpy()
    if not dated.any():
        return accounts
    customer = np.zeros(len(accounts), dtype=bool)
    customer[dated] = customer_at(accounts["account_id"][dated], as_of, dates)
    if "is_customer" in accounts.columns:
        exported = accounts["is_customer"]
        flagged = exported.fillna(False).astype(bool).to_numpy()
        if not (dated & (flagged != customer)).any():
            return accounts
    elif not customer.any():
        return accounts
    else:
        exported = pd.Series(pd.NA, index=accounts.index, dtype="boolean")
    flag = exported.astype("boolean").mask(dated, pd.array(customer, dtype="boolean"))
    return accounts.assign(is_customer=flag)
