"""Split the CRM into buckets of whole accounts and rebuild ``CrmTables`` per bucket.

Every contact gets ``bucket = pmod(xxhash64(coalesce(account_id, contact_id)), n)``, so
all contacts of an account land in one bucket (account features and the rules' account
roll-up need the whole account); an account row gets the bucket of its ``account_id`` and
an activity or outcome the bucket of its contact (those of unknown contacts are left out,
as the local engine ignores them). :func:`pack` gives the two sides of a
``groupBy("_bucket").cogroup(...)``: contacts, accounts and outcomes stacked in one frame
(columns prefixed ``c__``/``a__``/``o__``, told apart by ``_table``; outcomes are few, and
scoring reads them to reject contacts that already converted) and the activities. Inside the pandas
UDF :func:`unpack` turns a bucket back into canonical pandas tables, so the local engine
runs unchanged on ~10-100k contacts at a time. Columns a table carries beyond the canonical
ones (the contacts' columns the feature spec and the rulebook read,
:func:`serving.spark.tables.extra_contact_columns`) travel with it, prefixed the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from features.crm import CrmTables, empty_table
from features.infer import InferSettings
from features.ingest.coerce import to_canonical
from features.ingest.extra_types import as_trained
from features.schema import TABLES, Table
from serving.spark.tables import NAT_NS, SparkTables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

BUCKET = "_bucket"
KIND = "_table"
PREFIX = {"contacts": "c__", "accounts": "a__", "outcomes": "o__"}
PREVIOUS = ("p__stage", "p__as_of")


@dataclass(frozen=True)
class Packed:
    """The two cogrouped sides: contacts + accounts + outcomes (+ previous stages), and
    activities."""

    entities: DataFrame
    activities: DataFrame


def contact_buckets(df: DataFrame, n_buckets: int, account: str = "account_id") -> DataFrame:
    """``df`` (contact rows) with the ``_bucket`` column (see the module docstring)."""
    from pyspark.sql import functions as F  # noqa: N812

    key = F.coalesce(F.col(account), F.col("contact_id"))
    return df.withColumn(BUCKET, F.pmod(F.xxhash64(key), F.lit(n_buckets)).cast("int"))


def _prefixed(df: DataFrame, name: str) -> DataFrame:
    from pyspark.sql import functions as F  # noqa: N812

    canonical = TABLES[name].names
    extra = [c for c in df.columns if c not in canonical and c != BUCKET]
    cols = [F.col(f"`{c}`").alias(PREFIX[name] + c) for c in (*canonical, *extra)]
    return df.select(F.col(BUCKET), F.lit(name).alias(KIND), *cols)


def pack(tables: SparkTables, n_buckets: int, previous: DataFrame | None = None) -> Packed:
    """Bucket the tables (in transport form) for a cogroup (see the module docstring), with
    ``previous``, the previous run's ``contact_id, stage, as_of_ns``, or None.

    Returns:
        The two sides, each with ``_bucket``; datetimes never null (``NAT_NS`` instead),
        so Arrow keeps them as exact int64.
    """
    from pyspark.sql import functions as F  # noqa: N812

    contacts = contact_buckets(tables.contacts, n_buckets)
    accounts = tables.accounts.withColumn(
        BUCKET, F.pmod(F.xxhash64(F.col("account_id")), F.lit(n_buckets)).cast("int")
    )
    # an activity's (outcome's) bucket is computed after the join (not joined in from
    # ``contacts``): both cogroup sides would otherwise share one lineage and Spark finds
    # them ambiguous
    owners = tables.contacts.select("contact_id", F.col("account_id").alias("_owner"))

    def by_contact(table: DataFrame) -> DataFrame:
        owned = table.join(owners, on="contact_id", how="inner")
        return contact_buckets(owned, n_buckets, "_owner").drop("_owner")

    activities, outcomes = by_contact(tables.activities), by_contact(tables.outcomes)
    stacked = (
        _prefixed(contacts, "contacts")
        .unionByName(_prefixed(accounts, "accounts"), allowMissingColumns=True)
        .unionByName(_prefixed(outcomes, "outcomes"), allowMissingColumns=True)
    )
    if previous is not None:
        prev = previous.select(
            F.col("contact_id").alias("c__contact_id"),
            F.col("stage").alias(PREVIOUS[0]),
            F.col("as_of_ns").alias(PREVIOUS[1]),
        )
        stacked = stacked.join(prev, on="c__contact_id", how="left")
    else:
        stacked = stacked.withColumn(PREVIOUS[0], F.lit(None).cast("string"))
        stacked = stacked.withColumn(PREVIOUS[1], F.lit(None).cast("bigint"))
    datetimes = {PREVIOUS[1], *_datetimes("contacts"), *_datetimes("accounts")}
    stacked = _never_null(stacked, datetimes | set(_datetimes("outcomes")))
    return Packed(stacked, _never_null(activities, set(_datetimes("activities"))))


def _datetimes(name: str) -> list[str]:
    prefix = PREFIX.get(name, "")
    return [prefix + c.name for c in TABLES[name].columns if c.dtype == "datetime"]


def _never_null(df: DataFrame, datetimes: set[str]) -> DataFrame:
    from pyspark.sql import functions as F  # noqa: N812

    cols = [
        F.coalesce(F.col(c), F.lit(NAT_NS)).alias(c) if c in datetimes else F.col(c)
        for c in df.columns
    ]
    return df.select(*cols)


def canonical_pandas(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """A transport-form pandas slice back in the canonical dtypes of ``table``."""
    if frame.empty:
        return empty_table(table.name)
    out = frame.reset_index(drop=True)
    for column in table.columns:
        if column.dtype == "datetime":
            ns = out[column.name].to_numpy(dtype="int64")
            out[column.name] = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    return to_canonical(out, table)


def _side(entities: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = entities.loc[entities[KIND] == name]
    prefix = PREFIX[name]
    cols = {c: c.removeprefix(prefix) for c in entities.columns if c.startswith(prefix)}
    table = canonical_pandas(rows.loc[:, list(cols)].rename(columns=cols), TABLES[name])
    missing = [c for c in cols.values() if c not in table.columns]  # an empty side
    return table.assign(**{c: rows[prefix + c].iloc[:0].to_numpy() for c in missing})


def unpack(
    entities: pd.DataFrame,
    activities: pd.DataFrame,
    trained: dict[str, dict[str, str]] | None = None,
    infer: InferSettings | None = None,
) -> tuple[CrmTables, pd.DataFrame]:
    """One bucket's canonical tables (from its rows of both :class:`Packed` sides) and the
    previous stages of its contacts.

    Args:
        trained: A scorer's stored types of the kept columns
            (:meth:`serving.scorer.LeadScorer.read_settings`): the contacts' kept columns
            get them (:func:`features.ingest.extra_types.as_trained`), as the local
            engine's validation pins them. None: as the tables hold them.
        infer: The scorer's inference settings (their blank words; None: the defaults).

    Returns:
        ``(tables, previous)``; ``previous`` holds ``contact_id, stage, as_of`` of contacts
        that had one.
    """
    contacts = as_trained(_side(entities, "contacts"), (trained or {}).get("contacts"), infer)
    accounts = _side(entities, "accounts")
    acts = canonical_pandas(
        activities.loc[:, list(TABLES["activities"].names)], TABLES["activities"]
    )
    is_contact = (entities[KIND] == "contacts").to_numpy()
    prev_stage = entities[PREVIOUS[0]].to_numpy(dtype=object)[is_contact]
    prev_ns = entities[PREVIOUS[1]].to_numpy(dtype="int64")[is_contact]
    has = pd.notna(prev_stage) & (prev_ns != NAT_NS)
    previous = pd.DataFrame(
        {
            "contact_id": contacts["contact_id"].astype("str").to_numpy()[has],
            "stage": prev_stage[has].astype(str),
            "as_of": pd.DatetimeIndex(prev_ns[has].view("datetime64[ns]")).tz_localize("UTC"),
        }
    )
    tables = CrmTables(contacts, accounts, acts, _side(entities, "outcomes"))
    return tables, previous


def cogroup_apply(
    packed: Packed,
    fn: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
    schema: str | StructType,
) -> DataFrame:
    """Run ``fn(entities, activities)`` once per bucket (``applyInPandas``)."""
    left = packed.entities.groupBy(BUCKET)
    right = packed.activities.groupBy(BUCKET)
    return left.cogroup(right).applyInPandas(fn, schema)
