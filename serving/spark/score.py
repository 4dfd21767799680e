"""Batch scoring on Spark with the registered scorer: two stages, same columns as local.

Stage 1 runs the bot filter (:mod:`serving.spark.bots`, when given settings) and
:meth:`serving.scorer.LeadScorer.prepare` (eligibility, rules, features) on every bucket of
whole accounts and emits the flagged activities, the pyfunc's flat input rows
(:func:`serving.scorer_model.to_pyfunc_frame`), the rejects and the rulebook's account
roll-up (each account is whole in its bucket, so its row is the local engine's) in one
frame told apart by ``_kind``. Stage 2 applies ``mlflow.pyfunc.spark_udf`` over the registered model
(``models:/<name>@champion``: the one pyfunc holding spec, rulebook, calibrated model and
blend) to the rows, giving :data:`serving.scorer.OUTPUT_COLUMNS`. Previous stages (stages
never move back) are read on the driver and joined onto the contacts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from features.bots import BotSettings
from serving.scorer import LeadScorer
from serving.scorer_model import to_pyfunc_frame
from serving.scorer_types import NUMBER_OUTPUTS, OUTPUT_COLUMNS, RULE_TEXT_COLUMNS, ScoredLeads
from serving.sinks import REJECT_COLUMNS, SCORED_COLUMNS
from serving.sinks.accounts import ACCOUNT_COLUMNS
from serving.spark.bots import BOT_COLUMNS, without_bots
from serving.spark.features import check_spec_columns
from serving.spark.partition import cogroup_apply, pack, unpack
from serving.spark.tables import SparkTables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

KIND = "_kind"
BOT_PREFIX = "bot__"
ACCOUNT_PREFIX = "acct__"
_ACCOUNT_TYPES: dict[str, tuple[str, str, object]] = {
    "account_id": ("string", "string", object),
    "score": ("double", "float64", "float64"),
    "n_contacts": ("bigint", "int64", "Int64"),
    "n_used": ("bigint", "int64", "Int64"),
    "top_contact_id": ("string", "string", object),
    "hot": ("boolean", "bool", "boolean"),
}
"""Per :data:`ACCOUNT_COLUMNS` column: its Spark type, its dtype in the local roll-up
(:func:`rules.accounts.roll_up_accounts`), and the pandas dtype that keeps its nulls on
stage 1's other rows (Arrow-safe)."""


def input_columns(scorer: LeadScorer) -> dict[str, str]:
    """The pyfunc's input columns and their Spark types, in :func:`to_pyfunc_frame` order."""
    model = scorer.model
    features = {c: "string" if c in model.categories_ else "double" for c in model.feature_names_}
    text = dict.fromkeys(RULE_TEXT_COLUMNS, "string")
    return {"contact_id": "string", **features, "manual_score": "double", **text}


def _ddl(columns: dict[str, str]) -> str:
    return ", ".join(f"`{c}` {t}" for c, t in columns.items())


