"""The typed shape of a rulebook (pydantic, frozen): what a YAML rulebook may say.

Structure only lives here (keys, types, ranges); checks that need the vocabulary
(unknown variable, operator for the type, overlapping bands, unknown scale, regex guard)
live in :mod:`rules.validation`. Every model forbids unknown keys so a typo is reported
instead of ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from features.schema import LIFECYCLE_STAGES

Scalar = str | int | float | bool
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=80)]
STAGE_ORDER: tuple[str, ...] = LIFECYCLE_STAGES[: LIFECYCLE_STAGES.index("sql") + 1]
"""The stages a rulebook assigns, in funnel order: the schema's lifecycle vocabulary up to
``sql`` (subscriber, lead, mql, sql); later stages come from the CRM, not from points."""
GradeStage = Literal["lead", "mql", "sql"]


class Strict(BaseModel):
    """Base: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Measure(Strict):
    """A per-contact value: a variable, or an aggregation of the contact's activities.

    Exactly one of ``var`` and ``activity``. ``activity`` maps activity fields to a value
    (equals), a list (in) or ``{op, value}``; ``within_days`` keeps activities younger than
    that many days at ``as_of``.
    """

    var: str | None = None
    activity: dict[str, Scalar | list[Scalar] | dict[str, Any]] | None = None
    agg: Literal["count", "days_since_last", "days_since_first"] = "count"
    within_days: float | None = Field(default=None, gt=0)


class Leaf(Measure):
    """A test on a measure: ``{var: seniority, op: in, value: [vp, c_level]}``."""

    op: str
    value: Any = None


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
    if isinstance(value, BaseModel):
        kinds: dict[type[BaseModel], str] = {AllOf: "all", AnyOf: "any", NotOf: "not"}
        return kinds.get(type(value), "leaf")
    return "leaf"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(_condition_kind),
]


class Band(Strict):
    """One exclusive range of a band rule; ``min``/``max`` inclusive, missing = open."""

    min: float | None = None
    max: float | None = None
    points: float


class Bands(Strict):
    """Non-cumulative bands: a contact gets the points of the one band its value is in."""

    of: Measure
    ranges: list[Band] = Field(min_length=1)


class Limit(Strict):
    """At most ``max_times`` matching activities score per contact and period."""

    per: Literal["day", "week", "month", "ever"] = "day"
    max_times: int = Field(ge=1)


class Decay(Strict):
    """How a per-activity rule's points fade with the activity's age at ``as_of``.

    * ``half_life``: factor ``0.5 ** (age / days)``.
    * ``percent``: loses ``percent`` % of what is left every full ``days`` period.
    * ``expiry``: full points while younger than ``days``, then nothing.

    ``floor`` is the smallest fraction of the points an activity keeps (0..1).
    """

    kind: Literal["half_life", "percent", "expiry"]
    days: float = Field(gt=0)
    percent: float | None = Field(default=None, gt=0, le=100)
    floor: float = Field(default=0.0, ge=0, le=1)


class Steps(Strict):
    """Linear points by steps of a measure: ``points`` for every full ``every`` units of it,
    e.g. -4 points for every 7 days without activity; at most ``max_steps`` steps."""

    of: Measure
    every: float = Field(gt=0)
    max_steps: int | None = Field(default=None, ge=1)


class Rule(Strict):
    """One scoring rule. Its kind follows from its keys:

    * criterion: ``when`` + ``points`` (points once when the condition holds);
    * bands: ``bands`` (points of the one band the measure falls in), optional ``when``;
    * per activity: ``each`` (an activity filter) + ``points`` for every matching
      activity, optional ``within_days``, ``limit``, ``decay`` and ``when``;
    * steps: ``steps`` + ``points`` (points for every full step of a measure: linear decay
      such as "minus 4 points for every 7 days without activity"), optional ``when``.
    """

    name: Name
    description: str = ""
    category: Name
    scales: list[Name] | None = None
    points: float | None = None
    when: Condition | None = None
    bands: Bands | None = None
    steps: Steps | None = None
    each: dict[str, Scalar | list[Scalar] | dict[str, Any]] | None = None
    within_days: float | None = Field(default=None, gt=0)
    limit: Limit | None = None
    decay: Decay | None = None

    @property
    def kind(self) -> str:
        """``bands``, ``steps``, ``each`` or ``criterion``."""
        if self.bands is not None:
            return "bands"
        if self.steps is not None:
            return "steps"
        if self.each is not None:
            return "each"
        return "criterion"


class Cap(Strict):
    """Bounds on a sum of points (a category's, or a scale's total).

    For a category, ``combine: max`` makes it non-additive: only its best contribution per
    contact counts (Marketo's "best matched asset"), or, with ``weights``, the best times
    ``weights[0]``, the second best times ``weights[1]`` ... (a weighted max); the others
    count 0. Bounds apply after combining.
    """

    max: float | None = None
    min: float | None = None
    combine: Literal["sum", "max"] = "sum"
    weights: list[float] | None = Field(default=None, min_length=1)


