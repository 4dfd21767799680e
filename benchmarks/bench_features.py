"""Feature building at one as_of: ``build_features`` against one DuckDB SQL query.

The reference is a single SQL statement over the same pandas frames (DuckDB scans them in
place) computing the same activity aggregates: counts per group and window, recency,
active days, trends, funnel stage, flags, account aggregates and contact age. Its
``FILTER`` predicates are spelled out from the feature spec (one per group), the
structure of the query is hand-written. Before timing, the two outputs are compared
column by column on the benchmark data; a mismatch aborts the benchmark.

Ours also builds the fit features (bands, e-mail domain type, ...), which the SQL does
not, so the ratio slightly favours the reference. Data (about 20 activities per contact,
10 % of them after as_of) is generated with numpy and never timed.
"""

from __future__ import annotations

import gc

import duckdb
import numpy as np
import pandas as pd
import psutil
import pyarrow as pa

from benchmarks.bench_rules import prefixed_ids
from benchmarks.harness import BenchResult, measure
from features.build import build_features
from features.crm import CrmTables
from features.measures import DAY_NS
from features.schema import ACTIVITY_TYPES, ASSET_TYPES, CHANNELS, FORM_STAGES, PAGE_CATEGORIES
from features.spec import FeatureSpec, load_feature_spec
from features.synthetic.assemble import CHANNEL_OF_KIND, category_from_codes

SIZES = {"quick": [20_000], "full": [50_000, 500_000]}
AS_OF = pd.Timestamp("2024-06-01", tz="UTC")
_TYPE_WEIGHTS = {
    "page_view": 50, "email_sent": 10, "email_open": 14, "email_click": 5, "form_submit": 4,
    "content_download": 3, "webinar_register": 1, "webinar_attend": 1, "demo_request": 1,
    "quote_request": 0.5, "chat": 1, "call": 1, "meeting": 1, "ad_click": 3,
    "email_unsubscribe": 0.5, "email_bounce": 0.5, "social_interaction": 1, "list_join": 1,
    "sales_feedback": 1, "deal_stage_change": 0.5, "ad_impression": 5, "video_view": 1,
}  # fmt: skip


