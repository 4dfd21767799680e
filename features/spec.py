"""The declarative feature spec: windows, activity groups and switches, validated once.

A team adds a feature by editing YAML, not code. "Whitepaper downloads in 14 days" is::

    whitepaper_downloads:
      match: {activity_type: content_download, asset_type: whitepaper}
      windows: [14]

under ``groups:``, which yields the column ``whitepaper_downloads_14d``. The spec is loaded
with :func:`load_feature_spec` into a frozen :class:`FeatureSpec`; every problem is
reported with its YAML path (``groups.pricing_views.match.page_category``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from features.measures import FREE_EMAIL_DOMAINS
from features.safe_yaml import invalid_settings, read_settings_file
from features.schema import ACCOUNTS, ACTIVITIES, CONTACTS, LEAD_SOURCES, SENIORITIES, Table

DEFAULT_SPEC_PATH = Path(__file__).with_name("spec_default.yaml")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VOCAB_FIELDS = ("activity_type", "page_category", "form_stage", "asset_type", "channel")
_OPEN_FIELDS = ("form_id", "campaign")


def _positive_days(windows: tuple[int, ...]) -> tuple[int, ...]:
    if any(w <= 0 for w in windows):
        raise ValueError(f"windows must be positive day counts, got {list(windows)}")
    return windows


Windows = Annotated[tuple[int, ...], AfterValidator(_positive_days)]
"""Window lengths in days, each positive."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActivityFilter(_Frozen):
    """Which activities belong to a group: every given field must match (AND); a list
    within one field means any of its values (OR). At least one field is given; without
    ``activity_type`` every type counts (``{channel: email}``: all e-mail activity).
    Values are checked against the closed vocabularies of :mod:`features.schema`."""

    activity_type: tuple[str, ...] | None = Field(default=None, min_length=1)
    page_category: tuple[str, ...] | None = None
    form_stage: tuple[str, ...] | None = None
    asset_type: tuple[str, ...] | None = None
    channel: tuple[str, ...] | None = None
    form_id: tuple[str, ...] | None = None
    campaign: tuple[str, ...] | None = None

    @field_validator(*_VOCAB_FIELDS, *_OPEN_FIELDS, mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        """Accept a scalar where a list is expected (``activity_type: page_view``)."""
        return (v,) if isinstance(v, str | int | float) else v

    @model_validator(mode="after")
    def _values_in_vocabulary(self) -> ActivityFilter:
        if not self.conditions():
            raise ValueError(
                f"give at least one of {', '.join((*_VOCAB_FIELDS, *_OPEN_FIELDS))}, "
                "e.g. {activity_type: page_view} or {channel: email}"
            )
        for name in _VOCAB_FIELDS:
            values = getattr(self, name)
            allowed = ACTIVITIES.column(name).allowed or ()
            unknown = [v for v in values or () if v not in allowed]
            if unknown:
                raise ValueError(f"{name}: unknown value(s) {unknown}; allowed: {list(allowed)}")
        return self

    def conditions(self) -> dict[str, tuple[str, ...]]:
        """The fields that are set, as ``{activities column: allowed values}``."""
        names = (*_VOCAB_FIELDS, *_OPEN_FIELDS)
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class ActivityGroup(_Frozen):
    """A named set of activities counted per window (``{name}_{w}d``).

    Attributes:
        windows: Count windows in days; None uses the spec's ``windows``; ``[]`` means the
            group only feeds recency, flags or trends.
        reason: Past-tense phrase for explanations ("visited the pricing page").
    """

    match: ActivityFilter
    windows: Windows | None = None
    reason: str | None = None


class Trend(_Frozen):
    """Daily rate of ``group`` in the last ``recent_days`` minus its daily rate in the
    ``baseline_days`` before them: ``{group}_trend_{recent}v{baseline}d``."""

    group: str
    recent_days: int = Field(default=7, gt=0)
    baseline_days: int = Field(default=30, gt=0)

    @property
    def name(self) -> str:
        return f"{self.group}_trend_{self.recent_days}v{self.baseline_days}d"


class Band(_Frozen):
    """A band ``label`` holding values up to ``max`` inclusive (None: no upper bound)."""

    label: str
    max: float | None = None


def _bool_columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.dtype == "bool")


