"""The canonical CRM data model: four tables every part of leadscore reads.

Readers and column mappings turn an export into these tables; validation checks them;
features, rules and models only ever see them. The vocabularies (activity types, page
categories, form stages, ...) are closed: a value outside them is a data error that
validation reports, not something downstream code has to guess about.

Logical types map onto pandas dtypes in :data:`PANDAS_DTYPES`:

* ``string``   -> ``string`` (nullable)
* ``category`` -> ``category`` (values from ``Column.allowed`` when it is set)
* ``datetime`` -> ``datetime64[ns, UTC]`` (naive input is UTC unless a mapping says otherwise)
* ``bool``     -> ``boolean`` (nullable)
* ``int``      -> ``Int64`` (nullable)
* ``float``    -> ``float64``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal["string", "category", "datetime", "bool", "int", "float"]

PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "category": "category",
    "datetime": "datetime64[ns, UTC]",
    "bool": "boolean",
    "int": "Int64",
    "float": "float64",
}

# --- closed vocabularies -------------------------------------------------------------

ACTIVITY_TYPES: tuple[str, ...] = (
    "page_view",
    "email_sent",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "form_submit",
    "content_download",
    "webinar_register",
    "webinar_attend",
    "demo_request",
    "quote_request",
    "chat",
    "call",
    "meeting",
    "ad_impression",
    "ad_click",
    "video_view",
    "social_interaction",
    "list_join",
    "deal_stage_change",
    "sales_feedback",
)
PAGE_CATEGORIES: tuple[str, ...] = (
    "home",
    "blog",
    "pricing",
    "product",
    "demo",
    "case_study",
    "careers",
    "contact",
    "docs",
    "other",
)
FORM_STAGES: tuple[str, ...] = ("TOFU", "MOFU", "BOFU")
ASSET_TYPES: tuple[str, ...] = (
    "ebook",
    "whitepaper",
    "price_list",
    "case_study",
    "webinar_recording",
    "report",
    "other",
)
SALES_FEEDBACK: tuple[str, ...] = ("true_sql", "not_ready", "unqualified")
DEAL_STAGES: tuple[str, ...] = (
    "prospecting",
    "qualification",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
OUTCOMES: tuple[str, ...] = ("opportunity", "won", "lost")
POSITIVE_OUTCOMES: tuple[str, ...] = ("opportunity", "won")
"""Outcomes that count as a conversion: the model's label, and a contact converted before
``as_of`` is no longer a lead (training leaves it out, scoring rejects it)."""
LIFECYCLE_STAGES: tuple[str, ...] = (
    "subscriber",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "customer",
    "other",
)
SENIORITIES: tuple[str, ...] = (
    "c_level",
    "vp",
    "director",
    "manager",
    "individual_contributor",
    "student",
    "other",
)
DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "marketing",
    "sales",
    "it",
    "engineering",
    "finance",
    "hr",
    "operations",
    "education",
    "other",
)
REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")
LEAD_SOURCES: tuple[str, ...] = (
    "organic_search",
    "paid_search",
    "paid_social",
    "social",
    "email",
    "referral",
    "direct",
    "event",
    "partner",
    "webinar",
    "content",
    "other",
)
CHANNELS: tuple[str, ...] = ("web", "email", "ads", "social", "sales", "event", "chat", "other")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Attributes:
        name: Canonical column name.
        dtype: Logical type (see module docstring).
        required: The column must be present in the input (it may still hold nulls
            when ``nullable``).
        nullable: Nulls are allowed.
        allowed: Closed set of values for ``category`` columns (None: open).
        min: Inclusive lower bound for numeric columns.
        max: Inclusive upper bound for numeric columns.
        pii: Personal data: never written to MLflow artifacts or logs.
        description: One line for the README and error messages.
    """

    name: str
    dtype: LogicalType
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pii: bool = False
    description: str = ""


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this table must exist in ``ref_table.ref_column`` (nulls allowed)."""

    column: str
    ref_table: str
    ref_column: str


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, primary key and references."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)
    time_column: str | None = None

    def column(self, name: str) -> Column:
        """Return the column called ``name``; KeyError names the table if unknown."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def dtypes(self) -> dict[str, str]:
        """Pandas dtype of every column."""
        return {c.name: PANDAS_DTYPES[c.dtype] for c in self.columns}


def required_column(
    name: str, dtype: LogicalType, description: str, *, allowed: tuple[str, ...] | None = None
) -> Column:
    """A column every row has: present in the input and never null."""
    return Column(
        name, dtype, required=True, nullable=False, allowed=allowed, description=description
    )


def category_column(name: str, allowed: tuple[str, ...], description: str) -> Column:
    """An optional ``category`` column whose values come from the closed ``allowed`` set."""
    return Column(name, "category", allowed=allowed, description=description)


