"""Read a rulebook (YAML, :mod:`features.safe_yaml` only) and validate the whole file at once.

Each rule is parsed on its own so that one broken rule does not hide the problems of the
others; structural errors (pydantic) and vocabulary errors (:mod:`rules.validation`) are
gathered into one list of :class:`RulebookProblem` naming the rule (or scale, or section)
and the field. Warnings (:mod:`rules.categories`) do not stop loading; they are logged,
which ``leadscore`` prints on stderr.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from features.safe_yaml import YamlLimitError, load_yaml
from rules.categories import declares_categories, lone_categories
from rules.model import Rule, Rulebook
from rules.validation import RulebookProblem, check_rule, check_rulebook_semantics
from rules.vocabulary import variables_for

log = logging.getLogger(__name__)

_UNION_TAGS = frozenset({"all", "any", "not", "leaf"})
# top-level keys whose problems are labelled "section 'stages', field 'mql'"
_SECTIONS = frozenset({"stages", "grade", "recycle", "accounts", "extra_columns"})
# stands in for the rules while the top level is checked on its own
_PLACEHOLDER_RULE = Rule(name="placeholder", category="none", points=0, each={})


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
    exc: ValidationError, rule: str | None, raw: dict[Any, Any] | None = None
) -> list[RulebookProblem]:
    """Problems of a rule (``rule`` given) or of the top level (``raw``: the document)."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling against rules/rulebook.schema.json"
        elif err["type"] == "missing":
            msg = "required key is missing"
        if rule is None and raw is not None:
            out.append(_top_level_problem(loc, msg, raw))
        else:
            out.append(RulebookProblem(rule, _loc(loc), msg))
    return out


def _top_level_problem(loc: tuple[Any, ...], msg: str, raw: dict[Any, Any]) -> RulebookProblem:
    """Label a problem under ``scales[i]`` with the scale, under ``stages`` with the section."""
    if len(loc) > 2 and loc[0] == "scales" and isinstance(loc[1], int):
        scales = raw.get("scales")
        item = scales[loc[1]] if isinstance(scales, list) and loc[1] < len(scales) else None
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            return RulebookProblem(name, _loc(loc[2:]), msg, kind="scale")
    if len(loc) > 1 and loc[0] in _SECTIONS:
        return RulebookProblem(str(loc[0]), _loc(loc[1:]), msg, kind="section")
    return RulebookProblem(None, _loc(loc), msg)


def parse_rulebook(
    raw: object,
) -> tuple[Rulebook | None, list[RulebookProblem], list[RulebookProblem]]:
    """Parse a loaded YAML document (``raw``) without raising or logging.

    Returns:
        The rulebook when it has no problem (else None), every problem found, and the
        warnings (what does not stop loading).
    """
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        problem = RulebookProblem(None, "<file>", f"a rulebook is a YAML mapping, got {kind}")
        return None, [problem], []
    problems: list[RulebookProblem] = []
    warnings: list[RulebookProblem] = []
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
        book = Rulebook.model_validate({**top, "rules": rules or [_PLACEHOLDER_RULE]})
    except ValidationError as exc:
        problems += _pydantic_problems(exc, None, raw)
    if book is not None and rules:
        problems += check_rulebook_semantics(book)
        lone = lone_categories(book)
        if declares_categories(book):
            problems += lone
        else:
            warnings += lone
    else:  # the top level is broken: still check each parsed rule on its own
        extra = raw.get("extra_columns")
        variables = variables_for(extra if isinstance(extra, dict) else {})
        for rule in rules:
            problems += [
                RulebookProblem(rule.name, f, m) for f, m in check_rule(rule, None, variables)
            ]
    return (book if not problems else None), problems, warnings


