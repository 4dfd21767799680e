"""Read one table from a database through SQLAlchemy 2.

The table is reflected (``sqlalchemy.Table(..., autoload_with=...)``) and read with
``select()``: identifiers are quoted by SQLAlchemy and no SQL text is ever built from a
table or column name, so a name like ``leads"; DROP TABLE x; --`` is just a name that
does not exist.
"""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from features.ingest.readers import InputError, TableError

logger = logging.getLogger(__name__)


def is_database_url(source: object) -> bool:
    """True for a string that looks like a SQLAlchemy URL (``dialect[+driver]://...``)."""
    if not isinstance(source, str) or "://" not in source:
        return False
    scheme = source.split("://", 1)[0]
    return bool(scheme) and all(ch.isalnum() or ch in "+_-" for ch in scheme)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def read_sql_table(url: str, table: str) -> pd.DataFrame:
    """Read ``table`` from the database at ``url``.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///crm.db`` or
            ``postgresql+psycopg://user:pw@host/db``.
        table: Table name in the connection's default schema, exactly as stored.

    Returns:
        The rows with the types the database driver returns.

    Raises:
        InputError: Bad URL, unreachable database, unknown table.
        TableError: The table has no rows.
    """
    shown = safe_url(url)
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as err:
        raise InputError(
            f"cannot use database URL {shown}: {err}; write it as "
            "dialect+driver://user:password@host/database, e.g. sqlite:///crm.db"
        ) from None
    try:
        with engine.connect() as conn:
            present = sorted(sa.inspect(conn).get_table_names())
            if table not in present:
                raise InputError(
                    f"database {shown}: no table {table!r}; tables there are: "
                    f"{', '.join(present) or '(none)'}; fix the table name in the mapping"
                )
            reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
            frame = pd.read_sql(sa.select(reflected), conn)
    except SQLAlchemyError as err:
        raise InputError(
            f"database {shown}: cannot read table {table!r} ({type(err).__name__}: "
            f"{err.args[0] if err.args else err}); check the URL, the server and permissions"
        ) from None
    finally:
        engine.dispose()
    if frame.empty:
        raise TableError(f"database {shown}: table {table!r} has no rows")
    logger.info("read table %s: %d rows x %d columns", table, len(frame), len(frame.columns))
    return frame
