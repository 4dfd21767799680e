"""first_touch features: fit features built once against built again every first-touch day.

Data: a generated CRM (no planted dirt, as validation leaves it; generated, never timed)
with every contact at its first touch (creation day's midnight + 1 day): one
:func:`features.build.build_features` per first-touch day, about 550 days over the
generator's 18 months, as Olist's 8,000 MQLs take 336.

Ours: :func:`features.first_touch.first_touch_features`, which builds the fit features
(seniority, industry, bands, e-mail domain type, ...: they read no date) once for every
contact the days' tables hold and joins them to each day's activity features. Reference:
:func:`per_day_reference`, the previous implementation, every day's table built whole, fit
features included. The two frames are compared: any difference in a value, a dtype or a
category aborts the benchmark.

``python -m benchmarks.bench_first_touch --olist FOLDER`` times the same two on the Olist
marketing funnel (``olist_marketing_funnel`` of the real-data folder, ``--mapping olist``,
the default spec plus the mapping's extra columns as ``leadscore train`` uses them), every
MQL at its first touch, side by side in one process.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from benchmarks.harness import BenchResult, measure
from features.build import build_features
from features.crm import CrmTables
from features.first_touch import (
    day_tables,
    first_touch_as_of,
    first_touch_features,
    static_fit_features,
)
from features.measures import AGE_FEATURE
from features.spec import FeatureSpec, load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from features.training_set import concat_keeping_categories

SIZES = {"quick": [1_000], "full": [8_000]}
SEED = 41


def per_day_reference(
    tables: CrmTables, as_of: pd.Series, spec: FeatureSpec, *, fit_once: bool = False
) -> pd.DataFrame:
    """Every first-touch day's table built whole, fit features included, its own contacts
    kept and the days stacked (what :func:`first_touch_features` did before).

    With ``fit_once``, the fit features are built once for all days and each day builds
    the rest (what it did before quiet contacts were built together; no rule score).
    """
    fit = static_fit_features(tables, as_of, spec) if fit_once else None
    frames = []
    for day, group in as_of.groupby(as_of, sort=True):
        features = build_features(day_tables(tables, pd.Index(group.index)), day, spec, fit=fit)
        own = features.loc[features.index.isin(group.index)]
        frames.append(own.drop(columns=[AGE_FEATURE], errors="ignore").reset_index())
    return concat_keeping_categories(frames).set_index("contact_id").loc[as_of.index]


def first_touches(tables: CrmTables) -> pd.Series:
    """Each contact's first-touch ``as_of`` (1-day delay), indexed by ``contact_id``."""
    contacts = tables.contacts
    return pd.Series(
        first_touch_as_of(contacts["created_at"], 1).to_numpy(),
        index=pd.Index(contacts["contact_id"].astype("object").to_numpy(), name="contact_id"),
    )


def side_by_side(
    name: str, tables: CrmTables, spec: FeatureSpec, repeats: int, notes: str, **reference: bool
) -> BenchResult:
    """Ours and :func:`per_day_reference` (with ``reference``'s options) on ``tables``, every
    contact at its first touch; any difference in a value, a dtype or a category of their
    frames aborts. ``notes`` follows the number of first-touch days."""
    as_of = first_touches(tables)
    ours = measure(lambda: first_touch_features(tables, as_of, spec), repeats)
    ref = measure(lambda: per_day_reference(tables, as_of, spec, **reference), repeats)
    pd.testing.assert_frame_equal(ours.result, ref.result, check_exact=True)
    notes = f"{as_of.nunique():,} first-touch days{notes}"
    return BenchResult(name, len(as_of), ours.median_s, ref.median_s, ours.peak_rss_mb, notes)


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time ours and the per-day reference on ``size`` contacts."""
    tables = generate_crm(size, SEED, dirt=DirtConfig.none()).tables
    notes = (
        f", {len(tables.activities):,} activities; frames identical (values, dtypes, "
        "categories); reference: fit features rebuilt every day"
    )
    return [
        side_by_side("first_touch_features_fit_once", tables, load_feature_spec(), repeats, notes)
    ]


def olist(folder: Path, repeats: int) -> BenchResult:
    """Ours and the reference on Olist's MQLs (see the module docstring)."""
    from features.fit import spec_for_data
    from features.infer import InferSettings
    from features.ingest.load import ingest

    source = folder / "olist_marketing_qualified_leads_dataset.csv"
    tables = ingest(source, "olist").tables
    spec, _ = spec_for_data(load_feature_spec(None), tables.contacts, InferSettings())
    notes = " (Olist); frames identical"
    return side_by_side("first_touch_features_fit_once", tables, spec, repeats, notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--olist", type=Path, required=True, help="olist_marketing_funnel")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    row = olist(args.olist, args.repeats)
    ratio = f"{row.ratio:.1f}x" if row.ratio is not None else "-"
    print(f"{row.notes}: ours {row.ours_s:.2f} s, per day {row.ref_s:.2f} s, {ratio}")


if __name__ == "__main__":
    main()