class FitSpec(_Frozen):
    """Firmographic and demographic fit features taken from contacts and accounts.

    Attributes:
        size_bands: Head-count bands (``company_size_band``).
        revenue_bands: Annual revenue bands (``revenue_band``).
        free_email_domains: Web-mail domains (``email_domain_type`` free / corporate);
            default :data:`features.measures.FREE_EMAIL_DOMAINS`, the rules' list too.
        industries: Known industries; any other becomes "other".
        title_keywords: Seniority guessed from the job title when none is given.
        passthrough_numeric: Numeric contacts columns used as they are (e.g. ``budget``).
        passthrough_categorical: Contacts columns used as categories as they are, e.g. an
            extra column a mapping keeps (Olist's ``landing_page_id``); the model learns
            each value it saw in training, and an unseen value counts as missing.
        source_labels: First-touch source labels as the CRM exports them (matched without
            regard to case) mapped to the schema's lead sources; turns on the feature
            ``original_source``. Values already in the vocabulary need no entry; other
            labels read "other". None: no ``original_source`` feature.
        contact_flags: Boolean contacts columns used as 1.0/0.0 (e.g. ``is_partner``).
        account_flags: Boolean accounts columns used as ``account_{name}`` 1.0/0.0
            (e.g. ``is_competitor``); NaN for contacts without an account.
        presence: Contacts columns reduced to ``{name}_present`` (1.0 given, 0.0 blank);
            the value itself, e.g. a phone number, never becomes a feature.
    """

    size_bands: tuple[Band, ...] = Field(min_length=1)
    revenue_bands: tuple[Band, ...] = Field(min_length=1)
    free_email_domains: tuple[str, ...] = FREE_EMAIL_DOMAINS
    industries: tuple[str, ...] = ()
    title_keywords: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    passthrough_numeric: tuple[str, ...] = ()
    passthrough_categorical: tuple[str, ...] = ()
    source_labels: dict[str, str] | None = None
    contact_flags: tuple[str, ...] = ()
    account_flags: tuple[str, ...] = ()
    presence: tuple[str, ...] = ()

    @field_validator("source_labels")
    @classmethod
    def _known_sources(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        unknown = sorted({s for s in (v or {}).values() if s not in LEAD_SOURCES})
        if unknown:
            raise ValueError(f"unknown lead source(s) {unknown}; allowed: {list(LEAD_SOURCES)}")
        return v

    @field_validator("contact_flags", "account_flags", "presence")
    @classmethod
    def _known_columns(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        allowed = {
            "contact_flags": _bool_columns(CONTACTS),
            "account_flags": _bool_columns(ACCOUNTS),
            "presence": CONTACTS.names,
        }[str(info.field_name)]
        unknown = [name for name in v if name not in allowed]
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; allowed: {list(allowed)}")
        return v

    @field_validator("size_bands", "revenue_bands")
    @classmethod
    def _ascending(cls, bands: tuple[Band, ...]) -> tuple[Band, ...]:
        maxima = [b.max for b in bands[:-1]]
        if any(b is None for b in maxima) or bands[-1].max is not None:
            raise ValueError("only the last band may (and must) have no 'max'")
        bounds = [float(b) for b in maxima if b is not None]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError(f"band maxima must increase strictly, got {bounds}")
        return bands

    @field_validator("title_keywords")
    @classmethod
    def _known_seniority(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        unknown = sorted(set(v) - set(SENIORITIES))
        if unknown:
            raise ValueError(f"unknown seniority {unknown}; allowed: {list(SENIORITIES)}")
        return v


class FeatureSpec(_Frozen):
    """Everything :func:`features.build.build_features` needs to know.

    Attributes:
        windows: Default count windows in days (an activity exactly ``w`` days before
            ``as_of`` is inside the ``w``-day window).
        recency: Groups that get ``days_since_last_{group}``.
        flags: Feature name -> group: 1.0 when the group ever happened before ``as_of``.
        frequency_windows: Windows for ``active_days_{w}d`` (distinct days with activity).
        engagement_group: Group whose activities count as engagement for the frequency
            and account-level features.
        include_rule_score: Add the manual rule score as the feature ``rule_score``.
    """

    version: int = 1
    windows: Windows = Field(min_length=1)
    groups: dict[str, ActivityGroup] = Field(min_length=1)
    recency: tuple[str, ...] = ()
    flags: dict[str, str] = Field(default_factory=dict)
    trends: tuple[Trend, ...] = ()
    frequency_windows: Windows = ()
    engagement_group: str | None = None
    account_windows: Windows = ()
    fit: FitSpec
    include_rule_score: bool = False

    @model_validator(mode="after")
    def _references(self) -> FeatureSpec:
        bad = [n for n in (*self.groups, *self.flags) if not _NAME.match(n)]
        if bad:
            raise ValueError(f"names must match {_NAME.pattern}: {bad}")
        refs = [("recency", g) for g in self.recency]
        refs += [("flags", g) for g in self.flags.values()]
        refs += [("trends", t.group) for t in self.trends]
        refs += [("engagement_group", self.engagement_group)] if self.engagement_group else []
        if (self.frequency_windows or self.account_windows) and not self.engagement_group:
            raise ValueError("frequency_windows/account_windows need an engagement_group")
        for where, group in refs:
            if group not in self.groups:
                raise ValueError(f"{where}: unknown group {group!r}; defined: {list(self.groups)}")
        return self

    def group_windows(self, name: str) -> tuple[int, ...]:
        """The count windows of group ``name``."""
        windows = self.groups[name].windows
        return self.windows if windows is None else windows

    def fingerprint(self) -> str:
        """A short stable hash of the spec's content (changes when any setting does)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_spec(source: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """The raw mapping of a spec file, with ``extends:`` resolved.

    ``extends: default`` (the packaged spec) or ``extends: <path>`` (relative to this
    file) starts from that spec: mappings are merged key by key, any other value (a list,
    a number) replaces the base's. So a team's spec holds only what it changes.
    """
    if source.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, source.resolve()))
        raise ValueError(f"{source}: extends itself ({chain}); remove the loop")
    raw = read_settings_file(source, "feature spec")
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise ValueError(f"{source}: extends must be 'default' or a spec file path")
    base = DEFAULT_SPEC_PATH if base_name == "default" else source.parent / base_name
    return merged_mappings(_read_spec(base, (*seen, source.resolve())), raw)


def merged_mappings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged_mappings(out[key], value)
        else:
            out[key] = value
    return out


def load_feature_spec(path: str | Path | None = None) -> FeatureSpec:
    """Load and validate a feature spec.

    Args:
        path: YAML file; None loads the packaged default (``features/spec_default.yaml``).

    Raises:
        ValueError: The file is not a YAML mapping or breaks the spec; the message lists
            every problem with its YAML path.
    """
    source = Path(path) if path is not None else DEFAULT_SPEC_PATH
    raw = _read_spec(source, ())
    try:
        return FeatureSpec.model_validate(raw)
    except ValidationError as exc:
        raise invalid_settings(source, "feature spec", exc) from None
