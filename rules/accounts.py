"""Account scoring: roll contact scores up to their account.

A buying committee that is warm together shows up at the account level even when no
single contact passes the threshold. Methods: ``sum``, ``mean``, ``max`` and
``top_n_weighted`` (weighted mean of the best ``top_n`` contacts' scores; equal weights
unless given, normalised over the contacts an account actually has). Contacts without an
account are skipped. Ties in score are broken by ``contact_id`` (text order), so the
result does not depend on the contacts' order: the Spark engine, whose buckets hold each
account's contacts in no fixed order, gives the local engine's roll-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rules.model import AccountRollup


def _factorize_sorted(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes into the sorted distinct non-null ids (-1 for nulls), and those ids.

    Ids sort as text (code point order), whatever their type.
    """
    codes, uniques = pd.factorize(ids.astype("string"), sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def roll_up_accounts(
    scores: pd.DataFrame, account_ids: pd.Series, column: str, cfg: AccountRollup
) -> pd.DataFrame:
    """Account scores from contact scores.

    Args:
        scores: Per-contact scores with ``contact_id`` and ``column`` (the one rolled up).
        account_ids: The contacts' ``account_id`` (aligned with ``scores``; nulls skipped).

    Returns:
        One row per account, sorted by ``account_id``: ``account_id``, ``score``,
        ``n_contacts``, ``n_used`` (contacts counted by the method), ``top_contact_id``
        and ``hot`` (score >= threshold; False when no threshold is set).
    """
    codes, uniques = _factorize_sorted(account_ids.reset_index(drop=True))
    has = codes >= 0
    rows = np.flatnonzero(has)
    acc = codes[rows]
    score = scores[column].to_numpy(dtype=float)[rows]
    contact = _factorize_sorted(scores["contact_id"].reset_index(drop=True))[0][rows]
    k = len(uniques)
    # best first within each account: by account, score descending, contact_id
    order = np.lexsort((contact, -score, acc))
    acc_s, score_s = acc[order], score[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = acc_s[1:] != acc_s[:-1]
    idx = np.arange(order.size)
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0))
    n_contacts = np.bincount(acc, minlength=k)
    out_score: np.ndarray
    used: np.ndarray
    # sums run in that order too, so the last bit does not depend on the input order
    if cfg.method == "sum":
        out_score, used = np.bincount(acc_s, weights=score_s, minlength=k), n_contacts
    elif cfg.method == "mean":
        out_score = np.bincount(acc_s, weights=score_s, minlength=k) / n_contacts
        used = n_contacts
    elif cfg.method == "max":
        out_score, used = score_s[first], np.ones(k, dtype=np.int64)
    else:
        weights = np.asarray(cfg.weights or [1.0] * cfg.top_n, dtype=float)
        in_top = rank < cfg.top_n
        w = np.where(in_top, weights[np.minimum(rank, cfg.top_n - 1)], 0.0)
        w_sum = np.bincount(acc_s, weights=w, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out_score = np.bincount(acc_s, weights=w * score_s, minlength=k) / w_sum
        used = np.bincount(acc_s, weights=in_top, minlength=k).astype(np.int64)
    out = pd.DataFrame(
        {
            "account_id": pd.Series(uniques, dtype="string"),
            "score": np.asarray(out_score, dtype=float),
            "n_contacts": n_contacts.astype(np.int64),
            "n_used": np.asarray(used, dtype=np.int64),
            "top_contact_id": (
                scores["contact_id"].take(rows[order[first]]).reset_index(drop=True)
            ).astype("string"),
        }
    )
    out["hot"] = (out["score"] >= cfg.threshold) if cfg.threshold is not None else False
    return out
