"""Which activities a bot or a privacy proxy produced, and why: pure, vectorised rules.

Every rule takes the activities table and returns a boolean mask; :func:`bot_reasons`
names, per activity, the first rule that matched (in the order of
:data:`features.bots.settings.BOT_RULES`). The optional columns ``user_agent``, ``ip`` and
``delivered_at`` may be absent: a rule that needs one then flags nothing it cannot see.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
from crawlerdetect import CrawlerDetect

from features.bots.settings import BotSettings

_NS = 1_000_000_000
_NAT = np.iinfo(np.int64).min
REASON_DTYPE = "string"


def bot_reasons(activities: pd.DataFrame, settings: BotSettings) -> pd.Series:
    """The reason each activity is a bot's, or <NA> for a person's.

    Args:
        activities: Canonical activities (any index; extra columns ignored).

    Returns:
        A ``string`` Series on ``activities.index``: the name of the first rule that
        matched, <NA> when none did.
    """
    rules: dict[str, Callable[[pd.DataFrame, BotSettings], np.ndarray]] = {
        "crawler_user_agent": crawler_user_agent,
        "privacy_proxy_open": privacy_proxy_open,
        "all_links_at_once": all_links_at_once,
        "click_after_delivery": click_after_delivery,
        "burst": burst,
    }
    reason = np.full(len(activities), None, dtype=object)
    for name in settings.active_rules():
        open_rows = pd.isna(reason)
        if not open_rows.any():
            break
        hit = rules[name](activities, settings) & open_rows
        reason[hit] = name
    return pd.Series(reason, index=activities.index, dtype=REASON_DTYPE)


def crawler_user_agent(activities: pd.DataFrame, settings: BotSettings) -> np.ndarray:
    """Activities whose user agent crawlerdetect knows as a crawler, scanner or library."""
    agents = _text(activities, "user_agent")
    allow = tuple(a.lower() for a in settings.crawler_user_agent.allow)
    flagged = [
        agent
        for agent in agents.dropna().unique()
        if agent and _is_crawler(agent) and not any(a in agent.lower() for a in allow)
    ]
    return agents.isin(flagged).to_numpy(dtype=bool)


def privacy_proxy_open(activities: pd.DataFrame, settings: BotSettings) -> np.ndarray:
    """Opens with the proxy's user agent or from an IP address in the proxy's ranges."""
    rule = settings.privacy_proxy_open
    rows = np.flatnonzero(_of_types(activities, rule.activity_types))
    out = np.zeros(len(activities), dtype=bool)
    agents = _text(activities, "user_agent").iloc[rows]
    by_agent = agents.isin(rule.user_agents).to_numpy(dtype=bool)
    out[rows] = by_agent | ip_in_ranges(_text(activities, "ip").iloc[rows], rule.ip_ranges)
    return out


def all_links_at_once(activities: pd.DataFrame, settings: BotSettings) -> np.ndarray:
    """Clicks on an e-mail with another click of the same contact on it close by."""
    limit = settings.all_links_at_once.within_seconds * _NS
    email = _text(activities, "email_id")
    clicks = np.flatnonzero(_of_types(activities, ("email_click",)) & email.notna().to_numpy())
    out = np.zeros(len(activities), dtype=bool)
    if len(clicks) < 2:
        return out
    contact = pd.factorize(activities["contact_id"].iloc[clicks])[0]
    mail = pd.factorize(email.iloc[clicks])[0]
    t = _epoch_ns(activities["occurred_at"]).iloc[clicks].to_numpy(np.int64, na_value=_NAT)
    order = np.lexsort((t, mail, contact))
    same = (contact[order][1:] == contact[order][:-1]) & (mail[order][1:] == mail[order][:-1])
    close = same & (np.diff(t[order]) <= limit)
    near = np.zeros(len(order), dtype=bool)
    near[1:] |= close
    near[:-1] |= close
    out[clicks[order[near]]] = True
    return out


def click_after_delivery(activities: pd.DataFrame, settings: BotSettings) -> np.ndarray:
    """Clicks within the rule's seconds of delivery (``delivered_at``, else the send)."""
    rule = settings.click_after_delivery
    rows = np.flatnonzero(_of_types(activities, rule.activity_types))
    out = np.zeros(len(activities), dtype=bool)
    delivered = delivery_times(activities, rows)
    age = _epoch_ns(activities["occurred_at"].iloc[rows]) - delivered
    out[rows] = ((age >= 0) & (age <= rule.within_seconds * _NS)).fillna(False).to_numpy(bool)
    return out


