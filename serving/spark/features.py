"""Feature building on Spark from the same feature spec: the local engine per bucket.

No feature is defined twice: every bucket of whole accounts (:mod:`serving.spark.partition`)
goes through :func:`features.build.build_features` in a pandas UDF. The output schema is
read off the local engine too (its result on empty tables). Category features come back
as strings (Spark has no categorical type); floats keep their float32/float64 width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from features.bots import BotSettings
from features.build import build_features
from features.crm import CrmTables, empty_table
from features.events import utc_timestamp
from features.schema import TABLES
from features.spec import FeatureSpec
from rules import Rulebook, score_rulebook
from serving.eligibility import known_tables
from serving.spark.bots import without_bots
from serving.spark.partition import cogroup_apply, pack, unpack
from serving.spark.tables import SparkTables, extra_contact_columns

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

_SPARK_TYPES = {"float32": "float", "float64": "double"}


def local_features(
    tables: CrmTables, as_of: pd.Timestamp, spec: FeatureSpec, rulebook: Rulebook | None
) -> pd.DataFrame:
    """:func:`build_features`, with the rule score computed as the scorer does when asked.

    Raises:
        ValueError: The spec includes the rule score and no rulebook is given.
    """
    if not spec.include_rule_score:
        return build_features(tables, as_of, spec)
    if rulebook is None:
        raise ValueError(
            "the feature spec has include_rule_score: true; pass the rulebook (rulebook=)"
        )
    known, _ = known_tables(tables, as_of)
    totals = score_rulebook(known, rulebook, as_of).scores
    scores = pd.Series(totals["total"].to_numpy(), index=known.contacts["contact_id"])
    return build_features(known, as_of, spec, rule_scores=scores)


def feature_columns(spec: FeatureSpec, rulebook: Rulebook | None = None) -> dict[str, str]:
    """Feature name -> local dtype (``float32``, ``float64`` or ``category``), in order."""
    kinds = {"double": "float64", "string": "string", "boolean": "boolean"}
    extras = extra_contact_columns(spec, rulebook if spec.include_rule_score else None)
    extra = {c: pd.Series(dtype=kinds[t]) for c, t in extras.items()}
    tables = {name: empty_table(name) for name in TABLES}
    empty = CrmTables(**(tables | {"contacts": tables["contacts"].assign(**extra)}))
    frame = local_features(empty, pd.Timestamp("2000-01-01", tz="UTC"), spec, rulebook)
    return {c: str(t) for c, t in frame.dtypes.items()}


def spark_schema(columns: dict[str, str]) -> str:
    """Spark DDL of ``contact_id`` and the features (categories as strings)."""
    fields = [f"`{c}` {_SPARK_TYPES.get(t, 'string')}" for c, t in columns.items()]
    return ", ".join(["`contact_id` string", *fields])


def transport_features(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Local features (index ``contact_id``) as the UDF's output frame."""
    out = {"contact_id": frame.index.astype("str").to_numpy(dtype=object)}
    for name, dtype in columns.items():
        values = frame[name]
        if dtype == "category":
            text = values.astype(object)
            out[name] = text.where(values.notna(), None).to_numpy()
        else:
            out[name] = values.to_numpy(dtype=dtype)
    return pd.DataFrame(out)


def _bucket_features(
    as_of: pd.Timestamp,
    spec: FeatureSpec,
    rulebook: Rulebook | None,
    columns: dict[str, str],
    bots: BotSettings | None,
) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    def run(entities: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
        tables, _ = without_bots(unpack(entities, activities)[0], bots)
        return transport_features(local_features(tables, as_of, spec, rulebook), columns)

    return run


def check_spec_columns(
    tables: SparkTables, spec: FeatureSpec, rulebook: Rulebook | None = None
) -> None:
    """Refuse tables whose contacts lack an extra column ``spec`` or ``rulebook`` reads.

    Raises:
        ValueError: Naming the columns and how to read the tables with them.
    """
    wanted = extra_contact_columns(spec, rulebook)
    missing = [c for c in wanted if c not in tables.contacts.columns]
    if missing:
        raise ValueError(
            f"the feature spec or the rulebook reads contacts column(s) {missing} (columns "
            "a mapping kept, or a rulebook's extra_columns) that the Spark tables lack: "
            "read them for the scorer (read_spark_tables(..., spec, rulebook) or "
            "spark_tables_from_pandas(..., spec, rulebook))"
        )


def build_features_spark(
    tables: SparkTables,
    as_of: pd.Timestamp | str,
    spec: FeatureSpec,
    *,
    n_buckets: int,
    rulebook: Rulebook | None = None,
    bots: BotSettings | None = None,
) -> DataFrame:
    """The feature table of :func:`features.build.build_features`, computed on Spark.

    Args:
        tables: Canonical tables in transport form (:mod:`serving.spark.tables`), read
            for ``spec`` and ``rulebook`` (their contacts carry the extra columns both read).
        as_of: Cut-off (naive = UTC).
        n_buckets: Buckets of whole accounts (one local-engine call each).
        rulebook: The rulebook, needed when ``spec.include_rule_score``.
        bots: Bot filter settings: each bucket's bots are kept out first (None: none).

    Returns:
        A lazy DataFrame: ``contact_id`` and the features in the local column order, one
        row per contact created before ``as_of`` (row order not defined).

    Raises:
        ValueError: The contacts lack a column the spec (or, with the rule score, the
            rulebook) reads.
    """
    check_spec_columns(tables, spec, rulebook if spec.include_rule_score else None)
    columns = feature_columns(spec, rulebook)
    fn = _bucket_features(utc_timestamp(as_of), spec, rulebook, columns, bots)
    return cogroup_apply(pack(tables, n_buckets), fn, spark_schema(columns))


def features_to_pandas(
    df: DataFrame, spec: FeatureSpec, rulebook: Rulebook | None = None
) -> pd.DataFrame:
    """Collect a Spark feature table as the local engine's frame (index ``contact_id``).

    Category columns stay strings (``str``); rows are sorted by ``contact_id``.
    """
    columns = feature_columns(spec, rulebook)
    frame = pd.DataFrame(df.toPandas())
    frame = frame.astype({c: t for c, t in columns.items() if t != "category"})
    frame = frame.set_index(frame["contact_id"].astype("str")).drop(columns="contact_id")
    frame.index.name = "contact_id"
    return frame.sort_index()
