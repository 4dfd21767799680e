"""Semantic checks of a structurally valid rulebook against the vocabulary.

Each check returns :class:`RulebookProblem` records instead of raising, so that loading
reports every problem of a file at once, each naming the rule and the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from features.safe_yaml import clipped
from rules.model import AllOf, AnyOf, Bands, GradeStage, Leaf, Measure, NotOf, Rule, Rulebook
from rules.regex_guard import regex_problem
from rules.vocabulary import (
    ACTIVITY_FIELDS,
    AGGREGATIONS,
    ALL_OPS,
    LIST_OPS,
    NO_VALUE_OPS,
    NUMERIC_OPS,
    OPS_BY_TYPE,
    TEXT_OPS,
    Variable,
    base_variables,
    variables_for,
)


@dataclass(frozen=True)
class RulebookProblem:
    """One thing wrong with a rulebook.

    Attributes:
        rule: Name of the rule, scale or top-level section (``stages``, ``grade``...) at
            fault, as ``kind`` says; None for the file as a whole.
        field: Dotted path of the field inside that rule, scale or section.
        message: What is wrong and what to do.
        file: The rulebook file, when it was read from one.
        kind: What ``rule`` names: a ``rule``, a ``scale`` or a top-level ``section``.
        line: 1-based line in ``file`` (YAML syntax errors), else None.
        column: 1-based column in ``file``, with ``line``.
    """

    rule: str | None
    field: str
    message: str
    file: str | None = None
    kind: Literal["rule", "scale", "section"] = "rule"
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is not None:  # a YAML syntax error: its position says where
            file = self.file or "<rulebook>"
            return clipped(f"{file} line {self.line}, column {self.column}: {self.message}")
        where = f"{self.file}: " if self.file else ""
        owner = f"{self.kind} {self.rule!r}, " if self.rule else ""
        # values from the file are quoted in messages: never more than a short prefix
        return clipped(f"{where}{owner}field {self.field!r}: {self.message}")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the candidate closest to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def measure_type(measure: Measure, variables: dict[str, Variable]) -> str | None:
    """Logical type of a measure's value, or None when its variable is unknown."""
    if measure.activity is not None:
        return AGGREGATIONS[measure.agg]
    var = variables.get(measure.var or "")
    return var.dtype if var else None


def _check_value(op: str, value: Any, dtype: str, allowed: tuple[str, ...] | None) -> str | None:
    if op in NO_VALUE_OPS:
        return None if value is None else f"operator {op!r} takes no value; remove 'value'"
    if op in LIST_OPS:
        if not isinstance(value, list) or not value:
            return f"operator {op!r} needs a non-empty list as value"
        items = value
    elif op == "between":
        ok = isinstance(value, list) and len(value) == 2
        if not ok or not all(_is_number(v) for v in value) or value[0] > value[1]:
            return "operator 'between' needs [low, high] numbers with low <= high"
        return None
    elif op in {"regex", "not_regex"}:
        return regex_problem(value)
    else:
        if value is None or isinstance(value, list | dict):
            return f"operator {op!r} needs a single value"
        items = [value]
    if dtype in {"int", "float"} or op in NUMERIC_OPS:
        if not all(_is_number(v) for v in items):
            return f"operator {op!r} on a {dtype} needs numbers, got {value!r}"
    elif dtype == "bool":
        if not all(isinstance(v, bool) for v in items):
            return f"a bool compares with true/false, got {value!r}"
    elif op in TEXT_OPS or dtype in {"string", "category"}:
        if not all(isinstance(v, str) for v in items):
            return f"operator {op!r} on text needs strings, got {value!r}"
        if allowed is not None and op in {"eq", "ne", "in", "not_in"}:
            bad = [v for v in items if v not in allowed]
            if bad:
                return f"value(s) {bad} not in the vocabulary {list(allowed)}"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check_activity_filter(flt: dict[str, Any], field: str) -> list[tuple[str, str]]:
    """Problems of an activity filter as (field, message) pairs."""
    out: list[tuple[str, str]] = []
    for key, spec in flt.items():
        path = f"{field}.{key}"
        if key not in ACTIVITY_FIELDS:
            out.append((path, f"unknown activity field; use one of {sorted(ACTIVITY_FIELDS)}"))
            continue
        dtype, allowed = ACTIVITY_FIELDS[key]
        if isinstance(spec, dict):
            unknown = set(spec) - {"op", "value"}
            op = spec.get("op")
            if unknown or not isinstance(op, str):
                out.append((path, "a filter mapping is {op: ..., value: ...}"))
                continue
            value = spec.get("value")
        else:
            op, value = ("in" if isinstance(spec, list) else "eq"), spec
        if op not in OPS_BY_TYPE[dtype]:
            out.append((path, f"operator {op!r} does not apply to a {dtype} field"))
            continue
        msg = _check_value(op, value, dtype, allowed)
        if msg:
            out.append((path, msg))
    return out


