"""Guard against regular expressions that can backtrack catastrophically.

Rulebook regexes run over every contact, so one pathological pattern such as ``(a+)+``
can hang a scoring run. Patterns are rejected at load time when they are too long, do not
compile, contain a quantified group that itself contains a quantifier (nested
quantifiers), or use backreferences / lookarounds (which defeat linear-time reasoning).
"""

from __future__ import annotations

import re

MAX_PATTERN_LENGTH = 200
"""Longest pattern a rulebook may use."""

_QUANTIFIER = re.compile(r"(?<!\\)(?:[*+?]|\{\d+(?:,\d*)?\})")
_BACKREF = re.compile(r"\\[1-9]|\(\?P=|\(\?<?[=!]|\(\?=")


def _strip_classes(pattern: str) -> str:
    """Replace escaped characters and ``[...]`` classes by one plain character each."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append("x")
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append("x")
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _has_nested_quantifier(pattern: str) -> bool:
    """True when a quantified group contains a quantifier, e.g. ``(a+)+`` or ``(a|b*)*``."""
    flat = _strip_classes(pattern)
    stack: list[int] = []
    for i, ch in enumerate(flat):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            inner = flat[start + 1 : i]
            if inner.startswith("?:"):
                inner = inner[2:]
            after = flat[i + 1 : i + 2]
            if after in {"*", "+", "{"} and _QUANTIFIER.search(inner):
                return True
    return False


def regex_problem(pattern: object) -> str | None:
    """Why ``pattern`` (a ``regex`` operator's value) may not be used, saying what to do;
    None when it is safe."""
    if not isinstance(pattern, str):
        return "regex value must be a string"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"regex is {len(pattern)} characters long; the limit is {MAX_PATTERN_LENGTH}"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"regex does not compile ({exc}); fix the pattern"
    if _BACKREF.search(pattern):
        return "regex uses a backreference or lookaround; use a plain pattern"
    if _has_nested_quantifier(pattern):
        return (
            "regex has nested quantifiers (like '(a+)+') that can backtrack "
            "catastrophically; remove the inner or outer quantifier"
        )
    return None
