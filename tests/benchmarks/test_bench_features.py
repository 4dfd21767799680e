"""The features benchmark's DuckDB reference agrees with build_features on the default spec.

The reference is an independent implementation of the activity features; running the
comparison on a small table keeps `make bench` from breaking when the spec grows (a
group matching on a column the reference did not select failed the whole benchmark).
"""

from __future__ import annotations

from benchmarks.bench_features import (
    AS_OF,
    check_same,
    make_tables,
    reference_features,
    reference_sql,
)
from features.build import build_features
from features.spec import load_feature_spec


def test_reference_and_build_features_agree_on_every_shared_column():
    spec = load_feature_spec()
    tables = make_tables(500)
    ours = build_features(tables, AS_OF, spec)
    compared = check_same(ours, reference_features(tables, reference_sql(spec)))
    assert {"ads_activity_7d", "video_views_30d", "ad_impressions_90d"} <= set(ours.columns)
    assert compared >= 80  # every count, recency, trend and flag column
    assert ours["ad_impressions_90d"].sum() > 0  # the benchmark data holds them
