"""Account scores in every sink: database (current + history, same transaction) and files."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.sinks import write_scores
from serving.sinks.accounts import validate_accounts


def _accounts(scores: dict[str, float]) -> pd.DataFrame:
    ids = list(scores)
    return pd.DataFrame(
        {
            "account_id": ids,
            "score": list(scores.values()),
            "n_contacts": [2] * len(ids),
            "n_used": [2] * len(ids),
            "top_contact_id": ["c1"] * len(ids),
            "hot": [v >= 100 for v in scores.values()],
        }
    )


def _rows(url: str, table: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        order = "account_id, as_of" if table.endswith("history") else "account_id"
        rows = conn.exec_driver_sql(
            f"SELECT account_id, score, hot, rulebook_version FROM {table} ORDER BY {order}"
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_database_keeps_current_and_history_of_accounts(db_url, table_prefix, fx):
    day1 = _accounts({"A1": 110.0, "A2": 30.0})
    result = write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1),
        db_url,
        fx.run(fx.DAY1),
        table_prefix=table_prefix,
        accounts=day1,
    )
    assert (result.n_accounts, result.n_accounts_updated) == (2, 2)
    current, history = f"{table_prefix}accounts_current", f"{table_prefix}account_history"
    assert _rows(db_url, current) == [("A1", 110.0, True, "rb-7"), ("A2", 30.0, False, "rb-7")]
    again = write_scores(  # the same run again changes nothing
        fx.scores(fx.DAY1_ROWS, fx.DAY1),
        db_url,
        fx.run(fx.DAY1),
        table_prefix=table_prefix,
        accounts=day1,
    )
    assert again.n_accounts_updated == 0
    write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2),
        db_url,
        fx.run(fx.DAY2, run_id="run-2"),
        table_prefix=table_prefix,
        accounts=_accounts({"A1": 90.0}),
    )
    assert _rows(db_url, current) == [("A1", 90.0, False, "rb-7"), ("A2", 30.0, False, "rb-7")]
    assert [r[:2] for r in _rows(db_url, history)] == [("A1", 110.0), ("A1", 90.0), ("A2", 30.0)]


def test_a_failing_run_writes_no_accounts(db_url, table_prefix, fx, monkeypatch):
    from serving.sinks import database

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(database, "_log_run", boom)  # fails after the accounts were written
    with pytest.raises(RuntimeError, match="disk full"):
        write_scores(
            fx.scores(fx.DAY1_ROWS, fx.DAY1),
            db_url,
            fx.run(fx.DAY1),
            table_prefix=table_prefix,
            accounts=_accounts({"A1": 110.0}),
        )
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table(f"{table_prefix}accounts_current")
    engine.dispose()


@pytest.mark.parametrize(
    ("sink", "accounts_file"),
    [
        ("out.parquet", "out_accounts.parquet"),
        ("out.csv", "out_accounts.csv"),
        ("out.PARQUET", "out_accounts.PARQUET"),  # the sink's kind, not the spelling: Parquet
        ("folder", "folder/accounts_2024-01-03T000000Z.parquet"),
        ("hubspot:import.csv", "import_accounts.csv"),
    ],
)
def test_file_sinks_write_the_accounts_beside_the_scores(tmp_path, fx, sink, accounts_file):
    target = (
        f"hubspot:{tmp_path / sink.removeprefix('hubspot:')}"
        if sink.startswith("hubspot:")
        else str(tmp_path / sink)
    )
    if sink == "folder":
        (tmp_path / "folder").mkdir()
    accounts = _accounts({"A2": 30.0, "A1": 110.0})
    result = write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), target, fx.run(fx.DAY1), accounts=accounts
    )
    path = tmp_path / accounts_file
    assert str(path) in result.outputs and result.n_accounts_updated == 2
    got = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    assert got["account_id"].tolist() == ["A1", "A2"]  # sorted, stable bytes
    assert got["score"].tolist() == [110.0, 30.0]
    assert set(got["rulebook_version"]) == {"rb-7"}
    again = write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), target, fx.run(fx.DAY1), accounts=accounts
    )
    assert again.n_accounts_updated == 0  # identical file left alone


def test_bad_accounts_are_refused():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['hot'\]"):
        validate_accounts(_accounts({"A1": 1.0}).drop(columns="hot"))
    twice = pd.concat([_accounts({"A1": 1.0})] * 2)
    with pytest.raises(ValueError, match="unique"):
        validate_accounts(twice)
