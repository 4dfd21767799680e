"""Which contacts a scoring run can score at ``as_of``, and why the others cannot.

Every contact in the contacts table is eligible: the job was asked to score it. Contacts
without a creation time, or created at or after ``as_of`` (not known yet: features and
rules see only what happened before ``as_of``), become rejects with a reason; so do
contacts that already converted (:func:`converted_rejects`): they are not leads any more;
a snapshot scorer's contacts at customer accounts (:func:`customer_rejects`), and our own
employees (:func:`employee_rejects`): training left them out. The reasons are declared
here, one constant each.
:func:`stale_as_of` names an ``as_of`` too far after the data's last record.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.customers import employees_of, share_customer_since
from features.reasons import day_text
from features.schema import POSITIVE_OUTCOMES
from features.training_set import at_customers, data_end_of, first_positive
from serving.sinks import REJECT_COLUMNS

log = logging.getLogger(__name__)

MISSING_CREATED = "missing created_at: fix the contact's creation time in the CRM export"
CONVERTED = f"already converted ({' or '.join(POSITIVE_OUTCOMES)} at or before as_of): not a lead"
CUSTOMER = (
    "customer: the contact's account was a customer at as_of (a won deal, or flagged "
    "is_customer): upsell, not a new lead"
)
EMPLOYEE = "employee: the contact works for us (is_employee): not a lead"
RULEBOOK_EXCLUSION = "excluded by the rulebook: "
"""The prefix of a rulebook exclusion's reject reason; the exclusion's reason follows."""


def known_contacts(
    contacts: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the canonical contacts into those known at ``as_of`` (UTC) and rejects.

    Returns:
        ``(known, rejects)``: the contacts created strictly before ``as_of`` (original
        order, fresh index) and a ``contact_id, reason`` frame for the rest.

    Raises:
        ValueError: ``contact_id`` is missing or duplicated (the message names an id).
    """
    ids = contacts["contact_id"]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise ValueError(f"contacts.contact_id is empty in row {row}; validate the tables first")
    dup = ids.duplicated()
    if dup.any():
        raise ValueError(
            f"contacts.contact_id: duplicate id {ids[dup].iloc[0]!r}; validate the tables first"
        )
    created = pd.to_datetime(contacts["created_at"], utc=True)
    missing = created.isna().to_numpy()
    late = (created >= as_of).to_numpy() & ~missing
    reasons = np.where(
        missing, MISSING_CREATED, f"created after as_of ({as_of.isoformat()}): not known yet"
    )
    bad = missing | late
    rejects = pd.DataFrame(
        {
            "contact_id": ids[bad].astype("str").to_numpy(),
            "reason": reasons[bad],
        }
    )
    return contacts.loc[~bad].reset_index(drop=True), rejects


def known_tables(tables: CrmTables, as_of: pd.Timestamp) -> tuple[CrmTables, pd.DataFrame]:
    """``tables`` as a scoring run sees them at ``as_of``: the contacts known then
    (:func:`known_contacts`) with every account, activity and outcome, reading ``tables``'
    customer dates (:func:`features.customers.share_customer_since`). The scorer, Spark's
    features, the rulebook impact and ``rules score`` read the rules' input from here.

    Returns:
        ``(known, rejects)``: the tables of the known contacts and ``contact_id, reason``
        of the rest.
    """
    contacts, rejects = known_contacts(tables.contacts, as_of)
    known = CrmTables(contacts, tables.accounts, tables.activities, tables.outcomes)
    return share_customer_since(tables, known), rejects