def check_measure(m: Measure, field: str, variables: dict[str, Variable]) -> list[tuple[str, str]]:
    """Problems of a measure (variable or activity aggregation)."""
    if (m.var is None) == (m.activity is None):
        return [(field, "give exactly one of 'var' and 'activity'")]
    if m.activity is not None:
        return check_activity_filter(m.activity, f"{field}.activity")
    out: list[tuple[str, str]] = []
    if m.var not in variables:
        hint = did_you_mean(m.var or "", variables) or (
            " (declare non-canonical contact columns under 'extra_columns')"
        )
        out.append((f"{field}.var", f"unknown variable {m.var!r}{hint}"))
    if m.within_days is not None or m.agg != "count":
        out.append((field, "'within_days' and 'agg' apply to 'activity' measures only"))
    return out


def check_condition(cond: Any, field: str, variables: dict[str, Variable]) -> list[tuple[str, str]]:
    """Problems of a condition tree, each with the dotted field inside the rule."""
    if isinstance(cond, AllOf | AnyOf):
        key = "all" if isinstance(cond, AllOf) else "any"
        parts = enumerate(getattr(cond, key))
        return [p for i, c in parts for p in check_condition(c, f"{field}.{key}[{i}]", variables)]
    if isinstance(cond, NotOf):
        return check_condition(cond.not_, f"{field}.not", variables)
    leaf: Leaf = cond
    out = check_measure(leaf, field, variables)
    if out:
        return out
    dtype = measure_type(leaf, variables) or "string"
    if leaf.op not in ALL_OPS:
        return [(f"{field}.op", f"unknown operator {leaf.op!r}; use one of {sorted(ALL_OPS)}")]
    if leaf.op not in OPS_BY_TYPE[dtype]:
        ops = sorted(OPS_BY_TYPE[dtype])
        return [(f"{field}.op", f"operator {leaf.op!r} does not apply to a {dtype}; use {ops}")]
    allowed = variables[leaf.var].allowed if leaf.var else None
    msg = _check_value(leaf.op, leaf.value, dtype, allowed)
    return [(f"{field}.value", msg)] if msg else []


def check_bands(bands: Bands, variables: dict[str, Variable]) -> list[tuple[str, str]]:
    """Problems of a band rule: its measure, empty ranges and overlaps."""
    out = check_measure(bands.of, "bands.of", variables)
    dtype = measure_type(bands.of, variables)
    if dtype is not None and dtype not in {"int", "float"}:
        out.append(("bands.of", f"bands need a numeric measure, this one is {dtype}"))
    lo_hi = []
    for i, b in enumerate(bands.ranges):
        lo = float("-inf") if b.min is None else b.min
        hi = float("inf") if b.max is None else b.max
        if lo > hi:
            out.append((f"bands.ranges[{i}]", f"min {b.min} is above max {b.max}"))
        lo_hi.append((lo, hi, i))
    lo_hi.sort()
    for (_, hi_a, i), (lo_b, _, j) in zip(lo_hi, lo_hi[1:], strict=False):
        if lo_b <= hi_a:
            out.append(
                (
                    f"bands.ranges[{j}]",
                    f"overlaps bands.ranges[{i}]; bands of one rule "
                    "must be exclusive (e.g. 2-5 and 6+)",
                )
            )
    return out