class Gate(Strict):
    """Hold a scale's total at or below ``max`` until ``unless`` holds."""

    name: Name = "gate"
    max: float
    unless: Condition


class Scale(Strict):
    """A named score computed side by side with the others in one pass."""

    name: Name
    description: str = ""
    caps: dict[str, Cap] = Field(default_factory=dict)
    total: Cap | None = None
    gate: Gate | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)


class ChangelogEntry(Strict):
    version: str
    date: dt.date
    changes: str | list[str]


class GradeBand(Strict):
    label: str = Field(min_length=1, max_length=8)
    min: float | None = None


class Grade(Strict):
    """Fit x engagement matrix: grade = fit label + engagement label (e.g. ``A1``).

    Bands are listed from best to worst with descending ``min``; the last has no ``min``.
    """

    fit: list[GradeBand] = Field(min_length=1)
    engagement: list[GradeBand] = Field(min_length=1)


class Exclusion(Strict):
    """Contacts matching ``when`` never enter the MQL/SQL stages; ``reason`` is reported."""

    reason: Name
    when: Condition


class Hold(Strict):
    """Contacts stay at most at ``stage`` until ``until`` holds (e.g. subscriber until the
    e-mail is confirmed); ``reason`` names the hold in docs and reports."""

    reason: Name = "hold"
    stage: Literal["subscriber", "lead", "mql"] = "subscriber"
    until: Condition


class Stages(Strict):
    """Lifecycle stages on the primary scale: cut-offs on the total, or the grade grid.

    Either all three cut-offs (``lead``, ``mql``, ``sql``: subscriber below ``lead``) or
    ``by_grade`` (stage -> grades, e.g. ``mql: [A1, A2, B1]``; other grades are
    subscribers), which needs ``grade``.
    """

    lead: float | None = None
    mql: float | None = None
    sql: float | None = None
    by_grade: dict[GradeStage, list[str]] | None = None
    holds: list[Hold] = Field(default_factory=list)
    exclusions: list[Exclusion] = Field(default_factory=list)
    never_backwards: bool = True


class RecycleAction(Strict):
    """What sales feedback does to a contact's score and stage.

    * ``forget_activity``: activities before the feedback stop counting.
    * ``reset``: the score becomes ``to`` plus points from activities after the feedback.
    * ``subtract``: ``points`` are taken off once.

    The stage is set to ``stage`` (any stage before sql) and stays there until ``until``
    holds, or, without ``until``, until the contact acts again after the feedback; from
    then on the score decides, never below ``stage``.
    """

    mode: Literal["forget_activity", "reset", "subtract"] = "forget_activity"
    to: float = 0.0
    points: float = 0.0
    stage: Literal["subscriber", "lead", "mql"] = "lead"
    until: Condition | None = None


class Recycle(Strict):
    not_ready: RecycleAction = RecycleAction(mode="forget_activity", stage="lead")
    unqualified: RecycleAction = RecycleAction(mode="reset", to=0.0, stage="subscriber")


class AccountRollup(Strict):
    """Roll contact scores of ``scale`` (primary when unset) up to their account."""

    method: Literal["sum", "mean", "max", "top_n_weighted"] = "sum"
    top_n: int = Field(default=3, ge=1)
    weights: list[float] | None = None
    threshold: float | None = None
    scale: Name | None = None


class Rulebook(Strict):
    """A whole rulebook file."""

    name: Name
    version: str
    description: str = ""
    changelog: list[ChangelogEntry] = Field(min_length=1)
    primary_scale: Name = "main"
    scales: list[Scale] = Field(min_length=1)
    fit_categories: list[Name] = Field(default_factory=lambda: ["fit"])
    engagement_categories: list[Name] = Field(default_factory=lambda: ["engagement"])
    extra_columns: dict[str, Literal["string", "category", "bool", "int", "float"]] = Field(
        default_factory=dict
    )
    free_email_domains: list[str] | None = None
    rules: list[Rule] = Field(min_length=1)
    grade: Grade | None = None
    stages: Stages | None = None
    recycle: Recycle | None = None
    accounts: AccountRollup | None = None

    def scale_names(self) -> list[str]:
        return [s.name for s in self.scales]

    def rule_scales(self, rule: Rule) -> list[str]:
        """Scales a rule counts towards (the primary scale when the rule names none)."""
        return list(rule.scales) if rule.scales else [self.primary_scale]


for _tree in (AllOf, AnyOf, NotOf):  # defined before Condition, which they refer to
    _tree.model_rebuild()