def make_tables(n_contacts: int, seed: int = 0) -> CrmTables:
    """Synthetic canonical tables: ``n_contacts`` contacts, ~20 activities each."""
    rng = np.random.default_rng(seed)
    n_acts, n_accounts = 20 * n_contacts, max(1, n_contacts // 5)
    contact_ids, account_ids = prefixed_ids("c", n_contacts), prefixed_ids("acc", n_accounts)
    as_of_s = AS_OF.value // 10**9
    created = as_of_s - rng.integers(-30 * 86400, 400 * 86400, n_contacts)
    has_account = rng.random(n_contacts) < 0.8
    account = pd.Series(account_ids.to_numpy()[rng.integers(0, n_accounts, n_contacts)])
    free = rng.random(n_contacts) < 0.4
    domain = np.where(free, "gmail.com", "corp.example")
    contacts = pd.DataFrame({
        "contact_id": contact_ids,
        "created_at": pd.to_datetime(created, unit="s", utc=True).as_unit("ns"),
        "email": pd.Series(np.char.add("x@", domain), dtype="string"),
        "account_id": account.where(has_account).astype("string"),
    })  # fmt: skip
    accounts = pd.DataFrame({
        "account_id": account_ids,
        "industry": pd.Series(rng.choice(["software", "retail", "mining"], n_accounts),
                              dtype="string"),
        "employees": pd.array(rng.integers(1, 20_000, n_accounts), dtype="Int64"),
        "annual_revenue": rng.lognormal(15, 2, n_accounts),
        "is_customer": pd.array(rng.random(n_accounts) < 0.1, dtype="boolean"),
    })  # fmt: skip
    weights = np.array([_TYPE_WEIGHTS[t] for t in ACTIVITY_TYPES], dtype=float)
    kind = rng.choice(len(ACTIVITY_TYPES), n_acts, p=weights / weights.sum())
    page = np.where(kind == 0, rng.integers(0, len(PAGE_CATEGORIES), n_acts), -1)
    stage = np.where(kind == ACTIVITY_TYPES.index("form_submit"),
                     rng.integers(-1, len(FORM_STAGES), n_acts), -1)  # fmt: skip
    asset = np.where(kind == ACTIVITY_TYPES.index("content_download"),
                     rng.integers(0, len(ASSET_TYPES), n_acts), -1)  # fmt: skip
    occurred = as_of_s - rng.integers(-20 * 86400, 180 * 86400, n_acts)
    owner = rng.integers(0, n_contacts, n_acts)
    channel_of_kind = np.array([CHANNELS.index(CHANNEL_OF_KIND[t]) for t in ACTIVITY_TYPES])
    activities = pd.DataFrame({
        "activity_id": prefixed_ids("a", n_acts),
        "contact_id": pd.Series(pd.arrays.ArrowStringArray(
            pa.array(contact_ids.array).take(pa.array(owner)))),
        "occurred_at": pd.to_datetime(occurred, unit="s", utc=True).as_unit("ns"),
        "activity_type": category_from_codes(kind, ACTIVITY_TYPES),
        "page_category": category_from_codes(page, PAGE_CATEGORIES),
        "form_stage": category_from_codes(stage, FORM_STAGES),
        "asset_type": category_from_codes(asset, ASSET_TYPES),
        "channel": category_from_codes(channel_of_kind[kind], CHANNELS),
    })  # fmt: skip
    outcomes = pd.DataFrame({"contact_id": pd.Series([], dtype="string")})
    return CrmTables(contacts, accounts, activities, outcomes)


def _predicate(spec: FeatureSpec, group: str) -> str:
    """SQL for the group's filter; values come from the validated spec, quotes doubled."""
    parts = []
    for column, values in spec.groups[group].match.conditions().items():
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
        parts.append(f"CAST({column} AS VARCHAR) IN ({quoted})")
    return " AND ".join(parts)


def reference_sql(spec: FeatureSpec) -> str:
    """The reference query (parameter ``$as_of``) for the activity-based features."""
    day = DAY_NS
    aggs, outer = [], []
    windows: dict[str, set[int]] = {g: set(spec.group_windows(g)) for g in spec.groups}
    for t in spec.trends:
        windows[t.group] |= {t.recent_days, t.recent_days + t.baseline_days}
    eng = spec.engagement_group
    if eng:
        windows[eng] |= set(spec.account_windows)
    for group, days in windows.items():
        pred = _predicate(spec, group)
        for w in sorted(days):
            aggs.append(f"count(*) FILTER (WHERE {pred} AND age <= {w * day}) AS n_{group}_{w}")
        if group in spec.recency:
            aggs.append(f"min(age) FILTER (WHERE {pred}) / {day}.0 AS last_{group}")
        if group in spec.flags.values():
            aggs.append(f"count(*) FILTER (WHERE {pred}) AS n_{group}_ever")
    for w in spec.frequency_windows:
        if eng is None:  # the spec requires an engagement group for frequency windows
            raise ValueError("frequency_windows need engagement_group in the feature spec")
        aggs.append(f"count(DISTINCT (age - 1) // {day}) FILTER (WHERE {_predicate(spec, eng)}"
                    f" AND age <= {w * day}) AS active_days_{w}d")  # fmt: skip
    ranks = " ".join(f"WHEN '{s}' THEN {i + 1}" for i, s in enumerate(FORM_STAGES))
    aggs.append(f"max(CASE CAST(form_stage AS VARCHAR) {ranks} ELSE 0 END) FILTER "
                "(WHERE CAST(activity_type AS VARCHAR) = 'form_submit') AS stage")  # fmt: skip
    for g in spec.groups:
        outer += [f"coalesce(n_{g}_{w}, 0) AS {g}_{w}d" for w in spec.group_windows(g)]
    outer += [f"coalesce(active_days_{w}d, 0) AS active_days_{w}d" for w in spec.frequency_windows]
    for t in spec.trends:
        r, b = f"coalesce(n_{t.group}_{t.recent_days}, 0)", t.baseline_days
        total = f"coalesce(n_{t.group}_{t.recent_days + b}, 0)"
        outer.append(f"{r} / {t.recent_days}.0 - ({total} - {r}) / {b}.0 AS {t.name}")
    outer += [f"last_{g} AS days_since_last_{g}" for g in spec.recency]
    outer.append(f"(epoch_ns($as_of) - epoch_ns(c.created_at)) / {day}.0 AS days_since_created")
    outer.append("coalesce(stage, 0) AS max_form_stage")
    outer += [f"(coalesce(n_{g}_ever, 0) > 0)::INT AS {name}" for name, g in spec.flags.items()]
    acct_sums, acct_cols = [], []
    for w in spec.account_windows:
        n = f"coalesce(n_{eng}_{w}, 0)"
        x = f"{eng}_x{w}"
        acct_sums += [f"sum(({x} > 0)::INT) AS e_{w}", f"sum({x}) AS t_{w}"]
        acct_cols += [f"CASE WHEN b.account_id IS NULL THEN NULL ELSE e_{w} - (b.{eng}_x{w} > 0)"
                      f"::INT END AS account_engaged_contacts_{w}d",
                      f"t_{w} AS account_engagement_{w}d"]  # fmt: skip
        outer.append(f"{n} AS {eng}_x{w}")
    filtered = {c for g in spec.groups.values() for c in g.match.conditions()}
    columns = ", ".join(f"a.{c}" for c in sorted(filtered | {"activity_type", "form_stage"}))
    return f"""
WITH known AS (SELECT contact_id, account_id, created_at FROM contacts WHERE created_at < $as_of),
ev AS (
  SELECT a.contact_id, epoch_ns($as_of) - epoch_ns(a.occurred_at) AS age, {columns}
  FROM activities a SEMI JOIN known k ON a.contact_id = k.contact_id
  WHERE a.occurred_at < $as_of),
agg AS (SELECT contact_id, {", ".join(aggs)} FROM ev GROUP BY contact_id),
b AS (SELECT c.contact_id, c.account_id, {", ".join(outer)}
      FROM known c LEFT JOIN agg USING (contact_id)),
acct AS (SELECT account_id, {", ".join(acct_sums) or "1 AS one"} FROM b
         WHERE account_id IS NOT NULL GROUP BY account_id)
SELECT b.*, {", ".join(acct_cols) or "NULL AS none"} FROM b LEFT JOIN acct USING (account_id)
"""


def reference_features(tables: CrmTables, sql: str) -> pd.DataFrame:
    """Run the reference query on the same in-memory frames."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("contacts", tables.contacts)
        con.register("activities", tables.activities)
        return con.execute(sql, {"as_of": AS_OF.to_pydatetime()}).df()
    finally:
        con.close()


def check_same(ours: pd.DataFrame, ref: pd.DataFrame) -> int:
    """Compare every column the reference computes; return how many were compared."""
    ref = ref.set_index("contact_id").reindex(ours.index.astype(str))
    shared = [c for c in ours.columns if c in ref.columns]
    for col in shared:
        got = ours[col].to_numpy(dtype="float64")
        want = ref[col].to_numpy(dtype="float64")
        if not np.allclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True):
            bad = int((~np.isclose(got, want, rtol=1e-6, atol=1e-6, equal_nan=True)).sum())
            raise RuntimeError(f"bench_features: column {col!r} differs on {bad} rows")
    return len(shared)


def _input_mb(tables: CrmTables) -> float:
    frames = (tables.contacts, tables.accounts, tables.activities)
    return sum(f.memory_usage(deep=True).sum() for f in frames) / 2**20


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time ours and the reference at ``size`` contacts (20x as many activities)."""
    spec = load_feature_spec()
    tables = make_tables(size)
    sql = reference_sql(spec)
    compared = check_same(build_features(tables, AS_OF, spec), reference_features(tables, sql))
    gc.collect()
    base_mb = psutil.Process().memory_info().rss / 2**20
    ours = measure(lambda: build_features(tables, AS_OF, spec), repeats)
    gc.collect()
    ref = measure(lambda: reference_features(tables, sql), repeats)
    input_mb = _input_mb(tables)
    extra = ours.peak_rss_mb - base_mb
    notes = (
        f"{20 * size:,} activities; {compared} columns identical to DuckDB; input "
        f"{input_mb:.0f} MB, ours peak +{extra:.0f} MB over the loaded data "
        f"({extra / input_mb:.2f}x input), DuckDB peak {ref.peak_rss_mb:.0f} MB RSS"
    )
    result = BenchResult("features.build_features", size, ours.median_s, ref.median_s,
                         ours.peak_rss_mb, notes)  # fmt: skip
    return [result]