def check_rule(
    rule: Rule, book: Rulebook | None, variables: dict[str, Variable]
) -> list[tuple[str, str]]:
    """Problems of one rule (kind consistency, conditions, scales)."""
    out: list[tuple[str, str]] = []
    kinds = [k for k in ("bands", "steps", "each") if getattr(rule, k) is not None]
    if len(kinds) > 1:
        out.append((kinds[1], f"a rule has one of 'bands', 'steps' and 'each', not {kinds}"))
    if rule.steps is not None:
        out += check_measure(rule.steps.of, "steps.of", variables)
        dtype = measure_type(rule.steps.of, variables)
        if dtype is not None and dtype not in {"int", "float"}:
            out.append(("steps.of", f"steps need a numeric measure, this one is {dtype}"))
    if rule.kind == "bands":
        if rule.points is not None:
            out.append(("points", "a band rule takes its points from its ranges; remove it"))
        out += check_bands(rule.bands, variables)  # type: ignore[arg-type]
    elif rule.points is None:
        out.append(("points", "missing; say how many points the rule gives"))
    if rule.kind == "criterion" and rule.when is None:
        out.append(("when", "missing; a criterion rule needs a condition (or use 'each')"))
    if rule.kind != "each":
        for key in ("limit", "decay", "within_days"):
            if getattr(rule, key) is not None:
                out.append((key, f"'{key}' applies to per-activity ('each') rules only"))
    else:
        out += check_activity_filter(rule.each or {}, "each")
    if rule.decay is not None and rule.decay.kind == "percent" and rule.decay.percent is None:
        out.append(("decay.percent", "missing; a 'percent' decay needs the percent per period"))
    if rule.when is not None:
        out += check_condition(rule.when, "when", variables)
    if book is not None and rule.scales:
        for s in rule.scales:
            if s not in book.scale_names():
                out.append(("scales", f"unknown scale {s!r}; declare it under 'scales'"))
    return out


