"""Type inference of flat tables: blanks, numbers, yes/no, dates, categories, exclusions."""

import numpy as np
import pandas as pd
import pytest

from features.blanks import BLANK_MARKERS, blank_mask, detect_placeholders
from features.infer import InferSettings, feature_name, infer_table_types
from features.parse import best_date_format, parse_numbers
from features.typed import typed_features


def text(values):
    return pd.Series(values, dtype="string")


def test_blank_mask_markers_case_and_spaces():
    values = text(["Select", " n/a ", "x", None, "", "NULL", "Selected"])
    assert blank_mask(values, BLANK_MARKERS).tolist() == [
        True,
        True,
        False,
        True,
        True,
        True,
        False,
    ]


def test_placeholder_shared_by_columns_is_detected_but_real_words_are_not():
    frame = pd.DataFrame(
        {
            "a": text(["Select", "x", "Other"]),
            "b": text(["Select", "y", "Other"]),
            "c": text(["-- choose --", "Select", "Other"]),
            "d": text(["-- choose --", "z", "Yes"]),
            "e": text(["Please select", "z", "No"]),
        }
    )
    found = detect_placeholders(frame, BLANK_MARKERS, min_columns=2)
    # "Select" is a marker; "-- choose --" is prompt-like in 2 columns; "Please select" is
    # prompt-like but in one column only; "Other" is a real answer.
    assert found == {"Select": ["a", "b", "c"], "-- choose --": ["c", "d"]}
    # a prompt and punctuation only count; a word that starts like a prompt does not
    prompts = pd.DataFrame({k: text(["--- Pick one ---", "Pickup", "---"]) for k in "xy"})
    assert detect_placeholders(prompts, BLANK_MARKERS, min_columns=2) == {
        "--- Pick one ---": ["x", "y"],
        "---": ["x", "y"],
    }


@pytest.mark.parametrize(
    ("values", "expected", "thousands"),
    [
        (["1,532", "12", "-3.5", "abc"], [1532.0, 12.0, -3.5, np.nan], True),
        (["3,5", "4"], [np.nan, 4.0], False),  # decimal comma: not a number
        (["1,53", "1,532"], [np.nan, np.nan], False),  # not every comma groups by three
        (["1e3", ".5", "+2"], [1000.0, 0.5, 2.0], False),
    ],
)
def test_parse_numbers(values, expected, thousands):
    numbers, used = parse_numbers(text(values))
    np.testing.assert_array_equal(numbers.to_numpy(), np.array(expected))
    assert used is thousands


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["31/12/2024", "01/02/2024"], "%d/%m/%Y"),
        (["12/31/2024", "01/02/2024"], "%m/%d/%Y"),
        (["2024-01-05", "2024-02-29 10:00:00"], "ISO8601"),
        (["2019", "2020"], None),
    ],
)
def test_best_date_format(values, expected):
    assert best_date_format(text(values))[0] == expected


