"""email_domain_type (Arrow, RE2) agrees with a per-row Python regex on awkward addresses."""

import re

import pandas as pd

from features.fit import email_domain_type

FREE = ("gmail.com", "yahoo.com")
ADDRESSES = [
    " A@Gmail.com ",
    "x@acme.io",
    "no-at-sign",
    None,
    "a@b@c.com",
    "u@ex ample.com",
    "@",
    "trailing@",
    "q@GMAIL.COM",
    "",
    "   ",
    "x@yahoo.com.au",
    "Élodie@Société.fr",
    "tab@\tgmail.com",
]


def _one(address):  # the rule, one address at a time
    if address is None:
        return None
    found = re.search(r"@([^@\s]+)$", address.strip().lower())
    if found is None:
        return None
    return "free" if found.group(1) in FREE else "corporate"


def test_email_domain_type_matches_a_per_row_regex():
    got = email_domain_type(pd.Series(ADDRESSES, dtype="object"), FREE)
    assert list(got.cat.categories) == ["free", "corporate"]
    assert [None if pd.isna(v) else v for v in got] == [_one(a) for a in ADDRESSES]
