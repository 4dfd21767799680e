"""leadscore rules: the manual point model, a rulebook engine.

Rulebooks are YAML data validated against a closed vocabulary (:mod:`rules.vocabulary`);
scoring is vectorised over the whole contact table at one ``as_of`` date.

Typical use::

    book = load_rulebook("rules/rulebooks/default.yaml")
    result = score_rulebook(tables, book, as_of="2026-11-01")
    print(explain_contact(result, "C000042"))
"""

from rules.conditions import ColumnTypeError
from rules.explain import explain_contact, explanation_frame, format_explanation
from rules.json_schema import SCHEMA_PATH, rulebook_json_schema
from rules.loader import (
    RulebookError,
    RulebookText,
    check_rulebook,
    load_rulebook,
    parse_rulebook,
    rulebook_from_dict,
    rulebook_from_text,
)
from rules.model import Rulebook
from rules.result import ScoreResult
from rules.scorer import score_rulebook
from rules.validation import RulebookProblem

__all__ = [
    "SCHEMA_PATH",
    "ColumnTypeError",
    "Rulebook",
    "RulebookError",
    "RulebookProblem",
    "RulebookText",
    "ScoreResult",
    "check_rulebook",
    "explain_contact",
    "explanation_frame",
    "format_explanation",
    "load_rulebook",
    "parse_rulebook",
    "rulebook_from_dict",
    "rulebook_from_text",
    "rulebook_json_schema",
    "score_rulebook",
]
