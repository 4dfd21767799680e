"""Activities while they are generated: parallel numpy arrays of small integer codes.

An :class:`Events` batch holds one entry per activity: the contact's row number, the
time in integer seconds since the Unix epoch, the activity type's index in
``schema.ACTIVITY_TYPES`` and one code per detail field (-1 where the field is empty).
Codes index the :class:`Catalog`, which also lists the e-mail sends of the time window.
Only :mod:`features.synthetic.assemble` turns codes into strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.schema import ACTIVITY_TYPES, FORM_STAGES, PAGE_CATEGORIES
from features.synthetic import content
from features.synthetic.sampling import ParallelArrays

DAY = 86_400
KIND = {name: i for i, name in enumerate(ACTIVITY_TYPES)}
PAGE_CATEGORY_OF = np.array([cat for _, cat in content.PAGES])
PAGE_CATEGORY_CODE = np.array([PAGE_CATEGORIES.index(c) for c in PAGE_CATEGORY_OF], np.int8)
FORM_STAGE_OF = np.array([stage for _, stage in content.FORMS])
FORM_STAGE_CODE = np.array([FORM_STAGES.index(s) for s in FORM_STAGE_OF], np.int8)

# detail field -> numpy dtype of its code
DETAIL_FIELDS: dict[str, type] = {
    "page": np.int16,
    "form": np.int8,
    "asset": np.int8,
    "email": np.int32,
    "campaign": np.int32,
    "listn": np.int8,
    "stage": np.int8,
    "feedback": np.int8,
}


@dataclass(frozen=True)
class Events(ParallelArrays):
    """A batch of activities as parallel arrays (see module docstring)."""

    contact: np.ndarray
    t: np.ndarray
    kind: np.ndarray
    details: dict[str, np.ndarray]

    def take(self, index: np.ndarray) -> Events:
        """The events at ``index`` (positions or a boolean mask)."""
        return Events(
            self.contact[index],
            self.t[index],
            self.kind[index],
            {k: v[index] for k, v in self.details.items()},
        )


def make_events(
    contact: np.ndarray, t: np.ndarray, kind: np.ndarray | int, **details: np.ndarray | int
) -> Events:
    """Build a batch; scalars are broadcast and missing detail fields are set to -1."""
    n = len(contact)
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise ValueError(f"unknown activity detail fields {sorted(unknown)}")
    full: dict[str, np.ndarray] = {
        name: np.broadcast_to(np.asarray(details.get(name, -1), dtype=dtype), (n,)).copy()
        for name, dtype in DETAIL_FIELDS.items()
    }
    kinds = np.broadcast_to(np.asarray(kind, dtype=np.int8), (n,)).copy()
    return Events(contact.astype(np.int32), t.astype(np.int64), kinds, full)


def concat_events(parts: list[Events]) -> Events:
    """All batches in ``parts`` one after the other."""
    return Events(
        np.concatenate([p.contact for p in parts]),
        np.concatenate([p.t for p in parts]),
        np.concatenate([p.kind for p in parts]),
        {k: np.concatenate([p.details[k] for p in parts]) for k in DETAIL_FIELDS},
    )


@dataclass(frozen=True)
class Catalog:
    """Names behind the codes: campaigns and e-mail sends of the time window.

    Attributes:
        campaigns: Campaign names; ad, webinar and content campaigns first, then one
            per e-mail send.
        email_ids: One id per e-mail send.
        email_sent_at: Send time of each e-mail (seconds since the epoch), ascending.
        email_campaign: Index into ``campaigns`` of each e-mail send.
    """

    campaigns: tuple[str, ...]
    email_ids: tuple[str, ...]
    email_sent_at: np.ndarray
    email_campaign: np.ndarray

    @property
    def ad_offset(self) -> int:
        return 0

    @property
    def webinar_offset(self) -> int:
        return len(content.AD_CAMPAIGNS)

    @property
    def content_offset(self) -> int:
        return self.webinar_offset + len(content.WEBINAR_CAMPAIGNS)


def build_catalog(start: int, end: int) -> Catalog:
    """Campaigns and a weekly e-mail calendar (two sends a week) between start and end.

    Args:
        start: First second of the window (seconds since the epoch).
        end: End of the window (exclusive).

    Returns:
        The catalog; deterministic given the window.
    """
    fixed = (
        list(content.AD_CAMPAIGNS)
        + list(content.WEBINAR_CAMPAIGNS)
        + [name for name, _ in content.CONTENT_CAMPAIGNS]
    )
    # Tuesdays and Thursdays at 14:00 UTC, as many B2B newsletters go out.
    first_day = start - start % DAY
    days = np.arange(first_day, end, DAY, dtype=np.int64)
    weekday = ((days // DAY) + 3) % 7  # 1970-01-01 was a Thursday (weekday 3, Monday=0)
    sent = days[(weekday == 1) | (weekday == 3)] + 14 * 3600
    sent = sent[(sent >= start) & (sent < end)]
    programs = content.EMAIL_PROGRAMS
    dates = np.datetime_as_string(sent.astype("datetime64[s]"), unit="D")
    names = [f"{programs[i % len(programs)]} {d}" for i, d in enumerate(dates)]
    email_ids = tuple(f"em_{d.replace('-', '')}_{i % len(programs)}" for i, d in enumerate(dates))
    return Catalog(
        campaigns=tuple(fixed + names),
        email_ids=email_ids,
        email_sent_at=sent,
        email_campaign=np.arange(len(fixed), len(fixed) + len(sent), dtype=np.int32),
    )