ACCOUNTS = Table(
    name="accounts",
    primary_key=("account_id",),
    columns=(
        required_column("account_id", "string", "Unique account (company) id."),
        Column("name", "string", description="Company name."),
        Column("domain", "string", description="Company web domain, e.g. acme.com."),
        Column("industry", "string", description="Industry, free text normalised to lower case."),
        Column("employees", "int", min=0, max=10_000_000, description="Number of employees."),
        Column("annual_revenue", "float", min=0, description="Annual revenue in USD."),
        Column("country", "string", description="Country name or ISO code."),
        category_column("region", REGIONS, "Sales region."),
        Column(
            "is_customer",
            "bool",
            description="Already a paying customer at export time; training, rules and "
            "features read it as it stood at as_of (features.customers): a customer from "
            "its contacts' first won deal on, flagged or not (unflagged: churned).",
        ),
        Column("is_competitor", "bool", description="A competitor's account."),
        Column("created_at", "datetime", description="When the account was created in the CRM."),
    ),
)

CONTACTS = Table(
    name="contacts",
    primary_key=("contact_id",),
    foreign_keys=(ForeignKey("account_id", "accounts", "account_id"),),
    time_column="created_at",
    columns=(
        required_column("contact_id", "string", "Unique contact (lead) id."),
        required_column("created_at", "datetime", "When the contact entered the CRM."),
        Column("email", "string", pii=True, description="E-mail address (personal data)."),
        Column("phone", "string", pii=True, description="Phone number (personal data)."),
        Column("job_title", "string", description="Job title as typed by the lead."),
        category_column("seniority", SENIORITIES, "Seniority bucket."),
        category_column("department", DEPARTMENTS, "Department."),
        Column("country", "string", description="Country name or ISO code."),
        category_column("region", REGIONS, "Sales region."),
        category_column("lead_source", LEAD_SOURCES, "Latest lead source (channel)."),
        Column("original_source", "string", description="First-touch source as exported."),
        category_column(
            "lifecycle_stage", LIFECYCLE_STAGES, "Lifecycle stage in the CRM at export time."
        ),
        Column("account_id", "string", description="The contact's account (company)."),
        Column("do_not_email", "bool", description="Opted out of e-mail."),
        Column("budget", "float", min=0, description="Budget stated by the lead, USD."),
        Column("is_employee", "bool", description="Works for us: never scored as a lead."),
        Column("is_partner", "bool", description="Works for a partner: never an MQL/SQL."),
    ),
)

ACTIVITIES = Table(
    name="activities",
    primary_key=("activity_id",),
    foreign_keys=(ForeignKey("contact_id", "contacts", "contact_id"),),
    time_column="occurred_at",
    columns=(
        required_column("activity_id", "string", "Unique activity id."),
        required_column("contact_id", "string", "Who did it."),
        required_column("occurred_at", "datetime", "When it happened (UTC)."),
        required_column("activity_type", "category", "What happened.", allowed=ACTIVITY_TYPES),
        Column("page_url", "string", description="page_view: the URL path."),
        category_column("page_category", PAGE_CATEGORIES, "page_view: the page's category."),
        Column("email_id", "string", description="email_*: the e-mail (campaign send) id."),
        Column("form_id", "string", description="form_submit: the form."),
        category_column("form_stage", FORM_STAGES, "form_submit: funnel stage of the form."),
        category_column("asset_type", ASSET_TYPES, "content_download / webinar: the asset's kind."),
        Column("campaign", "string", description="Campaign the activity belongs to."),
        category_column("channel", CHANNELS, "Channel."),
        Column("list_name", "string", description="list_join: the list."),
        category_column("deal_stage", DEAL_STAGES, "deal_stage_change: the new stage."),
        category_column("feedback", SALES_FEEDBACK, "sales_feedback: what sales said."),
        Column(
            "user_agent",
            "string",
            description="email_* / page_view: the client's user agent (bot filter).",
        ),
        Column(
            "ip",
            "string",
            pii=True,
            description="email_* / page_view: the client's IP address (bot filter).",
        ),
        Column(
            "delivered_at",
            "datetime",
            description="email_open / email_click: when the e-mail was delivered (bot filter).",
        ),
    ),
)

OUTCOMES_TABLE = Table(
    name="outcomes",
    primary_key=("contact_id", "outcome", "converted_at"),
    foreign_keys=(ForeignKey("contact_id", "contacts", "contact_id"),),
    time_column="converted_at",
    columns=(
        required_column("contact_id", "string", "Whose outcome."),
        required_column("converted_at", "datetime", "When the outcome happened."),
        required_column(
            "outcome", "category", "opportunity (sales accepted), won or lost.", allowed=OUTCOMES
        ),
        Column("deal_value", "float", min=0, description="Deal value, USD."),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (ACCOUNTS, CONTACTS, ACTIVITIES, OUTCOMES_TABLE)}
"""All canonical tables by name, in dependency order (referenced tables first)."""
