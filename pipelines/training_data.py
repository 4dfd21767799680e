"""Wiring for training: turn validated CRM tables into the three model slices.

Two shapes of data exist. A CRM with activity history gets the slices of its training
plan (:mod:`pipelines.plan_slices`, which uses the :class:`Slices`, :class:`RuleTotals`
and checks defined here); a flat export (one row per lead, no activities, e.g. X
Education) gets its own columns as features, split by creation time, or stratified at
random when every lead has the same one (:func:`flat_slices`).
Nothing here computes anything itself: it calls features/, rules/ and models/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.flat import flat_as_of, flat_labels, flat_rule_tables
from features.infer import InferSettings, TableTypes, infer_table_types
from features.schema import CONTACTS
from features.training_set import TrainingSet
from features.typed import typed_features
from models.config import TrainConfig
from models.leakage import LeakageReport, LeakageSettings, check_leakage
from models.splits import split_by_time, split_random_stratified
from models.tracking import RunContext
from models.train import TrainResult, train_and_register
from rules import Rulebook, score_rulebook
from serving.run_config import SliceSummary
from serving.scorer_training import manual_scores_of
from serving.training_ids import TrainingIds

# contact columns that are never features of a flat export: ids, personal data, times, and
# the CRM's lifecycle stage at export time (it already knows the outcome)
NOT_FEATURES = (
    "contact_id", "created_at", "email", "phone", "account_id", "lifecycle_stage",
    "original_source",
)  # fmt: skip
SEGMENT_COLUMNS = {
    "lead_source": "lead_source",
    "region": "region",
    "company_size_band": "company_size",
}


@dataclass(frozen=True)
class Slices:
    """Train / valid / test matrices after the leakage guard, plus what the run logs."""

    train: TrainingSet
    valid: TrainingSet
    test: TrainingSet
    leakage: LeakageReport
    kind: str  # "snapshots", "first_touch" or "flat"
    manual_score_test: np.ndarray | None
    segments_test: pd.DataFrame | None
    fingerprint: dict[str, Any] = field(default_factory=dict)
    flat_types: TableTypes | None = None  # a flat export's column types, reused to score
    manual_score_valid: np.ndarray | None = None  # the blend is fitted on it
    valid_created: pd.Series | None = None  # time-split flat: valid rows' creation

    @property
    def time_valid(self) -> pd.Series:
        """Each validation row's time, read by ``calibration_recency`` and the blend: its
        snapshot (``first_touch``: its ``as_of``), or the creation time of a flat export's
        row when the split is by creation time (NaT when split at random)."""
        return self.valid.snapshot if self.valid_created is None else self.valid_created

    def X(self, part: str) -> pd.DataFrame:
        ts: TrainingSet = getattr(self, part)
        return self.leakage.apply(ts.X)


def slice_summaries(slices: Slices) -> dict[str, SliceSummary]:
    """Dates, rows and positives of the train, valid and test slices (for the run config)."""
    out = {}
    for part in ("train", "valid", "test"):
        ts: TrainingSet = getattr(slices, part)
        stamps = ts.snapshot.dropna()
        dates = tuple(sorted({f"{d:%Y-%m-%d}" for d in stamps}))
        out[part] = SliceSummary(dates=dates, rows=len(ts.y), positives=int(ts.y.sum()))
    return out


def training_ids_of(slices: Slices) -> TrainingIds | None:
    """A flat export's fingerprint of the rows the model is fitted or calibrated on (train
    and valid: :class:`serving.training_ids.TrainingIds`), stored with the scorer beside
    its run configuration so that ``compare`` evaluates the others; None for the framings
    that hold out a period."""
    if slices.kind != "flat":
        return None
    return TrainingIds.of(pd.concat([slices.train.contact_id, slices.valid.contact_id]))


def flat_plan_text(slices: Slices, framing: str) -> str:
    """A flat run's training plan for the terminal, as :meth:`features.plan.TrainingPlan.
    describe` gives the dated framings': framing and why, rows and positives per slice,
    the split.

    Args:
        slices: The flat slices (:func:`flat_slices`).
        framing: The framing asked for (``auto`` or ``flat``), to say why flat runs.
    """
    why = (
        "framing auto -> flat: no activity history and one creation time for every contact"
        if framing == "auto"
        else "framing flat (asked for)"
    )
    split = str(slices.fingerprint.get("split", ""))
    seed = slices.fingerprint.get("seed")
    lines = ['training plan: flat, one row per lead, label "has a positive outcome"']
    for part in ("train", "valid", "test"):
        ts: TrainingSet = getattr(slices, part)
        lines.append(f"  {part:<5}  {len(ts.y):>8,} rows  {int(ts.y.sum()):>7,} positive")
    lines.append(f"  note: {why}")
    lines.append(f"  note: split {split}" + ("" if seed is None else f" (seed {seed})"))
    return "\n".join(lines)


def train_on_slices(
    slices: Slices,
    config: TrainConfig,
    *,
    k_frac: float,
    context: RunContext,
    tracking_uri: str | None,
    workdir: Path,
) -> TrainResult:
    """Train on ``train``, stop early on ``valid``, evaluate on ``test`` (with its manual
    score and segments, precision and recall at ``k_frac``: the leads sales can work,
    :func:`serving.scorer_training.sales_share_of`), log the run and gate promotion
    (:func:`models.train_and_register`)."""
    return train_and_register(
        slices.X("train"),
        slices.train.y,
        slices.X("valid"),
        slices.valid.y,
        slices.X("test"),
        slices.test.y,
        config=config,
        k_frac=k_frac,
        manual_score_test=slices.manual_score_test,
        segments_test=slices.segments_test,
        tracking_uri=tracking_uri,
        context=context,
        workdir=workdir,
        time_valid=slices.time_valid,
    )


def is_flat(tables: CrmTables, framing: str = "auto") -> bool:
    """Train on the contacts' own columns: ``framing`` is ``flat``, or (``auto``) the data
    has no activity history and one creation time for every contact."""
    if framing != "auto":
        return framing == "flat"
    return tables.activities.empty and tables.contacts["created_at"].nunique() <= 1


class RuleTotals:
    """The rulebook total per ``contact_id`` at an ``as_of``: the feature ``rule_score`` and
    the manual score of the valid and test slices, scored once per date.

    Only the dates in ``keep`` stay in memory (the valid and test snapshots, read again for
    the manual scores); the training snapshots are scored once and not kept.
    """

    def __init__(self, tables: CrmTables, rulebook: Rulebook, keep: tuple[pd.Timestamp, ...]):
        self.tables, self.rulebook = tables, rulebook
        self._keep = {pd.Timestamp(d) for d in keep}
        self._kept: dict[pd.Timestamp, pd.Series] = {}

    def __call__(self, as_of: pd.Timestamp) -> pd.Series:
        key = pd.Timestamp(as_of)
        if key in self._kept:
            return self._kept[key]
        totals = score_rulebook(self.tables, self.rulebook, key).scores
        out = totals.set_index("contact_id")["total"]
        if key in self._keep:
            self._kept[key] = out
        return out

    def of(self, as_of: pd.Timestamp, contact_ids: pd.Series) -> np.ndarray:
        """The totals of ``contact_ids`` at ``as_of`` (0 for contacts not scored)."""
        return manual_scores_of(self(as_of), contact_ids)


def require_both_classes(ts: TrainingSet, parts: dict[str, TrainingSet]) -> None:
    """Fail early, with the per-snapshot counts, when a slice has only one class."""
    empty = [name for name, part in parts.items() if part.y.nunique() < 2]
    if not empty:
        return
    lines = "; ".join(
        f"{day}: {c['contacts']} contacts, {c['converted']} converted before, "
        f"{c['at_customers']} at customer accounts, {c['eligible']} eligible, "
        f"{c['positive']} converting"
        for day, c in ts.snapshot_counts.items()
    )
    raise ValueError(
        f"the {' and '.join(empty)} slice(s) hold only one class, so no model can be trained "
        f"or evaluated. Per snapshot: {lines}. Contacts that converted before a snapshot or "
        "work at a customer account (one with a won deal) are not leads there; when most "
        "are excluded, try a longer --horizon-days, more or wider snapshots "
        "(--train-snapshots, --every-days), or check that the mapping's outcomes are right"
    )


def flat_slices(
    tables: CrmTables,
    *,
    rulebook: Rulebook | None,
    config: TrainConfig | None = None,
    keep_leaky: bool = False,
    infer: InferSettings | None = None,
    leakage: LeakageSettings | None = None,
) -> Slices:
    """A flat export: its own columns (types inferred with ``infer``) as features, one row
    per lead, after the leakage guard (thresholds ``leakage``).

    The label is "has a positive outcome"; the manual scores of the valid and test rows
    are the rulebook's at :func:`features.flat.flat_as_of` on
    :func:`features.flat.flat_rule_tables` (the outcomes removed, as scoring reads them). The
    split is by creation time when the contacts
    carry more than one (oldest train, newest test), stratified at random otherwise (with
    the training config's ``seed``); the shares are the training config's ``valid_share``
    and ``test_share``.
    """
    config = config or TrainConfig()
    seed = config.seed
    contacts = tables.contacts
    extras = [c for c in contacts.columns if c not in CONTACTS.names]
    if not extras:
        raise ValueError(
            "the data has no activity history and no extra columns to learn from: map the "
            "export's columns with keep_extra: true (see features/ingest/mappings/)"
        )
    y = flat_labels(tables)
    columns = [c for c in contacts.columns if c not in NOT_FEATURES]
    types = infer_table_types(contacts[columns], settings=infer)
    created = pd.to_datetime(contacts["created_at"], utc=True).reset_index(drop=True)
    ts = TrainingSet(
        X=typed_features(contacts[columns], types).reset_index(drop=True),
        y=pd.Series(y.to_numpy(), name="converted"),
        snapshot=pd.Series(pd.NaT, index=range(len(contacts)), dtype="datetime64[ns, UTC]"),
        contact_id=pd.Series(contacts["contact_id"].astype("string").to_numpy(), dtype="string"),
    )
    by_time = created.nunique() > 1
    if by_time:
        split = split_by_time(created, config.valid_share, config.test_share)
    else:
        split = split_random_stratified(
            ts.y.to_numpy(), config.valid_share, config.test_share, seed
        )
    # positions on the RangeIndex of a flat training set are its labels
    train, valid, test = (ts.subset(split.train), ts.subset(split.valid), ts.subset(split.test))
    guard = check_leakage(train.X, train.y, keep_suspects=keep_leaky, settings=leakage)
    as_of = flat_as_of(contacts)
    # the rules read the export without its outcomes (the label), as scoring and compare do
    rule_tables = flat_rule_tables(tables)
    totals = None if rulebook is None else RuleTotals(rule_tables, rulebook, (as_of,))
    parts = (1 - config.valid_share - config.test_share, config.valid_share, config.test_share)
    shares = "/".join(f"{round(100 * p)}" for p in parts)
    return Slices(
        train,
        valid,
        test,
        guard,
        "flat",
        None if totals is None else totals.of(as_of, test.contact_id),
        None,
        {"split": f"{'by creation time' if by_time else 'stratified random'} {shares}"}
        | ({} if by_time else {"seed": seed}),
        types,
        manual_score_valid=None if totals is None else totals.of(as_of, valid.contact_id),
        valid_created=created.iloc[split.valid].reset_index(drop=True) if by_time else None,
    )
