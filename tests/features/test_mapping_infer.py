"""The mapping ``fit-table`` infers for a flat export: hand-made tables, known answers."""

from __future__ import annotations

import pandas as pd
import yaml

from features.infer import infer_table_types
from features.ingest import apply_mapping, parse_mapping
from features.ingest.mapping_infer import NO_DATE, extra_names, flat_export_mapping, mapping_yaml


def _export() -> pd.DataFrame:
    """Eight leads: a target with one blank, an id, a placeholder 'Select', a column named
    like a canonical one (Region), e-mail addresses and a constant."""
    return pd.DataFrame(
        {
            "Lead": [f"L{i}" for i in range(8)],
            "Won": ["yes", "no", "", "yes", "no", "no", "yes", "no"],
            "Region": ["North", "Select", "South", "North", "South", "Select", "North", "North"],
            "Source": ["Ads", "Select", "Web", "Select", "Ads", "Web", "Ads", "Web"],
            "Job": ["Dev", "Select", "Ops", "Dev", "Select", "Ops", "Dev", "Ops"],
            "Contact": [f"p{i}@mail.example" for i in range(8)],
            "Kind": ["lead"] * 8,
            "Visits": ["1", "2", "3", "4", "5", "6", "7", "8"],
        },
        dtype="string",
    )


def _mapping(frame: pd.DataFrame, **options) -> tuple[dict, object]:
    usable = frame["Won"] != ""
    types = infer_table_types(frame[usable], exclude={"Won": "the target", "Lead": "the id"})
    mapping = flat_export_mapping(
        frame, types, source="leads.csv", target="Won", usable=usable,
        positive=frame["Won"] == "yes", id_column="Lead", **options,
    )  # fmt: skip
    return mapping, types


def test_mapping_keeps_features_renames_clashes_and_filters_unreadable_outcomes():
    mapping, types = _mapping(_export())
    contacts = mapping["contacts"]
    assert mapping["null_values"] == ["Select"]  # in three columns: a placeholder
    assert contacts["keep_extra"] == {"Region": "region_raw", "Source": "source", "Job": "job",
                                      "Visits": "visits"}  # fmt: skip
    assert contacts["row_filter"] == {"column": "Won", "in": ["yes", "no"]}
    assert contacts["columns"] == {"contact_id": "Lead", "created_at": {"constant": NO_DATE}}
    assert mapping["outcomes"]["row_filter"] == {"column": "Won", "in": ["yes"]}
    assert types.excluded["Contact"].startswith("personal data: e-mail")
    assert "constant" in types.excluded["Kind"]


def test_the_mapping_reads_the_export_into_contacts_and_won_outcomes():
    frame = _export()
    mapping, types = _mapping(frame)
    text = mapping_yaml(mapping, types.excluded)
    assert "#   Contact: personal data" in text and "@mail.example" not in text
    tables = apply_mapping(
        parse_mapping(yaml.safe_load(text), "mapping.yaml"), {"leads.csv": frame}
    )
    contacts = tables["contacts"]
    assert contacts["contact_id"].tolist() == ["L0", "L1", "L3", "L4", "L5", "L6", "L7"]
    assert contacts["region_raw"].isna().sum() == 2 and "contact" not in contacts.columns
    assert tables["outcomes"]["contact_id"].tolist() == ["L0", "L3", "L6"]
    assert set(tables["outcomes"]["outcome"]) == {"won"}


def test_time_column_gives_creation_and_conversion_dates_and_no_id_numbers_rows():
    frame = _export().assign(Day=[f"0{i + 1}/02/2024" for i in range(8)])
    usable = frame["Won"] != ""
    types = infer_table_types(frame[usable], exclude={"Won": "t", "Day": "time"})
    mapping = flat_export_mapping(
        frame, types, source="leads.csv", target="Won", usable=usable,
        positive=frame["Won"] == "yes", time_column="Day", time_format="%d/%m/%Y", sep=";",
    )  # fmt: skip
    created = {"source": "Day", "datetime_format": "%d/%m/%Y"}
    assert mapping["contacts"]["columns"]["created_at"] == created
    assert mapping["outcomes"]["columns"]["converted_at"] == created
    assert mapping["contacts"]["columns"]["contact_id"] == {"template": "row-{_row}"}
    assert mapping["contacts"]["sep"] == ";" and "encoding" not in mapping["contacts"]
    tables = apply_mapping(parse_mapping(mapping, "m.yaml"), {"leads.csv": frame})
    # the third row (blank outcome) is filtered out; row numbers are the file's
    assert tables["contacts"]["contact_id"].tolist()[:3] == ["row-1", "row-2", "row-4"]
    assert str(tables["contacts"]["created_at"].iloc[2].date()) == "2024-02-04"


def test_extra_names_never_clash():
    assert extra_names(["Country", "country ", "Visits"]) == {
        "Country": "country_raw", "country ": "country_raw_2", "Visits": "visits",
    }  # fmt: skip
