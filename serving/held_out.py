"""A flat export's held-out rows: the leads ``compare`` evaluates a flat-export scorer on.

A flat export (one row per lead, the outcome a column) has no dates, so no later period
can be held out. Its scorer keeps the digests of the contact ids it was fitted or
calibrated on (:class:`serving.training_ids.TrainingIds`): every other row
of the export is held out, labelled as training labels ("has a positive outcome",
:func:`features.flat.flat_labels`). On the export it was trained on these are exactly its
test rows; an export of new leads with their outcomes is evaluated whole. The training
rows the export holds are left out, counted, and serve as the drift section's reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.crm import CrmTables
from features.flat import flat_labels
from features.measures import ratio
from serving.training_ids import TrainingIds

RETRAIN = (
    "retrain it (leadscore train --data ... --mapping ..., or leadscore fit-table) and run "
    "compare with the new scorer"
)


@dataclass(frozen=True)
class HeldOut:
    """The rows of a flat export ``compare`` evaluates, and what it left out.

    Attributes:
        labels: Indexed by ``contact_id`` (text): ``eligible`` (held out from training),
            ``y`` (the training label) and ``reference`` (a training row: drift's reference).
        n_rows: Leads in the export (after validation).
        n_trained: Of them, leads the scorer was fitted or calibrated on (left out).
        n_training: Leads the scorer was fitted or calibrated on in all.
    """

    labels: pd.DataFrame
    n_rows: int
    n_trained: int
    n_training: int

    @property
    def n_held_out(self) -> int:
        """Leads evaluated: those the scorer never learned from."""
        return self.n_rows - self.n_trained

    def period(self) -> str:
        """The report header's "scored period" of a flat export."""
        return (
            f"{self.n_held_out:,} of {self.n_rows:,} leads held out from training "
            f"({self.n_trained:,} used in training left out; a flat export has no dates)"
        )

    def note(self) -> str:
        """What was evaluated and what left out (the report's data notes and the summary)."""
        return (
            f"{self.n_held_out:,} of {self.n_rows:,} leads held out from training; "
            f"{self.n_trained:,} used in training left out (the scorer was fitted and "
            f"calibrated on {self.n_training:,} leads, recognised by their contact ids). A "
            "flat export has no dates: instead of a later period the report covers the leads "
            "the model never learned from, labelled as training labels them (a positive "
            "outcome), and no period is checked against the data's last record."
        )

    def drift_note(self) -> str | None:
        """Why drift is (or is not) measured, or None when nothing needs saying."""
        if self.n_trained == 0:
            return (
                "Drift not computed: this export holds none of the leads the scorer was "
                "trained on, and a flat-export scorer keeps no feature distribution of its "
                "own to compare with."
            )
        share = ratio(self.n_trained, self.n_training)
        return (
            f"Drift: the reference is the {self.n_trained:,} training leads in this export "
            f"({share:.0%} of the training leads), the current population the held-out leads."
        )


def flat_held_out(tables: CrmTables, training_ids: TrainingIds | None) -> HeldOut:
    """The held-out rows of ``tables`` for a flat-export scorer with the fingerprint of
    its training rows ``training_ids`` (:meth:`serving.scorer.LeadScorer.training_ids`).

    Raises:
        ValueError: The scorer stores no fingerprint of its training rows (registered
            before scorers kept one: retrain), or every lead of the export was used in
            training (pass an export with leads it was not trained on).
    """
    if training_ids is None:
        raise ValueError(
            "this flat-export scorer was registered before scorers stored which leads they "
            "were trained on, so compare cannot tell its held-out rows from the rows the "
            f"model learned from (it never evaluates those): {RETRAIN}"
        )
    ids = tables.contacts["contact_id"].astype("string")
    trained = training_ids.contains(ids)
    n_rows, n_trained = len(ids), int(trained.sum())
    if n_trained == n_rows:
        raise ValueError(
            f"every one of the {n_rows:,} leads in this export was used to fit or calibrate "
            "the scorer, so none is held out to evaluate it on: pass an export that holds "
            "leads it was not trained on (its training export, whose test rows are held "
            "out, or newer leads with their outcomes)"
        )
    labels = pd.DataFrame(
        {
            "eligible": ~trained,
            "y": flat_labels(tables).to_numpy(),
            "reference": trained,
        },
        index=pd.Index(ids.astype("object").to_numpy(), name="contact_id"),
    )
    return HeldOut(labels, n_rows, n_trained, training_ids.count)
