"""The nightly batch on Spark ``local[2]`` against the local engine, same data and as_of.

Data: a synthetic CRM of N contacts (~21 activities each) written as canonical Parquet
files (not timed). Model: the shared benchmark scorer (``scorer_fixture``) logged as the
MLflow pyfunc in a temporary store (not timed). Ours: :func:`serving.spark.run_spark_batch`
reading the Parquet folder, ``mlflow.pyfunc.spark_udf`` over the logged scorer, writing
the ``as_of`` partition of a Parquet dataset. Reference: :func:`serving.batch.run_batch`
on the same tables already in memory (its read is not timed), writing the folder sink.
Both explain every score. Full size only: Spark needs a JVM and ~20 s to start, and
10M contacts do not fit this 2-core / 24 GiB machine's generator budget (not run).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import trained_scorer
from features.synthetic import DirtConfig, generate_crm, write_crm
from serving.batch import run_batch
from serving.scorer_model import LoadedScorer, log_lead_scorer, to_pyfunc_frame

SIZES: dict[str, list[int]] = {"quick": [], "full": [100_000, 1_000_000]}
AS_OF = pd.Timestamp("2026-09-01", tz="UTC")
RUN = {"model_name": "bench-scorer", "model_version": "1"}
NOTE_10M = "10M contacts not run: the generator and the local reference exceed this machine"


def _logged_scorer(folder: Path) -> LoadedScorer:
    """The benchmark scorer logged as the pyfunc in a throwaway MLflow store."""
    import mlflow

    scorer = trained_scorer()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    sample = generate_crm(300, 7, dirt=DirtConfig.none()).tables
    example = to_pyfunc_frame(scorer.prepare(sample, AS_OF).frame.head(3), scorer)
    mlflow.set_experiment("bench-spark")
    with mlflow.start_run():
        info = log_lead_scorer(scorer, example)
    return LoadedScorer(scorer, info.model_uri, RUN["model_name"], RUN["model_version"])


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time the batch job for ``size`` contacts: Spark local[2] vs the local engine."""
    from serving.spark import SparkSettings, run_spark_batch, spark_session

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        root = Path(tmp)
        generated = generate_crm(size, 202, dirt=DirtConfig.none())
        write_crm(generated, root / "crm")
        tables = generated.tables
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
            return run_batch(tables, loaded.scorer, AS_OF, sink, **RUN).seconds

        spark_t = measure(ours, n_runs)
        local_t = measure(reference, n_runs)
        buckets = settings.n_buckets or max(8, 4, -(-size // settings.bucket_contacts))
        spark.stop()
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in spark_t.result.items())
    return [
        BenchResult(
            "spark_batch_local2",
            size,
            spark_t.median_s,
            local_t.median_s,
            max(spark_t.peak_rss_mb, local_t.peak_rss_mb),
            f"{len(tables.activities):,} activities, ~{buckets} buckets; Spark reads Parquet "
            f"and writes a dataset partition ({steps}); reference: run_batch on in-memory "
            f"tables to a folder sink; peak RSS is the Python driver only (JVM and workers "
            f"not counted); {n_runs} run(s) each, the first Spark run cold (workers import "
            f"leadscore and load the model); {NOTE_10M}",
        )
    ]
