"""Plant realistic dirt in clean tables and count exactly what was planted.

Rows chosen as sources of duplicates and orphans are excluded from every other kind of
dirt, so each planted problem shows up exactly once to a validator: the number of
repeated ids, of orphan rows, of future dates, of off-vocabulary category values and of
extra nulls equal the recorded counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.schema import TABLES
from features.synthetic.assemble import fixed_width_ids
from features.synthetic.config import DirtConfig

FUTURE_YEAR = 2099
MISSING_FIELDS = {
    "contacts": ("job_title", "phone", "country"),
    "accounts": ("industry", "employees", "annual_revenue", "country"),
}
ORPHAN_ID_GAP = 5


def _variant(value: str, style: int) -> str:
    """A spoilt spelling of ``value`` that strip().lower() maps back to value.lower()."""
    if style == 0:
        return "  " + value.title()
    if style == 1:
        return value + " "
    if style == 2:
        return value.title() if value.title() != value else value.lower()
    return value.upper() if value.upper() != value else " " + value.lower()


def _spoil_categories(column: pd.Series, rows: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """``column`` with the values at ``rows`` respelt (new categories are added)."""
    cats = list(column.cat.categories)
    codes = column.array.codes.copy()
    style = rng.integers(0, 4, len(rows))
    pairs = sorted(set(zip(codes[rows].tolist(), style.tolist(), strict=True)))
    extra = list(dict.fromkeys(_variant(cats[c], s) for c, s in pairs))
    all_cats = cats + [e for e in extra if e not in cats]
    index = {name: i for i, name in enumerate(all_cats)}
    # one lookup per (value, style) pair, not per row
    table = np.full((len(cats), 4), -1, dtype=np.int32)
    for c, s in pairs:
        table[c, s] = index[_variant(cats[c], s)]
    codes = codes.astype(np.int32)
    codes[rows] = table[codes[rows], style]
    return pd.Series(pd.Categorical.from_codes(codes, categories=all_cats), index=column.index)


def _sample(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(candidates))
    return np.sort(rng.choice(candidates, size=k, replace=False)) if k else candidates[:0]


def _spoil_table(
    frame: pd.DataFrame,
    table: str,
    protected: np.ndarray,
    dirt: DirtConfig,
    rng: np.random.Generator,
    counts: dict[str, Any],
) -> pd.DataFrame:
    """Off-vocabulary spellings and blanked fields on rows not in ``protected``."""
    out = frame.copy(deep=False)
    free = np.ones(len(frame), dtype=bool)
    free[protected] = False
    for col in TABLES[table].columns:
        if col.dtype == "category" and col.name in out:
            cand = np.flatnonzero(out[col.name].notna().to_numpy() & free)
            rows = _sample(rng, cand, dirt.count("category_noise_rate", len(cand)))
            if len(rows):
                out[col.name] = _spoil_categories(out[col.name], rows, rng)
            counts["category_noise"][f"{table}.{col.name}"] = len(rows)
    for name in MISSING_FIELDS.get(table, ()):
        cand = np.flatnonzero(out[name].notna().to_numpy() & free)
        rows = _sample(rng, cand, dirt.count("missing_rate", len(cand)))
        if len(rows):
            column = out[name].copy()
            column.iloc[rows] = pd.NA if column.dtype != "float64" else np.nan
            out[name] = column
        counts["missing"][f"{table}.{name}"] = len(rows)
    return out


def _future_dated(times: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The timestamps at ``rows`` with the year typed as 2099 (Feb 29 becomes Feb 28)."""
    ts = times.iloc[rows]
    parts = pd.DataFrame(
        {
            "year": FUTURE_YEAR,
            "month": ts.dt.month.to_numpy(),
            "day": np.minimum(ts.dt.day.to_numpy(), np.where(ts.dt.month == 2, 28, 31)),
            "hour": ts.dt.hour.to_numpy(),
            "minute": ts.dt.minute.to_numpy(),
            "second": ts.dt.second.to_numpy(),
        }
    )
    return pd.to_datetime(parts, utc=True).dt.as_unit("ns").array.asi8


