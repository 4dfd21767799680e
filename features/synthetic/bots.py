"""Bots in the synthetic CRM: link scanners and privacy-proxy opens, with their truth.

People's e-mail and web activities get a user agent and an IP address per contact, and
their opens and clicks the delivery time of the e-mail; a share of people read their
mail in Outlook, whose opens carry Outlook's user agent (which crawlerdetect lists as a
crawler: the filter's allow-list must keep them). Then bots work on mailboxes, as they do
in reality. The mailboxes are drawn at random among contacts of every propensity alike
(bots do not care who the reader is; corporate mailboxes are likelier to sit behind a
link scanner, ``SCANNER_CORPORATE_WEIGHT``), until the bots' events make up the requested
share:

* **scanner clicks**: the mail gateway's scanner follows one to three links of a share
  of the delivered e-mails (``SCAN_RATE``: mail from senders it does not know yet) a few
  seconds after delivery, the links within one second. So the scanner's clicks spread
  thinly over many mailboxes and look like a person's few clicks. Most scanners announce
  themselves in the user agent; some pretend to be a browser; a few wait minutes before
  clicking one link as a browser would (no filter can tell those from people).
* **privacy-proxy opens**: the proxy (Apple Mail Privacy Protection) loads each e-mail's
  images soon after delivery, from Apple's address block, mostly with the bare user
  agent ``Mozilla/5.0``.

Their activity ids are the truth (``_truth/bot_activities.csv``); the hidden propensity
never depends on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.synthetic.assemble import fixed_width_ids
from features.synthetic.sampling import ragged_repeat

PEOPLE_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
)
"""Browsers and mail clients of people (none of them a crawler to crawlerdetect)."""

OUTLOOK_AGENT = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
"""Outlook for Windows loading an e-mail's images (crawlerdetect lists it as a crawler)."""

SCANNER_AGENTS: tuple[str, ...] = (
    "Barracuda Sentinel (EE)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Apache-HttpClient/4.5.14 (Java/17.0.8)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36",
)
"""User agents link scanners announce themselves with."""

PROXY_AGENT = "Mozilla/5.0"
PROXY_BLOCK = 17 << 24  # 17.0.0.0/8, Apple's address block
EMAIL_EVENTS = ("email_open", "email_click")
WEB_EVENTS = ("page_view", "form_submit", "content_download", "ad_click")
SCANNER_SHARE = 0.7  # of the bots' events: scanner clicks; the rest proxy opens
SCAN_RATE = 0.1  # of a scanned mailbox's deliveries: those the scanner follows
SCANNER_CORPORATE_WEIGHT = 2.0  # a corporate mailbox is this much likelier to be scanned
OUTLOOK_SHARE = 0.3  # of people: read their mail in Outlook for Windows
SCANNER_NAMED = 0.6  # scanners with a crawler user agent
SCANNER_SLOW = 0.04  # scanners clicking one link minutes later, as a browser
PROXY_NAMED = 0.9  # proxy opens with the bare proxy user agent


