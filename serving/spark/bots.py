"""The bot filter on Spark: the local rules of :mod:`features.bots`, run per bucket.

Every rule looks at one activity, or at the activities of one contact (clicks on one
e-mail, the e-mail's send, bursts), and a bucket (:mod:`serving.spark.partition`) holds
all activities of its contacts, so :func:`without_bots` flags in each bucket exactly what
:func:`features.bots.split_bots` flags on the whole table. Filtering is idempotent: tables
already filtered (``leadscore validate --write-accepted``) lose nothing more, since taking
activities away never makes another one look like a bot's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from features.bots import BotSettings, counts_of, split_bots
from features.crm import CrmTables
from features.schema import TABLES
from serving.spark.partition import canonical_pandas, cogroup_apply, pack, unpack
from serving.spark.tables import NAT_NS, SparkTables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

BOT_COLUMNS = ("activity_id", "contact_id", "activity_type", "bot_reason")
"""What a Spark run keeps of each flagged activity (as in ``bots.csv``, without PII)."""


def without_bots(tables: CrmTables, settings: BotSettings | None) -> tuple[CrmTables, pd.DataFrame]:
    """A bucket's tables without the activities of bots, and those activities (``settings``
    None filters nothing).

    Returns:
        ``(tables, bots)``: ``bots`` holds :data:`BOT_COLUMNS` as plain text (Arrow-safe).
    """
    if settings is None:
        return tables, pd.DataFrame({c: pd.Series(dtype=object) for c in BOT_COLUMNS})
    kept, bots = split_bots(tables.activities, settings)
    # plain objects, not pandas 3's Arrow-backed text: pyspark 4.3's serializer cannot
    # take those after a concat ("Cannot convert ChunkedArray")
    text = bots.loc[:, list(BOT_COLUMNS)].astype("string")
    flagged = text.astype(object).where(text.notna(), None)
    return replace(tables, activities=kept), flagged.reset_index(drop=True)


def flag_bots_spark(tables: SparkTables, settings: BotSettings, *, n_buckets: int) -> DataFrame:
    """The activities the filter flags, computed on Spark (e.g. for a ``bots.csv``).

    Args:
        tables: Canonical tables in transport form (activities of unknown contacts are
            left out, as the scoring run leaves them out).
        n_buckets: Buckets of whole accounts.

    Returns:
        A lazy DataFrame of :data:`BOT_COLUMNS` (row order not defined).
    """

    def run(entities: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
        return without_bots(unpack(entities, activities)[0], settings)[1]

    schema = ", ".join(f"`{c}` string" for c in BOT_COLUMNS)
    return cogroup_apply(pack(tables, n_buckets), run, schema)


def spark_bot_counts(bots: DataFrame, activities: DataFrame) -> dict[str, Any]:
    """:func:`features.bots.bot_counts` of a Spark run's flagged activities
    (:data:`BOT_COLUMNS`) among all it read (two small aggregates collected)."""
    types = {
        r["activity_type"]: r["count"]
        for r in activities.groupBy("activity_type").count().collect()
    }
    flagged = bots.groupBy("activity_type", "bot_reason").count().collect()
    per_type: dict[str, int] = {}
    per_reason: dict[str, int] = {}
    for row in flagged:
        per_type[row["activity_type"]] = per_type.get(row["activity_type"], 0) + row["count"]
        per_reason[row["bot_reason"]] = per_reason.get(row["bot_reason"], 0) + row["count"]
    return counts_of(types, per_type, per_reason)


def flagged_rows(bots: DataFrame, activities: DataFrame) -> pd.DataFrame:
    """The flagged activities' whole rows with their reason, on the driver (for ``bots.csv``).

    Spark's run keeps only :data:`BOT_COLUMNS` of each flagged activity; the rest of its
    row is joined back from the activities the run read (on ``activity_id`` and
    ``contact_id``) and turned into the canonical dtypes, so the frame is what the local
    filter gives (:func:`features.bots.split_bots`): canonical activity columns then
    ``bot_reason``, sorted by ``contact_id``, ``occurred_at`` and ``activity_id``.

    Returns:
        The rows, personal data included: write them with
        :func:`features.ingest.report.write_bots`, which redacts it.
    """
    from pyspark.sql import functions as F  # noqa: N812

    table = TABLES["activities"]
    reasons = bots.select("activity_id", "contact_id", "bot_reason")
    cols = [
        F.coalesce(F.col(c.name), F.lit(NAT_NS)).alias(c.name)
        if c.dtype == "datetime"
        else F.col(c.name)
        for c in table.columns
    ]
    joined = activities.join(reasons, on=["activity_id", "contact_id"], how="inner")
    collected = pd.DataFrame(joined.select(*cols, "bot_reason").toPandas())
    rows = canonical_pandas(collected.loc[:, list(table.names)], table)
    reason = collected["bot_reason"].astype("string").reset_index(drop=True)
    out = rows.assign(bot_reason=reason.to_numpy()).astype({"bot_reason": "string"})
    order = ["contact_id", "occurred_at", "activity_id"]
    return out.sort_values(order, kind="stable", ignore_index=True)
