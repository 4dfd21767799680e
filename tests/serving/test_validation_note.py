"""The batch summary names what validation quarantined, table by table."""

from serving.batch_summary import validation_note


def test_nothing_quarantined_adds_no_line() -> None:
    counts = {"contacts": {"input": 3, "accepted": 3, "quarantined": 0}}
    assert validation_note(counts) == ""


def test_quarantined_rows_are_counted_per_table() -> None:
    counts = {
        "accounts": {"input": 10, "accepted": 10, "quarantined": 0},
        "contacts": {"input": 2004, "accepted": 2000, "quarantined": 4},
        "activities": {"input": 41221, "accepted": 41219, "quarantined": 2},
        "outcomes": {"input": 5, "accepted": 5, "quarantined": 0},
    }
    assert validation_note(counts) == (
        "Validation quarantined 6 input row(s) (contacts 4, activities 2); see the "
        "quarantine files of leadscore validate for each row and its reason"
    )
