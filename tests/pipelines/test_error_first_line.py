"""One cut of an error's text for every one-line message (:func:`pipelines.errors.first_line`):
the first non-blank line, at most 200 characters, empty for an error without text.

The errors here are built by hand to hold the texts drivers give in odd cases (a message
starting with a line break, none at all); ``test_errors.py`` covers the real ones.
"""

from __future__ import annotations

import socket
import sqlite3

import pytest

from pipelines.errors import describe_error, first_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no such table: x\nSQL: select *", "no such table: x"),
        ("\n  no such table: x  \nSQL: select *", "no such table: x"),  # blank line first
        ("a" * 300, "a" * 200),
        ("", ""),
        ("  \n ", ""),
    ],
)
def test_first_line(text: str, expected: str) -> None:
    assert first_line(ValueError(text)) == expected


def test_each_message_quotes_the_same_first_line() -> None:
    # a missing table, a host that does not resolve, a lock still held after the retries
    table = sqlite3.OperationalError("\nno such table: leadscore_scores\n[SQL: SELECT 1]")
    assert describe_error(table) == (
        "the database: a table is missing (no such table: leadscore_scores); "
        "check the URL and table prefix"
    )
    assert describe_error(socket.gaierror()) == (
        "the host name does not resolve: ; check the host in the URL"
    )
    lock = sqlite3.OperationalError("database is locked\n" + "x" * 10)
    assert describe_error(lock) == (
        "OperationalError: database is locked; still failing after retries: check the "
        "server is running and reachable, then run again"
    )


def test_the_database_url_and_mlflow_messages_quote_the_same_first_line() -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
    from sqlalchemy.exc import ArgumentError

    # a blank first line and 300 characters: the first non-blank line, cut at 200
    text = "\n" + "x" * 300 + "\nsecond line"
    assert describe_error(ArgumentError(text)) == (
        f"invalid database URL: {'x' * 200}; use "
        "sqlite:///PATH.db or postgresql+psycopg://USER@HOST:PORT/DB"
    )
    missing = MlflowException(text, error_code=RESOURCE_DOES_NOT_EXIST)  # not retried
    assert describe_error(missing) == f"MLflow: {'x' * 200}"
