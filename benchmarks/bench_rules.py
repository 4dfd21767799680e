"""Benchmark: the vectorised rulebook scorer vs a per-lead Python interpreter.

Data: N contacts with ~15 activities each (numpy, not timed), accounts, a little sales
feedback and deal history. Rulebook: ``rules/rulebooks/default.yaml`` (51 rules: criteria,
windows, bands, per-activity limits and decay, caps, gate, two scales, recycling).
Reference: the way most tools evaluate rules -- loop over contacts, loop over rules,
evaluate each rule on that lead's own activity list -- written here with the same
semantics; both sides must give the same main-scale totals on the rows the reference
scores. For large N the reference runs on a random sample of contacts and its time is
scaled linearly (said in the notes).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.harness import BenchResult, measure
from features.crm import CrmTables, empty_table
from features.measures import FREE_EMAIL_DOMAINS
from features.schema import ACCOUNTS, ACTIVITIES, CONTACTS
from features.synthetic.assemble import strings_from_codes
from rules import load_rulebook, score_rulebook
from rules.collect import uses_activity
from rules.model import AllOf, AnyOf, NotOf, Rulebook
from rules.scorer import BLOCK_SIZE
from serving.run_config import DEFAULT_RULEBOOK

SIZES = {"quick": [20_000], "full": [100_000, 1_000_000]}
AS_OF = pd.Timestamp("2026-11-01", tz="UTC")
REF_SAMPLE = 20_000
NS_DAY = 86_400 * 10**9

_ACT_P = {
    "page_view": 0.45,
    "email_open": 0.15,
    "email_click": 0.07,
    "email_sent": 0.08,
    "form_submit": 0.04,
    "content_download": 0.03,
    "webinar_register": 0.01,
    "webinar_attend": 0.01,
    "demo_request": 0.005,
    "quote_request": 0.005,
    "chat": 0.01,
    "call": 0.01,
    "meeting": 0.01,
    "ad_click": 0.03,
    "social_interaction": 0.02,
    "list_join": 0.01,
    "email_unsubscribe": 0.005,
    "email_bounce": 0.005,
    "deal_stage_change": 0.01,
    "sales_feedback": 0.01,
}


def prefixed_ids(prefix: str, n: int) -> pd.Series:
    """``prefix0 .. prefix{n-1}`` built in Arrow (fast for tens of millions)."""
    digits = pc.cast(pa.array(np.arange(n)), pa.string())
    return pd.Series(pc.binary_join_element_wise(prefix, digits, ""), dtype="string")


def _cat(codes: np.ndarray, values: list[str], allowed: tuple[str, ...] | None) -> pd.Categorical:
    """A categorical over ``allowed`` from codes into ``values`` (-1: missing)."""
    cats = list(allowed) if allowed else values
    remap = np.array([cats.index(v) for v in values] + [-1])
    return pd.Categorical.from_codes(remap[np.asarray(codes)], categories=cats)


def _pick(
    rng: np.random.Generator,
    k: int,
    n: int,
    p: list[float] | None = None,
    where: np.ndarray | None = None,
) -> np.ndarray:
    codes = rng.choice(k, n, p=p)
    return codes if where is None else np.where(where, codes, -1)


def make_tables(n: int, seed: int = 7) -> CrmTables:
    """Synthetic canonical tables with ~15 activities per contact (not timed)."""
    rng = np.random.default_rng(seed)
    n_acc = max(1, n // 4)
    industries = ["software", "retail", "saas", "financial services", "education", "other"]
    accounts = pd.DataFrame(
        {
            "account_id": prefixed_ids("A", n_acc),
            "industry": strings_from_codes(_pick(rng, len(industries), n_acc), industries),
            "employees": pd.array(rng.lognormal(5, 1.5, n_acc).astype(int), dtype="Int64"),
            "annual_revenue": rng.lognormal(16, 2, n_acc),
            "is_competitor": pd.array(rng.random(n_acc) < 0.01, dtype="boolean"),
            "is_customer": pd.array(rng.random(n_acc) < 0.05, dtype="boolean"),
        }
    )
    accounts = _complete(accounts, ACCOUNTS.dtypes())
    emails = ["x@acme.com", "x@gmail.com", "x@example.org", "x@yahoo.com", "x@corp.io"]
    titles = [
        "VP Marketing",
        "Growth lead",
        "Student",
        "Engineer",
        "Sales Ops manager",
        "CEO",
        "Analyst",
        "",
    ]
    col = CONTACTS.column
    sen, dep, src = (list(col(c).allowed or ()) for c in ("seniority", "department", "lead_source"))
    regions = ["NA", "EMEA", "APAC", "LATAM"]
    contacts = pd.DataFrame(
        {
            "contact_id": prefixed_ids("C", n),
            "created_at": AS_OF - pd.to_timedelta(rng.integers(1, 700, n), unit="D"),
            "email": strings_from_codes(_pick(rng, 5, n, where=rng.random(n) >= 0.05), emails),
            "phone": strings_from_codes(np.where(rng.random(n) < 0.5, 0, -1), ["+1 555 0100"]),
            "job_title": strings_from_codes(_pick(rng, len(titles), n), titles),
            "seniority": _cat(_pick(rng, len(sen), n), sen, None),
            "department": _cat(_pick(rng, len(dep), n), dep, None),
            "region": _cat(_pick(rng, 4, n), regions, col("region").allowed),
            "lead_source": _cat(_pick(rng, len(src), n), src, None),
            "original_source": strings_from_codes(np.where(rng.random(n) < 0.8, 0, -1), ["web"]),
            "account_id": accounts["account_id"]
            .take(rng.integers(0, n_acc, n))
            .reset_index(drop=True),
            "budget": np.where(rng.random(n) < 0.3, rng.integers(0, 50_000, n), np.nan),
            "is_employee": pd.array(rng.random(n) < 0.005, dtype="boolean"),
            "is_partner": pd.array(rng.random(n) < 0.01, dtype="boolean"),
            "do_not_email": pd.array(rng.random(n) < 0.02, dtype="boolean"),
        }
    )
    contacts = _complete(contacts, CONTACTS.dtypes())
    per = rng.poisson(15, n)
    m = int(per.sum())
    owner = np.repeat(np.arange(n), per)
    t = AS_OF.value - rng.integers(-5 * NS_DAY, 365 * NS_DAY, m)  # a few after as_of
    order = np.lexsort((t, owner))
    owner, t = owner[order], t[order]
    types = list(_ACT_P)
    p = np.array(list(_ACT_P.values()))
    atype = _pick(rng, len(types), m, p=list(p / p.sum()))

    def of(name: str) -> np.ndarray:
        return atype == types.index(name)

    acol = ACTIVITIES.column
    pages = list(acol("page_category").allowed or ())
    page = _pick(rng, len(pages), m, where=of("page_view"))
    url_codes = np.where(page >= 0, page, -1)
    url_codes[(page >= 0) & (rng.random(m) < 0.05)] = len(pages)
    urls = [f"/{p}" for p in pages] + ["/plans/team"]
    forms, assets = ["trial", "jobs-apply", "contact"], ["ebook", "price_list", "report", "other"]
    deals = ["prospecting", "proposal", "closed_won", "closed_lost"]
    feedback = ["true_sql", "not_ready", "unqualified"]
    acts = pd.DataFrame(
        {
            "activity_id": prefixed_ids("E", m),
            "contact_id": contacts["contact_id"].take(owner).reset_index(drop=True),
            "occurred_at": pd.to_datetime(t, utc=True),
            "activity_type": _cat(atype, types, acol("activity_type").allowed),
            "page_url": strings_from_codes(url_codes, urls),
            "page_category": _cat(page, pages, None),
            "form_id": strings_from_codes(_pick(rng, 3, m, where=of("form_submit")), forms),
            "form_stage": _cat(
                _pick(rng, 3, m, p=[0.6, 0.3, 0.1], where=of("form_submit")),
                ["TOFU", "MOFU", "BOFU"],
                acol("form_stage").allowed,
            ),
            "asset_type": _cat(
                _pick(rng, 4, m, where=of("content_download")), assets, acol("asset_type").allowed
            ),
            "list_name": strings_from_codes(
                _pick(rng, 2, m, where=of("list_join")), ["Newsletter EU", "Events"]
            ),
            "deal_stage": _cat(
                _pick(rng, 4, m, where=of("deal_stage_change")), deals, acol("deal_stage").allowed
            ),
            "feedback": _cat(
                _pick(rng, 3, m, where=of("sales_feedback")), feedback, acol("feedback").allowed
            ),
        }
    )
    acts = _complete(acts, ACTIVITIES.dtypes())
    return CrmTables(contacts, accounts, acts, empty_table("outcomes"))


def _complete(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    for col, dtype in dtypes.items():
        if col not in frame:
            frame[col] = pd.Series(
                pd.NA if dtype != "float64" else np.nan, index=frame.index
            ).astype(dtype)
    return frame[list(dtypes)]


# ----------------------------- reference: per-lead interpreter -------------------------


def _missing(v: Any) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _in_window(t: int, within_days: float | None) -> bool:
    """``as_of - within_days <= t`` (every activity here is before ``as_of``)."""
    return within_days is None or AS_OF.value - t <= int(within_days * NS_DAY)


def _domain(email: Any) -> str | None:
    """The address's domain: after the last '@', one or more non-blank characters."""
    if _missing(email):
        return None
    found = re.search(r"@([^@\s]+)$", str(email).strip().lower())
    return None if found is None else found.group(1)