def burst(activities: pd.DataFrame, settings: BotSettings) -> np.ndarray:
    """Activities in a run of ``events`` or more of one contact within the rule's seconds."""
    rule = settings.burst
    rows = np.flatnonzero(_of_types(activities, rule.activity_types))
    out = np.zeros(len(activities), dtype=bool)
    k = rule.events
    if len(rows) < k:
        return out
    contact = pd.factorize(activities["contact_id"].iloc[rows])[0]
    t = _epoch_ns(activities["occurred_at"]).iloc[rows].to_numpy(np.int64, na_value=_NAT)
    order = np.lexsort((t, contact))
    c, ts = contact[order], t[order]
    # window i covers sorted rows i .. i+k-1
    starts = np.flatnonzero(
        (c[k - 1 :] == c[: len(c) - k + 1])
        & (ts[k - 1 :] - ts[: len(ts) - k + 1] <= rule.within_seconds * _NS)
    )
    cover = np.zeros(len(order) + 1, dtype=np.int64)
    np.add.at(cover, starts, 1)
    np.add.at(cover, starts + k, -1)
    out[rows[order[np.cumsum(cover[:-1]) > 0]]] = True
    return out


def delivery_times(activities: pd.DataFrame, rows: np.ndarray | None = None) -> pd.Series:
    """When each activity's e-mail was delivered, in ns since the epoch (nullable).

    ``delivered_at`` when given; otherwise the first ``email_sent`` of the same contact
    and ``email_id``; <NA> when neither is known.

    Args:
        rows: Positions to look up (None: every row).

    Returns:
        ``Int64`` values on the index of those rows.
    """
    chosen = activities if rows is None else activities.iloc[rows]
    given = (
        _epoch_ns(chosen["delivered_at"])
        if "delivered_at" in chosen
        else pd.Series(pd.NA, index=chosen.index, dtype="Int64")
    )
    missing = given.isna().to_numpy()
    email = _text(activities, "email_id")
    sent = _of_types(activities, ("email_sent",)) & email.notna().to_numpy()
    if not sent.any() or not missing.any():
        return given
    at = np.flatnonzero(sent)
    sends = pd.DataFrame(
        {
            "contact_id": activities["contact_id"].iloc[at].to_numpy(object),
            "email_id": email.iloc[at].to_numpy(object),
            "sent": _epoch_ns(activities["occurred_at"].iloc[at]).to_numpy(np.int64, na_value=_NAT),
        }
    )
    first = sends.groupby(["contact_id", "email_id"], sort=False)["sent"].min()
    lookup = chosen.loc[missing]
    keys = pd.MultiIndex.from_arrays(
        [lookup["contact_id"].to_numpy(object), _text(lookup, "email_id").to_numpy(object)]
    )
    found = pd.Series(first.reindex(keys).to_numpy(), index=lookup.index, dtype="Int64")
    return given.fillna(found)


def ip_in_ranges(ips: pd.Series, ranges: tuple[str, ...]) -> np.ndarray:
    """Whether each IP address (text; <NA> or unparseable: False) lies in one of ``ranges``."""
    if not ranges or ips.isna().all():
        return np.zeros(len(ips), dtype=bool)
    lookup = _RangeLookup(ranges)
    inside = [ip for ip in ips.dropna().unique() if lookup.contains(ip)]
    return ips.isin(inside).to_numpy(dtype=bool)


class _RangeLookup:
    """Sorted, disjoint networks per IP version (``collapse_addresses``), searched by bisection."""

    def __init__(self, ranges: tuple[str, ...]) -> None:
        nets = [ipaddress.ip_network(text, strict=False) for text in ranges]
        self.starts: dict[int, list[int]] = {}
        self.ends: dict[int, list[int]] = {}
        for version in (4, 6):
            same = [n for n in nets if n.version == version]  # collapse_addresses takes one
            merged = list(ipaddress.collapse_addresses(same))  # type: ignore[type-var]
            self.starts[version] = [int(n.network_address) for n in merged]
            self.ends[version] = [int(n.broadcast_address) for n in merged]

    def contains(self, text: str) -> bool:
        try:
            address = ipaddress.ip_address(text.strip())
        except ValueError:
            return False
        value, starts = int(address), self.starts[address.version]
        i = bisect.bisect_right(starts, value) - 1
        return i >= 0 and value <= self.ends[address.version][i]


@lru_cache(maxsize=1)
def _detector() -> CrawlerDetect:
    return CrawlerDetect()


@lru_cache(maxsize=65536)
def _is_crawler(agent: str) -> bool:
    return bool(_detector().isCrawler(agent))


def _text(activities: pd.DataFrame, column: str) -> pd.Series:
    """A text column as it is (no copy), or all missing when the export lacks it."""
    if column not in activities:
        return pd.Series(pd.NA, index=activities.index, dtype="string")
    return activities[column]


def _of_types(activities: pd.DataFrame, types: tuple[str, ...]) -> np.ndarray:
    return activities["activity_type"].isin(types).to_numpy(dtype=bool)


def _epoch_ns(values: pd.Series) -> pd.Series:
    """Nanoseconds since the epoch as nullable ``Int64`` (NaT: <NA>)."""
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("ns")
    ns = pd.Series(stamps.array.asi8, index=values.index, dtype="Int64")
    return ns.mask(stamps.isna())
