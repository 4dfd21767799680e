"""Training's type of each kept column, pinned when a scorer reads a batch.

A hand-made three-lead export keeps ``visits`` and ``code``. Read alone, two leads whose
``visits`` are blank words and whose ``code`` values are digits would be typed the other
way round from a training export where ``visits`` is numbers and ``code`` text
(:mod:`features.ingest.extra_types`); with training's types pinned they read as trained.
"""

import pandas as pd
import pytest

from features.crm import CrmTables, empty_table
from features.ingest.extra_types import pins_as_trained, trained_extra_types
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