def plant_bots(
    activities: pd.DataFrame,
    share: float,
    end: pd.Timestamp,
    rng: np.random.Generator,
    corporate: pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """People's client details, plus bot events making up ``share`` of e-mail events.

    Args:
        activities: The generated activities (canonical columns, ids in time order).
        share: Bots' events as a share of all ``email_open`` and ``email_click`` rows
            after planting (0 plants none, but still fills people's details).
        end: End of the data (exclusive): no event at or after it.
        corporate: Per ``contact_id``, whether the contact writes from a company domain
            (scanners favour those mailboxes); None: every mailbox alike.

    Returns:
        ``(activities, bot_ids)``: every row in time order with ids renumbered in that
        order, and the ids of the planted bot events.
    """
    people = _with_client_details(activities, rng)
    kinds = people["activity_type"].astype("string")
    n_email = int(kinds.isin(EMAIL_EVENTS).sum())
    n_bots = round(share / (1 - share) * n_email) if share > 0 else 0
    deliveries = _deliveries(people, kinds)
    n_scan = round(n_bots * SCANNER_SHARE)
    weight = np.ones(len(deliveries))
    if corporate is not None:
        is_corporate = deliveries["contact_id"].map(corporate).fillna(False).to_numpy(bool)
        weight[is_corporate] = SCANNER_CORPORATE_WEIGHT
    bots = pd.concat(
        [
            _scanner_clicks(deliveries, weight, n_scan, rng),
            _proxy_opens(deliveries, n_bots - n_scan, rng),
        ],
        ignore_index=True,
    )
    bots = bots[bots["occurred_at"] < end]
    frame = pd.concat([people, _as_activities(bots, people)], ignore_index=True)
    is_bot = np.r_[np.zeros(len(people), bool), np.ones(len(bots), bool)]
    order = np.lexsort(
        (
            is_bot,
            frame["activity_type"].cat.codes.to_numpy(),
            pd.factorize(frame["contact_id"], sort=True)[0],
            frame["occurred_at"].dt.as_unit("ns").array.asi8,
        )
    )
    frame = frame.take(order).reset_index(drop=True)
    frame["activity_id"] = fixed_width_ids("act_", np.arange(1, len(frame) + 1), 10)
    bot_ids = frame.loc[is_bot[order], "activity_id"].reset_index(drop=True)
    return frame, bot_ids.rename("activity_id")


def _with_client_details(activities: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """People's user agent and IP (one per contact) and their e-mails' delivery times."""
    out = activities.copy()
    kinds = out["activity_type"].astype("string")
    contact, uniques = pd.factorize(out["contact_id"], sort=True)
    agent = rng.integers(0, len(PEOPLE_AGENTS), len(uniques))
    ip = _public_ips(len(uniques), rng)
    client = kinds.isin((*EMAIL_EVENTS, *WEB_EVENTS)).to_numpy()
    out["user_agent"] = (
        pd.Series(np.array(PEOPLE_AGENTS, dtype=object)[agent[contact]])
        .where(client)
        .astype("string")
    )
    out["ip"] = pd.Series(ip[contact]).where(client).astype("string")
    outlook = (rng.random(len(uniques)) < OUTLOOK_SHARE)[contact] & kinds.eq(
        "email_open"
    ).to_numpy()
    out.loc[outlook, "user_agent"] = OUTLOOK_AGENT
    sent = out.loc[kinds.eq("email_sent").to_numpy(), ["contact_id", "email_id", "occurred_at"]]
    first = sent.groupby(["contact_id", "email_id"], sort=False, observed=True)["occurred_at"].min()
    keys = pd.MultiIndex.from_frame(out[["contact_id", "email_id"]])
    delivered = pd.Series(first.reindex(keys).array, index=out.index)
    out["delivered_at"] = delivered.where(kinds.isin(EMAIL_EVENTS).to_numpy()).astype(
        "datetime64[ns, UTC]"
    )
    return out


def _deliveries(people: pd.DataFrame, kinds: pd.Series) -> pd.DataFrame:
    """E-mails delivered (sent and not bounced): contact, e-mail, campaign and time."""
    sent = people.loc[kinds.eq("email_sent").to_numpy()]
    bounced = people.loc[kinds.eq("email_bounce").to_numpy(), ["contact_id", "email_id"]]
    pairs = pd.MultiIndex.from_frame(sent[["contact_id", "email_id"]])
    keep = ~pairs.isin(pd.MultiIndex.from_frame(bounced))
    columns = ["contact_id", "email_id", "campaign", "occurred_at"]
    return sent.loc[keep, columns].reset_index(drop=True)


def _mailboxes(
    deliveries: pd.DataFrame,
    events: np.ndarray,
    n: int,
    rng: np.random.Generator,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Positions of the deliveries to the contacts drawn (in random order, a contact of
    ``weight`` w drawn early w times as likely) until their deliveries carry about ``n``
    events (``events`` per delivery)."""
    contact, uniques = pd.factorize(deliveries["contact_id"], sort=True)
    per_contact = np.bincount(contact, weights=events, minlength=len(uniques))
    if weight is None:
        order = rng.permutation(len(uniques))
    else:  # weighted sampling without replacement: sort by u ** (1 / w)
        w = np.zeros(len(uniques))
        w[contact] = weight
        order = np.argsort(-(rng.random(len(uniques)) ** (1.0 / w)), kind="stable")
    total = np.cumsum(per_contact[order])
    chosen = order[: int(np.searchsorted(total, n)) + 1]
    return np.flatnonzero(np.isin(contact, chosen) & (events > 0))


def _scanner_clicks(
    deliveries: pd.DataFrame, weight: np.ndarray, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    """About ``n`` scanner clicks (1-3 links each) on the scanned share of the deliveries
    to scanned mailboxes, drawn with the mailboxes' ``weight``."""
    if n <= 0 or deliveries.empty:
        return _empty(deliveries)
    links = rng.integers(1, 4, len(deliveries))
    slow = rng.random(len(deliveries)) < SCANNER_SLOW
    links[slow] = 1
    links[rng.random(len(deliveries)) >= SCAN_RATE] = 0
    picked = _mailboxes(deliveries, links.astype(float), n, rng, weight)
    links, slow = links[picked], slow[picked]
    named = ~slow & (rng.random(len(picked)) < SCANNER_NAMED)
    delay = np.where(slow, rng.integers(120, 1800, len(picked)), rng.integers(1, 9, len(picked)))
    owner, rank = ragged_repeat(links)
    offset = delay[owner] + (rank >= 2)  # the links within one second
    agent = np.where(
        named[owner],
        np.array(SCANNER_AGENTS, dtype=object)[rng.integers(0, len(SCANNER_AGENTS), len(owner))],
        np.array(PEOPLE_AGENTS, dtype=object)[rng.integers(0, len(PEOPLE_AGENTS), len(owner))],
    )
    base = deliveries.iloc[picked[owner]].reset_index(drop=True)
    return _bot_rows(base, "email_click", offset, agent, _public_ips(len(owner), rng))


def _proxy_opens(deliveries: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """About ``n`` proxy opens, one per delivery to proxied mailboxes, minutes after
    delivery, from Apple's block."""
    if n <= 0 or deliveries.empty:
        return _empty(deliveries)
    picked = _mailboxes(deliveries, np.ones(len(deliveries)), n, rng)
    offset = 1 + rng.exponential(180.0, len(picked)).astype(np.int64)
    agent = np.where(
        rng.random(len(picked)) < PROXY_NAMED,
        PROXY_AGENT,
        np.array(PEOPLE_AGENTS, dtype=object)[1],  # Safari on a Mac, relayed
    )
    ips = _ips(PROXY_BLOCK, PROXY_BLOCK + (1 << 24), len(picked), rng)
    base = deliveries.iloc[picked].reset_index(drop=True)
    return _bot_rows(base, "email_open", offset, agent, ips)


def _bot_rows(
    base: pd.DataFrame, kind: str, offset: np.ndarray, agent: np.ndarray, ips: np.ndarray
) -> pd.DataFrame:
    delivered = base["occurred_at"]
    return pd.DataFrame(
        {
            "contact_id": base["contact_id"],
            "email_id": base["email_id"],
            "campaign": base["campaign"],
            "delivered_at": delivered,
            "occurred_at": delivered + pd.to_timedelta(offset, unit="s"),
            "activity_type": kind,
            "user_agent": pd.Series(agent, dtype="string"),
            "ip": pd.Series(ips, dtype="string"),
        }
    )


def _empty(deliveries: pd.DataFrame) -> pd.DataFrame:
    none = np.zeros(0, dtype=np.int64)
    return _bot_rows(deliveries.iloc[:0], "email_click", none, none.astype(object), none)


def _as_activities(bots: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """Bot rows with every column and dtype of ``like`` (channel e-mail)."""
    out = pd.DataFrame(index=range(len(bots)), columns=like.columns)
    for name in like.columns:
        if name in bots:
            out[name] = bots[name].reset_index(drop=True)
        elif name == "channel":
            out[name] = "email"
        else:
            out[name] = pd.NA
        out[name] = out[name].astype(like[name].dtype)
    return out


def _public_ips(n: int, rng: np.random.Generator) -> np.ndarray:
    """Addresses in 20.0.0.0-223.255.255.255 (above Apple's 17.0.0.0/8)."""
    return _ips(20 << 24, 224 << 24, n, rng)


def _ips(low: int, high: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` IPv4 addresses drawn uniformly from ``[low, high)`` (as integers), as text."""
    value = rng.integers(low, high, n, dtype=np.int64)
    parts = [(value >> shift) & 255 for shift in (24, 16, 8, 0)]
    return np.array([f"{a}.{b}.{c}.{d}" for a, b, c, d in zip(*parts, strict=True)], dtype=object)