def _yaml_problem(exc: yaml.YAMLError, path: Path) -> RulebookProblem:
    """A YAML syntax error at its line and column of ``path`` (not "<unicode string>")."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if not isinstance(exc, yaml.MarkedYAMLError) or mark is None:
        return RulebookProblem(None, "<file>", f"not valid YAML: {exc}", str(path))
    what = exc.problem or exc.context or "syntax error"
    context = ""
    if exc.problem and exc.context and exc.context_mark is not None:
        start = exc.context_mark
        context = (
            f" ({exc.context} that starts at line {start.line + 1}, column {start.column + 1})"
        )
    message = f"not valid YAML: {what}{context}; check the indentation and quoting there"
    return RulebookProblem(
        None, "<file>", message, str(path), line=mark.line + 1, column=mark.column + 1
    )


def _read(path: Path) -> tuple[Rulebook | None, list[RulebookProblem], list[RulebookProblem]]:
    """Parse the file at ``path``: the rulebook (None on problems), problems, warnings."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = RulebookProblem(None, "<file>", f"cannot read the file: {exc}", str(path))
        return None, [problem], []
    return _parse_text(text, str(path))


def _parse_text(
    text: str, source: str
) -> tuple[Rulebook | None, list[RulebookProblem], list[RulebookProblem]]:
    """Parse a rulebook's YAML ``text`` (``source`` names it in problems)."""
    try:
        raw = load_yaml(text, source)
    except YamlLimitError as exc:
        return None, [RulebookProblem(None, "<file>", str(exc), source)], []
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, Path(source))], []
    book, problems, warnings = parse_rulebook(raw)
    return (
        book,
        [replace(p, file=source) for p in problems],
        [replace(w, file=source) for w in warnings],
    )


def _log_warnings(warnings: list[RulebookProblem]) -> None:
    for warning in warnings:
        log.warning("%s", warning)


def check_rulebook(path: str | Path) -> list[RulebookProblem]:
    """Every problem of the rulebook file at ``path`` (empty list: it is valid), each naming
    the file, the rule (or scale, or section) and the field.

    Used by ``leadscore rules check RULEBOOK``, which exits non-zero when the list is not
    empty. Never raises for a bad rulebook; a missing file is reported as a problem too.
    Warnings (e.g. a category only one rule uses) are logged, not returned.
    """
    _, problems, warnings = _read(Path(path))
    _log_warnings(warnings)
    return problems


def load_rulebook(path: str | Path) -> Rulebook:
    """Load and validate a YAML rulebook file into a frozen rulebook; log its warnings.

    Raises:
        RulebookError: listing every problem of the file.
    """
    return _validated(*_read(Path(path)), str(path))


_FROM_TEXT = object()  # only rulebook_from_text builds a RulebookText


@dataclass(frozen=True)
class RulebookText:
    """A rulebook's YAML text and its one validated parse, kept together.

    What is stored (``text``) is what is scored (``rulebook``): a caller that parsed the
    text once passes this object on, and nothing parses (or warns about) it again. Built
    by :func:`rulebook_from_text` only.

    Attributes:
        text: The YAML text, exactly as read.
        warnings: Its lint warnings (logged once, when it was parsed).
    """

    text: str
    rulebook: Rulebook
    warnings: tuple[RulebookProblem, ...]
    _built_by: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._built_by is not _FROM_TEXT:
            raise TypeError("a RulebookText comes from rules.rulebook_from_text(text, source)")


def rulebook_from_text(text: str, source: str) -> RulebookText:
    """Validate a rulebook given as YAML text (a published version, a file read once);
    log its warnings, once. ``source`` names it in problems ("rulebook version 3").

    Raises:
        RulebookError: listing every problem of the text.
    """
    book, problems, warnings = _parse_text(text, source)
    rulebook = _validated(book, problems, warnings, source)
    return RulebookText(text, rulebook, tuple(warnings), _built_by=_FROM_TEXT)


def _validated(
    book: Rulebook | None,
    problems: list[RulebookProblem],
    warnings: list[RulebookProblem],
    source: str | None,
) -> Rulebook:
    if problems or book is None:
        raise RulebookError(problems, source)
    _log_warnings(warnings)
    log.info("loaded rulebook %s version %s (%d rules)", book.name, book.version, len(book.rules))
    return book


def rulebook_from_dict(raw: dict[str, Any]) -> Rulebook:
    """Validate a rulebook given as a mapping (tests, notebooks); raise on any problem."""
    return _validated(*parse_rulebook(raw), None)
