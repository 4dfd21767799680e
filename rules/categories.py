"""Categories that look like typos: used by one rule and given a meaning nowhere.

Categories are free-form, but a category only acts through the settings that name it: a
cap in some scale's ``caps``, ``fit_categories`` or ``engagement_categories``. A rule
whose category is in none of them and shared with no other rule (``engagment``) silently
escapes the caps and the fit / engagement scores, so it is reported: as an error when the
rulebook declares its categories (it has category caps, or sets the fit / engagement lists
itself), as a warning when it leaves them all to the defaults.
"""

from __future__ import annotations

from collections import Counter

from rules.model import Rulebook
from rules.validation import RulebookProblem, did_you_mean


def declared_categories(book: Rulebook) -> set[str]:
    """Categories some setting gives a meaning to: caps and the fit / engagement lists."""
    capped = {category for scale in book.scales for category in scale.caps}
    return capped | set(book.fit_categories) | set(book.engagement_categories)


def declares_categories(book: Rulebook) -> bool:
    """Whether the rulebook itself names its categories (rather than relying on defaults)."""
    explicit = {"fit_categories", "engagement_categories"} & book.model_fields_set
    return bool(explicit) or any(scale.caps for scale in book.scales)


def lone_categories(book: Rulebook) -> list[RulebookProblem]:
    """One problem per rule whose category is undeclared and used by no other rule.

    Returns:
        Problems on the rules' ``category`` field, each suggesting the closest known
        category (declared, or shared by several rules) when there is a close one.
    """
    uses = Counter(rule.category for rule in book.rules)
    known = declared_categories(book) | {c for c, n in uses.items() if n > 1}
    out = []
    for rule in book.rules:
        if rule.category in known:
            continue
        hint = did_you_mean(rule.category, known) or "."
        message = (
            f"category {rule.category!r} is used by this rule only and declared nowhere (no "
            "scale caps it, not in fit_categories or engagement_categories), so the rule "
            f"escapes the caps and the fit/engagement scores{hint} If the new category is "
            "intended, give it a cap under a scale's 'caps' (an empty cap {} sets no bound)."
        )
        out.append(RulebookProblem(rule.name, "category", message))
    return out
