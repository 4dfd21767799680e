"""The Spark session of the ``--engine spark`` path, built from validated settings.

Settings are data (:class:`SparkSettings`, loaded from YAML with
:func:`models.config.load_yaml_settings`); :func:`spark_session` turns them into a
session. The defaults run on a laptop (``local[*]``); a cluster job changes ``master``
(or leaves it empty under ``spark-submit``/Databricks, where the launcher sets it) and the
memory keys. Nothing here runs at import time and pyspark is imported lazily, so the rest
of leadscore works without the ``spark`` extra.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from models.config import load_yaml_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

# Settings the engine relies on; a user's ``conf`` may not change them (see _FIXED).
_FIXED: dict[str, str] = {
    # every timestamp is computed in UTC, whatever the cluster's default zone
    "spark.sql.session.timeZone": "UTC",
    # pandas writes nanosecond timestamps; read them as epoch-ns longs, losing nothing
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


class SparkSettings(BaseModel):
    """How to get a Spark session and how to split the work.

    Attributes:
        master: Spark master URL (``local[*]``, ``local[2]``, ``spark://host:7077``,
            ``yarn``); empty keeps what ``spark-submit`` or the platform set.
        app_name: Application name shown in the Spark UI.
        driver_memory: ``spark.driver.memory`` (only applied when this process starts
            the JVM, i.e. not under ``spark-submit``).
        executor_memory: ``spark.executor.memory``.
        shuffle_partitions: ``spark.sql.shuffle.partitions``.
        n_buckets: Contact buckets (one local-engine call each); None: the larger of
            ``2 * defaultParallelism``, 8 and ``contacts / bucket_contacts``.
        bucket_contacts: Target contacts per bucket when ``n_buckets`` is None.
        ui: Start the Spark web UI.
        python: Python executable of the workers (``PYSPARK_PYTHON``); None: this
            interpreter for ``local`` masters, the cluster's default otherwise.
        conf: Any other Spark settings, as strings.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    master: str = "local[*]"
    app_name: str = "leadscore"
    driver_memory: str = Field("2g", pattern=r"^\d+[kmgt]?$")
    executor_memory: str = Field("2g", pattern=r"^\d+[kmgt]?$")
    shuffle_partitions: int = Field(8, ge=1)
    n_buckets: int | None = Field(None, ge=1)
    bucket_contacts: int = Field(50_000, ge=100)
    ui: bool = False
    python: str | None = None
    conf: dict[str, str] = Field(default_factory=dict)


def load_spark_settings(path: Path | str | None) -> SparkSettings:
    """Spark settings from a YAML file (None: the defaults).

    Raises:
        ValueError: Bad YAML or an invalid key; the message names the file and the key.
    """
    if path is None:
        return SparkSettings()
    return load_yaml_settings(Path(path), SparkSettings, "Spark config")


def spark_conf(settings: SparkSettings) -> dict[str, str]:
    """Every Spark setting the session gets, ``conf`` first and the fixed ones last.

    Raises:
        ValueError: ``conf`` sets a key the engine relies on to a different value.
    """
    clash = sorted(k for k, v in settings.conf.items() if k in _FIXED and v != _FIXED[k])
    if clash:
        raise ValueError(
            f"Spark config: conf sets {clash}; leadscore needs "
            f"{ {k: _FIXED[k] for k in clash} }: remove these keys"
        )
    conf = {
        "spark.driver.memory": settings.driver_memory,
        "spark.executor.memory": settings.executor_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.ui.enabled": str(settings.ui).lower(),
        "spark.ui.showConsoleProgress": "false",
        **settings.conf,
    }
    return {**conf, **_FIXED}


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """Get (or create) the Spark session described by ``settings``.

    Sets ``PYSPARK_PYTHON`` for local masters so the workers import the same pandas,
    pyarrow and leadscore as the driver (unless it is already set).

    Raises:
        ValueError: pyspark is not installed (install the ``spark`` extra).
    """
    settings = settings or SparkSettings()
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ValueError(
            "--engine spark needs pyspark: pip install 'leadscore[spark]' (and Java 17)"
        ) from err
    python = settings.python or (sys.executable if settings.master.startswith("local") else None)
    if python:
        os.environ.setdefault("PYSPARK_PYTHON", python)
    builder = SparkSession.builder.appName(settings.app_name)
    if settings.master:
        builder = builder.master(settings.master)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in _FIXED.items():  # an existing session (spark-submit) gets them too
        spark.conf.set(key, value)
    log.info("Spark %s session on %s", spark.version, spark.sparkContext.master)
    return spark


def default_buckets(spark: SparkSession, settings: SparkSettings, n_contacts: int) -> int:
    """The number of contact buckets for ``n_contacts`` (see :class:`SparkSettings`)."""
    if settings.n_buckets is not None:
        return settings.n_buckets
    parallel = 2 * spark.sparkContext.defaultParallelism
    return max(8, parallel, -(-n_contacts // settings.bucket_contacts))
