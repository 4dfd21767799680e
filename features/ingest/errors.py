"""Errors raised when input data or a column mapping cannot be used.

Both are ``ValueError`` subclasses so callers that already catch ``ValueError`` keep
working. Messages are written for the person running leadscore: what is wrong, where
(file, line or row, column, mapping field) and what to do about it.
"""

from __future__ import annotations


class InputError(ValueError):
    """Input (a file, a table, a mapping) that leadscore cannot use as it is."""


class TableError(InputError):
    """A whole table is unusable: it is empty, or misses a required or key column."""
