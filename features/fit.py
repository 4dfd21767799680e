"""Fit features: who the contact is and which company they work for.

Every text output is a pandas ``category`` whose categories come from the schema
vocabularies or the spec (bands, industries), never from the data, so frames built at
different dates (training and scoring) have identical dtypes; flags and presence are
float64 (1.0 / 0.0 / NaN unknown). The e-mail address is only reduced to "free" /
"corporate" and a phone number to "given or not"; personal data never leaves this module.
:func:`spec_for_data` chooses which extra contact columns a mapping kept become fit
features, before training.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from features.infer import InferSettings, distinct_count, is_id_like
from features.measures import email_domain, email_domain_class, value_present
from features.parse import numbers_as_text, parse_numbers
from features.personal import personal_data_reason
from features.schema import CONTACTS, DEPARTMENTS, LEAD_SOURCES, REGIONS, SENIORITIES
from features.spec import Band, FeatureSpec, FitSpec

OTHER = "other"
log = logging.getLogger(__name__)


def _categorical(values: pd.Series, categories: tuple[str, ...]) -> pd.Series:
    """``values`` as a category with exactly ``categories`` (others become missing)."""
    plain = values.astype("object").where(values.notna(), None)
    return pd.Series(pd.Categorical(plain, categories=list(categories)), index=values.index)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of ``frame``, or an all-missing one when the source lacks it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="object")


def seniority_bucket(seniority: pd.Series, job_title: pd.Series, keywords: FitSpec) -> pd.Series:
    """``seniority`` as given, else the first ``title_keywords`` bucket the title matches."""
    bucket = seniority.astype("object").where(seniority.notna(), None)
    title = job_title.astype("string").str.lower()
    for level, words in keywords.title_keywords.items():
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
        hit = title.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
        bucket = bucket.mask(hit & bucket.isna().to_numpy(), level)
    return _categorical(bucket, SENIORITIES)


def band(values: pd.Series, bands: tuple[Band, ...]) -> pd.Series:
    """Which band each value falls in (upper bounds inclusive); missing stays missing."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    edges = [-np.inf, *(b.max for b in bands[:-1]), np.inf]
    return pd.cut(numbers, edges, labels=[b.label for b in bands], ordered=False)


def email_domain_type(email: pd.Series, free_domains: tuple[str, ...]) -> pd.Series:
    """ "free" for a web-mail domain, "corporate" otherwise, missing without a valid address.

    The domain and its class follow :mod:`features.measures`, as the rules' variables do.
    """
    return email_domain_class(email_domain(email), free_domains)


def industry(values: pd.Series, known: tuple[str, ...]) -> pd.Series:
    """Industry normalised to lower case; values outside the spec's list become "other"."""
    text = values.astype("string").str.strip().str.lower()
    mapped = text.where(text.isin(known) | text.isna(), OTHER)
    return _categorical(mapped, (*known, OTHER))


def flag(values: pd.Series) -> pd.Series:
    """A boolean column as float64: 1.0 true, 0.0 false, NaN unknown.

    Raises:
        ValueError: The column holds something other than booleans (names the column).
    """
    try:
        flags = values.astype("boolean")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"column {values.name!r}: expected true/false values for a fit flag ({exc}); "
            "map it to a boolean in the reader or remove it from the feature spec"
        ) from None
    return pd.Series(flags.to_numpy(dtype="float64", na_value=np.nan), index=values.index)


def present(values: pd.Series) -> pd.Series:
    """1.0 where a non-blank value is given, else 0.0 (the value itself is dropped)."""
    return pd.Series(value_present(values).astype("float64"), index=values.index)


