"""Training's type of each kept column, pinned when a scorer reads a batch.

A hand-made three-lead export keeps ``visits`` and ``code``. Read alone, two leads whose
``visits`` are blank words and whose ``code`` values are digits would be typed the other
way round from a training export where ``visits`` is numbers and ``code`` text
(:mod:`features.ingest.extra_types`); with training's types pinned they read as trained.
"""

import pandas as pd
import pytest

from features.crm import CrmTables, empty_table
from features.ingest.extra_types import as_trained, pins_as_trained, trained_extra_types
from features.ingest.load import ingest
from features.ingest.readers import InputError

TRAINED = {"contacts": {"visits": "number", "code": "text"}}
MAPPING = (
    "contacts:\n  source: leads.csv\n  columns:\n"
    "    contact_id: Id\n    created_at: Created\n  keep_extra: [visits, code]\n"
)


@pytest.fixture
def batch(tmp_path):
    """Two leads: ``visits`` 'n/a' and blank, ``code`` '0012' and '0457'."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text(
        "Id,Created,visits,code\nc1,2026-01-01 00:00,n/a,0012\nc2,2026-01-02 00:00,,0457\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    return folder, mapping


def test_training_types_come_from_the_validated_tables():
    contacts = empty_table("contacts").assign(
        visits=pd.Series([], dtype="float64"),
        code=pd.Series([], dtype="str"),
        flag=pd.Series([], dtype="bool"),
    )
    tables = CrmTables(
        contacts=contacts,
        accounts=empty_table("accounts"),
        activities=empty_table("activities"),
        outcomes=empty_table("outcomes"),
    )
    # booleans are not typed by validation: no decision stored for them
    assert trained_extra_types(tables) == TRAINED


def test_alone_the_batch_would_be_typed_the_other_way(batch):
    """The fixture is what it claims: inferred on its own rows, the types flip."""
    folder, mapping = batch
    contacts = ingest(folder, str(mapping)).tables.contacts
    assert not pd.api.types.is_float_dtype(contacts["visits"])
    assert contacts["code"].dtype == "float64"


def test_training_types_are_pinned(batch):
    folder, mapping = batch
    contacts = ingest(folder, str(mapping), trained_types=TRAINED).tables.contacts
    assert contacts["visits"].dtype == "float64"
    assert contacts["visits"].isna().all()
    assert contacts["code"].tolist() == ["0012", "0457"]


def test_a_mapping_pin_equal_to_training_is_accepted(batch):
    folder, mapping = batch
    mapping.write_text(MAPPING + "  extra_types: {code: text}\n")
    contacts = ingest(folder, str(mapping), trained_types=TRAINED).tables.contacts
    assert contacts["code"].tolist() == ["0012", "0457"]


def test_a_mapping_pin_contradicting_training_is_refused(batch):
    folder, mapping = batch
    mapping.write_text(MAPPING + "  extra_types: {visits: text}\n")
    with pytest.raises(InputError) as caught:
        ingest(folder, str(mapping), trained_types=TRAINED)
    message = str(caught.value)
    assert "contacts" in message and "visits: text" in message
    assert "read as number" in message
    assert "retrain" in message and "drop the visits pin" in message


def test_pins_without_training_types_are_the_mappings():
    assert pins_as_trained("t", None, None) is None
    assert pins_as_trained("t", {"a": "text"}, None) == {"a": "text"}
    assert pins_as_trained("t", {"a": "text"}, {"a": "text", "b": "number"}) == {
        "a": "text",
        "b": "number",
    }


def test_a_table_that_skipped_validation_gets_trainings_types():
    """One Spark bucket of Parquet tables ``validate`` typed on other rows: ``visits``
    held as text ('1,250' is 1250, 'n/a' blank, 'lots' not a number), ``code`` held as
    numbers (12.0 is the text '12'); an unstored column is left as it is."""
    frame = pd.DataFrame(
        {
            "visits": pd.Series(["3", "1,250", "n/a", "lots"], dtype="str"),
            "code": [12.0, 2.5, float("nan"), 7.0],
            "other": ["x", "y", "z", "w"],
        }
    )
    out = as_trained(frame, {"visits": "number", "code": "text", "absent": "number"})
    assert out["visits"].dtype == "float64"
    assert out["visits"].tolist()[:2] == [3.0, 1250.0]
    assert out["visits"].iloc[2:].isna().all()
    assert out["code"].tolist()[:2] == ["12", "2.5"] and out["code"].tolist()[3] == "7"
    assert pd.isna(out["code"].iloc[2])
    assert out["other"].tolist() == ["x", "y", "z", "w"]
    assert as_trained(frame, None) is frame
