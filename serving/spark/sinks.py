"""Where a Spark scoring run goes: a Parquet dataset partitioned by ``as_of``, or any
sink of :func:`serving.sinks.write_scores` through the driver.

* A folder sink (a path without a file suffix, local, HDFS, S3, DBFS...) becomes a
  Parquet dataset written by the executors: ``<path>/as_of=YYYY-MM-DD/`` holds the scores
  and ``<path>/_rejects/as_of=YYYY-MM-DD/`` the rejects (Spark skips ``_`` folders when it
  reads ``<path>``); the rulebook's account roll-up goes to
  ``<path>/_accounts/as_of=YYYY-MM-DD/`` (:data:`serving.sinks.accounts.ACCOUNT_COLUMNS`
  and the run metadata). Each partition is written to a hidden temporary folder next to it and
  renamed into place; a re-run replaces the partition, so the sink is idempotent and a
  failed write leaves the previous partition as it was.
* Any other sink (``sqlite:///...``, ``postgresql+psycopg://...``, ``.parquet``/``.csv``
  files, ``hubspot:...``) is written by :func:`serving.batch.write_batch` from the driver
  after an Arrow collect: one database transaction (stage then swap), no JDBC.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd

from serving.sinks import SCORE_COLUMNS, RunInfo, SinkResult, parse_sink
from serving.sinks.accounts import ACCOUNT_COLUMNS
from serving.sinks.files import RUN_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


def is_dataset_sink(sink: str) -> bool:
    """True when the Spark engine writes ``sink`` itself as a partitioned Parquet dataset."""
    return parse_sink(sink).kind == "folder"


def partition_name(as_of: pd.Timestamp) -> str:
    """``as_of=YYYY-MM-DD`` (``as_of=YYYY-MM-DDTHHMMSSZ`` when not at midnight UTC)."""
    stamp = as_of.tz_convert("UTC")
    if stamp == stamp.normalize():
        return f"as_of={stamp:%Y-%m-%d}"
    return f"as_of={stamp:%Y-%m-%dT%H%M%SZ}"


def _swap_in(spark: SparkSession, df: DataFrame, target: str) -> int:
    """Write ``df`` as Parquet at ``target`` through a temporary sibling and renames."""
    jvm: Any = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(target)
    fs = path.getFileSystem(conf)
    parent, name = path.getParent(), path.getName()
    tag = uuid.uuid4().hex[:12]
    tmp = jvm.org.apache.hadoop.fs.Path(parent, f".{name}.tmp-{tag}")
    old = jvm.org.apache.hadoop.fs.Path(parent, f".{name}.old-{tag}")
    try:
        df.write.mode("error").parquet(tmp.toString())
    except Exception:
        fs.delete(tmp, True)
        raise
    had_old = fs.exists(path)
    if had_old and not fs.rename(path, old):
        fs.delete(tmp, True)
        raise OSError(f"{target}: could not move the previous partition aside; nothing changed")
    if not fs.rename(tmp, path):
        if had_old:
            fs.rename(old, path)
        raise OSError(f"{target}: could not rename the new partition into place; kept the old")
    if had_old:
        fs.delete(old, True)
    return int(spark.read.parquet(target).count())


def _partition_time(name: str) -> pd.Timestamp | None:
    """The as_of of a partition folder named by :func:`partition_name`, else None."""
    if not name.startswith("as_of="):
        return None
    text = name.removeprefix("as_of=")
    try:
        if "T" in text:
            return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%dT%H%M%SZ", utc=True))
        return pd.Timestamp(text, tz="UTC")
    except ValueError:
        return None


def previous_dataset_scores(
    spark: SparkSession, path: str, as_of: pd.Timestamp
) -> pd.DataFrame | None:
    """``contact_id, final_score, as_of`` of the latest partition before ``as_of``.

    The dataset keeps every run, so a re-run of the same ``as_of`` sees the same
    previous partition (the score trend stays the same). None without an earlier one.
    """
    jvm: Any = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(path.rstrip("/"))
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        return None
    stamps = [
        (_partition_time(s.getPath().getName()), s.getPath().toString())
        for s in fs.listStatus(root)
    ]
    earlier = sorted((t, p) for t, p in stamps if t is not None and t < as_of)
    if not earlier:
        return None
    when, where = earlier[-1]
    frame = pd.DataFrame(spark.read.parquet(where).select("contact_id", "final_score").toPandas())
    return frame.assign(contact_id=frame["contact_id"].astype("str"), as_of=when)


def write_dataset(
    spark: SparkSession,
    scores: DataFrame,
    rejects: DataFrame,
    path: str,
    run: RunInfo,
    accounts: DataFrame | None = None,
) -> SinkResult:
    """Write one run's scores and rejects as the ``as_of`` partition of the dataset ``path``.

    Args:
        scores: ``contact_id`` and the score columns (``as_of`` is the partition).
        rejects: ``contact_id, reason``.
        path: Dataset root (any Hadoop file system URI or local path).
        run: Run metadata; model name/version and rulebook version are stored per row.
        accounts: The account roll-up (:data:`ACCOUNT_COLUMNS`), written to
            ``<path>/_accounts/<partition>``, or None (the rulebook has no roll-up).

    Returns:
        What was written (``n_current_updated`` = rows of the new partition).
    """
    from pyspark.sql import functions as F  # noqa: N812

    stamp = pd.Timestamp(run.as_of)
    part = partition_name(stamp)
    meta = [F.lit(str(getattr(run, c))).alias(c) for c in RUN_COLUMNS]
    cols = [c for c in SCORE_COLUMNS if c != "as_of"]
    root = path.rstrip("/")
    n_scores = _swap_in(spark, scores.select(*cols, *meta), f"{root}/{part}")
    n_rejects = _swap_in(spark, rejects.select("contact_id", "reason"), f"{root}/_rejects/{part}")
    outputs: tuple[str, ...] = (f"{root}/{part}", f"{root}/_rejects/{part}")
    n_accounts = 0
    if accounts is not None:
        target = f"{root}/_accounts/{part}"
        n_accounts = _swap_in(spark, accounts.select(*ACCOUNT_COLUMNS, *meta), target)
        outputs = (*outputs, target)
    log.info(
        "wrote %d scores, %d rejects and %d accounts to %s/%s",
        n_scores,
        n_rejects,
        n_accounts,
        root,
        part,
    )
    return SinkResult(
        kind="parquet-dataset",
        target=root,
        n_written=n_scores,
        n_current_updated=n_scores,
        n_rejects=n_rejects,
        outputs=outputs,
        n_accounts=n_accounts,
        n_accounts_updated=n_accounts,
    )
