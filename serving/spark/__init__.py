"""The Spark engine: the local feature and scoring code run per bucket of whole accounts.

pyspark is imported lazily (install the ``spark`` extra); importing this package does not
need it. Entry points: :func:`spark_session`, :func:`read_spark_tables`,
:func:`build_features_spark`, :func:`flag_bots_spark`, :func:`score_spark`,
:func:`run_spark_batch`.
"""

from serving.spark.batch import run_spark_batch
from serving.spark.bots import flag_bots_spark
from serving.spark.features import build_features_spark, features_to_pandas
from serving.spark.score import SparkScores, score_spark
from serving.spark.session import SparkSettings, load_spark_settings, spark_session
from serving.spark.sinks import write_dataset
from serving.spark.tables import SparkTables, read_spark_tables, spark_tables_from_pandas

__all__ = [
    "SparkScores",
    "SparkSettings",
    "SparkTables",
    "build_features_spark",
    "features_to_pandas",
    "flag_bots_spark",
    "load_spark_settings",
    "read_spark_tables",
    "run_spark_batch",
    "score_spark",
    "spark_session",
    "spark_tables_from_pandas",
    "write_dataset",
]
