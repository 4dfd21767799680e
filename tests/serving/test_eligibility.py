"""Who a scoring run may score: converted contacts are rejected, a stale as_of is named."""

import logging

import pandas as pd
from table_rows import canonical_frame

from features.crm import CrmTables, empty_table
from features.customers import CUSTOMER_SINCE, customer_since
from serving.eligibility import converted_rejects, known_tables, stale_as_of, warn_if_stale

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


def _outcomes(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": pd.Series([r[0] for r in rows], dtype="string"),
            "converted_at": pd.to_datetime([r[1] for r in rows], utc=True),
            "outcome": pd.Series([r[2] for r in rows], dtype="string"),
        }
    )


def test_converted_contacts_are_rejected_by_their_first_conversion():
    outcomes = _outcomes(
        [
            ("a", "2026-02-10", "opportunity"),  # opportunity before as_of: converted
            ("a", "2026-02-20", "won"),
            ("b", "2026-03-01", "won"),  # exactly at as_of: converted (training's rule)
            ("c", "2026-03-02", "won"),  # after as_of: still a lead
            ("d", "2026-01-05", "lost"),  # lost is no conversion
            ("e", "2026-04-01", "opportunity"),  # opportunity later, won never: a lead
            ("x", "2026-01-01", "won"),  # not asked for
        ]
    )
    ids = pd.Series(["e", "d", "c", "b", "a"], dtype="string")
    got = converted_rejects(ids, outcomes, AS_OF)
    assert list(got["contact_id"]) == ["b", "a"]  # in the order asked
    # one reason text for all, so that the run summary counts them together
    assert set(got["reason"]) == {
        "already converted (opportunity or won at or before as_of): not a lead"
    }
    assert converted_rejects(ids, _outcomes([]), AS_OF).empty


def _tables(
    created: list[str | None], activities: tuple[str, ...] = (), outcomes: tuple[str, ...] = ()
) -> CrmTables:
    """Canonical tables holding only the timestamps that matter here."""
    contacts = [{"contact_id": f"c{i}", "created_at": t} for i, t in enumerate(created)]
    acts = [
        {"activity_id": f"a{i}", "contact_id": "c0", "occurred_at": t}
        for i, t in enumerate(activities)
    ]
    outs = [{"contact_id": "c0", "converted_at": t, "outcome": "won"} for t in outcomes]
    return CrmTables(
        contacts=canonical_frame("contacts", contacts),
        accounts=empty_table("accounts"),
        activities=canonical_frame("activities", acts) if acts else empty_table("activities"),
        outcomes=canonical_frame("outcomes", outs) if outs else empty_table("outcomes"),
    )


def test_as_of_more_than_the_horizon_after_the_last_record_is_named():
    tables = _tables(["2025-09-01"], ("2025-10-01T00:00", "2025-12-01T12:00"))
    # 2025-12-01 12:00 + 90 days = 2026-03-01 12:00: as_of 2026-03-01 is inside the horizon
    assert stale_as_of(tables, AS_OF, 90) is None
    message = stale_as_of(tables, AS_OF, 30)
    assert message is not None
    assert "89 days after the data's last record (2025-12-01)" in message
    assert "30-day horizon" in message and "--as-of" in message and "2025-12-02" in message


def test_an_export_without_activities_is_judged_by_its_contacts_and_outcomes():
    # Olist's shape: MQLs (contacts) and deals (outcomes), no activity table
    only_contacts = _tables(["2018-01-10", "2018-05-31"])
    message = stale_as_of(only_contacts, AS_OF, 90)
    assert message is not None and "(2018-05-31)" in message
    assert f"{(AS_OF - pd.Timestamp('2018-05-31', tz='UTC')).days:,} days after" in message
    # a later deal moves the data's end: 2018-11-14 + 90 days
    with_deals = _tables(["2018-01-10", "2018-05-31"], outcomes=("2018-11-14",))
    assert "(2018-11-14)" in stale_as_of(with_deals, AS_OF, 90)
    assert stale_as_of(with_deals, pd.Timestamp("2019-02-01", tz="UTC"), 90) is None
    # contacts without any timestamp: nothing to be stale against
    assert stale_as_of(_tables([None]), AS_OF, 90) is None


def test_the_stale_warning_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="serving.eligibility"):
        warn_if_stale(_tables(["2025-01-01"]), AS_OF, 90)
        warn_if_stale(_tables(["2025-01-01"], ("2026-02-01",)), AS_OF, 90)
        warn_if_stale(_tables(["2025-01-01"]), AS_OF, None)  # no horizon: no warning
    assert len(caplog.records) == 1 and "424 days" in caplog.records[0].getMessage()


def test_a_rejected_lead_one_asks_about_gets_the_as_of_at_which_it_was_a_lead():
    # leadscore explain of a converted Maven opportunity said only "already converted":
    # the user was not told which --as-of shows the lead it was
    from serving.eligibility import CONVERTED, as_of_that_explains, known_contacts

    # c0: created 2026-01-05, won 2026-02-20 09:00 -> as of 2026-02-20 00:00 it was a lead
    tables = _tables(["2026-01-05", "2026-06-01"], outcomes=("2026-02-20T09:00",))
    hint = as_of_that_explains(tables, "c0", CONVERTED)
    assert hint == "it converted on 2026-02-20: pass --as-of 2026-02-20 to see the lead it was"
    assert converted_rejects(
        pd.Series(["c0"]), tables.outcomes, pd.Timestamp("2026-02-20", tz="UTC")
    ).empty
    # won at midnight: at or before as_of rejects it, so the day before
    midnight = _tables(["2026-01-05"], outcomes=("2026-02-20",))
    assert "pass --as-of 2026-02-19 " in as_of_that_explains(midnight, "c0", CONVERTED)
    # converted the day it was created (X Education's one date): no date shows a lead
    same_day = _tables(["2026-01-05T08:00"], outcomes=("2026-01-05T10:00",))
    assert "no date shows it as a lead" in as_of_that_explains(same_day, "c0", CONVERTED)
    # created after as_of: the day after its creation is the first as_of that knows it
    _, late = known_contacts(tables.contacts, AS_OF)
    reason = late.loc[late["contact_id"] == "c1", "reason"].iloc[0]
    hint = as_of_that_explains(tables, "c1", reason)
    assert hint == "it was created on 2026-06-01: pass --as-of 2026-06-02 or later"
    assert known_contacts(tables.contacts, pd.Timestamp("2026-06-02", tz="UTC"))[1].empty
    # reasons that say what to do themselves, and unknown contacts: nothing added
    assert as_of_that_explains(tables, "c0", "customer: ...") == ""
    assert as_of_that_explains(tables, "nobody", CONVERTED) == ""


def test_known_tables_keep_the_contacts_created_before_as_of_with_every_other_table():
    tables = _tables(
        ["2026-01-01", "2026-03-01", None, "2026-02-28"],
        activities=("2026-01-02",),
        outcomes=("2026-02-01",),
    )
    known, rejects = known_tables(tables, AS_OF)
    # c1 at as_of is not known yet, c2 has no creation time; order kept
    assert list(known.contacts["contact_id"]) == ["c0", "c3"]
    assert list(rejects["contact_id"]) == ["c1", "c2"]
    assert rejects["reason"].iloc[1].startswith("missing created_at")
    assert known.activities is tables.activities and known.outcomes is tables.outcomes
    # the customer dates are the whole tables' (read once), not recomputed for the part
    assert known.derived[CUSTOMER_SINCE] is customer_since(tables)