def first_touch_source(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """First-touch source in the schema's lead-source vocabulary.

    A label is looked up in ``labels`` without regard to case or surrounding blanks;
    vocabulary values ("paid_search") are kept; any other given label becomes "other";
    missing stays missing.
    """
    lookup = {s: s for s in LEAD_SOURCES} | {k.strip().lower(): v for k, v in labels.items()}
    text = values.astype("string").str.strip().str.lower()
    mapped = text.map(lookup, na_action="ignore").astype("object")
    mapped = mapped.where(mapped.notna() | text.isna(), OTHER)
    return _categorical(mapped.where(text.notna()), LEAD_SOURCES)


def fit_features(contacts: pd.DataFrame, accounts: pd.DataFrame, spec: FitSpec) -> pd.DataFrame:
    """All fit features, one row per contact (same index as ``contacts``).

    Args:
        contacts: Canonical contacts (plus any extra columns of a flat export).
        accounts: Canonical accounts, joined on ``account_id``.

    Raises:
        ValueError: A ``passthrough_numeric`` column is not numeric, or missing and not a
            canonical contact column (an absent optional one, e.g. ``budget``, is NaN), or a flag
            column does not hold booleans, or a ``passthrough_categorical`` column holds
            e-mail addresses or phone numbers (:mod:`features.personal`).
    """
    account = (
        accounts.drop_duplicates("account_id")
        .set_index("account_id")
        .reindex(_column(contacts, "account_id").astype("object"))
    )
    account.index = contacts.index
    region = _column(contacts, "region").astype("object")
    region = region.where(region.notna(), _column(account, "region").astype("object"))
    out = {
        "seniority": seniority_bucket(
            _column(contacts, "seniority"), _column(contacts, "job_title"), spec
        ),
        "department": _categorical(_column(contacts, "department"), DEPARTMENTS),
        "region": _categorical(region, REGIONS),
        "lead_source": _categorical(_column(contacts, "lead_source"), LEAD_SOURCES),
        "industry": industry(_column(account, "industry"), spec.industries),
        "company_size_band": band(_column(account, "employees"), spec.size_bands),
        "revenue_band": band(_column(account, "annual_revenue"), spec.revenue_bands),
        "email_domain_type": email_domain_type(_column(contacts, "email"), spec.free_email_domains),
    }
    if spec.source_labels is not None:
        out["original_source"] = first_touch_source(
            _column(contacts, "original_source"), spec.source_labels
        )
    for name in spec.contact_flags:
        out[name] = flag(_column(contacts, name).rename(f"contacts.{name}"))
    for name in spec.account_flags:
        out[f"account_{name}"] = flag(_column(account, name).rename(f"accounts.{name}"))
    for name in spec.presence:
        unknown = pd.Series(np.nan, index=contacts.index)  # the source lacks the column
        out[f"{name}_present"] = present(contacts[name]) if name in contacts.columns else unknown
    for name in spec.passthrough_numeric:
        if name not in contacts.columns and name in CONTACTS.names:
            out[name] = pd.Series(np.nan, index=contacts.index)  # optional, not given
            continue
        if name not in contacts.columns or pd.api.types.is_bool_dtype(contacts[name]):
            raise ValueError(
                f"fit.passthrough_numeric: contacts column {name!r} is missing or not numeric; "
                "map it in the reader or remove it from the feature spec"
            )
        out[name] = _numbers(contacts[name])
    for name in spec.passthrough_categorical:
        if name in out:
            raise ValueError(
                f"fit.passthrough_categorical: {name!r} is already a fit feature; remove it"
            )
        if name not in contacts.columns and name not in CONTACTS.names:
            raise ValueError(
                f"fit.passthrough_categorical: contacts column {name!r} is missing; keep it in "
                "the mapping (keep_extra) or remove it from the feature spec"
            )
        values = _column(contacts, name)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            text = numbers_as_text(values)  # typed as numbers by this batch's validation
        else:
            text = values.astype("string").str.strip()
        personal = personal_data_reason(text)
        if personal is not None:
            raise ValueError(
                f"fit.passthrough_categorical: contacts column {name!r} holds {personal}; "
                "remove it from the feature spec"
            )
        text = text.where(text != "")
        out[name] = _categorical(text, tuple(sorted(text.dropna().unique())))
    return pd.DataFrame(out, index=contacts.index)


def _numbers(values: pd.Series) -> pd.Series:
    """A ``passthrough_numeric`` column as float64; text (a batch whose values validation
    did not read as numbers) is read as validation reads numbers, what does not parse
    is missing and counted in the log."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    numbers, _ = parse_numbers(values)
    lost = int((numbers.isna() & values.notna()).sum())
    if lost:
        log.warning("contacts column %r: %d value(s) are not numbers, read as missing",
                    values.name, lost)  # fmt: skip
    return numbers


def spec_for_data(
    spec: FeatureSpec, contacts: pd.DataFrame, infer: InferSettings
) -> tuple[FeatureSpec, list[str]]:
    """The default spec plus the extra contact columns a mapping kept (``keep_extra``).

    A mapping keeps a column because it describes the lead (Olist's ``landing_page_id``,
    Maven's ``product``): numbers become ``fit.passthrough_numeric``, text becomes
    ``fit.passthrough_categorical``. Columns holding personal data, dates, booleans, ids
    or free text (:func:`features.infer.is_id_like`, the rule type inference calls a column
    id-like with: more distinct values than ``infer.max_unique_share`` of the rows, judged
    only from ``infer.min_rows_id_like`` rows on; distinct values counted as inference
    counts them, :func:`features.infer.distinct_count`: case and surrounding spaces
    ignored) are left out.

    Args:
        infer: The run's type inference settings (``--infer``; the defaults of
            :class:`features.infer.InferSettings`: half), the same the kept columns were
            typed with.

    Returns:
        The spec and one note per column added or left out.
    """
    fit = spec.fit
    taken = {*fit.passthrough_numeric, *fit.passthrough_categorical}
    numeric, categorical = list(fit.passthrough_numeric), list(fit.passthrough_categorical)
    notes: list[str] = []
    for name in contacts.columns:
        if name in CONTACTS.names or name in taken:
            continue
        values = contacts[name]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            numeric.append(name)
            notes.append(f"extra column {name} used as a number")
            continue
        text = values.dropna().astype("string")
        if personal_data_reason(text) is not None:
            notes.append(f"extra column {name} left out: personal data")
        elif is_id_like(n_distinct := distinct_count(text), len(text), infer):
            notes.append(f"extra column {name} left out: {n_distinct:,} distinct values")
        else:
            categorical.append(name)
            notes.append(f"extra column {name} used as a category")
    if not notes:
        return spec, []
    new_fit = fit.model_copy(
        update={
            "passthrough_numeric": tuple(numeric),
            "passthrough_categorical": tuple(categorical),
        }
    )
    return spec.model_copy(update={"fit": new_fit}), notes
