"""rules publish's preview: a flat-export scorer (no label horizon) gets no backtest."""

import pandas as pd
from table_rows import canonical_frame

from features.crm import CrmTables
from rules import load_rulebook
from serving.rulebook_impact import impact_text, rulebook_impact
from serving.run_config import EMPTY_RULEBOOK

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


def _tables() -> CrmTables:
    """Three leads of January, one page view each, c0 won in February."""
    created = {f"c{i}": pd.Timestamp(f"2026-01-0{i + 1}", tz="UTC") for i in range(3)}
    contacts = [{"contact_id": c, "created_at": t} for c, t in created.items()]
    activities = [
        {"activity_id": f"a{i}", "contact_id": c, "occurred_at": t + pd.Timedelta(days=2),
         "activity_type": "page_view"}
        for i, (c, t) in enumerate(created.items())
    ]  # fmt: skip
    won = [{"contact_id": "c0", "converted_at": pd.Timestamp("2026-02-10", tz="UTC"),
            "outcome": "won"}]  # fmt: skip
    return CrmTables(
        contacts=canonical_frame("contacts", contacts),
        accounts=canonical_frame("accounts", []),
        activities=canonical_frame("activities", activities),
        outcomes=canonical_frame("outcomes", won),
    )


def test_a_scorer_without_a_label_horizon_previews_without_a_backtest():
    # X Education: `rules publish` refused a flat-export scorer ("it has no label horizon;
    # or give ... --horizon-days H"), then replayed nothing with the horizon given
    tables, book = _tables(), load_rulebook(EMPTY_RULEBOOK)
    with_horizon = rulebook_impact(tables, book, book, AS_OF, 7)
    assert with_horizon.backtest is not None  # the data can be replayed with a horizon
    flat = rulebook_impact(tables, book, book, AS_OF, None)
    assert flat.backtest is None
    assert flat.before == with_horizon.before and flat.moves == {}
    assert "backtest: no outcome history to replay" in impact_text(flat, "v1", "new.yaml")