def _timestamp_typos(times: pd.Series, rows: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """Unparseable renderings of the timestamps at ``rows`` ("31/02/2026", ...)."""
    year = pd.Series(times.iloc[rows].dt.year.to_numpy().astype(str), dtype="string")
    style = rng.integers(0, 4, len(rows))
    text = ("31/02/" + year).where(style == 0, year + "-02-30 09:15")
    text = text.where(style != 2, "31/04/" + year).where(style != 3, "00/00/0000")
    return pd.Series(text.to_numpy(), index=pd.Index(rows, dtype="int64"), dtype="string")


def plant_dirt(
    tables: CrmTables, dirt: DirtConfig, rng: np.random.Generator
) -> tuple[CrmTables, dict[str, Any], pd.Series]:
    """Return dirty copies of ``tables``, the planted counts and the CSV timestamp typos.

    Args:
        tables: Clean canonical tables (not modified).
        dirt: How much dirt to plant.
        rng: Random generator used for nothing else.

    Returns:
        ``(tables, counts, typos)``; ``typos`` maps activity row positions to the text
        written instead of their timestamp in CSV output.
    """
    counts: dict[str, Any] = {"category_noise": {}, "missing": {}}
    acts, contacts = tables.activities, tables.contacts
    n_act, n_con = len(acts), len(contacts)
    k_dup = dirt.count("duplicate_activity_rate", n_act)
    k_orph = dirt.count("orphan_activity_rate", n_act)
    k_fut = dirt.count("future_activity_rate", n_act)
    k_bad = dirt.count("bad_timestamp_rate", n_act)
    total = min(k_dup + k_orph + k_fut + k_bad, n_act)
    chosen = rng.choice(n_act, size=total, replace=False) if total else np.zeros(0, np.int64)
    dup_src, orph_src, fut_rows, bad_rows = np.split(
        chosen, np.cumsum([k_dup, k_orph, k_fut])[:3].clip(max=total)
    )
    acts = _spoil_table(acts, "activities", np.concatenate([dup_src, orph_src]), dirt, rng, counts)
    if len(fut_rows):
        times = acts["occurred_at"].array.asi8.copy()
        times[fut_rows] = _future_dated(acts["occurred_at"], fut_rows)
        future = pd.Series(times.astype("datetime64[ns]"), index=acts.index)
        acts["occurred_at"] = future.dt.tz_localize("UTC")
    orphans = acts.iloc[np.sort(orph_src)].reset_index(drop=True)
    next_id = n_act + 1
    orphans["activity_id"] = fixed_width_ids("act_", np.arange(next_id, next_id + len(orphans)), 10)
    ghost = n_con + 1 + rng.integers(0, ORPHAN_ID_GAP * max(len(orphans), 1), len(orphans))
    orphans["contact_id"] = fixed_width_ids("con_", ghost, 8)
    extra = [acts.iloc[np.sort(dup_src)], orphans]
    activities = pd.concat([acts, *extra], ignore_index=True) if total else acts

    con_dup = _sample(rng, np.arange(n_con), dirt.count("duplicate_contact_rate", n_con))
    contacts = _spoil_table(contacts, "contacts", con_dup, dirt, rng, counts)
    if len(con_dup):
        contacts = pd.concat([contacts, contacts.iloc[con_dup]], ignore_index=True)
    accounts = _spoil_table(tables.accounts, "accounts", np.zeros(0, np.int64), dirt, rng, counts)
    counts.update(
        duplicate_activities=len(dup_src),
        orphan_activities=len(orph_src),
        future_activities=len(fut_rows),
        unparseable_timestamps_csv=len(bad_rows),
        duplicate_contacts=len(con_dup),
    )
    typos = _timestamp_typos(activities["occurred_at"], np.sort(bad_rows), rng)
    dirty = CrmTables(
        contacts=contacts, accounts=accounts, activities=activities, outcomes=tables.outcomes
    )
    return dirty, counts, typos
