"""Read a rulebook (YAML, ``yaml.safe_load`` only) and validate the whole file at once.

Each rule is parsed on its own so that one broken rule does not hide the problems of the
others; structural errors (pydantic) and vocabulary errors (:mod:`rules.validation`) are
gathered into one list of :class:`RulebookProblem` naming the rule and the field.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rules.model import Rule, Rulebook
from rules.validation import RulebookProblem, check_rule, check_rulebook_semantics
from rules.vocabulary import variables_for

log = logging.getLogger(__name__)

_UNION_TAGS = frozenset({"all", "any", "not", "leaf"})


class RulebookError(ValueError):
    """A rulebook has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[RulebookProblem], source: str | None = None) -> None:
        self.problems = problems
        head = f"rulebook {source or ''} has {len(problems)} problem(s); fix them and reload:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for i, item in enumerate(loc):
        # Discriminator tags repeat the key just before them ('all', 'all', 0): keep one.
        if item in _UNION_TAGS and (item == "leaf" or (i > 0 and loc[i - 1] == item)):
            continue
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item) if item != "not_" else "not")
    return ".".join(parts)


def _pydantic_problems(
    exc: ValidationError, rule: str | None, prefix: str = ""
) -> list[RulebookProblem]:
    out = []
    for err in exc.errors():
        field = _loc(tuple(err["loc"]))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling against rules/rulebook.schema.json"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append(RulebookProblem(rule, f"{prefix}{field}" if field else prefix.rstrip("."), msg))
    return out


def parse_rulebook(raw: object) -> tuple[Rulebook | None, list[RulebookProblem]]:
    """Parse a loaded YAML document; return the rulebook (None if unusable) and problems.

    Args:
        raw: What ``yaml.safe_load`` returned.

    Returns:
        The rulebook when its structure is valid, and every problem found.
    """
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        return None, [RulebookProblem(None, "<file>", f"a rulebook is a YAML mapping, got {kind}")]
    problems: list[RulebookProblem] = []
    raw_rules = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(RulebookProblem(None, "rules", "must be a non-empty list of rules"))
        raw_rules = []
    for i, item in enumerate(raw_rules):
        name = item.get("name") if isinstance(item, dict) else None
        label = str(name) if name is not None else f"rules[{i}]"
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            problems += _pydantic_problems(exc, label)
    book: Rulebook | None = None
    top = {k: v for k, v in raw.items() if k != "rules"}
    try:
        book = Rulebook.model_validate({**top, "rules": rules or [_placeholder_rule()]})
    except ValidationError as exc:
        problems += _pydantic_problems(exc, None)
    if book is not None and rules:
        problems += check_rulebook_semantics(book)
    else:  # the top level is broken: still check each parsed rule on its own
        extra = raw.get("extra_columns")
        variables = variables_for(extra if isinstance(extra, dict) else {})
        for rule in rules:
            problems += [
                RulebookProblem(rule.name, f, m) for f, m in check_rule(rule, None, variables)
            ]
    return (book if not problems else None), problems


def _placeholder_rule() -> Rule:
    return Rule(name="placeholder", category="none", points=0, each={})


def check_rulebook(path: str | Path) -> list[RulebookProblem]:
    """Every problem of the rulebook file at ``path`` (empty list: it is valid).

    Used by ``leadscore rules check RULEBOOK``, which exits non-zero when the list is not
    empty. Never raises for a bad rulebook; a missing file is reported as a problem too.

    Args:
        path: The YAML rulebook.

    Returns:
        Problems, each naming the file, the rule (or section) and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [RulebookProblem(None, "<file>", f"cannot read the file: {exc}", str(path))]
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [RulebookProblem(None, "<file>", f"not valid YAML: {exc}", str(path))]
    _, problems = parse_rulebook(raw)
    return [RulebookProblem(p.rule, p.field, p.message, str(path)) for p in problems]


def load_rulebook(path: str | Path) -> Rulebook:
    """Load and validate a rulebook file.

    Args:
        path: The YAML rulebook.

    Returns:
        The validated, frozen rulebook.

    Raises:
        RulebookError: listing every problem of the file.
    """
    problems = check_rulebook(path)
    if problems:
        raise RulebookError(problems, str(path))
    book, _ = parse_rulebook(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    assert book is not None  # check_rulebook found no problem
    log.info("loaded rulebook %s version %s (%d rules)", book.name, book.version, len(book.rules))
    return book


def rulebook_from_dict(raw: dict[str, Any]) -> Rulebook:
    """Validate a rulebook given as a mapping (tests, notebooks); raise on any problem."""
    book, problems = parse_rulebook(raw)
    if problems or book is None:
        raise RulebookError(problems)
    return book
