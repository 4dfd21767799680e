"""The suites' rules evaluated with pandas: the verdicts GX gives, without importing GX.

``leadscore explain`` validates one lead's account, a few hundred rows; importing Great
Expectations and building its context costs more than everything else the command does.
:func:`evaluate_rules` reads the same :class:`~features.ingest.suites.Rule` objects GX
runs (there is one definition of the checks, :func:`~features.ingest.suites.table_rules`)
and applies each expectation type the way GX's pandas engine does:

* column-map expectations ignore missing values (``not_null`` excepted) and report the
  index labels of failing rows;
* ``between`` bounds are inclusive, ``unique`` flags every row of a repeated value
  (``duplicated(keep=False)``), the compound form every row of a repeated tuple;
* a column pair is skipped when either value is missing.

``tests/features/test_suite_pandas.py`` checks both engines give the same verdicts on
the synthetic CRM's planted dirt and on hand-made edge cases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.ingest.suites import Rule, suite_parameters, table_rules
from features.schema import Table


def evaluate_rules(
    table: Table, frame: pd.DataFrame, *, now: pd.Timestamp
) -> dict[str, tuple[bool, np.ndarray]]:
    """Evaluate ``table``'s rules on ``frame``, as :func:`~features.ingest.suites.run_suite`.

    Args:
        frame: Parsed rows plus helper columns; its index labels are reported back as
            the failing rows.
        now: Upper bound for timestamps.

    Returns:
        ``{rule key: (success, failing index labels)}``.

    Raises:
        ValueError: A rule of an expectation type this engine does not evaluate (a new
            rule kind needs its pandas form here too).
    """
    params = suite_parameters(now)
    return {rule.key: _verdict(rule, frame, params) for rule in table_rules(table)}


def _verdict(
    rule: Rule, frame: pd.DataFrame, params: dict[str, pd.Timestamp]
) -> tuple[bool, np.ndarray]:
    kw = {k: _resolve(v, params) for k, v in rule.kwargs.items()}
    if rule.name == "expect_table_columns_to_match_set":
        columns = set(map(str, frame.columns))
        wanted = set(kw["column_set"])
        ok = wanted == columns if kw.get("exact_match") else wanted <= columns
        return ok, np.empty(0, dtype="int64")
    if rule.name == "expect_compound_columns_to_be_unique":
        sub = frame[kw["column_list"]]
        considered = ~sub.isna().all(axis=1)  # GX ignores rows whose values are all missing
        failing = pd.Series(False, index=frame.index)
        failing[considered] = sub[considered].duplicated(keep=False)
        return _result(frame, failing)
    if rule.name == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = frame[kw["column_A"]], frame[kw["column_B"]]
        considered = a.notna() & b.notna()
        holds = (a >= b) if kw.get("or_equal") else (a > b)
        return _result(frame, considered & ~holds.fillna(False).astype(bool))
    column = frame[kw["column"]]
    if rule.name == "expect_column_values_to_not_be_null":
        return _result(frame, column.isna())
    present = column.notna()
    if rule.name == "expect_column_values_to_be_in_set":
        inside = column.isin(kw["value_set"])
    elif rule.name == "expect_column_values_to_be_between":
        inside = pd.Series(True, index=frame.index)
        if kw.get("min_value") is not None:
            inside &= (column >= kw["min_value"]).fillna(False).astype(bool)
        if kw.get("max_value") is not None:
            inside &= (column <= kw["max_value"]).fillna(False).astype(bool)
    elif rule.name == "expect_column_values_to_be_unique":
        inside = pd.Series(True, index=frame.index)
        inside[present] = ~column[present].duplicated(keep=False)
    else:
        raise ValueError(f"rule {rule.key}: no pandas form of {rule.name}; add one here")
    return _result(frame, present & ~inside.fillna(False).astype(bool))


def _resolve(value: Any, params: dict[str, pd.Timestamp]) -> Any:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return params[value["$PARAMETER"]]
    return value


def _result(frame: pd.DataFrame, failing: pd.Series) -> tuple[bool, np.ndarray]:
    mask = failing.to_numpy(dtype=bool)
    rows = frame.index.to_numpy()[mask].astype("int64")
    return not mask.any(), rows
