"""Outbound e-mail: campaign sends, opens, clicks, bounces and unsubscribes.

Contacts receive a share of the twice-weekly sends made after they arrived; they open
some and click a few of those (more while they are in a buying burst). A few addresses
bounce on the first send and get nothing more; some contacts unsubscribe right after
opening one e-mail and get nothing after that.
"""

from __future__ import annotations

import numpy as np

from features.synthetic.events import (
    DAY,
    KIND,
    Catalog,
    Events,
    concat_events,
    make_events,
)
from features.synthetic.latent import Latent
from features.synthetic.sampling import ragged_repeat

OPEN_DELAY_HOURS = 6.0
CLICK_DELAY_MINUTES = 10.0
BURST_CLICK_BOOST = 0.5
BURST_WINDOW_DAYS = 30


def email_activity(
    created: np.ndarray,
    latent: Latent,
    decision_at: np.ndarray,
    end: int,
    catalog: Catalog,
    rng: np.random.Generator,
) -> tuple[Events, np.ndarray]:
    """E-mail activities of every contact.

    Args:
        created: Contact creation times (seconds since the epoch).
        latent: Hidden traits (share of sends received, open/click/unsubscribe rates).
        decision_at: Decision time per contact (clicks rise in the month before it for
            contacts in market).
        end: End of the window; nothing happens at or after it.
        catalog: The e-mail sends of the window.

    Returns:
        ``(events, unsubscribed)``: the activities and whether each contact unsubscribed.
    """
    n = len(created)
    sent_at = catalog.email_sent_at
    n_sends = max(len(sent_at), 1)
    first = np.searchsorted(sent_at, created, side="left")
    eligible = len(sent_at) - first
    k = rng.binomial(eligible, latent.email_share)
    owner, _ = ragged_repeat(k)
    pick = first[owner] + np.floor(rng.random(len(owner)) * eligible[owner]).astype(np.int64)
    key = np.unique(owner.astype(np.int64) * n_sends + pick)  # one send per e-mail
    owner, send = (key // n_sends).astype(np.int32), key % n_sends
    t_send = sent_at[send] + rng.integers(0, 3600, len(send))

    first_row = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
    bouncy = latent.bouncy[owner]
    keep = ~bouncy | first_row
    owner, send, t_send, bouncy = owner[keep], send[keep], t_send[keep], bouncy[keep]

    opened = ~bouncy & (rng.random(len(owner)) < latent.open_rate[owner])
    o_owner, o_send = owner[opened], send[opened]
    t_open = t_send[opened] + (rng.exponential(OPEN_DELAY_HOURS, len(o_owner)) * 3600).astype(
        np.int64
    )
    to_decision = decision_at[o_owner] - t_open
    near_burst = latent.in_market[o_owner] & (to_decision >= 0)
    near_burst &= to_decision <= BURST_WINDOW_DAYS * DAY
    p_click = latent.click_rate[o_owner] + BURST_CLICK_BOOST * near_burst
    clicked = rng.random(len(o_owner)) < p_click
    t_click = t_open[clicked] + (rng.exponential(CLICK_DELAY_MINUTES, clicked.sum()) * 60).astype(
        np.int64
    )

    unsub_at, chosen = _unsubscribe_times(o_owner, t_open, latent.unsubscribe_rate, n, rng)

    def mail(who: np.ndarray, t: np.ndarray, kind: str, send: np.ndarray) -> Events:
        return make_events(who, t, KIND[kind], email=send, campaign=catalog.email_campaign[send])

    parts = [
        mail(owner, t_send, "email_sent", send),
        mail(owner[bouncy], t_send[bouncy] + 60, "email_bounce", send[bouncy]),
        mail(o_owner, t_open, "email_open", o_send),
        mail(o_owner[clicked], t_click, "email_click", o_send[clicked]),
    ]
    events = concat_events(parts)
    events = events.take(events.t <= unsub_at[events.contact])
    unsub = mail(o_owner[chosen], unsub_at[o_owner[chosen]], "email_unsubscribe", o_send[chosen])
    events = concat_events([events, unsub])
    events = events.take(events.t < end)
    unsubscribed = np.zeros(n, dtype=bool)
    unsubscribed[events.contact[events.kind == KIND["email_unsubscribe"]]] = True
    return events, unsubscribed


def _unsubscribe_times(
    owner: np.ndarray, t_open: np.ndarray, rate: np.ndarray, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Per contact, two minutes after one random opened e-mail, or never (int64 max).

    Returns:
        ``(unsubscribe time per contact, positions of the opens that triggered one)``.
    """
    never = np.iinfo(np.int64).max
    out = np.full(n, never, dtype=np.int64)
    if len(owner) == 0:
        return out, np.zeros(0, dtype=np.int64)
    order = np.lexsort((rng.random(len(owner)), owner))
    first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    chosen = first[rng.random(len(first)) < rate[owner[first]]]
    out[owner[chosen]] = t_open[chosen] + 120
    return out, chosen
