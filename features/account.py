"""Account-level aggregates: how engaged the rest of the buying committee is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.engagement import COUNT_DTYPE, GroupAggregates
from features.spec import FeatureSpec


def account_features(
    account_id: pd.Series, agg: GroupAggregates, spec: FeatureSpec
) -> pd.DataFrame:
    """Per contact, over the contacts known at ``as_of`` that share its account:

    * ``account_engaged_contacts_{w}d``: how many *other* contacts engaged in the last
      ``w`` days (engagement = ``spec.engagement_group``);
    * ``account_engagement_{w}d``: engagement activities of all its contacts (itself
      included) in the last ``w`` days.

    Contacts without an account get NaN.

    Args:
        account_id: Each contact's account, indexed like the feature frame.
        agg: The group aggregates (must hold the engagement group's account windows).
        spec: The spec.
    """
    columns: dict[str, np.ndarray] = {}
    if not spec.engagement_group or not spec.account_windows:
        return pd.DataFrame(index=account_id.index)
    codes, _ = pd.factorize(account_id, use_na_sentinel=True)
    has_account = codes >= 0
    n_accounts = int(codes.max()) + 1 if has_account.any() else 0
    safe = np.where(has_account, codes, 0)
    for w in spec.account_windows:
        count = agg.counts[(spec.engagement_group, w)]
        engaged = (count > 0).astype(np.float64)
        per_account = np.bincount(
            codes[has_account], weights=engaged[has_account], minlength=max(n_accounts, 1)
        )
        activity = np.bincount(
            codes[has_account], weights=count[has_account], minlength=max(n_accounts, 1)
        )
        others = np.where(has_account, per_account[safe] - engaged, np.nan)
        total = np.where(has_account, activity[safe], np.nan)
        columns[f"account_engaged_contacts_{w}d"] = others.astype(COUNT_DTYPE)
        columns[f"account_engagement_{w}d"] = total.astype(COUNT_DTYPE)
    return pd.DataFrame(columns, index=account_id.index)
