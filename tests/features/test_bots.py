"""The bot filter's rules on tiny hand-made events, its settings and its counts."""

from __future__ import annotations

import pandas as pd
import pytest

from features.bots import (
    bot_counts,
    bot_reasons,
    bot_share_text,
    delivery_times,
    ip_in_ranges,
    load_bot_settings,
    split_bots,
)

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
T0 = pd.Timestamp("2026-03-02T09:00:00Z")


def events(rows: list[dict]) -> pd.DataFrame:
    """Activities from ``(type, seconds after T0, ...)`` rows with sensible defaults."""
    out = []
    for i, row in enumerate(rows):
        full = {
            "activity_id": f"a{i}",
            "contact_id": "c1",
            "email_id": None,
            "user_agent": None,
            "ip": None,
            "delivered_at": pd.NaT,
            **row,
        }
        full["occurred_at"] = T0 + pd.Timedelta(seconds=row["at"])
        del full["at"]
        out.append(full)
    frame = pd.DataFrame(out)
    frame["delivered_at"] = pd.to_datetime(frame["delivered_at"], utc=True)
    frame["activity_type"] = frame["activity_type"].astype("category")
    return frame


def reasons_of(frame: pd.DataFrame, path=None) -> list:
    got = bot_reasons(frame, load_bot_settings(path))
    return [None if pd.isna(r) else r for r in got]


def test_crawler_user_agents_are_flagged_and_browsers_are_not():
    frame = events(
        [
            {"activity_type": "email_click", "at": 600, "user_agent": "Barracuda Sentinel (EE)"},
            {"activity_type": "page_view", "at": 900, "user_agent": "python-requests/2.31"},
            {"activity_type": "email_click", "at": 3600, "user_agent": BROWSER},
            {"activity_type": "page_view", "at": 7200},
        ]
    )
    assert reasons_of(frame) == ["crawler_user_agent", "crawler_user_agent", None, None]


OUTLOOK_AGENTS = (
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; Microsoft Outlook "
    "16.0.5422; ms-office; MSOffice 16)",
    "MacOutlook/16.80.23121017 (Intel Mac OS X Version 14.2 (Build 23C64))",
    "Outlook-iOS/709.2226530.prod.iphone (3.24.1)",
)


@pytest.mark.parametrize("agent", OUTLOOK_AGENTS)
def test_outlook_is_a_person_by_default_though_crawlerdetect_lists_it(agent, tmp_path):
    frame = events([{"activity_type": "email_click", "at": 600, "user_agent": agent}])
    assert reasons_of(frame) == [None]
    # the allow-list is data (features/bots/mail_clients.txt): without it crawlerdetect's
    # verdict stands, which is what the list is there to correct
    no_list = tmp_path / "bots.yaml"
    no_list.write_text("crawler_user_agent: {allow_file: null}\n")
    assert reasons_of(frame, no_list) == ["crawler_user_agent"]


def test_office_discovery_requests_stay_flagged_next_to_outlook():
    frame = events(
        [
            {"activity_type": "email_click", "at": 600, "user_agent": OUTLOOK_AGENTS[0]},
            {"activity_type": "page_view", "at": 900, "user_agent": "Microsoft Office Existence "
             "Discovery"},
        ]
    )  # fmt: skip
    assert reasons_of(frame) == [None, "crawler_user_agent"]


def test_a_teams_allow_entries_add_to_the_shipped_mail_clients(tmp_path):
    apple_mail = "Mail/3445.104.11 CFNetwork/1408.0.4 Darwin/22.5.0"
    frame = events(
        [
            {"activity_type": "email_open", "at": 600, "user_agent": apple_mail},
            {"activity_type": "email_open", "at": 700, "user_agent": OUTLOOK_AGENTS[0]},
        ]
    )
    assert reasons_of(frame) == ["crawler_user_agent", None]
    settings = tmp_path / "bots.yaml"
    settings.write_text("crawler_user_agent:\n  allow: [Mail/3445]\n")
    assert reasons_of(frame, settings) == [None, None]
    assert "microsoft outlook" in load_bot_settings(settings).crawler_user_agent.allow


