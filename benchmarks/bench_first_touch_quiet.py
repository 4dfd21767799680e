"""first_touch features of contacts without activity: one build for all against one per day.

Olist's MQLs and Maven's opportunities have no activity log, so each contact's features
are the same at every ``as_of`` after its creation
(:func:`features.first_touch_quiet.quiet_contacts`).
Data: a generated CRM (no planted dirt, as validation leaves it; generated, never timed)
with its activities removed, as those exports hold none, every contact at its first touch
(creation day's midnight + 1 day): 8,000 contacts over about 550 first-touch days (Olist:
8,000 MQLs over 336 days; Maven: 8,300 opportunities over 421).

Ours: :func:`features.first_touch.first_touch_features`, which builds the quiet contacts
in one :func:`features.build.build_features`. Reference:
:func:`benchmarks.bench_first_touch.per_day_reference` with ``fit_once``, the previous
implementation: the fit features built once, then one build per first-touch day. Before
timing, the two frames are compared: any difference in a value, a dtype or a category
aborts the benchmark.
"""

from __future__ import annotations

import pandas as pd

from benchmarks.bench_first_touch import first_touches, per_day_reference
from benchmarks.harness import BenchResult, measure
from features.crm import CrmTables
from features.first_touch import first_touch_features
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm

SIZES = {"quick": [1_000], "full": [8_000]}
SEED = 43


def quiet_crm(size: int) -> CrmTables:
    """A generated CRM of ``size`` contacts without its activities."""
    tables = generate_crm(size, SEED, dirt=DirtConfig.none()).tables
    return CrmTables(tables.contacts, tables.accounts, tables.activities.iloc[:0], tables.outcomes)


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time ours and the per-day reference on ``size`` contacts without activity."""
    tables = quiet_crm(size)
    spec = load_feature_spec()
    as_of = first_touches(tables)
    ours = measure(lambda: first_touch_features(tables, as_of, spec), repeats)
    ref = measure(lambda: per_day_reference(tables, as_of, spec, fit_once=True), repeats)
    pd.testing.assert_frame_equal(ours.result, ref.result, check_exact=True)
    notes = (
        f"{as_of.nunique():,} first-touch days, no activity (as Olist, Maven); frames "
        "identical (values, dtypes, categories); reference: one build per day"
    )
    return [
        BenchResult(
            "first_touch_features_quiet", size, ours.median_s, ref.median_s, ours.peak_rss_mb, notes
        )
    ]
