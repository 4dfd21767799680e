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


def two_rule_text(name: str = "t", version: str = "1", more: str = "") -> str:
    """A valid rulebook YAML text: a fit rule (``vp``: seniority vp, 30 points) and an
    engagement rule (``demo``: 40 points per demo request in 30 days), then ``more``
    (further rule lines or top-level sections)."""
    return f"""name: {name}
version: "{version}"
changelog: [{{version: "{version}", date: 2026-01-01, changes: first}}]
scales: [{{name: main}}]
rules:
  - {{name: vp, category: fit, points: 30, when: {{var: seniority, op: eq, value: vp}}}}
  - {{name: demo, category: engagement, points: 40, each: {{activity_type: demo_request}},
     within_days: 30}}
{more}"""