def test_an_allow_file_is_read_relative_to_the_settings(tmp_path):
    (tmp_path / "clients.txt").write_text("# ours\nAcme Mail/   # the in-house client\n\n")
    path = tmp_path / "bots.yaml"
    path.write_text("crawler_user_agent: {allow_file: clients.txt}\n")
    assert load_bot_settings(path).crawler_user_agent.allow == ("acme mail/",)
    path.write_text("crawler_user_agent: {allow_file: missing.txt}\n")
    with pytest.raises(ValueError, match=r"missing.txt; fix crawler_user_agent.allow_file"):
        load_bot_settings(path)


def test_privacy_proxy_opens_by_user_agent_or_ip_range():
    frame = events(
        [
            {"activity_type": "email_open", "at": 5, "user_agent": "Mozilla/5.0"},
            {"activity_type": "email_open", "at": 60, "user_agent": BROWSER, "ip": "17.58.1.9"},
            {"activity_type": "email_open", "at": 120, "user_agent": BROWSER, "ip": "18.0.0.1"},
            # the proxy's user agent on a click is no proxy open
            {"activity_type": "email_click", "at": 4000, "user_agent": "Mozilla/5.0"},
            {"activity_type": "email_open", "at": 200, "ip": "not an ip"},
        ]
    )
    assert reasons_of(frame) == ["privacy_proxy_open", "privacy_proxy_open", None, None, None]


def test_ip_ranges_merge_and_cover_ipv6():
    ips = pd.Series(["10.0.0.255", "10.0.1.0", "10.0.2.1", "2001:db8::1", "2001:db9::", None])
    ranges = ("10.0.0.0/24", "10.0.1.0/24", "2001:db8::/32")
    assert ip_in_ranges(ips, ranges).tolist() == [True, True, False, True, False, False]


def test_all_links_of_one_email_clicked_within_one_second():
    frame = events(
        [
            {"activity_type": "email_click", "at": 300.0, "email_id": "e1", "user_agent": BROWSER},
            {"activity_type": "email_click", "at": 300.4, "email_id": "e1", "user_agent": BROWSER},
            {"activity_type": "email_click", "at": 301.2, "email_id": "e1", "user_agent": BROWSER},
            # another e-mail, another contact, or 1.5 s later: people
            {"activity_type": "email_click", "at": 300.5, "email_id": "e2", "user_agent": BROWSER},
            {"activity_type": "email_click", "at": 300.1, "email_id": "e1", "contact_id": "c2"},
            {"activity_type": "email_click", "at": 900.0, "email_id": "e3"},
            {"activity_type": "email_click", "at": 901.5, "email_id": "e3"},
        ]
    )
    assert reasons_of(frame) == ["all_links_at_once"] * 3 + [None] * 4


def test_clicks_soon_after_delivery_from_delivered_at_or_the_send():
    delivered = T0 + pd.Timedelta(seconds=100)
    frame = events(
        [
            {
                "activity_type": "email_click",
                "at": 108,
                "email_id": "e1",
                "delivered_at": delivered,
            },
            {
                "activity_type": "email_click",
                "at": 111,
                "email_id": "e2",
                "delivered_at": delivered,
            },
            # no delivered_at: the contact's send of the same e-mail counts
            {"activity_type": "email_sent", "at": 1000, "email_id": "e3"},
            {"activity_type": "email_click", "at": 1010, "email_id": "e3"},
            {"activity_type": "email_click", "at": 1010, "email_id": "e3", "contact_id": "c2"},
            # an open that soon is no click
            {"activity_type": "email_open", "at": 1001, "email_id": "e3"},
        ]
    )
    assert reasons_of(frame) == [
        "click_after_delivery",
        None,
        None,
        "click_after_delivery",
        None,
        None,
    ]


def test_delivery_times_prefer_delivered_at_then_the_first_send():
    frame = events(
        [
            {"activity_type": "email_sent", "at": 50, "email_id": "e1"},
            {"activity_type": "email_sent", "at": 20, "email_id": "e1"},
            {"activity_type": "email_open", "at": 90, "email_id": "e1"},
            {"activity_type": "email_open", "at": 90, "email_id": "e1", "delivered_at": T0},
            {"activity_type": "email_open", "at": 90, "email_id": "e9"},
        ]
    )
    t0 = T0.value
    got = delivery_times(frame).tolist()
    assert got[:4] == [t0 + 20 * 10**9] * 3 + [t0]
    assert pd.isna(got[4])


