"""Personal data by content: the one rule deciding that a column holds e-mails or phones.

A column holds personal data when any of its non-blank values contains an e-mail address,
or is written like a phone number, whatever the column is called and however few distinct
values it has (an owner's address repeated on every row is personal data too). Such a
column never becomes a feature, an artifact or a log line: type inference excludes it with
:func:`personal_data_reason` as the reason, the feature builder refuses it, and MLflow
logging refuses any frame that still holds it. The reason never quotes a value.

Phone-like: 7 to 15 digits with only phone punctuation (``+ - . ( ) /`` and spaces), a
leading ``+``/``00`` or parentheses or at least three groups of digits (``+44 20 7946
0958``, ``(555) 010-0199``, ``555-010-0123``), and not a number, a range or a date
(``1234567.5``, ``10.000.000``, ``1001-5000``, ``2024-01-31``).
"""

from __future__ import annotations

import re

import pandas as pd

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
"""An e-mail address anywhere in a value."""

_PHONE = re.compile(r"^(?:\+|00)?[\d\s().\-/]{7,24}$")
_DIALLED = re.compile(r"^\+|^00|\(")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})+(?:,\d+)?$")
_DATE_LIKE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:[ T].*)?$"
)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def _text_values(values: pd.Series) -> pd.Series:
    """Distinct non-blank values as stripped text (numbers, flags and dates hold no address)."""
    dtype = values.dtype  # is_numeric_dtype covers the booleans too
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return pd.Series([], dtype="string")
    text = pd.Series(values.dropna().unique()).astype("string").str.strip()
    return text[text != ""]


def _phone_like(text: pd.Series) -> pd.Series:
    shaped = text.str.fullmatch(_PHONE)
    digits = text.str.count(r"\d")
    # a dialling prefix or parentheses, or at least three groups of digits: "1001-5000"
    # (a size band) and "10.000.000" (a number) are not phone numbers
    dialled = text.str.contains(_DIALLED)
    grouped = text.str.count(r"\d+") >= 3
    number = text.str.fullmatch(_NUMBER) | text.str.fullmatch(_GROUPED_NUMBER)
    plain = (number & ~text.str.startswith("+")) | text.str.fullmatch(_DATE_LIKE)
    return (shaped & digits.between(7, 15) & (dialled | grouped) & ~plain).fillna(False)


def personal_values(values: pd.Series) -> pd.Series:
    """Per value: whether it holds an e-mail address or is a phone number (index kept).

    For redacting single values where a column is shown, e.g. in quarantine reasons.
    """
    text = values.astype("string").str.strip()
    found = text.str.contains(EMAIL_PATTERN) | _phone_like(text)
    return found.fillna(False).astype(bool)


def personal_data_reason(values: pd.Series) -> str | None:
    """Why ``values`` count as personal data, or None when they do not.

    Returns:
        E.g. ``"personal data: e-mail addresses in 40 distinct value(s); never used"``
        (counts only, never a value), or None.
    """
    text = _text_values(values)
    if text.empty:
        return None
    emails = int(text.str.contains(EMAIL_PATTERN).fillna(False).sum())
    phones = int(_phone_like(text).sum())
    found = [
        f"{what} in {n:,} distinct value(s)"
        for what, n in (("e-mail addresses", emails), ("phone numbers", phones))
        if n
    ]
    if not found:
        return None
    return f"personal data: {' and '.join(found)}; never used as a feature or logged"


def personal_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Columns of ``frame`` holding personal data -> reason (see :func:`personal_data_reason`)."""
    reasons = {str(c): personal_data_reason(frame[c]) for c in frame.columns}
    return {c: r for c, r in reasons.items() if r is not None}