def _bucket_prepare(
    scorer: LeadScorer, as_of: pd.Timestamp, columns: list[str], bots: BotSettings | None
) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    read = scorer.read_settings()  # kept columns typed as the local engine's validation types

    def run(entities: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
        tables, previous = unpack(entities, activities, read["trained_types"], read["infer"])
        tables, flagged = without_bots(tables, bots)
        prepared = scorer.prepare(tables, as_of, previous=previous, checked=True)
        rows = to_pyfunc_frame(prepared.frame, scorer).assign(**{KIND: "row"})
        # pandas 3 text columns are Arrow-backed, which pyspark 4.3's serializer cannot
        # take after a concat ("Cannot convert ChunkedArray"): hand it plain objects
        text = {c: object for c in rows.columns if not pd.api.types.is_float_dtype(rows[c])}
        rejects = prepared.rejects.astype(object).assign(**{KIND: "reject"})
        flagged = flagged.rename(columns=lambda c: BOT_PREFIX + c).assign(**{KIND: "bot"})
        parts = [rows.astype(text), rejects, flagged]
        accounts = None if prepared.rules is None else prepared.rules.accounts
        if accounts is not None:
            acc = accounts.loc[:, list(ACCOUNT_COLUMNS)].rename(
                columns=lambda c: ACCOUNT_PREFIX + c
            )
            parts.append(acc.assign(**{KIND: "account"}))
        out = pd.concat(parts, ignore_index=True).reindex(columns=columns)
        kinds = {ACCOUNT_PREFIX + c: _ACCOUNT_TYPES[c][2] for c in ACCOUNT_COLUMNS}
        return out.astype(kinds)

    return run


@dataclass(frozen=True)
class SparkScores:
    """A Spark scoring run, still lazy: scores and rejects as DataFrames.

    Attributes:
        scores: ``contact_id`` and :data:`OUTPUT_COLUMNS` (``as_of`` is :attr:`as_of`).
        rejects: ``contact_id, reason``.
        eligible: ``contact_id`` of every contact the run had to score.
        as_of: The scoring time (UTC).
        stage1: The persisted stage-1 frame (:meth:`release` frees it and the scores).
        accounts: :data:`ACCOUNT_COLUMNS` of the rulebook's account roll-up, or None when
            the rulebook has no ``accounts:``.
        bots: :data:`serving.spark.bots.BOT_COLUMNS` of the activities the bot filter kept
            out (empty when the run did not filter).
    """

    scores: DataFrame
    rejects: DataFrame
    eligible: DataFrame
    as_of: pd.Timestamp
    stage1: DataFrame
    accounts: DataFrame | None = None
    bots: DataFrame | None = None

    def collect(self, columns: tuple[str, ...] = SCORED_COLUMNS) -> ScoredLeads:
        """The run as the local engine's :class:`ScoredLeads` (rows sorted by id).

        Args:
            columns: Score columns to bring to the driver (a subset keeps a large run
                light when only the summary is needed there); ``as_of`` is added here.
        """
        start = time.perf_counter()
        wanted = [c for c in (*columns, "margin") if c != "as_of"]
        scores = pd.DataFrame(self.scores.select(*wanted).toPandas())
        scores = scores.sort_values("contact_id", ignore_index=True)
        stamp = pd.Series(self.as_of, index=scores.index).astype("datetime64[ns, UTC]")
        scores = scores.assign(contact_id=scores["contact_id"].astype("str"), as_of=stamp)
        rejects = pd.DataFrame(self.rejects.toPandas()).astype(
            {"contact_id": "str", "reason": "str"}
        )
        eligible = pd.DataFrame(self.eligible.toPandas())["contact_id"].astype("str")
        margin = scores["margin"].to_numpy(dtype="float64")
        keep = [c for c in SCORED_COLUMNS if c in (*columns, "as_of")]
        accounts = None if self.accounts is None else account_frame(self.accounts.toPandas())
        seconds = {"collect": time.perf_counter() - start}
        return ScoredLeads(
            scores.loc[:, keep], rejects, eligible, margin, None, self.as_of, seconds, accounts
        )

    def release(self) -> None:
        """Unpersist the cached stage-1 and score frames."""
        self.scores.unpersist()
        self.stage1.unpersist()


def account_frame(collected: pd.DataFrame) -> pd.DataFrame:
    """Collected account rows in the local roll-up's dtypes, sorted by ``account_id``."""
    dtypes = {c: local for c, (_, local, _) in _ACCOUNT_TYPES.items()}
    out = collected.loc[:, list(dtypes)].astype(dtypes)
    return out.sort_values("account_id", ignore_index=True)


def previous_frame(spark: SparkSession, previous: pd.DataFrame | None) -> DataFrame | None:
    """The driver's previous stages (:func:`serving.sinks.previous_stages`) for :func:`pack`."""
    if previous is None or previous.empty:
        return None
    stamps = pd.to_datetime(previous["as_of"], utc=True).astype("datetime64[ns, UTC]")
    pdf = pd.DataFrame(
        {
            "contact_id": previous["contact_id"].astype(object).astype(str).to_numpy(),
            "stage": previous["stage"].astype(object).to_numpy(),
            "as_of_ns": stamps.array.asi8,
        }
    )
    return spark.createDataFrame(pdf, "contact_id string, stage string, as_of_ns bigint")


def score_spark(
    spark: SparkSession,
    tables: SparkTables,
    scorer: LeadScorer,
    model_uri: str,
    as_of: pd.Timestamp,
    *,
    n_buckets: int,
    previous: pd.DataFrame | None = None,
    explain: bool = True,
    bots: BotSettings | None = None,
) -> SparkScores:
    """Score every contact of ``tables`` on Spark (see the module docstring).

    Args:
        tables: Canonical tables in transport form, read for the scorer's spec
            (``read_spark_tables(spark, data, scorer.spec_, scorer.rulebook_)``).
        scorer: The scorer loaded from ``model_uri`` on the driver (stage 1 runs its
            ``prepare``; the UDF of stage 2 loads the same logged model).
        model_uri: ``models:/<name>@<alias>`` (MLflow's tracking/registry URIs set).
        as_of: Scoring time (UTC).
        n_buckets: Buckets of whole accounts.
        previous: Stages of the previous run (``contact_id, stage, as_of``) or None.
        explain: Compute the top model reasons (SHAP).
        bots: Bot filter settings: each bucket's activities go through
            :func:`features.bots.split_bots` before scoring, as ``leadscore score`` filters
            after validation (None: the tables are scored as they are, like
            :meth:`LeadScorer.score`).

    Returns:
        The lazy run; stage 1 is persisted (both outputs read it).

    Raises:
        ValueError: The scorer is a flat-export scorer (no feature spec), the contacts
            lack a column its spec or rulebook reads (read the tables for the scorer), or
            a scorer trained on activity history is given no activity at all.
    """
    import mlflow
    from pyspark.sql import functions as F  # noqa: N812

    if scorer.spec_ is None:
        raise ValueError(
            f"{model_uri} scores flat exports (no feature spec): use --engine local for it"
        )
    check_spec_columns(tables, scorer.spec_, scorer.rulebook_)
    # once on the whole data: a bucket may hold contacts and no activity
    has_contacts = bool(tables.contacts.limit(1).count())
    scorer.check_history(
        has_activities=bool(tables.activities.limit(1).count()), has_contacts=has_contacts
    )
    inputs = input_columns(scorer)
    has_accounts = scorer.rulebook_.accounts is not None
    stage1_cols = {  # the pyfunc's rows, rejects, the account roll-up and flagged bots
        KIND: "string",
        "reason": "string",
        **inputs,
        **{ACCOUNT_PREFIX + c: _ACCOUNT_TYPES[c][0] for c in ACCOUNT_COLUMNS},
        **{BOT_PREFIX + c: "string" for c in BOT_COLUMNS},
    }
    fn = _bucket_prepare(scorer, as_of, list(stage1_cols), bots)
    packed = pack(tables, n_buckets, previous_frame(spark, previous))
    stage1 = cogroup_apply(packed, fn, _ddl(stage1_cols)).persist()
    outputs = {c: "double" if c in NUMBER_OUTPUTS else "string" for c in OUTPUT_COLUMNS}
    udf = mlflow.pyfunc.spark_udf(
        spark,
        model_uri,
        result_type=_ddl(outputs),  # the scorer's output columns as one struct
        env_manager="local",
        params={"explain": explain},
    )
    rows = stage1.where(F.col(KIND) == "row")
    scored = rows.select(
        F.col("contact_id"), udf(*[F.col(f"`{c}`") for c in inputs]).alias("_out")
    ).select("contact_id", "_out.*")
    rejects = stage1.where(F.col(KIND) == "reject").select(*REJECT_COLUMNS)
    eligible = tables.contacts.select(F.col("contact_id").cast("string"))
    accounts = None
    if has_accounts:
        accounts = stage1.where(F.col(KIND) == "account").select(
            *[F.col(ACCOUNT_PREFIX + c).alias(c) for c in ACCOUNT_COLUMNS]
        )
    flagged = stage1.where(F.col(KIND) == "bot").select(
        *[F.col(BOT_PREFIX + c).alias(c) for c in BOT_COLUMNS]
    )
    log.info("Spark scoring plan ready: %d buckets, model %s", n_buckets, model_uri)
    # persisted: the sink and the summary both read the scores, the model runs once
    return SparkScores(scored.persist(), rejects, eligible, as_of, stage1, accounts, flagged)
