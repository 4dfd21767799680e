"""A column a mapping keeps from a CSV becomes a number when its values are numbers.

The rule (features.ingest.extra_types): the text extra columns that flat-export type
inference calls numeric become ``float64`` in validation; a value that is not a number
is set missing and its row kept with a warning naming the line.
"""

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.crm import CrmTables, empty_table
from features.ingest.extra_types import EXTRA_NUMBER_RULE, typed_extra_columns
from features.ingest.load import ingest
from features.parse import numbers_as_text
from features.schema import CONTACTS
from rules import rulebook_from_dict, score_rulebook

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")
# 23 leads, 2 blank ("", N/A): 20 of the 21 others are numbers, 0.952 >= 0.95 (the default
# numeric_min_share of flat-export inference)
SEATS = ["120", "1,250", "10", "", "50", "N/A", "lots", "49", "7", "300"] + [
    str(n) for n in range(1, 14)
]
EXPECTED = [120, 1250, 10, None, 50, None, None, 49, 7, 300, *range(1, 14)]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The validation report of a mapped export keeping ``Seats`` and ``Plan``."""
    tmp_path = tmp_path_factory.mktemp("kept")
    folder = tmp_path / "export"
    folder.mkdir()
    lines = ["Id,Created,Seats,Plan"]
    for i, s in enumerate(SEATS, start=1):
        lines.append(f'c{i},2026-01-{i:02d} 00:00,"{s}",{"pro" if i % 2 else "basic"}')
    (folder / "leads.csv").write_text("\n".join(lines) + "\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n"
        "    contact_id: Id\n    created_at: Created\n  keep_extra: true\n"
    )
    return ingest(folder, str(mapping))


def _hand(values: list) -> list[float]:
    return [np.nan if v is None else float(v) for v in values]


@pytest.mark.slow
def test_a_kept_column_of_numbers_is_a_float_feature(report):
    from features.infer import InferSettings
    from pipelines.flows.common import feature_spec

    contacts = report.tables.contacts
    assert contacts["seats"].dtype == "float64"
    np.testing.assert_array_equal(contacts["seats"].to_numpy(), _hand(EXPECTED))
    assert contacts["plan"].tolist()[:2] == ["pro", "basic"]  # text stays text
    spec, notes = feature_spec(None, contacts, InferSettings())
    assert "extra column seats used as a number" in notes
    assert "seats" in spec.fit.passthrough_numeric
    features = build_features(report.tables, AS_OF, spec)
    assert features["seats"].dtype == "float64"
    np.testing.assert_array_equal(
        features.loc[[f"c{i}" for i in range(1, 24)], "seats"].to_numpy(), _hand(EXPECTED)
    )


@pytest.mark.slow
def test_a_value_that_is_not_a_number_is_counted_with_its_line(report):
    assert report.counts["contacts"] == {
        "input": 23, "accepted": 23, "quarantined": 0, "warnings": 1
    }  # fmt: skip
    (issue,) = [i for i in report.issues if i.rule == EXTRA_NUMBER_RULE]
    assert (issue.table, issue.column, issue.severity, issue.n_rows) == (
        "contacts", "seats", "warning", 1
    )  # fmt: skip
    # "lots" is the 7th lead: line 8 of leads.csv (the header is line 1); N/A is a blank
    assert issue.examples == ({"row": 6, "line": 8, "value": "lots"},)
    assert "seats is read as numbers (20 of its values are)" in issue.message
    assert "contacts.seats coerce_extra_to_number: 1 row (e.g. row 6 (line 8))" in (
        report.summary_text()
    )


@pytest.mark.slow
def test_a_rule_on_a_kept_number_compares_numbers(report):
    book = rulebook_from_dict(
        {
            "name": "seats",
            "version": "1",
            "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
            "scales": [{"name": "main"}],
            "extra_columns": {"seats": "float"},
            "rules": [
                {
                    "name": "big",
                    "category": "fit",
                    "points": 10,
                    "when": {"var": "seats", "op": "gte", "value": 50},
                }
            ],
        }
    )
    result = score_rulebook(report.tables, book, AS_OF)
    ids = report.tables.contacts["contact_id"].astype(str).tolist()
    fired = sorted(i for i, t in zip(ids, result.scores["total"], strict=True) if t == 10)
    # by hand: 120, 1,250, 50 and 300 (c1 c2 c5 c10); 49 and text "lots" do not fire
    assert fired == ["c1", "c10", "c2", "c5"]
    assert result.unparsed == {}  # the column is numbers already


@pytest.mark.parametrize(
    ("values", "numeric"),
    [
        (["1", "2", "x", "4"], False),  # 3 of 4 numbers: below 0.95, stays text
        (["1.5", "2", "", "-3"], True),
        (["yes", "no", "yes", "no"], False),  # yes/no words stay text
        (["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"], False),  # dates too
        ([str(n) for n in range(60)], False),  # whole numbers all distinct: an id
        ([str(n % 7) for n in range(60)], True),
    ],
)
def test_which_kept_columns_become_numbers(values, numeric):
    frame = pd.DataFrame(
        {"contact_id": [f"c{i}" for i in range(len(values))], "x": pd.array(values, "str")}
    )
    typed, _ = typed_extra_columns(frame, CONTACTS, frame)
    assert (typed["x"].dtype == "float64") is numeric
    assert typed["contact_id"].dtype == frame["contact_id"].dtype  # canonical: untouched


def test_numbers_as_text_is_the_text_a_csv_holds():
    values = pd.Series([7.0, 2.5, np.nan, -3.0, 1250.0])
    assert numbers_as_text(values).tolist() == ["7", "2.5", pd.NA, "-3", "1250"]


def test_a_scorer_sees_its_training_types_whatever_one_batch_decides():
    """A small batch can be typed differently from the training data (3 rows, one a
    typo: text; all numbers: float). The spec decides: a numeric feature reads text as
    numbers, a category feature reads numbers as their text, a rulebook's string
    column likewise."""
    from features.fit import fit_features
    from features.spec import load_feature_spec

    spec = load_feature_spec()
    fit = spec.fit.model_copy(
        update={"passthrough_numeric": ("seats",), "passthrough_categorical": ("zone",)}
    )
    contacts = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "seats": pd.array(["120", "lots", " 1,250 "], dtype="str"),  # kept as text
            "zone": [75.0, 13.0, np.nan],  # typed as numbers
        }
    )
    out = fit_features(contacts, pd.DataFrame({"account_id": pd.array([], "str")}), fit)
    np.testing.assert_array_equal(out["seats"].to_numpy(), [120.0, np.nan, 1250.0])
    assert [None if pd.isna(v) else v for v in out["zone"].tolist()] == ["75", "13", None]
    book = rulebook_from_dict(
        {
            "name": "zone",
            "version": "1",
            "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
            "scales": [{"name": "main"}],
            "extra_columns": {"zone": "string"},
            "rules": [
                {
                    "name": "paris",
                    "category": "fit",
                    "points": 10,
                    "when": {"var": "zone", "op": "eq", "value": "75"},
                }
            ],
        }
    )
    empty = empty_table("contacts")
    people = empty.reindex(range(3)).astype(empty.dtypes.to_dict())
    people = people.assign(
        contact_id=pd.array(["c1", "c2", "c3"], dtype="str"),
        created_at=pd.Timestamp("2026-01-01", tz="UTC"),
        zone=[75.0, 13.0, np.nan],  # typed as numbers by this batch's validation
    )
    crm = CrmTables(people, *(empty_table(t) for t in ("accounts", "activities", "outcomes")))
    assert score_rulebook(crm, book, AS_OF).scores["total"].tolist() == [10.0, 0.0, 0.0]


def _pinned_export(tmp_path, pins: str, infer=None):
    folder = tmp_path / "export"
    folder.mkdir()
    rows = [f'c{i},2026-01-0{i} 00:00,{z},{c}' for i, (z, c) in enumerate(
        [("75", "12"), ("13", "A7"), ("69", "40"), ("06", "n/a")], start=1
    )]  # fmt: skip
    (folder / "leads.csv").write_text("Id,Created,Zone,Code\n" + "\n".join(rows) + "\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n    contact_id: Id\n"
        f"    created_at: Created\n  keep_extra: true\n  extra_types: {pins}\n"
    )
    return ingest(folder, str(mapping), now=AS_OF, infer=infer)


@pytest.mark.slow
def test_a_mapping_pins_a_kept_columns_type(tmp_path):
    report = _pinned_export(tmp_path, "{zone: text, code: number}")
    contacts = report.tables.contacts
    # zone's values are all numbers, but pinned text: "06" stays "06"
    assert contacts["zone"].tolist() == ["75", "13", "69", "06"]
    # code is 2 numbers of 3 non-blank values (below 0.95), pinned number: A7 is counted
    np.testing.assert_array_equal(contacts["code"].to_numpy(), [12.0, np.nan, 40.0, np.nan])
    (issue,) = [i for i in report.issues if i.rule == EXTRA_NUMBER_RULE]
    assert (issue.column, issue.n_rows, issue.examples) == (
        "code", 1, ({"row": 1, "line": 3, "value": "A7"},)
    )  # fmt: skip


def test_a_pin_on_a_column_the_mapping_does_not_keep_is_refused(tmp_path):
    from features.ingest.readers import InputError

    with pytest.raises(InputError, match=r"contacts\.extra_types: 'Zone' is not a column"):
        _pinned_export(tmp_path, "{Zone: text}")


@pytest.mark.slow
def test_the_share_of_numbers_is_the_inference_setting(tmp_path):
    """``--infer``'s numeric_min_share (train and fit-table pass it to validation)."""
    from features.infer import InferSettings

    loose = _pinned_export(tmp_path, "{}", infer=InferSettings(numeric_min_share=0.6))
    # code: 2 of 3 non-blank values are numbers, 0.67 >= 0.6
    assert loose.tables.contacts["code"].dtype == "float64"
    (tmp_path / "default").mkdir()
    strict = _pinned_export(tmp_path / "default", "{}")
    assert strict.tables.contacts["code"].tolist() == ["12", "A7", "40", "n/a"]  # text