def test_bursts_no_person_produces():
    fast = [{"activity_type": "page_view", "at": 10 + 0.4 * i} for i in range(5)]
    slow = [{"activity_type": "page_view", "at": 100 + 1.0 * i} for i in range(5)]
    other = [
        {"activity_type": "page_view", "at": 10 + 0.1 * i, "contact_id": "c2"} for i in range(4)
    ]
    sales = [{"activity_type": "deal_stage_change", "at": 10, "contact_id": "c3"}] * 6
    frame = events(fast + slow + other + sales)
    assert reasons_of(frame) == ["burst"] * 5 + [None] * 5 + [None] * 4 + [None] * 6


def test_the_first_matching_rule_names_the_reason_and_off_flags_nothing(tmp_path):
    frame = events(
        [
            {"activity_type": "email_click", "at": 1, "email_id": "e1", "user_agent": "curl/8.0"},
            {"activity_type": "email_click", "at": 1.2, "email_id": "e1", "delivered_at": T0},
        ]
    )
    assert reasons_of(frame) == ["crawler_user_agent", "all_links_at_once"]
    off = tmp_path / "off.yaml"
    off.write_text("enabled: false\n")
    assert reasons_of(frame, off) == [None, None]
    no_links = tmp_path / "no_links.yaml"
    no_links.write_text("all_links_at_once: {enabled: false}\n")
    assert reasons_of(frame, no_links) == ["crawler_user_agent", "click_after_delivery"]


def test_missing_optional_columns_flag_only_what_is_visible():
    frame = events([{"activity_type": "email_click", "at": 5, "email_id": "e1"}]).drop(
        columns=["user_agent", "ip", "delivered_at"]
    )
    assert reasons_of(frame) == [None]


def test_split_keeps_every_row_once_and_counts_by_type_and_reason():
    frame = events(
        [
            {"activity_type": "email_click", "at": 600, "user_agent": "curl/8.0"},
            {"activity_type": "email_click", "at": 3600, "user_agent": BROWSER},
            {"activity_type": "email_open", "at": 60, "user_agent": "Mozilla/5.0"},
            {"activity_type": "email_open", "at": 70, "user_agent": BROWSER},
            {"activity_type": "email_open", "at": 80, "user_agent": BROWSER},
            {"activity_type": "email_open", "at": 90, "user_agent": BROWSER},
        ]
    )
    kept, bots = split_bots(frame, load_bot_settings())
    assert sorted([*kept["activity_id"], *bots["activity_id"]]) == sorted(frame["activity_id"])
    assert bots["activity_id"].tolist() == ["a0", "a2"]
    assert bots["bot_reason"].tolist() == ["crawler_user_agent", "privacy_proxy_open"]
    counts = bot_counts(frame, bots)
    assert counts == {
        "activities": 6,
        "bots": 2,
        "by_type": {
            "email_click": {"events": 2, "bots": 1},
            "email_open": {"events": 4, "bots": 1},
        },
        "by_reason": {"crawler_user_agent": 1, "privacy_proxy_open": 1},
    }
    text = bot_share_text(counts)
    assert "e-mail clicks: 50 % filtered as bots" in text
    assert "e-mail opens: 25 % filtered as bots" in text


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("burst: {events: 1}", r"burst\.events"),
        ("click_after_delivery: {activity_types: [email_clik]}", r"email_clik"),
        ("privacy_proxy_open: {ip_ranges: [300.1.1.1/8]}", r"not an IP range"),
        ("nonsense: 1", r"nonsense"),
        ("crawler_user_agent: {allow: ['  ']}", r"crawler_user_agent\.allow.*every user agent"),
        ("- a list", r"expected a mapping"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, yaml_text, message):
    path = tmp_path / "bots.yaml"
    path.write_text(yaml_text + "\n")
    with pytest.raises(ValueError, match=message):
        load_bot_settings(path)


def test_a_ranges_file_is_read_relative_to_the_settings_and_bad_lines_are_named(tmp_path):
    (tmp_path / "ranges.csv").write_text("# Apple egress\n172.224.0.0/16,US,US-CA,LA,\n")
    path = tmp_path / "bots.yaml"
    path.write_text("privacy_proxy_open: {ip_ranges_file: ranges.csv}\n")
    assert load_bot_settings(path).privacy_proxy_open.ip_ranges == ("172.224.0.0/16",)
    (tmp_path / "ranges.csv").write_text("10.0.0.0/8\nnope\n")
    with pytest.raises(ValueError, match=r"ranges.csv, line 2: 'nope'"):
        load_bot_settings(path)