def planted(n=60):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "amount": text(["1,200", "15"] * (n // 2)),
            "flag": text(["Yes", "no"] * (n // 2)),
            "created": text(["2024-01-31", "2024-03-01", "Select"] * (n // 3)),
            "source": text(["Google", "google", "Direct", "Select"] * (n // 4)),
            "region": text(["North", "Select", "South"] * (n // 3)),
            "job": text(["Select", "Student", "Other"] * (n // 3)),
            "constant": text(["No"] * n),
            "empty": text(["N/A"] * n),
            "note": text([f"note {i}" for i in range(n)]),
            "number_id": text([str(1000 + 7 * i) for i in range(n)]),
            "score": pd.Series(rng.normal(size=n)),  # Parquet-style float column
        }
    )


def test_infer_table_types_kinds_and_reasons():
    types = infer_table_types(planted(), exclude={"job": "the target"})
    kinds = {name: col.kind for name, col in types.columns.items()}
    assert kinds == {
        "amount": "numeric",
        "flag": "boolean",
        "created": "date",
        "source": "category",
        "region": "category",
        "job": "excluded",
        "constant": "excluded",
        "empty": "excluded",
        "note": "excluded",
        "number_id": "excluded",
        "score": "numeric",
    }
    cols = types.columns
    assert cols["amount"].thousands and "thousands" in cols["amount"].reason
    assert cols["source"].levels == ("Direct", "Google")  # "google" merged into "Google"
    assert cols["source"].n_blank == 15
    assert "constant" in types.excluded["constant"]
    assert types.excluded["empty"].startswith("empty")
    assert "free text" in types.excluded["note"]
    assert types.excluded["number_id"].startswith("id-like")
    assert types.excluded["job"] == "the target"
    # the target column is not searched for placeholders: "Select" is in 3 other columns;
    # blank markers are reported wherever they occur
    assert types.placeholders == {"Select": ["created", "source", "region"], "N/A": ["empty"]}


def test_unparseable_counts_the_non_blank_values_that_are_not_the_kind():
    # 20 numbers and 1 word: 20/21 = 95.2 % numbers -> numeric with 1 unreadable value;
    # 19 dates and 1 word ("soon"), plus 1 blank: 95 % dates -> date, 1 unreadable, 1 blank
    frame = pd.DataFrame(
        {
            "visits": text([str(i % 7) for i in range(20)] + ["many"]),
            "seen": text([f"2024-01-{d:02d}" for d in range(1, 20)] + ["soon", ""]),
            "flag": text(["yes", "no"] * 10 + [""]),
            "score": pd.Series(np.arange(21, dtype=float) / 2),  # typed: nothing to parse
        }
    )
    cols = infer_table_types(frame).columns
    got = {n: (c.kind, c.n_blank, c.n_unparseable) for n, c in cols.items()}
    assert got == {
        "visits": ("numeric", 0, 1),
        "seen": ("date", 1, 1),
        "flag": ("boolean", 1, 0),
        "score": ("numeric", 0, 0),
    }
    assert cols["visits"].summary()["n_unparseable"] == 1  # what fit-table's metrics.json holds
    assert "1 unreadable value(s) set missing" in cols["seen"].reason


def test_typed_features_values():
    frame = planted()
    types = infer_table_types(frame)
    X = typed_features(frame, types)
    assert X["amount"].tolist()[:2] == [1200.0, 15.0]
    assert X["flag"].tolist()[:2] == [1.0, 0.0]
    # latest date is 2024-03-01; 2024-01-31 is 30 days before it (2024 is a leap year)
    days = X["created_days_before_latest"].to_numpy()
    assert days[:2].tolist() == [30.0, 0.0] and np.isnan(days[2])
    assert X["created_month"].tolist()[:2] == [1.0, 3.0]
    assert "created" not in X.columns
    assert X["source"].astype("string").tolist()[:4] == ["Google", "Google", "Direct", pd.NA]
    assert isinstance(X["source"].dtype, pd.CategoricalDtype)
    assert set(X.dtypes.astype(str)) <= {"float64", "category"}


def test_typed_features_new_table_unknown_level_is_missing_and_columns_checked():
    types = infer_table_types(planted())
    new = planted(12).assign(source=text(["Bing"] * 12))
    assert typed_features(new, types)["source"].isna().all()
    with pytest.raises(ValueError, match="lacks column"):
        typed_features(new.drop(columns=["flag"]), types)


def test_placeholder_as_level_when_asked():
    markers = tuple(m for m in BLANK_MARKERS if m != "select")
    settings = InferSettings(blank_markers=markers, placeholders_as_missing=False)
    types = infer_table_types(planted(), settings=settings)
    assert "Select" in types.columns["source"].levels
    assert "select" not in types.blanks


def test_feature_name_replaces_characters_lightgbm_rejects():
    assert feature_name('Revenue [USD]: "net", {a}') == "Revenue _USD__ _net__ _a_"
