"""Categories used by one rule and declared nowhere: an error, or a warning without caps."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rules import RulebookError, check_rulebook, parse_rulebook, rulebook_from_dict

RULEBOOKS = Path(__file__).resolve().parents[2] / "rules" / "rulebooks"
CAPPED = [{"name": "main", "caps": {"fit": {"max": 10}}}]


def _rule(name: str, category: str) -> dict[str, object]:
    return {
        "name": name,
        "category": category,
        "points": 1,
        "when": {"var": "phone_present", "op": "is_true"},
    }


def _raw(categories: list[str], **top: object) -> dict[str, object]:
    return {
        "name": "b",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": CAPPED,
        "rules": [_rule(f"r{i}", c) for i, c in enumerate(categories)],
        **top,
    }


def test_misspelled_category_in_the_shipped_rulebook_is_an_error(tmp_path):
    text = (RULEBOOKS / "default.yaml").read_text()
    start = text.index("- name: pricing_visit")
    at = text.index("category: engagement", start)
    path = tmp_path / "typo.yaml"
    path.write_text(text[:at] + "category: engagment" + text[at + len("category: engagement") :])
    [problem] = check_rulebook(path)
    assert (problem.rule, problem.field) == ("pricing_visit", "category")
    assert "did you mean 'engagement'?" in problem.message
    assert str(problem).startswith(f"{path}: rule 'pricing_visit', field 'category': ")


@pytest.mark.parametrize(
    ("categories", "top", "needle"),
    [
        (["fit", "engagement", "engagment"], {}, "did you mean 'engagement'?"),
        (["fit", "fti"], {}, "did you mean 'fit'?"),
        (["fit", "bonus"], {}, "If the new category is intended"),
        # explicit fit/engagement lists declare categories even without caps
        (["fit", "fitt"], {"scales": [{"name": "main"}], "fit_categories": ["fit"]}, "'fit'?"),
        # a category shared by several rules is a known one, so it is suggested
        (["fit", "negative", "negative", "negtive"], {}, "did you mean 'negative'?"),
    ],
)
def test_lone_undeclared_category_is_an_error_when_categories_are_declared(categories, top, needle):
    book, problems, _ = parse_rulebook(_raw(categories, **top))
    assert book is None
    [problem] = problems
    assert (problem.rule, problem.field) == (f"r{len(categories) - 1}", "category")
    assert needle in problem.message


def test_far_off_category_gets_no_suggestion():
    [problem] = parse_rulebook(_raw(["fit", "bonus"]))[1]
    assert "did you mean" not in problem.message


@pytest.mark.parametrize(
    ("categories", "top"),
    [
        (["fit", "engagement"], {}),
        (["fit", "negative", "negative"], {}),  # shared by two rules: a deliberate group
        (["fit", "bonus"], {"scales": [{"name": "main", "caps": {"fit": {}, "bonus": {}}}]}),
        (["fit", "bonus"], {"engagement_categories": ["engagement", "bonus"]}),
    ],
)
def test_declared_or_shared_categories_are_fine(categories, top, caplog):
    with caplog.at_level(logging.WARNING, logger="rules"):
        book, problems, _ = parse_rulebook(_raw(categories, **top))
        rulebook_from_dict(_raw(categories, **top))
    assert problems == [] and book is not None
    assert caplog.records == []


def test_without_declared_categories_a_lone_one_is_a_warning(tmp_path, caplog):
    raw = _raw(["fit", "engagment"], scales=[{"name": "main"}])
    book, problems, _ = parse_rulebook(raw)
    assert problems == [] and book is not None
    with caplog.at_level(logging.WARNING, logger="rules"):
        rulebook_from_dict(raw)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "rule 'r1', field 'category'" in record.getMessage()
    assert "did you mean 'engagement'?" in record.getMessage()


def test_check_of_a_file_logs_the_warning_and_returns_no_problem(tmp_path, caplog):
    path = tmp_path / "book.yaml"
    path.write_text(
        'name: b\nversion: "1"\nchangelog: [{version: "1", date: 2026-01-01, changes: x}]\n'
        "scales: [{name: main}]\nrules:\n"
        "  - {name: r, category: fit, points: 1, when: {var: phone_present, op: is_true}}\n"
        "  - {name: s, category: engagment, points: 1, when: {var: phone_present, op: is_true}}\n"
    )
    with caplog.at_level(logging.WARNING, logger="rules"):
        assert check_rulebook(path) == []
    [record] = caplog.records
    assert record.getMessage().startswith(f"{path}: rule 's', field 'category': ")


def test_load_raises_for_the_error_case():
    with pytest.raises(RulebookError, match="did you mean 'engagement'"):
        rulebook_from_dict(_raw(["fit", "engagement", "engagment"]))
