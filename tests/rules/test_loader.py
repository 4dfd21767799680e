"""Loading and validating rulebooks: every problem at once, naming rule and field."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import jsonschema
import pytest
import yaml

from rules import (
    SCHEMA_PATH,
    RulebookError,
    check_rulebook,
    load_rulebook,
    parse_rulebook,
    rulebook_from_text,
    rulebook_json_schema,
)

RULEBOOKS = Path(__file__).resolve().parents[2] / "rules" / "rulebooks"

BAD = """
name: bad
version: "1.0"
changelog: [{version: "1.0", date: 2026-01-01, changes: x}]
scales: [{name: main, caps: {fti: {max: 10}}}]
rules:
  - name: unknown_var
    category: fit
    points: 5
    when: {var: shoe_size, op: eq, value: 1}
  - name: wrong_op
    category: fit
    points: 5
    when: {var: seniority, op: gt, value: 3}
  - name: overlapping
    category: engagement
    bands:
      of: {activity: {activity_type: page_view}}
      ranges: [{min: 2, max: 5, points: 3}, {min: 5, points: 6}]
  - name: evil_regex
    category: fit
    scales: [nowhere]
    points: 1
    when: {var: job_title, op: regex, value: "(a+)+$"}
  - name: typo_key
    category: fit
    pionts: 3
    when: {var: seniority, op: eq, value: vpp}
  - name: bad_activity
    category: engagement
    points: 1
    each: {activity_type: page_veiw}
