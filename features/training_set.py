"""Training sets from snapshot dates: features at ``as_of``, label "converted within H days".

At every snapshot ``as_of`` the eligible contacts are those created before it, not yet
converted at or before it (first positive outcome), not working for a customer account
at that time and not employees. Their label is 1 when their first positive outcome falls
in ``(as_of, as_of + H days]``. A snapshot whose label window is not complete by
``data_end`` is left out (its late converters would look like non-converters).

Models read :class:`TrainingSet` ``X`` (numeric and ``category`` columns only, a plain
``RangeIndex``) with ``y`` (0/1), ``snapshot`` and ``contact_id`` aligned row by row.
For a flat export without activity history see :mod:`features.flat`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from features.build import build_features
from features.crm import CrmTables
from features.customers import (
    customer_at,
    customer_since,
    employees_of,
    first_positive,
    times_of,
)
from features.events import utc_timestamp
from features.schema import POSITIVE_OUTCOMES
from features.spec import FeatureSpec

logger = logging.getLogger(__name__)

TRAIN_SNAPSHOTS = 6
"""Training snapshots when none are asked for (the training config's default too)."""
MAX_EVERY_DAYS = 30
"""Days between training snapshots when not given: the horizon, at most this."""


@dataclass(frozen=True)
class TrainingSet:
    """Rows of (contact, snapshot) with features and label.

    Attributes:
        X: Features, ``RangeIndex``; float and ``category`` columns only.
        y: 0/1 label (int64), aligned with ``X``.
        snapshot: The ``as_of`` of each row (UTC; NaT for flat tables).
        contact_id: The contact of each row.
        horizon_days: Label horizon H (None for flat tables).
        snapshot_counts: Per snapshot (``YYYY-MM-DD``): contacts, excluded as converted,
            at customers or employees, eligible, and positive labels.
    """

    X: pd.DataFrame
    y: pd.Series
    snapshot: pd.Series
    contact_id: pd.Series
    horizon_days: int | None = None
    snapshot_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.X)

    def subset(self, rows: np.ndarray) -> TrainingSet:
        """The rows selected by a boolean mask, re-indexed from 0."""

        def pick(obj: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
            return obj.loc[rows].reset_index(drop=True)

        return replace(
            self, X=pick(self.X), y=pick(self.y), snapshot=pick(self.snapshot),
            contact_id=pick(self.contact_id),
        )  # fmt: skip


DATA_END_COLUMNS = {
    "contacts": "created_at",
    "activities": "occurred_at",
    "outcomes": "converted_at",
}
"""The timestamp column per table whose latest value is where the data ends."""


def data_end_of(tables: CrmTables) -> pd.Timestamp:
    """The latest timestamp anywhere in the tables (:data:`DATA_END_COLUMNS`)."""
    stamps = []
    for table, column in DATA_END_COLUMNS.items():
        frame = tables.table(table)
        stamps.append(frame[column].max() if len(frame) else pd.NaT)
    known = [utc_timestamp(s) for s in stamps if not pd.isna(s)]
    if not known:
        raise ValueError("the tables hold no timestamps; pass data_end explicitly")
    return max(known)


def next_run_as_of(tables: CrmTables) -> pd.Timestamp:
    """Midnight UTC after the data's last timestamp: the first nightly run after an export
    (``leadscore demo`` and the quick-start notebook score and explain at it)."""
    return (data_end_of(tables) + pd.Timedelta(days=1)).normalize()


def at_customers(
    tables: CrmTables, contact_ids: pd.Index | pd.Series, as_of: pd.Timestamp
) -> np.ndarray:
    """Whether each contact works for an account that was a customer at ``as_of``
    (:func:`features.customers.customer_at` of its account; a contact without an account,
    or an id not in ``tables.contacts``, does not).

    The snapshot framing leaves these contacts out of every snapshot (they are upsell, not
    new leads), and a snapshot scorer rejects them by this same function
    (:func:`serving.eligibility.customer_rejects`). The ``first_touch`` framing keeps them.

    Args:
        tables: Canonical tables (any subset holding each account's contacts and their
            outcomes agrees, see :func:`features.customers.share_customer_since`).
        contact_ids: The contacts to judge, in the order wanted.
        as_of: The date the accounts are judged at (UTC).

    Returns:
        One bool per id of ``contact_ids``, in its order.
    """
    contacts = tables.contacts
    account = (
        contacts["account_id"]
        .astype("object")
        .set_axis(contacts["contact_id"].astype("object").to_numpy())
    )
    ids = pd.Index(np.asarray(contact_ids, dtype=object))
    return customer_at(account.reindex(ids), as_of, customer_since(tables))


def _eligible_and_label(
    tables: CrmTables, features: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int,
    converted: pd.Series,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:  # fmt: skip
    """Which contacts are eligible at ``as_of``, their label, and the exclusion counts.

    ``converted``: each contact's first positive outcome (:func:`first_positive`); contacts
    at customers: :func:`at_customers`.
    """
    ids = features.index.astype("object")
    first = pd.DatetimeIndex(times_of(ids, converted))
    is_employee = employees_of(tables.contacts, ids)
    already = np.asarray(first <= as_of)
    customer = at_customers(tables, ids, as_of)
    eligible = ~already & ~customer & ~is_employee
    label = np.asarray((first > as_of) & (first <= as_of + pd.Timedelta(days=horizon_days)))
    counts = {
        "contacts": len(ids),
        "converted": int(already.sum()),
        "at_customers": int((customer & ~already).sum()),
        "employees": int(is_employee.sum()),
        "eligible": int(eligible.sum()),
        "positive": int(label[eligible].sum()),
    }
    logger.info(
        "snapshot %s: %d contacts, excluded %d converted, %d at customers, %d employees",
        as_of.date(), len(ids), counts["converted"], counts["at_customers"], counts["employees"],
    )  # fmt: skip
    return eligible, label, counts


def concat_keeping_categories(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack snapshot frames; a category column stays a category over all its values.

    A column whose categories come from the data (``fit.passthrough_categorical``) has
    other categories at each snapshot, and ``pd.concat`` would turn it into objects.
    """
    columns = frames[0].columns
    # each frame's dtypes read once (a column lookup per frame and column costs more than
    # the stacking itself over hundreds of first-touch days); an astype below changes only
    # its own column, whose dtypes are not read again
    frame_dtypes = [f.dtypes for f in frames]
    for col in columns:
        dtypes = [d[col] for d in frame_dtypes]
        if all(isinstance(d, pd.CategoricalDtype) for d in dtypes) and len(set(dtypes)) > 1:
            values = sorted({c for d in dtypes for c in d.categories})
            union = pd.CategoricalDtype(values)
            frames = [f.assign(**{col: f[col].astype(union)}) for f in frames]
    return pd.concat(frames).reset_index(drop=True)


def build_training_set(
    tables: CrmTables,
    snapshots: list[pd.Timestamp],
    horizon_days: int,
    spec: FeatureSpec,
    *,
    data_end: pd.Timestamp | None = None,
    rule_scores: Callable[[pd.Timestamp], pd.Series] | None = None,
) -> TrainingSet:
    """Stack feature frames of several snapshots with the label "converted within H days".

    Args:
        tables: Validated canonical tables.
        snapshots: The ``as_of`` dates (naive = UTC), any order.
        horizon_days: H, the label window after ``as_of`` in days (``as_of + H`` is inside).
        spec: Feature spec.
        data_end: When the data stops; default the latest timestamp in the tables.
        rule_scores: The manual rule score per ``contact_id`` at a given ``as_of``; called
            once per usable snapshot. Required when ``spec.include_rule_score`` is true.

    Returns:
        The training set, rows ordered by snapshot then contact order.

    Raises:
        ValueError: ``horizon_days`` is not positive, no snapshot is usable, or the spec
            asks for the rule score and ``rule_scores`` is None.
    """
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be a positive number of days, got {horizon_days}")
    if spec.include_rule_score and rule_scores is None:
        raise ValueError(
            "the feature spec has include_rule_score: true, so training needs the rule "
            "scores: pass rule_scores= (leadscore train scores its --rulebook), or set "
            "include_rule_score: false"
        )
    end = utc_timestamp(data_end) if data_end is not None else data_end_of(tables)
    converted = first_positive(tables.outcomes, POSITIVE_OUTCOMES)
    horizon = pd.Timedelta(days=horizon_days)
    frames, labels, stamps, ids = [], [], [], []
    snapshot_counts: dict[str, dict[str, int]] = {}
    for as_of in sorted({utc_timestamp(s) for s in snapshots}):
        if as_of + horizon > end:
            logger.warning(
                "snapshot %s excluded: its %d-day label window ends after the data (%s)",
                as_of.isoformat(), horizon_days, end.isoformat(),
            )  # fmt: skip
            continue
        scores = rule_scores(as_of) if spec.include_rule_score and rule_scores else None
        features = build_features(tables, as_of, spec, rule_scores=scores)
        eligible, label, counts = _eligible_and_label(
            tables, features, as_of, horizon_days, converted
        )
        snapshot_counts[f"{as_of:%Y-%m-%d}"] = counts
        frames.append(features.loc[eligible])
        labels.append(label[eligible].astype("int64"))
        stamps.append(np.full(int(eligible.sum()), as_of.value, dtype=np.int64))
        ids.append(features.index[eligible].to_numpy())
    if not frames:
        raise ValueError(
            f"no usable snapshot: every as_of + {horizon_days} days is after the data end "
            f"{end.isoformat()}; choose earlier snapshots or a shorter horizon"
        )
    X = concat_keeping_categories(frames)
    return TrainingSet(
        X=X,
        y=pd.Series(np.concatenate(labels), name="converted"),
        snapshot=pd.Series(pd.to_datetime(np.concatenate(stamps), utc=True), name="snapshot"),
        contact_id=pd.Series(np.concatenate(ids), name="contact_id", dtype="string"),
        horizon_days=horizon_days,
        snapshot_counts=snapshot_counts,
    )


def time_split(
    training_set: TrainingSet, *, valid_snapshots: int = 1, test_snapshots: int = 1
) -> tuple[TrainingSet, TrainingSet, TrainingSet]:
    """Split by snapshot order: oldest snapshots -> train, then valid, newest -> test.

    Rows of one snapshot never straddle two parts. When a later part starts less than
    ``horizon_days`` after the previous part's last snapshot, the earlier labels overlap
    the later period; that is allowed but logged as a warning.

    Args:
        training_set: From :func:`build_training_set`.
        valid_snapshots: Number of snapshots in the validation part (may be 0).
        test_snapshots: Number of snapshots in the test part (at least 1).

    Returns:
        ``(train, valid, test)``.

    Raises:
        ValueError: Fewer than ``valid_snapshots + test_snapshots + 1`` snapshots.
    """
    dates = sorted(training_set.snapshot.dropna().unique())
    needed = valid_snapshots + test_snapshots + 1
    if test_snapshots < 1 or valid_snapshots < 0 or len(dates) < needed:
        raise ValueError(
            f"time_split needs at least {needed} distinct snapshots (train + "
            f"{valid_snapshots} valid + {test_snapshots} test, test >= 1), got {len(dates)}; "
            "add snapshots or lower valid_snapshots/test_snapshots"
        )
    first_valid, first_test = dates[-needed + 1], dates[-test_snapshots]
    stamp = training_set.snapshot
    parts = (stamp < first_valid, (stamp >= first_valid) & (stamp < first_test),
             stamp >= first_test)  # fmt: skip
    horizon = pd.Timedelta(days=training_set.horizon_days or 0)
    bounds = [(dates[-needed], first_valid), (dates[-test_snapshots - 1], first_test)]
    for last_before, start in bounds:
        if start - last_before < horizon:
            logger.warning(
                "time_split: snapshot %s starts %s after %s, less than the %s label horizon; "
                "labels of the earlier part overlap the later period",
                start.date(), start - last_before, last_before.date(), horizon,
            )  # fmt: skip
    train, valid, test = (training_set.subset(p.to_numpy()) for p in parts)
    return train, valid, test


def every_days_for(horizon_days: int, every_days: int | None = None) -> int:
    """Days between training snapshots: ``every_days``, else the horizon, at most
    :data:`MAX_EVERY_DAYS` (so a short horizon gets more, closer snapshots)."""
    return every_days or min(horizon_days, MAX_EVERY_DAYS)


def snapshot_dates(
    data_end: pd.Timestamp,
    horizon_days: int,
    *,
    train_snapshots: int = TRAIN_SNAPSHOTS,
    valid_snapshots: int = 1,
    test_snapshots: int = 1,
    every_days: int | None = None,
) -> tuple[list[pd.Timestamp], list[pd.Timestamp], list[pd.Timestamp]]:
    """Snapshot dates for train / valid / test with no label window crossing a boundary.

    The newest test snapshot is the newest one whose label window is complete
    (``data_end - H``), the others ``every_days`` apart before it; the newest validation
    snapshot lies H days before the oldest test snapshot, and the training snapshots end H
    days before the oldest validation one, ``every_days`` apart. So no label used for
    training or calibration reaches into the period the model is tested on, as in
    production where the newest outcomes are not known yet. The training plan
    (:func:`features.plan.make_plan`) and :func:`snapshot_schedule` both read it.

    Args:
        data_end: The last timestamp of the data (outcomes and activities).
        horizon_days: Label horizon H.
        train_snapshots: Number of training snapshots.
        valid_snapshots: Number of validation snapshots.
        test_snapshots: Number of test snapshots.
        every_days: Days between snapshots of a slice; None: :func:`every_days_for`.

    Returns:
        (training, validation, test snapshots), each oldest first, at midnight UTC.
    """
    counts = (train_snapshots, valid_snapshots, test_snapshots, horizon_days)
    if min(counts) < 1 or (every_days is not None and every_days < 1):
        raise ValueError(
            "train_snapshots, valid_snapshots, test_snapshots, every_days and horizon_days "
            "must be positive"
        )
    step = pd.Timedelta(days=every_days_for(horizon_days, every_days))
    end = utc_timestamp(data_end)
    horizon = pd.Timedelta(days=horizon_days)

    def before(newest: pd.Timestamp, n: int) -> list[pd.Timestamp]:
        return sorted(newest - step * i for i in range(n))

    test = before((end - horizon).normalize(), test_snapshots)
    valid = before(test[0] - horizon, valid_snapshots)
    train = before(valid[0] - horizon, train_snapshots)
    return train, valid, test


def snapshot_schedule(
    data_end: pd.Timestamp, horizon_days: int
) -> tuple[list[pd.Timestamp], pd.Timestamp, pd.Timestamp]:
    """The dates of :func:`snapshot_dates` with its defaults: :data:`TRAIN_SNAPSHOTS`
    training snapshots, one validation and one test snapshot.

    Args:
        data_end: The last timestamp of the data (outcomes and activities).
        horizon_days: Label horizon H.

    Returns:
        (training snapshots oldest first, validation snapshot, test snapshot), at midnight UTC.
    """
    train, valid, test = snapshot_dates(data_end, horizon_days)
    return train, valid[0], test[0]


def outcome_labels(
    tables: CrmTables, contact_ids: pd.Index, as_of: pd.Timestamp, horizon_days: int
) -> pd.DataFrame:
    """Eligibility and label of the given contacts at ``as_of``, as in training.

    Args:
        tables: Validated canonical tables.
        contact_ids: The contacts to label (e.g. the ones a scoring run scored).
        as_of: Snapshot time.
        horizon_days: Label horizon H.

    Returns:
        Indexed by ``contact_id``: ``eligible`` (not converted, not a customer, not an
        employee at ``as_of``) and ``y`` (converted within H days after ``as_of``).
    """
    ts = utc_timestamp(as_of)
    converted = first_positive(tables.outcomes, POSITIVE_OUTCOMES)
    index = pd.Index(contact_ids.astype("object"), name="contact_id")
    eligible, label, _ = _eligible_and_label(
        tables, pd.DataFrame(index=index), ts, horizon_days, converted
    )
    return pd.DataFrame({"eligible": eligible, "y": label.astype("int64")}, index=index)
