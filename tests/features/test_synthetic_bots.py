"""Planted bots in the synthetic CRM: truth file, share, every propensity, filter figures."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from crawlerdetect import CrawlerDetect

from features.bots import load_bot_settings, split_bots
from features.synthetic import DirtConfig, generate_crm, write_crm
from features.synthetic.bots import PEOPLE_AGENTS, SCANNER_AGENTS

EMAIL = ["email_open", "email_click"]


@pytest.fixture(scope="module")
def crm():
    return generate_crm(2_000, seed=3, dirt=DirtConfig.none())


def test_truth_file_lists_the_planted_ids(crm, tmp_path):
    paths = write_crm(crm, tmp_path)
    truth = pd.read_csv(paths["bot_activities"], dtype="string")
    assert list(truth.columns) == ["activity_id"]
    assert len(truth) == crm.truth_params["bots"]["planted"] > 0
    assert truth["activity_id"].isin(crm.tables.activities["activity_id"]).all()
    assert crm.tables.activities["activity_id"].is_unique


def test_about_a_fifth_of_email_events_are_bots_on_contacts_of_every_propensity(crm):
    acts = crm.tables.activities
    email = acts["activity_type"].astype("string").isin(EMAIL)
    bot = acts["activity_id"].isin(crm.bot_activities)
    assert bot[~email].sum() == 0
    assert 0.18 <= bot[email].mean() <= 0.21
    # bots work on mailboxes drawn at random: found in every propensity quartile alike
    sent = acts[acts["activity_type"] == "email_sent"].groupby("contact_id").size()
    has_bots = acts[bot].groupby("contact_id").size().reindex(sent.index, fill_value=0) > 0
    propensity = crm.truth.set_index("contact_id")["propensity"].reindex(sent.index)
    share = has_bots.groupby(pd.qcut(propensity, 4, labels=False)).mean()
    assert share.min() > 0.02
    assert share.max() / share.min() < 3


def test_hidden_propensity_does_not_depend_on_the_bots():
    with_bots = generate_crm(300, seed=5, dirt=DirtConfig.none())
    without = generate_crm(300, seed=5, dirt=DirtConfig.none(), bot_share=0.0)
    pd.testing.assert_frame_equal(with_bots.truth, without.truth)
    assert without.bot_activities.empty
    people = ~with_bots.tables.activities["activity_id"].isin(with_bots.bot_activities)
    assert people.sum() == len(without.tables.activities)


def test_people_look_like_people_and_scanners_announce_themselves():
    detector = CrawlerDetect()
    assert not any(detector.isCrawler(agent) for agent in PEOPLE_AGENTS)
    assert all(detector.isCrawler(agent) for agent in SCANNER_AGENTS)


def test_the_default_filter_meets_the_targets_against_the_truth(crm):
    acts = crm.tables.activities
    kept, bots = split_bots(acts, load_bot_settings())
    planted = acts["activity_id"].isin(crm.bot_activities)
    flagged = acts["activity_id"].isin(bots["activity_id"])
    human_email = acts["activity_type"].astype("string").isin(EMAIL) & ~planted
    recall = (flagged & planted).sum() / planted.sum()
    false_positive = (flagged & human_email).sum() / human_email.sum()
    assert recall >= 0.95
    assert false_positive <= 0.01
    assert (flagged & ~planted).sum() == (flagged & human_email).sum()  # no other type hit


@pytest.mark.slow
def test_filtering_gives_bot_hit_contacts_the_click_features_and_points_of_the_truth():
    """The same CRM generated with and without bots (people's rows are identical): after
    filtering, every contact whose planted bots were all flagged has exactly the e-mail
    features and e-mail rule points it has without bots; unfiltered, many do not."""
    from features.build import build_features
    from features.spec import load_feature_spec
    from rules import load_rulebook, score_rulebook
    from serving.run_config import DEFAULT_RULEBOOK

    with_bots = generate_crm(1_500, seed=8, dirt=DirtConfig.none())
    truth = generate_crm(1_500, seed=8, dirt=DirtConfig.none(), bot_share=0.0)
    acts = with_bots.tables.activities
    kept, flagged = split_bots(acts, load_bot_settings())
    planted = acts["activity_id"].isin(with_bots.bot_activities)
    missed = acts.loc[planted & ~acts["activity_id"].isin(flagged["activity_id"]), "contact_id"]
    hit = set(acts.loc[planted, "contact_id"]) - set(missed)
    assert len(hit) > 50 and len(hit) > 10 * missed.nunique()
    as_of = pd.Timestamp(with_bots.truth_params["end"]) - pd.Timedelta(days=20)
    spec, book = load_feature_spec(), load_rulebook(DEFAULT_RULEBOOK)

    def email_view(activities: pd.DataFrame, tables) -> tuple[pd.DataFrame, pd.DataFrame]:
        run = replace(tables, activities=activities)
        features = build_features(run, as_of, spec)
        columns = [c for c in features.columns if c.startswith(("email_click", "email_open"))]
        rules = score_rulebook(run, book, as_of).breakdown
        rules = rules[rules["rule"].astype(str).str.startswith(("email_", "recent_email"))]
        points = rules.groupby([rules["contact_id"].astype(str), "rule"], observed=True)[
            "points_after_caps"
        ].sum()
        ids = sorted(hit & set(features.index))  # contacts known at as_of
        return features.loc[ids, columns], points.unstack(fill_value=0.0).reindex(
            ids, fill_value=0.0
        )

    expected_features, expected_points = email_view(truth.tables.activities, truth.tables)
    assert len(expected_features.columns) >= 6 and len(expected_features) > 50
    got_features, got_points = email_view(kept, with_bots.tables)
    pd.testing.assert_frame_equal(got_features, expected_features)
    rules = sorted(set(got_points.columns) | set(expected_points.columns))
    assert {"email_click", "recent_email_click"} <= set(rules)
    pd.testing.assert_frame_equal(
        got_points.reindex(columns=rules, fill_value=0.0),
        expected_points.reindex(columns=rules, fill_value=0.0),
    )
    noisy_features, _ = email_view(acts, with_bots.tables)
    changed = (noisy_features != expected_features).any(axis=1)
    assert changed.mean() > 0.5  # without the filter, the bots' clicks and opens count
