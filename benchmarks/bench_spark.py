"""The nightly batch on Spark ``local[2]`` against the local engine, same data and as_of.

Data: a synthetic CRM of N contacts (~21 activities each) written as canonical Parquet
files (not timed). Model: the shared benchmark scorer (``scorer_fixture``) logged as the
MLflow pyfunc in a temporary store (not timed). Ours: :func:`serving.spark.run_spark_batch`
reading the Parquet folder, ``mlflow.pyfunc.spark_udf`` over the logged scorer, writing
the ``as_of`` partition of a Parquet dataset. Reference: :func:`serving.batch.run_batch`
on the same tables already in memory (its read is not timed), writing the folder sink.
Both explain every score. Full size only: Spark needs a JVM and ~20 s to start.

Above ``LOCAL_MAX`` contacts (10M) the data does not fit in memory here (the generator
and the local engine hold ~4-7 GB per million contacts on a 24 GiB machine): the CRM is
written chunk by chunk (:mod:`benchmarks.spark_data`, ids prefixed per chunk) and only
Spark runs, once; the growth factor against 1M is what that size shows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import AS_OF, RUN, trained_scorer
from benchmarks.spark_data import write_chunked_crm
from features.synthetic import DirtConfig, generate_crm, write_crm
from models.store import use_tracking_uri
from serving.batch import run_batch
from serving.scorer_model import LoadedScorer, log_lead_scorer, to_pyfunc_frame

SIZES: dict[str, list[int]] = {"quick": [], "full": [100_000, 1_000_000, 10_000_000]}
LOCAL_MAX = 1_000_000  # above: Spark only, on data written chunk by chunk


def _logged_scorer(folder: Path) -> LoadedScorer:
    """The benchmark scorer logged as the pyfunc in a throwaway MLflow store."""
    import mlflow

    scorer = trained_scorer()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    use_tracking_uri(uri)
    sample = generate_crm(300, 7, dirt=DirtConfig.none()).tables
    example = to_pyfunc_frame(scorer.prepare(sample, AS_OF).frame.head(3), scorer)
    mlflow.set_experiment("bench-spark")
    with mlflow.start_run():
        info = log_lead_scorer(scorer, example)
    return LoadedScorer(scorer, info.model_uri, RUN["model_name"], RUN["model_version"])


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time the batch job for ``size`` contacts: Spark local[2] vs the local engine."""
    from serving.spark import SparkSettings, run_spark_batch, spark_session
    from serving.spark.session import default_buckets

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        root = Path(tmp)
        local = size <= LOCAL_MAX
        if local:
            generated = generate_crm(size, 202, dirt=DirtConfig.none())
            write_crm(generated, root / "crm")
            tables = generated.tables
            n_activities = len(tables.activities)
        else:
            n_activities = write_chunked_crm(size, root / "crm", seed=202)["activities"]
        loaded = _logged_scorer(root)
        settings = SparkSettings(master="local[2]", driver_memory="6g", shuffle_partitions=8)
        spark = spark_session(settings)
        spark.sparkContext.setLogLevel("ERROR")
        n_runs = max(1, min(repeats, 1 if size >= 1_000_000 else 2))

        def ours() -> dict[str, float]:
            sink = str(root / f"spark_{time.monotonic_ns()}")
            summary = run_spark_batch(
                spark, str(root / "crm"), loaded, AS_OF, sink, settings=settings
            )
            return summary.seconds

        def reference() -> dict[str, float]:
            sink = str(root / f"local_{time.monotonic_ns()}")
            return run_batch(
                tables,
                loaded.scorer,
                AS_OF,
                sink,
                model_name=RUN["model_name"],
                model_version=RUN["model_version"],
            ).seconds

        spark_t = measure(ours, n_runs)
        local_t = measure(reference, n_runs) if local else None
        buckets = default_buckets(spark, settings, size)
        spark.stop()
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in spark_t.result.items())
    reference_note = (
        "reference: run_batch on in-memory tables to a folder sink"
        if local
        else "no reference: the local engine cannot hold this size in 24 GiB (written in "
        "1M-contact chunks, ids prefixed per chunk; compare the growth factor)"
    )
    return [
        BenchResult(
            "spark_batch_local2",
            size,
            spark_t.median_s,
            None if local_t is None else local_t.median_s,
            max(spark_t.peak_rss_mb, 0.0 if local_t is None else local_t.peak_rss_mb),
            f"{n_activities:,} activities, ~{buckets} buckets; Spark reads Parquet "
            f"and writes a dataset partition ({steps}); {reference_note}; peak RSS is the "
            f"Python driver only (JVM and workers not counted); {n_runs} run(s) each, the "
            f"first Spark run cold (workers import leadscore and load the model)",
        )
    ]
