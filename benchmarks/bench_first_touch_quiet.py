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
implementation: the fit features built once, then one build per first-touch day. The two
frames are compared: any difference in a value, a dtype or a category aborts the
benchmark.
"""

from __future__ import annotations

from benchmarks.bench_first_touch import side_by_side
from benchmarks.harness import BenchResult
from features.crm import CrmTables
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
    notes = (
        ", no activity (as Olist, Maven); frames identical (values, dtypes, categories); "
        "reference: one build per day"
    )
    spec = load_feature_spec()
    return [
        side_by_side(
            "first_touch_features_quiet", quiet_crm(size), spec, repeats, notes, fit_once=True
        )
    ]
