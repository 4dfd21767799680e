"""Spark settings and sink naming: pure functions, no Spark session needed."""

import pandas as pd
import pytest

from serving.spark.session import SparkSettings, load_spark_settings, spark_conf
from serving.spark.sinks import is_dataset_sink, partition_name


def test_yaml_settings_are_validated_and_merged_into_the_conf(tmp_path):
    path = tmp_path / "spark.yaml"
    path.write_text("master: spark://h:7077\nn_buckets: 12\nconf:\n  spark.foo: bar\n")
    settings = load_spark_settings(path)
    assert settings.master == "spark://h:7077" and settings.n_buckets == 12
    conf = spark_conf(settings)
    assert conf["spark.foo"] == "bar"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.driver.memory"] == "2g"


def test_defaults_run_locally_without_a_file():
    assert load_spark_settings(None) == SparkSettings()
    assert SparkSettings().master == "local[*]"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("n_buckets: 0\n", r"n_buckets: Input should be greater than or equal to 1"),
        ("driver_memory: lots\n", r"driver_memory: String should match pattern"),
        ("masterr: local\n", r"masterr: Extra inputs are not permitted"),
    ],
)
def test_bad_settings_name_the_file_and_the_key(tmp_path, text, match):
    path = tmp_path / "spark.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        load_spark_settings(path)
    assert str(path) in str(err.value)


def test_conf_may_not_change_the_time_zone():
    settings = SparkSettings(conf={"spark.sql.session.timeZone": "Europe/Paris"})
    with pytest.raises(ValueError, match=r"spark.sql.session.timeZone.*remove these keys"):
        spark_conf(settings)


@pytest.mark.parametrize(
    ("as_of", "name"),
    [
        ("2026-09-01", "as_of=2026-09-01"),
        ("2026-09-01T06:30:00", "as_of=2026-09-01T063000Z"),
        ("2026-09-01T02:00:00+02:00", "as_of=2026-09-01"),  # midnight UTC
    ],
)
def test_partition_names(as_of, name):
    stamp = pd.Timestamp(as_of)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    assert partition_name(stamp) == name


def test_only_folders_become_spark_datasets(tmp_path):
    assert is_dataset_sink(str(tmp_path / "scores"))
    assert not is_dataset_sink("sqlite:///x.db")
    assert not is_dataset_sink(str(tmp_path / "scores.parquet"))