def _op(v: Any, op: str, val: Any) -> bool:
    neg = {"ne": "eq", "not_in": "in", "not_contains": "contains", "not_regex": "regex"}
    if op in neg:
        return not _op(v, neg[op], val)
    if op == "is_missing":
        return _missing(v)
    if op == "is_present":
        return not _missing(v)
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return False
    if op == "eq":
        return v == val
    if op == "in":
        return v in val
    if op == "contains":
        return str(val).lower() in str(v).lower()
    if op == "starts_with":
        return str(v).lower().startswith(str(val).lower())
    if op == "ends_with":
        return str(v).lower().endswith(str(val).lower())
    if op == "regex":
        return re.search(val, str(v)) is not None
    if op == "between":
        return val[0] <= v <= val[1]
    if op == "is_true":
        return v is True or v == 1
    if op == "is_false":
        return v is False
    return {"gt": v > val, "gte": v >= val, "lt": v < val, "lte": v <= val}[op]


def _match(act: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key, spec in flt.items():
        if isinstance(spec, dict):
            ok = _op(act[key], spec["op"], spec.get("value"))
        else:
            ok = _op(act[key], "in" if isinstance(spec, list) else "eq", spec)
        if not ok:
            return False
    return True


class _Lead:
    """One lead for the reference: its properties and its activity list."""

    def __init__(self, props: dict[str, Any], acts: list[dict[str, Any]], book: Rulebook):
        self.props, self.book = props, book
        self.history = [a for a in acts if a["t"] < AS_OF.value]
        fb = None
        for a in self.history:
            if (
                a["activity_type"] == "sales_feedback"
                and not _missing(a["feedback"])
                and (fb is None or a["t"] >= fb["t"])
            ):
                fb = a
        self.fb_kind = fb["feedback"] if fb else ""
        cut = -(2**63)
        rec = book.recycle
        if (
            rec is not None
            and fb is not None
            and self.fb_kind in ("not_ready", "unqualified")
            and getattr(rec, self.fb_kind).mode in ("forget_activity", "reset")
        ):
            cut = fb["t"]
        self.acts = [a for a in self.history if a["t"] >= cut]

    def agg(self, m: Any) -> float:
        rows = [a for a in self.acts if _match(a, m.activity) and _in_window(a["t"], m.within_days)]
        if m.agg == "count":
            return len(rows)
        if not rows:
            return math.nan
        t = max(a["t"] for a in rows) if m.agg == "days_since_last" else min(a["t"] for a in rows)
        return (AS_OF.value - t) / NS_DAY

    def value(self, m: Any) -> Any:
        """The lead's value of a measure: an aggregation of its activities, or a variable."""
        return self.agg(m) if m.activity is not None else self.var(m.var)

    def var(self, name: str) -> Any:
        p = self.props
        email = p["email"]
        dom = _domain(email)
        hist = self.history
        if name == "email_is_corporate":
            return dom is not None and dom not in FREE_EMAIL_DOMAINS
        if name == "email_is_free":
            return dom is not None and dom in FREE_EMAIL_DOMAINS
        if name == "phone_present":
            return not _missing(p["phone"])
        if name == "is_unsubscribed":
            return p["do_not_email"] is True or any(
                a["activity_type"] == "email_unsubscribe" for a in hist
            )
        if name in ("is_customer", "has_open_opportunity"):
            deals = [a for a in hist if a["activity_type"] == "deal_stage_change"]
            if name == "is_customer":
                return (
                    p["account.is_customer"] is True
                    or p["lifecycle_stage"] == "customer"
                    or any(a["deal_stage"] == "closed_won" for a in deals)
                )
            if not deals:
                return False
            last_t = max(a["t"] for a in deals)
            open_t = [
                a["t"]
                for a in deals
                if a["deal_stage"] in ("prospecting", "qualification", "proposal", "negotiation")
            ]
            return bool(open_t) and max(open_t) == last_t
        return p.get(name)

    def cond(self, c: Any) -> bool:
        if isinstance(c, AllOf):
            return all(self.cond(x) for x in c.all)
        if isinstance(c, AnyOf):
            return any(self.cond(x) for x in c.any)
        if isinstance(c, NotOf):
            return not self.cond(c.not_)
        return _op(self.value(c), c.op, c.value)

    def rule_points(self, rule: Any) -> float | None:
        if rule.when is not None and not self.cond(rule.when):
            return None
        if rule.kind == "criterion":
            return rule.points
        if rule.kind == "steps":
            v = self.value(rule.steps.of)
            if _missing(v):
                return None
            n = math.floor(v / rule.steps.every)
            if rule.steps.max_steps is not None:
                n = min(n, rule.steps.max_steps)
            return rule.points * n if n >= 1 else None
        if rule.kind == "bands":
            v = self.value(rule.bands.of)
            if _missing(v):
                return None
            for b in rule.bands.ranges:
                if (b.min is None or v >= b.min) and (b.max is None or v <= b.max):
                    return b.points
            return None
        rows = sorted(
            (a for a in self.acts if _match(a, rule.each) and _in_window(a["t"], rule.within_days)),
            key=lambda a: (a["t"], a["row"]),
        )
        used: dict[int, int] = defaultdict(int)
        total, hits = 0.0, 0
        for a in rows:
            if rule.limit is not None:
                key = _period(a["t"], rule.limit.per)
                if used[key] >= rule.limit.max_times:
                    continue
                used[key] += 1
            total += rule.points * _decay(a["t"], rule.decay)
            hits += 1
        return total if hits else None

    def total(self) -> float:
        book = self.book
        scale = next(s for s in book.scales if s.name == book.primary_scale)
        items: list[tuple[str, float]] = []
        fixed = 0.0
        for rule in book.rules:
            if book.primary_scale not in book.rule_scales(rule):
                continue
            pts = self.rule_points(rule)
            if pts is not None:
                items.append((rule.category, pts))
                if not uses_activity(rule):
                    fixed += pts
        rec = book.recycle
        if rec is not None and self.fb_kind in ("not_ready", "unqualified"):
            action = getattr(rec, self.fb_kind)
            if action.mode == "reset":
                items.append(("recycle", action.to - fixed))
            elif action.mode == "subtract":
                items.append(("recycle", -action.points))
        for cat, cap in scale.caps.items():
            if cap.combine == "max":  # the best counts (times its weight), the rest 0
                mine = sorted((p for c, p in items if c == cat), reverse=True)
                weights = list(cap.weights or [1.0])
                kept = sum(p * w for p, w in zip(mine, weights, strict=False))
                items = [(c, p) for c, p in items if c != cat] + [(cat, kept)]
            items = _bound(items, lambda c, cat=cat: c == cat, cap.max, cap.min)
        if scale.total is not None:
            items = _bound(items, lambda c: True, scale.total.max, scale.total.min)
        if scale.gate is not None and not self.cond(scale.gate.unless):
            items = _bound(items, lambda c: True, scale.gate.max, None)
        return sum(p for _, p in items)


def _period(t: int, per: str) -> int:
    days = t // NS_DAY
    if per == "day":
        return days
    if per == "week":
        return (days - 4) // 7
    if per == "month":
        return int(np.datetime64(t, "ns").astype("datetime64[M]").astype(np.int64))
    return 0


def _decay(t: int, d: Any) -> float:
    if d is None:
        return 1.0
    age = (AS_OF.value - t) / NS_DAY
    if d.kind == "half_life":
        f = 0.5 ** (age / d.days)
    elif d.kind == "percent":
        f = (1 - d.percent / 100) ** math.floor(age / d.days)
    else:  # expiry: full points inside the window (exactly `days` old still counts)
        f = 1.0 if _in_window(t, d.days) else 0.0
    return max(f, d.floor)


def _bound(
    items: list[tuple[str, float]], sel: Any, hi: float | None, lo: float | None
) -> list[tuple[str, float]]:
    pos = sum(p for c, p in items if sel(c) and p > 0)
    neg = sum(p for c, p in items if sel(c) and p < 0)
    fp = fn = 1.0
    if hi is not None and pos + neg > hi and pos > 0:
        fp = min(max((hi - neg) / pos, 0.0), 1.0)
    if lo is not None and pos + neg < lo and neg < 0:
        fn = min(max((lo - pos) / neg, 0.0), 1.0)
    return [(c, p * (fp if p > 0 else fn) if sel(c) else p) for c, p in items]


def reference_totals(tables: CrmTables, book: Rulebook) -> pd.Series:
    """Main-scale totals, computed lead by lead and rule by rule."""
    acc = tables.accounts.set_index("account_id").to_dict("index")
    acts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    frame = tables.activities.astype(object).where(tables.activities.notna(), None)
    frame["t"] = tables.activities["occurred_at"].to_numpy("datetime64[ns]").astype(np.int64)
    frame["row"] = np.arange(len(frame))
    for rec in frame.to_dict("records"):
        acts[rec["contact_id"]].append(rec)
    out = {}
    contacts = tables.contacts.astype(object).where(tables.contacts.notna(), None)
    for props in contacts.to_dict("records"):
        a = acc.get(props["account_id"], {})
        for k in ("industry", "employees", "annual_revenue", "is_competitor", "is_customer"):
            v = a.get(k)
            props[f"account.{k}"] = None if _missing(v) else v
        out[props["contact_id"]] = _Lead(props, acts[props["contact_id"]], book).total()
    return pd.Series(out, dtype=float)


def _subset(tables: CrmTables, ids: np.ndarray) -> CrmTables:
    keep = set(ids.tolist())
    return CrmTables(
        tables.contacts[tables.contacts["contact_id"].isin(keep)],
        tables.accounts,
        tables.activities[tables.activities["contact_id"].isin(keep)],
        tables.outcomes,
    )


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Score ``size`` contacts with the default rulebook: ours vs the per-lead reference."""
    book = load_rulebook(DEFAULT_RULEBOOK)
    tables = make_tables(size)
    ours = measure(lambda: score_rulebook(tables, book, AS_OF), repeats=repeats)
    scores = ours.result.scores.set_index("contact_id")["total"]
    rng = np.random.default_rng(1)
    sample_n = min(size, REF_SAMPLE)
    sample = rng.choice(tables.contacts["contact_id"].to_numpy(), sample_n, replace=False)
    sub = _subset(tables, sample)
    ref = measure(lambda: reference_totals(sub, book), repeats=1)
    diff = float(np.abs(ref.result - scores.loc[ref.result.index]).max())
    if diff > 1e-6:
        raise AssertionError(f"reference and vectorised totals differ by up to {diff}")
    ref_s = ref.median_s * size / sample_n
    n_acts = len(tables.activities)
    notes = (
        f"{len(book.rules)} rules, {n_acts} activities; {size / ours.median_s:,.0f} "
        f"contacts/s; blocks of {BLOCK_SIZE:,} contacts; "
        f"{len(ours.result.breakdown):,} breakdown rows; totals identical on {sample_n} contacts"
    )
    if sample_n < size:
        notes += f"; reference timed on {sample_n} sampled contacts, scaled linearly"
    return [BenchResult("rules_score", size, ours.median_s, ref_s, ours.peak_rss_mb, notes)]


if __name__ == "__main__":
    import sys

    for r in bench(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, 1):
        print(r.as_dict())
