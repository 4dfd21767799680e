"""The training plan: framing, horizon and slice dates chosen from the data, before training.

:func:`make_plan` measures the data (span, activity density, creation -> conversion
times), then chooses:

* **framing** (``auto``): ``first_touch`` when fewer than half of the contacts have any
  activity (:data:`MIN_ACTIVE_SHARE`): without engagement history there is nothing to
  follow from snapshot to snapshot, and the question is "will this new lead convert";
  otherwise ``snapshots``. When no horizon gives usable snapshots, ``first_touch`` is
  tried and the switch is noted.
* **horizon** (when not given): the longest of :data:`HORIZONS` whose train, valid and
  test slices all hold both classes.
* **dates**: ``snapshots``: the test snapshots end H days before the data does, the valid
  ones H days earlier, training snapshots H days before those, ``every_days`` apart (when
  not given: the horizon, at most 30 days, :func:`features.training_set.every_days_for`);
  training snapshots holding no lead (before the first contact) are dropped and noted.
  ``first_touch``: contacts ordered by their ``as_of``, the earliest
  ``1 - valid_share - test_share`` train, then valid, the latest test (whole days never
  straddle two slices).

A plan whose slices cannot work (no rows, or one class) raises :class:`PlanError` naming
the data's span and the settings that would fit. Every number is computed from labels
and eligibility only (no features), so a plan costs seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.first_touch import first_touch_labels, latest_share_start
from features.reasons import day_text
from features.schema import POSITIVE_OUTCOMES
from features.training_set import (
    data_end_of,
    every_days_for,
    first_positive,
    outcome_labels,
    snapshot_dates,
)

HORIZONS: tuple[int, ...] = (90, 60, 30, 14, 7)
"""Horizons (days) tried, longest first, when none is given."""
MIN_ACTIVE_SHARE = 0.5
"""``auto`` picks ``first_touch`` when fewer contacts than this share have any activity."""
FRAMINGS = ("snapshots", "first_touch")


class PlanError(ValueError):
    """The data cannot support the requested plan; the message says what would."""


@dataclass(frozen=True)
class PlanRequest:
    """What the user asked for (``None``: the plan chooses).

    Attributes:
        framing: ``auto``, ``snapshots`` or ``first_touch``.
        horizon_days: Label horizon H; None tries :data:`HORIZONS`.
        every_days: Days between snapshots; None: :func:`features.training_set.every_days_for`.
        delay_days: ``first_touch``: features at the creation day's midnight + this.
        valid_share: ``first_touch``: share of the rows (by time) for validation.
        test_share: ``first_touch``: share of the rows (the latest) for the test.
        min_valid_per_class: Rows of each class the validation slice needs (early
            stopping and calibration are fitted on it).
    """

    framing: str
    horizon_days: int | None
    train_snapshots: int
    every_days: int | None
    valid_snapshots: int
    test_snapshots: int
    delay_days: int
    valid_share: float
    test_share: float
    min_valid_per_class: int


@dataclass(frozen=True)
class DataProfile:
    """What the data looks like in time.

    Attributes:
        data_end: The latest timestamp anywhere in the tables.
        span_days: Days from ``first_created`` to ``data_end``.
        active_share: Share of contacts with at least one activity.
        conversion_days: Quantiles (``p50``, ``p75``, ``p90``) of the days from creation
            to the first positive outcome (empty without converters).
    """

    first_created: pd.Timestamp
    last_created: pd.Timestamp
    data_end: pd.Timestamp
    span_days: float
    contacts: int
    active_share: float
    activities_per_contact: float
    converters: int
    conversion_days: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_created": self.first_created.isoformat(),
            "last_created": self.last_created.isoformat(),
            "data_end": self.data_end.isoformat(),
            "span_days": round(self.span_days, 1),
            "contacts": self.contacts,
            "active_share": round(self.active_share, 4),
            "activities_per_contact": round(self.activities_per_contact, 2),
            "converters": self.converters,
            "conversion_days": self.conversion_days,
        }

    def span_text(self) -> str:
        return (
            f"the data spans {self.span_days:.0f} days (contacts created "
            f"{day_text(self.first_created)} to {day_text(self.last_created)}, last event "
            f"{day_text(self.data_end)})"
        )


@dataclass(frozen=True)
class PlanSlice:
    """One slice of the plan: its dates (snapshots, or first and last ``as_of``)."""

    dates: tuple[pd.Timestamp, ...]
    rows: int
    positives: int

    def usable(self, min_per_class: int = 1) -> bool:
        """Both classes, at least ``min_per_class`` rows of each."""
        return min(self.positives, self.rows - self.positives) >= min_per_class

    def to_dict(self) -> dict[str, Any]:
        return {
            "dates": [f"{d:%Y-%m-%d}" for d in self.dates],
            "rows": self.rows,
            "positives": self.positives,
        }


@dataclass(frozen=True)
class TrainingPlan:
    """The chosen framing, horizon and slices, with why.

    Attributes:
        slices: ``train``, ``valid``, ``test``.
        notes: Why each choice was made, and anything left out.
        first_touch: ``first_touch`` only: per contact ``as_of``, ``eligible``, ``y``,
            ``reason`` and ``slice`` (train/valid/test, empty when not eligible).
    """

    framing: str
    horizon_days: int
    every_days: int | None
    delay_days: int | None
    profile: DataProfile
    slices: dict[str, PlanSlice]
    notes: tuple[str, ...] = ()
    first_touch: pd.DataFrame | None = field(default=None, repr=False)

    def with_notes(self, notes: list[str]) -> TrainingPlan:
        """The same plan with ``notes`` added (e.g. the feature columns the data offers)."""
        return replace(self, notes=(*self.notes, *notes))

    def snapshot_dates(self, part: str) -> list[pd.Timestamp]:
        """The snapshot dates of a slice (``snapshots`` framing)."""
        return list(self.slices[part].dates)

    def to_dict(self) -> dict[str, Any]:
        """What ``plan.json`` holds."""
        return {
            "framing": self.framing,
            "horizon_days": self.horizon_days,
            "every_days": self.every_days,
            "delay_days": self.delay_days,
            "profile": self.profile.to_dict(),
            "slices": {k: v.to_dict() for k, v in self.slices.items()},
            "notes": list(self.notes),
        }

    def describe(self) -> str:
        """The plan as a few lines for the terminal."""
        p = self.profile
        conv = p.conversion_days
        lines = [
            f"training plan: {self.framing}, horizon {self.horizon_days} days"
            + (f", snapshots every {self.every_days} days" if self.framing == "snapshots" else "")
            + (
                f", features {self.delay_days} day(s) after first contact"
                if self.framing == "first_touch"
                else ""
            ),  # fmt: skip
            f"  data: {p.contacts:,} contacts; {p.span_text()}; {p.active_share:.0%} with "
            f"activity ({p.activities_per_contact:.1f} per contact); {p.converters:,} converted"
            + (
                f", creation to conversion p50 {conv['p50']:.0f} / p75 {conv['p75']:.0f} / "
                f"p90 {conv['p90']:.0f} days"
                if conv
                else ""
            ),  # fmt: skip
        ]
        for name, part in self.slices.items():
            dates = [f"{d:%Y-%m-%d}" for d in part.dates]
            shown = (
                ", ".join(dates)
                if self.framing == "snapshots"
                else f"as_of {dates[0]} .. {dates[-1]}"
                if dates
                else "-"
            )
            lines.append(
                f"  {name:<5}  {part.rows:>8,} rows  {part.positives:>7,} positive  {shown}"
            )
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def profile_data(tables: CrmTables) -> DataProfile:
    """Measure span, activity density and creation -> conversion times."""
    contacts = tables.contacts
    created = pd.to_datetime(contacts["created_at"], utc=True)
    end = data_end_of(tables)
    n = len(contacts)
    acts = tables.activities
    active = acts["contact_id"].nunique() if len(acts) else 0
    first = first_positive(tables.outcomes, POSITIVE_OUTCOMES)
    own = pd.Series(created.to_numpy(), index=contacts["contact_id"].astype("object"))
    days = (first - own.reindex(first.index)).dt.total_seconds().dropna() / 86400.0
    conversion = {f"p{q}": float(np.percentile(days, q)) for q in (50, 75, 90)} if len(days) else {}
    return DataProfile(
        first_created=created.min(),
        last_created=created.max(),
        data_end=end,
        span_days=(end - created.min()).total_seconds() / 86400.0,
        contacts=n,
        active_share=active / n if n else 0.0,
        activities_per_contact=len(acts) / n if n else 0.0,
        converters=len(first),
        conversion_days=conversion,
    )


def _snapshot_slice(tables: CrmTables, dates: list[pd.Timestamp], horizon: int) -> PlanSlice:
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    rows = positives = 0
    kept = []
    for as_of in dates:
        known = tables.contacts.loc[(created < as_of).to_numpy(), "contact_id"]
        if known.empty:
            continue
        labels = outcome_labels(tables, pd.Index(known), as_of, horizon)
        eligible = labels["eligible"].to_numpy()
        if eligible.any():
            kept.append(as_of)
            rows += int(eligible.sum())
            positives += int(labels["y"].to_numpy()[eligible].sum())
    return PlanSlice(tuple(kept), rows, positives)


def _snapshots_plan(
    tables: CrmTables, request: PlanRequest, profile: DataProfile, horizon: int
) -> tuple[dict[str, PlanSlice], list[str], int]:
    every = every_days_for(horizon, request.every_days)
    trains, valids, tests = snapshot_dates(
        profile.data_end,
        horizon,
        train_snapshots=request.train_snapshots,
        valid_snapshots=request.valid_snapshots,
        test_snapshots=request.test_snapshots,
        every_days=every,
    )
    parts = {"train": trains, "valid": valids, "test": tests}
    slices = {name: _snapshot_slice(tables, dates, horizon) for name, dates in parts.items()}
    notes = []
    dropped = len(trains) - len(slices["train"].dates)
    if dropped and slices["train"].dates:
        notes.append(
            f"{dropped} of {len(trains)} training snapshots dropped: they hold no lead "
            f"(before the first contact, {day_text(profile.first_created)}, or all converted)"
        )
    return slices, notes, every


def _first_touch_plan(
    tables: CrmTables, request: PlanRequest, profile: DataProfile, horizon: int
) -> tuple[dict[str, PlanSlice], list[str], pd.DataFrame]:
    labels = first_touch_labels(
        tables, horizon, request.delay_days, profile.data_end, POSITIVE_OUTCOMES
    )
    eligible = labels.loc[labels["eligible"]]
    days = pd.to_datetime(eligible["as_of"], utc=True)
    part = pd.Series("", index=labels.index, dtype="object")
    slices: dict[str, PlanSlice] = {}
    if len(eligible):
        valid_from = latest_share_start(days, request.valid_share + request.test_share)
        test_from = latest_share_start(days, request.test_share)
        stamp = days.to_numpy()
        which = np.where(
            stamp >= test_from, "test", np.where(stamp >= valid_from, "valid", "train")
        )
        part.loc[eligible.index] = which
    labels = labels.assign(slice=part.to_numpy())
    for name in ("train", "valid", "test"):
        rows = labels.loc[labels["slice"] == name]
        stamps = pd.to_datetime(rows["as_of"], utc=True)
        dates = (stamps.min(), stamps.max()) if len(rows) else ()
        slices[name] = PlanSlice(tuple(dates), len(rows), int(rows["y"].sum()))
    reasons = labels.loc[~labels["eligible"], "reason"].value_counts()
    notes = [f"{count:,} contacts left out: {reason}" for reason, count in reasons.items() if count]
    return slices, notes, labels


def _try(
    tables: CrmTables, request: PlanRequest, profile: DataProfile, framing: str, horizon: int
) -> TrainingPlan:
    if framing == "snapshots":
        slices, notes, every = _snapshots_plan(tables, request, profile, horizon)
        return TrainingPlan(framing, horizon, every, None, profile, slices, tuple(notes))
    slices, notes, labels = _first_touch_plan(tables, request, profile, horizon)
    return TrainingPlan(
        framing, horizon, None, request.delay_days, profile, slices, tuple(notes), labels
    )


def _minimum(part: str, request: PlanRequest) -> int:
    return request.min_valid_per_class if part == "valid" else 1


def _usable(plan: TrainingPlan, request: PlanRequest) -> bool:
    return all(plan.slices[p].usable(_minimum(p, request)) for p in ("train", "valid", "test"))


def _why_not(plan: TrainingPlan, request: PlanRequest) -> str:
    bad = [
        f"{name} {part.rows:,} rows / {part.positives:,} positive"
        for name, part in plan.slices.items()
        if not part.usable(_minimum(name, request))
    ]
    return "; ".join(bad)


def make_plan(tables: CrmTables, request: PlanRequest) -> TrainingPlan:
    """Choose framing, horizon and slices for ``tables`` (see the module docstring).

    Raises:
        PlanError: No slice plan with both classes in train, valid and test exists for the
            request; the message names the data's span and the settings that would fit.
    """
    if request.framing not in ("auto", *FRAMINGS):
        raise PlanError(f"framing must be auto, snapshots or first_touch, not {request.framing!r}")
    profile = profile_data(tables)
    if profile.contacts == 0:
        raise PlanError("the data holds no contacts: nothing to train on")
    notes: list[str] = []
    if request.framing == "auto":
        framing = "first_touch" if profile.active_share < MIN_ACTIVE_SHARE else "snapshots"
        notes.append(
            f"framing auto -> {framing}: {profile.active_share:.0%} of contacts have activity "
            f"history ({'under' if framing == 'first_touch' else 'at least'} "
            f"{MIN_ACTIVE_SHARE:.0%})"
        )
    else:
        framing = request.framing
    horizons = (request.horizon_days,) if request.horizon_days else HORIZONS
    framings = [framing]
    if request.framing == "auto" and framing == "snapshots":
        framings.append("first_touch")
    tried: list[TrainingPlan] = []
    for candidate in framings:
        for horizon in horizons:
            plan = _try(tables, request, profile, candidate, horizon)
            tried.append(plan)
            if _usable(plan, request):
                if candidate != framing:
                    notes.append(
                        "no horizon gives usable snapshots on this data, so first_touch is used"
                    )
                if request.horizon_days is None:
                    notes.append(
                        f"horizon {horizon} days: the longest of "
                        f"{'/'.join(map(str, HORIZONS))} whose slices all hold both classes"
                    )
                conv = profile.conversion_days
                if conv and conv["p75"] > horizon:
                    notes.append(
                        f"a quarter of the conversions take longer than {conv['p75']:.0f} "
                        f"days, beyond the {horizon}-day horizon: they count as negatives"
                    )
                return replace(plan, notes=(*notes, *plan.notes))
    raise PlanError(_refusal(tables, request, profile, tried))


def _refusal(
    tables: CrmTables, request: PlanRequest, profile: DataProfile, tried: list[TrainingPlan]
) -> str:
    failed = "; ".join(
        f"{p.framing} with horizon {p.horizon_days} days: {_why_not(p, request)}" for p in tried
    )
    fits = []
    for framing in FRAMINGS:
        for horizon in HORIZONS:
            if any(p.framing == framing and p.horizon_days == horizon for p in tried):
                continue
            if _usable(_try(tables, request, profile, framing, horizon), request):
                fits.append(f"--framing {framing} --horizon-days {horizon}")
                break
    hint = (
        f"settings that fit: {' or '.join(fits)}"
        if fits
        else "no framing and horizon fits this data: check that the outcomes are mapped "
        "(both converting and non-converting contacts are needed) or export a longer history"
    )
    return (
        f"no usable training plan: {profile.span_text()}, {profile.contacts:,} contacts, "
        f"{profile.converters:,} converted. Every slice needs rows of both classes (the "
        f"valid one {request.min_valid_per_class} of each), and "
        f"{failed}. {hint}"
    )