def converted_rejects(
    contact_ids: pd.Series, outcomes: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Contacts whose first conversion (:data:`features.schema.POSITIVE_OUTCOMES`) is at or
    before ``as_of``: customers or opportunities already, not leads.

    Training leaves them out by the same rule (:func:`features.training_set.first_positive`),
    so the model never learned them; a rulebook may not know it (its lifecycle stages
    come from the export), so the scorer rejects them whatever the rulebook says.

    Returns:
        ``contact_id, reason`` of the converted contacts, in the order of ``contact_ids``.
    """
    first = first_positive(outcomes, POSITIVE_OUTCOMES)
    ids = contact_ids.astype("object")
    when = pd.Series(pd.to_datetime(first.reindex(ids.to_numpy()).to_numpy(), utc=True))
    hit = (when <= as_of).to_numpy()
    return rejects_frame(pd.DataFrame({"contact_id": ids[hit].to_numpy(), "reason": CONVERTED}))


def customer_rejects(
    tables: CrmTables, contact_ids: pd.Series, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Contacts whose account was a customer at ``as_of``: the snapshot framing's training
    leaves them out (:func:`features.training_set.at_customers`, the function called here),
    so a snapshot scorer rejects them whatever the rulebook says.

    Returns:
        ``contact_id, reason`` of those contacts, in the order of ``contact_ids``.
    """
    ids = contact_ids.astype("object")
    hit = at_customers(tables, ids, as_of)
    return rejects_frame(pd.DataFrame({"contact_id": ids[hit].to_numpy(), "reason": CUSTOMER}))


def employee_rejects(contacts: pd.DataFrame, contact_ids: pd.Series) -> pd.DataFrame:
    """Our own employees (:func:`features.customers.employees_of`, the function both
    training framings leave them out by): every scorer trained on CRM history rejects them
    whatever the rulebook says.

    Returns:
        ``contact_id, reason`` of those contacts, in the order of ``contact_ids``.
    """
    ids = contact_ids.astype("object")
    hit = employees_of(contacts, ids)
    return rejects_frame(pd.DataFrame({"contact_id": ids[hit].to_numpy(), "reason": EMPLOYEE}))


def stale_as_of(
    tables: CrmTables,
    as_of: pd.Timestamp,
    horizon_days: int,
    data_end: pd.Timestamp | None = None,
) -> str | None:
    """A warning when ``as_of`` lies more than the horizon after the data's last record.

    The last record is the latest timestamp in any table
    (:func:`features.training_set.data_end_of`: contact creations, activities and
    outcomes), so an export without activities (e.g. Olist's MQLs and deals) is judged
    by its contacts and outcomes. Scores at such an ``as_of`` describe leads that have
    been silent for longer than the model ever looked ahead (e.g. a default of today on
    an old export): every lead looks stale.

    Args:
        horizon_days: The label horizon the model was trained for.
        data_end: Where the whole data ends, when ``tables`` hold part of it (``explain``
            reads one account: :func:`serving.lead_rows.read_lead`); None: ``tables``'.

    Returns:
        The warning text, or None when ``as_of`` is close enough (or the tables hold no
        timestamp at all).
    """
    try:
        last = data_end_of(tables) if data_end is None else data_end
    except ValueError:  # no timestamp anywhere: nothing to be stale against
        return None
    if as_of - last <= pd.Timedelta(days=horizon_days):
        return None
    gap = (as_of - last).days
    return (
        f"as_of {day_text(as_of)} is {gap:,} days after the data's last record "
        f"({day_text(last)}), more than the model's {horizon_days}-day horizon: every lead "
        f"looks silent; pass --as-of near the end of the data (e.g. "
        f"{day_text((last + pd.Timedelta(days=1)).normalize())})"
    )


def warn_if_stale(
    tables: CrmTables,
    as_of: pd.Timestamp,
    horizon_days: int | None,
    data_end: pd.Timestamp | None = None,
) -> None:
    """Log :func:`stale_as_of`'s warning, if any (the CLI shows warnings on stderr);
    ``horizon_days`` None (a flat export, or a scorer without a run configuration) warns
    of nothing; ``data_end`` as for :func:`stale_as_of`."""
    if horizon_days is None:
        return
    message = stale_as_of(tables, as_of, horizon_days, data_end)
    if message is not None:
        log.warning(message)


def rejects_frame(*parts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """One ``contact_id, reason`` frame (``str`` columns) from reject frames and/or
    (ids, reasons) pairs of aligned Series given one after the other."""
    frames: list[pd.DataFrame] = []
    items = list(parts)
    while items:
        head = items.pop(0)
        if isinstance(head, pd.DataFrame):
            frames.append(head.loc[:, list(REJECT_COLUMNS)])
        else:
            reasons = items.pop(0)
            frames.append(
                pd.DataFrame({"contact_id": head.to_numpy(), "reason": reasons.to_numpy()})
            )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECT_COLUMNS)
    return out.astype({"contact_id": "str", "reason": "str"})


def validation_rejects(quarantined: pd.DataFrame, accepted_ids: pd.Series) -> pd.DataFrame:
    """Contacts quarantined by validation, as rejects: they were eligible but unusable.

    Rows without a contact id cannot be a lead (they stay in the validation report only);
    ids that also have an accepted row (e.g. a quarantined duplicate) are scored instead.

    Args:
        quarantined: ``ValidationReport.quarantine["contacts"]`` (``contact_id`` and the
            ``_reason`` of the first failing check).
        accepted_ids: ``contact_id`` of the accepted contacts.

    Returns:
        ``contact_id, reason`` with reasons ``failed validation: <check's reason>``.
    """
    if quarantined.empty or "contact_id" not in quarantined.columns:
        return rejects_frame()
    ids = quarantined["contact_id"].astype("string").str.strip()
    usable = ids.notna() & (ids != "") & ~ids.isin(accepted_ids.astype("string").to_numpy())
    frame = pd.DataFrame(
        {
            "contact_id": ids[usable].to_numpy(dtype=object),
            "reason": (
                "failed validation: " + quarantined.loc[usable, "_reason"].astype(str)
            ).to_numpy(dtype=object),
        }
    )
    return rejects_frame(frame.drop_duplicates("contact_id", keep="first"))


def as_of_that_explains(tables: CrmTables, contact_id: str, reason: str) -> str:
    """What to do about a rejected contact one asked about (``explain``): the ``--as-of``
    at which it was a lead, or why there is none.

    A converted contact was a lead from its creation to its first conversion (at or
    before ``as_of`` rejects it, so the day before, or the conversion's own day when it
    came after midnight); a contact created after ``as_of`` is known from the day after
    its creation. Other reasons (customer, rulebook exclusions, validation) say what to
    do themselves: empty text.
    """
    created = tables.contacts.loc[tables.contacts["contact_id"].astype("str") == contact_id]
    if created.empty:
        return ""
    born = pd.to_datetime(created["created_at"], utc=True).iloc[0]
    if reason == CONVERTED:
        first = first_positive(tables.outcomes, POSITIVE_OUTCOMES)
        converted = first.get(contact_id)
        if converted is None or pd.isna(converted):
            return ""
        day = converted.floor("D")
        day = day if day < converted else day - pd.Timedelta(days=1)
        if pd.isna(born) or day <= born:
            return (
                f"it converted on {day_text(converted)} when it was created, so no date "
                "shows it as a lead"
            )
        return (
            f"it converted on {day_text(converted)}: pass --as-of {day_text(day)} to see "
            "the lead it was"
        )
    if reason.startswith("created after as_of") and not pd.isna(born):
        day = born.floor("D") + pd.Timedelta(days=1)
        return f"it was created on {day_text(born)}: pass --as-of {day_text(day)} or later"
    return ""