"""


def _write(tmp_path, text):
    path = tmp_path / "book.yaml"
    path.write_text(text)
    return path


def test_many_problems_reported_at_once_with_rule_and_field(tmp_path):
    problems = check_rulebook(_write(tmp_path, BAD))
    found = {(p.rule, p.field) for p in problems}
    assert ("unknown_var", "when.var") in found
    assert ("wrong_op", "when.op") in found
    assert ("overlapping", "bands.ranges[1]") in found
    assert ("evil_regex", "when.value") in found
    assert ("evil_regex", "scales") in found
    assert ("typo_key", "pionts") in found
    assert ("bad_activity", "each.activity_type") in found
    assert ("main", "caps.fti") in found
    assert any("scale 'main', field 'caps.fti'" in str(p) for p in problems)
    assert all(p.file and p.file.endswith("book.yaml") for p in problems)
    with pytest.raises(RulebookError, match="unknown_var"):
        load_rulebook(_write(tmp_path, BAD))


@pytest.mark.parametrize("text", ["- just\n- a list\n", "42\n", ""])
def test_yaml_that_is_not_a_mapping(tmp_path, text):
    problems = check_rulebook(_write(tmp_path, text))
    assert len(problems) == 1 and "mapping" in problems[0].message


def test_invalid_yaml_and_missing_file(tmp_path):
    assert "not valid YAML" in check_rulebook(_write(tmp_path, "a: [1, 2\n"))[0].message
    assert "cannot read" in check_rulebook(tmp_path / "nope.yaml")[0].message
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert "cannot read" in check_rulebook(tmp_path / "latin1.yaml")[0].message


def test_yaml_syntax_error_names_the_file_line_and_column(tmp_path):
    text = "name: b\nrules:\n  - name: r\n    category: fit\n   points: 1\n"  # line 5 indent
    path = _write(tmp_path, text)
    [problem] = check_rulebook(path)
    assert (problem.line, problem.column) == (5, 4)
    assert str(problem).startswith(f"{path} line 5, column 4: not valid YAML: ")
    assert "line 3, column 3" in problem.message  # where the broken list item starts
    assert "<unicode string>" not in str(problem)
    with pytest.raises(RulebookError, match="line 5, column 4"):
        load_rulebook(path)


def test_rulebook_text_parses_as_its_file_and_names_its_source_in_problems(tmp_path):
    path = RULEBOOKS / "default.yaml"
    text = path.read_text(encoding="utf-8")
    parsed = rulebook_from_text(text, "version 3")
    assert parsed.rulebook == load_rulebook(path) and parsed.text == text
    broken = "name: b\nrules:\n  - name: r\n    category: fit\n   points: 1\n"
    with pytest.raises(RulebookError, match="version 3 line 5, column 4: not valid YAML"):
        rulebook_from_text(broken, "version 3")
    with pytest.raises(RulebookError) as caught:
        rulebook_from_text(BAD, "version 4")
    assert caught.value.problems and all(p.file == "version 4" for p in caught.value.problems)


def test_misindented_shipped_rulebook_points_at_the_line(tmp_path):
    lines = (RULEBOOKS / "default.yaml").read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("fit_categories:"))
    lines[at] = " " + lines[at]
    path = _write(tmp_path, "\n".join(lines))
    [problem] = check_rulebook(path)
    assert str(problem).startswith(f"{path} line {at + 1}, column 2: not valid YAML")


def test_unknown_top_level_key_still_checks_rules(tmp_path):
    text = BAD.replace("name: bad", "name: bad\ncolour: blue", 1)
    found = {(p.rule, p.field) for p in check_rulebook(_write(tmp_path, text))}
    assert (None, "colour") in found
    assert ("unknown_var", "when.var") in found


@pytest.mark.parametrize(
    ("leaf", "field", "needle"),
    [
        ({"var": "seniority", "op": "in", "value": "vp"}, "when.value", "non-empty list"),
        ({"var": "budget", "op": "between", "value": [9, 1]}, "when.value", "low <= high"),
        ({"var": "budget", "op": "gte", "value": "lots"}, "when.value", "numbers"),
        ({"var": "is_employee", "op": "eq", "value": "yes"}, "when.value", "true/false"),
        ({"var": "job_title", "op": "regex", "value": "x" * 300}, "when.value", "limit"),
        ({"var": "job_title", "op": "regex", "value": "(unclosed"}, "when.value", "compile"),
        ({"var": "job_title", "op": "regex", "value": "(\\w+\\s?)*"}, "when.value", "nested"),
        ({"var": "job_title", "op": "frobnicate", "value": 1}, "when.op", "unknown operator"),
        ({"var": "seniority", "op": "eq", "value": "vpp"}, "when.value", "vocabulary"),
        ({"var": "created_at", "op": "gt", "value": 1}, "when.op", "does not apply"),
        (
            {"activity": {"activity_type": "page_view"}, "var": "budget", "op": "gt", "value": 1},
            "when",
            "exactly one",
        ),
        ({"var": "budget", "within_days": 3, "op": "gt", "value": 1}, "when", "activity"),
    ],
)
def test_bad_leaves(leaf, field, needle):
    raw = {
        "name": "b",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "rules": [{"name": "r", "category": "fit", "points": 1, "when": leaf}],
    }
    book, problems, _ = parse_rulebook(raw)
    assert book is None
    assert any(p.rule == "r" and p.field == field and needle in p.message for p in problems), (
        problems
    )


def test_semantic_problems_elsewhere():
    raw = {
        "name": "b",
        "version": "2",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "primary_scale": "global",
        "rules": [
            {
                "name": "r",
                "category": "fit",
                "points": 1,
                "when": {"var": "phone_present", "op": "is_true"},
                "decay": {"kind": "half_life", "days": 3},
            },
            {"name": "r", "category": "fit", "when": {"var": "phone_present", "op": "is_true"}},
        ],
        "grade": {
            "fit": [{"label": "A"}, {"label": "B", "min": 5}],
            "engagement": [{"label": "1", "min": 1}, {"label": "2", "min": 3}, {"label": "3"}],
        },
        "stages": {"lead": 50, "mql": 35, "sql": 65},
        "accounts": {"method": "top_n_weighted", "top_n": 3, "weights": [1, 2]},
    }
    _, problems, _ = parse_rulebook(raw)
    found = {(p.rule, p.field) for p in problems}
    assert {
        (None, "version"),
        (None, "primary_scale"),
        ("r", "decay"),
        ("r", "name"),
        ("r", "points"),
        ("grade", "fit"),
        ("grade", "engagement"),
        ("stages", "mql"),
        ("accounts", "weights"),
    } <= found


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj.isoformat() if isinstance(obj, dt.date) else obj


@pytest.mark.parametrize("name", ["default.yaml", "x_education.yaml"])
def test_shipped_rulebooks_are_valid_and_match_the_schema(name, caplog):
    path = RULEBOOKS / name
    with caplog.at_level(logging.WARNING, logger="rules"):
        assert check_rulebook(path) == []
    assert caplog.records == []
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validate(_jsonable(yaml.safe_load(path.read_text())), schema)
    book = load_rulebook(path)
    assert book.version in {c.version for c in book.changelog}


def test_published_schema_is_up_to_date_and_rejects_unknown_keys():
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema == json.loads(json.dumps(rulebook_json_schema(), sort_keys=True))
    bad = _jsonable(yaml.safe_load((RULEBOOKS / "default.yaml").read_text()))
    bad["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def _tiny(**top):
    """A valid tiny rulebook document; ``top`` replaces top-level keys."""
    return {
        "name": "b",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "rules": [
            {
                "name": "r",
                "category": "fit",
                "points": 1,
                "when": {"var": "budget_stated", "op": "is_true"},
            }
        ],
        **top,
    }


GATE_ON = {"var": "seniorty", "op": "eq", "value": "vp"}


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (  # vocabulary problem inside a gate
            {"scales": [{"name": "main", "gate": {"max": 5, "unless": {"any": [GATE_ON]}}}]},
            "scale 'main', field 'gate.unless.any[0].var'",
        ),
        (  # structural problem inside a gate
            {"scales": [{"name": "main", "gate": {"max": 5, "unless": {"any": [{"var": "x"}]}}}]},
            "scale 'main', field 'gate.unless.any[0].op'",
        ),
        (
            {"scales": [{"name": "main", "caps": {"fit": {"max": 5, "min": 9}}}]},
            "scale 'main', field 'caps.fit'",
        ),
        (
            {
                "stages": {
                    "lead": 1,
                    "mql": 2,
                    "sql": 3,
                    "exclusions": [{"reason": "x", "when": GATE_ON}],
                }
            },
            "section 'stages', field 'exclusions[0].when.var'",
        ),
        ({"stages": {"lead": 1, "mql": 2}}, "section 'stages', field 'sql'"),
        ({"stages": {"lead": 9, "mql": 2, "sql": 3}}, "section 'stages', field 'mql'"),
        ({"accounts": {"scale": "emea"}}, "section 'accounts', field 'scale'"),
        ({"accounts": {"method": "median"}}, "section 'accounts', field 'method'"),
        (
            {"recycle": {"not_ready": {"mode": "forget"}}},
            "section 'recycle', field 'not_ready.mode'",
        ),
        ({"grade": {"fit": [{"label": "A"}]}}, "section 'grade', field 'engagement'"),
        ({"extra_columns": {"budget": "float"}}, "section 'extra_columns', field 'budget'"),
        ({"extra_columns": {"x": "money"}}, "section 'extra_columns', field 'x'"),
    ],
)
def test_problems_outside_rules_name_their_scale_or_section(top, expected):
    book, problems, _ = parse_rulebook(_tiny(**top))
    assert book is None
    texts = [str(p) for p in problems]
    assert any(t.startswith(expected) for t in texts), texts
    assert not any(t.startswith("rule ") for t in texts), texts


@pytest.mark.parametrize(
    ("var", "extra", "suggestion"),
    [
        ("seniorty", {}, "seniority"),
        ("account.industy", {}, "account.industry"),
        ("lead_orign", {"lead_origin": "string"}, "lead_origin"),
    ],
)
def test_unknown_variable_suggests_the_closest_known_one(var, extra, suggestion):
    rules = [
        {"name": "r", "category": "fit", "points": 1, "when": {"var": var, "op": "is_present"}}
    ]
    _, problems, _ = parse_rulebook(_tiny(rules=rules, extra_columns=extra))
    [problem] = problems
    assert (problem.rule, problem.field) == ("r", "when.var")
    assert problem.message == f"unknown variable {var!r}; did you mean {suggestion!r}?"


def test_unknown_variable_far_from_any_name_gets_the_extra_columns_hint():
    rules = [
        {
            "name": "r",
            "category": "fit",
            "points": 1,
            "when": {"var": "shoe_size", "op": "is_present"},
        }
    ]
    [problem] = parse_rulebook(_tiny(rules=rules))[1]
    assert "did you mean" not in problem.message
    assert "extra_columns" in problem.message