def check_rulebook_semantics(book: Rulebook) -> list[RulebookProblem]:
    """All vocabulary-level problems of a parsed rulebook."""
    variables = variables_for(dict(book.extra_columns))
    probs: list[RulebookProblem] = []
    add = probs.append

    def add_condition(kind: Literal["scale", "section"], owner: str, cond: Any, at: str) -> None:
        problems = check_condition(cond, at, variables)
        probs.extend(RulebookProblem(owner, f, m, kind=kind) for f, m in problems)

    for name in book.extra_columns:
        if name in base_variables():
            add(_section("extra_columns", name, "is already a canonical variable"))
    if book.version not in {c.version for c in book.changelog}:
        add(RulebookProblem(None, "version", f"version {book.version!r} has no changelog entry"))
    names = book.scale_names()
    if len(set(names)) != len(names):
        add(RulebookProblem(None, "scales", "scale names must be unique"))
    if book.primary_scale not in names:
        add(RulebookProblem(None, "primary_scale", f"unknown scale {book.primary_scale!r}"))
    seen: set[str] = set()
    for rule in book.rules:
        if rule.name in seen:
            add(RulebookProblem(rule.name, "name", "duplicate rule name; names must be unique"))
        seen.add(rule.name)
        probs += [RulebookProblem(rule.name, f, m) for f, m in check_rule(rule, book, variables)]
    for scale in book.scales:
        cats = {r.category for r in book.rules if scale.name in book.rule_scales(r)}
        for cat, cap in scale.caps.items():
            if cat not in cats:
                add(_scale(scale.name, f"caps.{cat}", "no rule of this scale has the category"))
            if cap.min is not None and cap.max is not None and cap.min > cap.max:
                add(_scale(scale.name, f"caps.{cat}", "min is above max"))
            if (cap.max is not None and cap.max < 0) or (cap.min is not None and cap.min > 0):
                add(_scale(scale.name, f"caps.{cat}", "max must be >= 0 and min <= 0"))
            if cap.weights is not None and cap.combine != "max":
                add(_scale(scale.name, f"caps.{cat}.weights", "weights need combine: max"))
        if scale.total is not None and (
            scale.total.combine != "sum" or scale.total.weights is not None
        ):
            add(_scale(scale.name, "total.combine", "combine applies to category caps only"))
        if scale.gate is not None:
            add_condition("scale", scale.name, scale.gate.unless, "gate.unless")
    if book.grade is not None:
        for axis in ("fit", "engagement"):
            bands = getattr(book.grade, axis)
            mins = [b.min for b in bands[:-1]]
            if any(m is None for m in mins) or bands[-1].min is not None:
                msg = "only the last band has no 'min' and it must be there (the catch-all)"
                add(_section("grade", axis, msg))
            elif any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
                add(_section("grade", axis, "band minimums must strictly decrease"))
            if len({b.label for b in bands}) != len(bands):
                add(_section("grade", axis, "band labels must be unique"))
    if book.stages is not None:
        st = book.stages
        cuts = (st.lead, st.mql, st.sql)
        if st.by_grade is not None:
            if any(c is not None for c in cuts):
                add(_section("stages", "by_grade", "give either cut-offs or by_grade, not both"))
            probs += _grade_stage_problems(book, st.by_grade)
        elif any(c is None for c in cuts):
            missing = [n for n, c in zip(("lead", "mql", "sql"), cuts, strict=True) if c is None]
            msg = "missing; give all three cut-offs (lead, mql, sql) or by_grade (stage -> grades)"
            add(_section("stages", missing[0], msg))
        elif not cuts[0] <= cuts[1] <= cuts[2]:  # type: ignore[operator]
            add(_section("stages", "mql", "cut-offs must satisfy lead <= mql <= sql"))
        for i, hold in enumerate(st.holds):
            add_condition("section", "stages", hold.until, f"holds[{i}].until")
        for i, ex in enumerate(st.exclusions):
            add_condition("section", "stages", ex.when, f"exclusions[{i}].when")
    if book.recycle is not None:
        for kind in ("not_ready", "unqualified"):
            until = getattr(book.recycle, kind).until
            if until is not None:
                add_condition("section", "recycle", until, f"{kind}.until")
    if book.accounts is not None:
        acc = book.accounts
        if acc.scale is not None and acc.scale not in names:
            add(_section("accounts", "scale", f"unknown scale {acc.scale!r}"))
        if acc.weights is not None and len(acc.weights) != acc.top_n:
            add(_section("accounts", "weights", "give exactly top_n weights"))
    return probs


def _grade_stage_problems(
    book: Rulebook, by_grade: dict[GradeStage, list[str]]
) -> list[RulebookProblem]:
    """Problems of ``stages.by_grade``: it needs ``grade``, known labels, each grade once."""
    if book.grade is None:
        return [_section("stages", "by_grade", "needs a 'grade' section (fit x engagement)")]
    labels = [f.label + e.label for f in book.grade.fit for e in book.grade.engagement]
    out: list[RulebookProblem] = []
    seen: dict[str, str] = {}
    for stage, grades in by_grade.items():
        for g in grades:
            if g not in labels:
                msg = f"unknown grade {g!r}{did_you_mean(g, labels)}; grades are {labels}"
                out.append(_section("stages", f"by_grade.{stage}", msg))
            elif g in seen:
                msg = f"grade {g!r} is listed under both {seen[g]} and {stage}; keep one"
                out.append(_section("stages", f"by_grade.{stage}", msg))
            seen.setdefault(g, stage)
    return out


def _scale(name: str, field: str, message: str) -> RulebookProblem:
    return RulebookProblem(name, field, message, kind="scale")


def _section(name: str, field: str, message: str) -> RulebookProblem:
    return RulebookProblem(name, field, message, kind="section")
