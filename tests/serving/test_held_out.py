"""A flat export's held-out rows: the leads the scorer never learned from, by hand."""

import pandas as pd
import pytest

from features.crm import CrmTables, empty_table
from serving.held_out import flat_held_out
from serving.training_ids import TrainingIds


def _tables(ids: list[str], won: list[str]) -> CrmTables:
    contacts = empty_table("contacts").reindex(range(len(ids)))
    contacts["contact_id"] = pd.Series(ids, dtype="string")
    contacts["created_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    outcomes = empty_table("outcomes").reindex(range(len(won) + 1))
    outcomes["contact_id"] = pd.Series([*won, ids[0]], dtype="string")
    outcomes["converted_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    # a lost deal is no conversion: the training label is a positive outcome
    outcomes["outcome"] = pd.Series(["won"] * len(won) + ["lost"], dtype="string")
    return CrmTables(contacts, empty_table("accounts"), empty_table("activities"), outcomes)


def test_held_out_rows_are_the_ids_not_trained_on_with_the_training_label():
    tables = _tables(["a", "b", "c", "d", "e", "f"], won=["b", "d", "e"])
    # trained on a, b, c and on "z", a lead this export no longer holds
    held = flat_held_out(tables, TrainingIds.of(["a", "b", "c", "z"]))
    labels = held.labels
    assert labels.index.tolist() == ["a", "b", "c", "d", "e", "f"]
    assert labels["eligible"].tolist() == [False, False, False, True, True, True]
    assert labels["reference"].tolist() == [True, True, True, False, False, False]
    assert labels["y"].tolist() == [0, 1, 0, 1, 1, 0]  # "a" only lost
    assert (held.n_rows, held.n_trained, held.n_held_out, held.n_training) == (6, 3, 3, 4)
    assert held.note().startswith("3 of 6 leads held out from training; 3 used in training ")
    assert held.drift_note() == (
        "Drift: the reference is the 3 training leads in this export (75% of the training "
        "leads), the current population the held-out leads."
    )


def test_an_export_of_new_leads_is_evaluated_whole_without_drift():
    tables = _tables(["n1", "n2", "n3"], won=["n2"])
    held = flat_held_out(tables, TrainingIds.of(["a", "b"]))
    assert held.labels["eligible"].all() and not held.labels["reference"].any()
    assert held.n_held_out == 3
    assert "Drift not computed: this export holds none of the leads" in str(held.drift_note())


def test_an_export_of_training_rows_only_says_what_to_pass():
    tables = _tables(["a", "b"], won=["b"])
    with pytest.raises(ValueError, match="every one of the 2 leads .* none is held out"):
        flat_held_out(tables, TrainingIds.of(["a", "b", "c"]))


def test_a_scorer_without_the_fingerprint_names_the_command_to_retrain():
    tables = _tables(["a", "b"], won=["b"])
    with pytest.raises(ValueError, match=r"before scorers stored .* retrain it \(leadscore train"):
        flat_held_out(tables, None)
