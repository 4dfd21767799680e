"""Tiny rulebooks as dicts for tests: one header, the rules under test, and lead/MQL/SQL
stages at 10/35/65 points with the customer exclusion."""

from __future__ import annotations

from typing import Any


def customer_rulebook(*rules: dict[str, Any], name: str = "t") -> dict[str, Any]:
    """A valid rulebook holding ``rules``, whose stages exclude customers."""
    return {
        "name": name,
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": ["first"]}],
        "scales": [{"name": "main"}],
        "rules": list(rules),
        "stages": {
            "lead": 10,
            "mql": 35,
            "sql": 65,
            "exclusions": [{"reason": "customer", "when": {"var": "is_customer", "op": "is_true"}}],
        },
    }
