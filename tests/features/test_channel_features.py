"""The default spec counts activity per channel, ad impressions and video views.

Hand-made activities of two contacts; every expected count is worked out from the list.
"""

from __future__ import annotations

import pandas as pd
import pytest
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.spec import load_feature_spec

AS_OF = pd.Timestamp("2024-03-01", tz="UTC")
DAY = pd.Timedelta(days=1)

ACTS = [  # contact, days before as_of, type, channel
    ("c1", 1, "ad_impression", "ads"),
    ("c1", 2, "ad_impression", "ads"),
    ("c1", 20, "ad_impression", "ads"),
    ("c1", 3, "ad_click", "ads"),
    ("c1", 5, "video_view", "web"),
    ("c1", 40, "video_view", "web"),
    ("c1", 6, "page_view", "web"),
    ("c1", 0, "ad_impression", "ads"),  # at as_of: not known yet
    ("c2", 10, "email_open", "email"),
    ("c2", 12, "email_sent", "email"),
    ("c2", 80, "webinar_attend", "event"),
    ("c2", 4, "social_interaction", "social"),
    ("c2", 2, "chat", None),  # no channel: in no channel count
]


def tables() -> CrmTables:
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "c1", "created_at": "2023-01-01T00:00Z"},
            {"contact_id": "c2", "created_at": "2023-01-01T00:00Z"},
        ],
    )
    activities = canonical_frame(
        "activities",
        [
            {
                "activity_id": f"a{i}",
                "contact_id": c,
                "occurred_at": AS_OF - days * DAY,
                "activity_type": kind,
                "channel": channel,
            }
            for i, (c, days, kind, channel) in enumerate(ACTS)
        ],
    )
    accounts = canonical_frame("accounts", [])
    return CrmTables(contacts, accounts, activities, pd.DataFrame(columns=["contact_id"]))


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return build_features(tables(), AS_OF, load_feature_spec())


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("ad_impressions_7d", [2, 0]),
        ("ad_impressions_30d", [3, 0]),
        ("video_views_7d", [1, 0]),
        ("video_views_90d", [2, 0]),
        ("ads_activity_7d", [3, 0]),  # two impressions and a click
        ("ads_activity_30d", [4, 0]),
        ("web_activity_7d", [2, 0]),  # a video view and a page view
        ("web_activity_90d", [3, 0]),
        ("email_activity_7d", [0, 0]),
        ("email_activity_30d", [0, 2]),  # sent and opened: all e-mail activity
        ("social_activity_7d", [0, 1]),
        ("event_activity_30d", [0, 0]),
        ("event_activity_90d", [0, 1]),
        ("any_engagement_7d", [3, 2]),  # a click, a video and a page view; social and chat
    ],
)
def test_counts_per_channel_and_type(features, column, expected):
    assert features[column].tolist() == expected


def test_a_group_may_match_on_the_channel_alone_but_not_on_nothing(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("extends: default\ngroups:\n  chat_channel:\n    match: {channel: chat}\n")
    assert "chat_channel_30d" in build_features(tables(), AS_OF, load_feature_spec(spec))
    spec.write_text("extends: default\ngroups:\n  nothing:\n    match: {}\n")
    with pytest.raises(ValueError, match=r"groups\.nothing\.match: .*give at least one of"):
        load_feature_spec(spec)
