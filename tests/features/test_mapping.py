"""Tests for the column mapping: config loading, each feature on a tiny fixture, sources."""

from __future__ import annotations

import gzip
import re
import textwrap

import jsonschema
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from features.crm import empty_table
from features.ingest import (
    MAPPINGS_DIR,
    InputError,
    TableError,
    apply_mapping,
    load_mapping,
    mapping_json_schema,
    parse_mapping,
    read_source,
)
from features.ingest.convert import snake_case

UTC = "datetime64[ns, UTC]"


def _contacts(columns: dict, **table) -> dict:
    """A mapping dict with only a contacts table read from leads.csv."""
    return {"contacts": {"source": "leads.csv", "columns": columns, **table}}


def _apply(mapping: dict, frame: pd.DataFrame, key: str = "leads.csv") -> dict[str, pd.DataFrame]:
    return apply_mapping(parse_mapping(mapping, "m.yaml"), {key: frame})


def _leads(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"id": [f"c{i}" for i in range(n)], "created": ["2024-01-01"] * n}
    return pd.DataFrame({**base, **columns}, dtype="str")


BASE = {"contact_id": "id", "created_at": "created"}


# --- value conversions ---------------------------------------------------------------


def test_value_map_to_booleans():
    frame = _leads(dne=["Yes", "No", None])
    spec = {"source": "dne", "value_map": {"Yes": True, "No": False}}
    out = _apply(_contacts({**BASE, "do_not_email": spec}), frame)["contacts"]
    assert out["do_not_email"].dtype == "boolean"
    assert out["do_not_email"].tolist() == [True, False, pd.NA]


def test_value_map_keeps_unmapped_values_raw_or_uses_the_default():
    frame = _leads(src=["Olark Chat", "Google", "Carrier pigeon", None])
    value_map = {"Olark Chat": "other", "Google": "paid_search"}
    kept = _apply(
        _contacts({**BASE, "lead_source": {"source": "src", "value_map": value_map}}), frame
    )
    assert kept["contacts"]["lead_source"].tolist()[:3] == [
        "other",
        "paid_search",
        "Carrier pigeon",
    ]
    assert pd.isna(kept["contacts"]["lead_source"].iloc[3])
    spec = {"source": "src", "value_map": value_map, "default": "other"}
    defaulted = _apply(_contacts({**BASE, "lead_source": spec}), frame)["contacts"]["lead_source"]
    assert defaulted.tolist()[:3] == ["other", "paid_search", "other"]
    assert pd.isna(defaulted.iloc[3])  # missing stays missing, not the default


def test_value_map_to_null():
    frame = _leads(origin=["unknown", "email"])
    spec = {"source": "origin", "value_map": {"unknown": None, "email": "email"}}
    out = _apply(_contacts({**BASE, "lead_source": spec}), frame)["contacts"]["lead_source"]
    assert pd.isna(out.iloc[0]) and out.iloc[1] == "email"


def test_global_and_column_null_values():
    frame = _leads(country=["Select", "N/A", "India", "unknown"], city=["Select", "Pune", "", "x"])
    mapping = {
        "null_values": ["Select"],
        **_contacts(
            {**BASE, "country": {"source": "country", "null_values": ["unknown", "N/A"]}},
            keep_extra=["city"],
        ),
    }
    out = _apply(mapping, frame)["contacts"]
    assert out["country"].isna().tolist() == [True, True, False, True]
    assert out["city"].isna().tolist() == [True, False, False, False]  # global applies to extras


@pytest.mark.parametrize(
    ("raw", "fmt", "tz", "expected_utc"),
    [
        # Sao Paulo had daylight saving (UTC-2) in February 2018, standard time (UTC-3) in June
        ("2018-02-01", "%Y-%m-%d", "America/Sao_Paulo", "2018-02-01 02:00"),
        ("2018-06-01", "%Y-%m-%d", "America/Sao_Paulo", "2018-06-01 03:00"),
        # DST began at midnight on 2017-10-15: 00:00 did not exist, read as 01:00 (UTC-2)
        ("2017-10-15", "%Y-%m-%d", "America/Sao_Paulo", "2017-10-15 03:00"),
        # DST ended at midnight on 2018-02-18: 23:30 happened twice, read as standard time
        ("2018-02-17 23:30", "%Y-%m-%d %H:%M", "America/Sao_Paulo", "2018-02-18 02:30"),
        ("2024-03-05 14:30", "%Y-%m-%d %H:%M", "America/New_York", "2024-03-05 19:30"),
        ("2024-07-05 14:30", "%Y-%m-%d %H:%M", "America/New_York", "2024-07-05 18:30"),
        ("2024-01-01 10:00", None, "Europe/Berlin", "2024-01-01 09:00"),
        ("2024-01-01T10:00:00+02:00", "iso", "Europe/Berlin", "2024-01-01 08:00"),
        ("2024-01-01T10:00:00Z", "iso", None, "2024-01-01 10:00"),
        ("2024-01-01 10:00", None, None, "2024-01-01 10:00"),
        ("05/03/2024 10:00 +0100", "%d/%m/%Y %H:%M %z", None, "2024-03-05 09:00"),
    ],
)
def test_timestamps_are_converted_to_utc(raw, fmt, tz, expected_utc):
    spec = {"source": "created", "datetime_format": fmt, "timezone": tz}
    out = _apply(_contacts({"contact_id": "id", "created_at": spec}), _leads(created=[raw]))
    created = out["contacts"]["created_at"]
    assert str(created.dtype) == UTC
    assert created.iloc[0] == pd.Timestamp(expected_utc, tz="UTC")


def test_unparseable_timestamps_stay_raw_and_nothing_is_dropped():
    frame = _leads(created=["2024-01-02", "31/12/2024", None, "2024-02-30"])
    spec = {"source": "created", "datetime_format": "%Y-%m-%d"}
    created = _apply(_contacts({"contact_id": "id", "created_at": spec}), frame)["contacts"][
        "created_at"
    ]
    assert created.dtype == object
    assert created.iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")
    assert created.iloc[1] == "31/12/2024"  # raw string: validation quarantines it
    assert created.iloc[2] is None
    assert created.iloc[3] == "2024-02-30"
    assert len(created) == 4


def test_scale_multiplies_numbers_and_keeps_unparseable_raw():
    mapping = {
        "accounts": {
            "source": "accounts.csv",
            "columns": {"account_id": "a", "annual_revenue": {"source": "rev", "scale": 1e6}},
        }
    }
    frame = pd.DataFrame({"a": ["x", "y", "z"], "rev": ["1100.04", "n/a", None]}, dtype="str")
    revenue = _apply(mapping, frame, key="accounts.csv")["accounts"]["annual_revenue"]
    assert revenue.iloc[0] == pytest.approx(1_100_040_000.0)
    assert revenue.iloc[1] == "n/a"
    assert revenue.iloc[2] is None
    clean = _apply(mapping, frame.iloc[[0]], key="accounts.csv")["accounts"]["annual_revenue"]
    assert clean.dtype == "float64"


def test_constants_of_each_kind():
    columns = {
        "contact_id": "id",
        "created_at": {"constant": "2019-12-31T00:00:00Z"},
        "is_employee": {"constant": False},
        "lifecycle_stage": {"constant": "lead"},
    }
    out = _apply(_contacts(columns), _leads(x=["1", "2"]))["contacts"]
    assert str(out["created_at"].dtype) == UTC
    assert (out["created_at"] == pd.Timestamp("2019-12-31", tz="UTC")).all()
    assert out["is_employee"].dtype == "boolean" and not out["is_employee"].any()
    assert out["lifecycle_stage"].tolist() == ["lead", "lead"]


def test_template_builds_ids_and_missing_parts_give_missing():
    frame = _leads(num=["7", None])
    columns = {"contact_id": {"template": "lead-{num}-{id}"}, "created_at": "created"}
    out = _apply(_contacts(columns), frame)["contacts"]["contact_id"]
    assert out.iloc[0] == "lead-7-c0"
    assert pd.isna(out.iloc[1])


# --- rows and columns ----------------------------------------------------------------


def test_row_filter_equals_and_in():
    frame = _leads(converted=["1", "0", "1"], stage=["Won", "Lost", "Open"])
    outcomes = {
        "source": "leads.csv",
        "columns": {
            "contact_id": "id",
            "converted_at": "created",
            "outcome": {"source": "stage", "value_map": {"Won": "won", "Lost": "lost"}},
        },
    }
    eq = {**outcomes, "row_filter": {"column": "converted", "equals": 1}}  # int matches "1"
    out = _apply({**_contacts(BASE), "outcomes": eq}, frame)
    assert out["outcomes"]["contact_id"].tolist() == ["c0", "c2"]
    assert len(out["contacts"]) == 3  # the filter is per table
    isin = {**outcomes, "row_filter": [{"column": "stage", "in": ["Won", "Lost"]}]}
    out = _apply({**_contacts(BASE), "outcomes": isin}, frame)["outcomes"]
    assert out["outcome"].tolist() == ["won", "lost"]
    assert out.index.tolist() == [0, 1]


def test_keep_extra_renames_to_snake_case_after_the_canonical_columns():
    frame = _leads(
        **{"Total Time Spent on Website": ["5"], "TotalVisits": ["2"], "Lead Number": ["9"]}
    )
    out = _apply(_contacts(BASE, keep_extra=True, exclude_extra=["Lead Number"]), frame)
    assert list(out["contacts"].columns) == [
        "contact_id",
        "created_at",
        "total_time_spent_on_website",
        "total_visits",
    ]
    assert out["contacts"]["total_visits"].tolist() == ["2"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Total Time Spent on Website", "total_time_spent_on_website"),
        ("TotalVisits", "total_visits"),
        ("Page Views Per Visit", "page_views_per_visit"),
        ("Lead-Source (raw)", "lead_source_raw"),
        ("HTTPStatus", "http_status"),
        ("2nd Touch", "c_2nd_touch"),
        ("mql_id", "mql_id"),
    ],
)
def test_snake_case(name, expected):
    assert snake_case(name) == expected


def test_keep_extra_clash_with_a_canonical_name_is_an_error():
    frame = _leads(**{"Country": ["India"]})
    mapping = _contacts({"contact_id": "id", "created_at": "created"}, keep_extra=True)
    with pytest.raises(
        InputError,
        match=r"source column 'Country' of leads\.csv would become "
        r"'country', a canonical column of contacts",
    ):
        _apply(mapping, frame)


def test_keep_extra_clash_between_two_source_columns():
    frame = _leads(**{"Total Visits": ["1"], "TotalVisits": ["2"]})
    with pytest.raises(InputError, match="'Total Visits' and 'TotalVisits' .* 'total_visits'"):
        _apply(_contacts(BASE, keep_extra=True), frame)


def test_keep_extra_mapping_keeps_those_columns_under_the_names_given():
    frame = _leads(**{"Country": ["India"], "TotalVisits": ["2"], "Notes": ["x"]})
    keep = {"Country": "country_raw", "TotalVisits": "visits"}
    out = _apply(_contacts(BASE, keep_extra=keep), frame)["contacts"]
    assert list(out.columns) == ["contact_id", "created_at", "country_raw", "visits"]
    assert out[["country_raw", "visits"]].values.tolist() == [["India", "2"]]
    with pytest.raises(InputError, match="'country', a canonical column of contacts"):
        _apply(_contacts(BASE, keep_extra={"Country": "country"}), frame)
    with pytest.raises(
        InputError, match=r"keep_extra: names must be snake_case \(e\.g\. 'visits_n'\)"
    ):
        _apply(_contacts(BASE, keep_extra={"TotalVisits": "Visits N"}), frame)


def test_undefined_tables_are_empty_canonical_tables():
    out = _apply(_contacts(BASE), _leads(x=["1"]))
    for name in ("accounts", "activities", "outcomes"):
        pd.testing.assert_frame_equal(out[name], empty_table(name))
    assert list(out["contacts"].columns) == ["contact_id", "created_at"]  # optional ones absent


def test_missing_source_column_names_mapping_field_file_and_columns():
    mapping = _contacts({"contact_id": "id", "created_at": "Created On"})
    expected = (
        "mapping m.yaml: contacts.columns.created_at.source: column 'Created On' not found "
        "in leads.csv; columns there are: 'id', 'created'"
    )
    with pytest.raises(InputError, match=re.escape(expected)):
        _apply(mapping, _leads(id=["1"]))


def test_all_missing_source_columns_are_reported_together():
    mapping = _contacts({"contact_id": "ID", "created_at": "Created On"}, keep_extra=["nope"])
    with pytest.raises(InputError, match="3 problems") as info:
        _apply(mapping, _leads(x=["1"]))
    for path in ("contact_id.source", "created_at.source", "contacts.keep_extra"):
        assert path in str(info.value)


# --- loading the YAML ----------------------------------------------------------------


def _yaml(tmp_path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_load_reports_every_problem_at_once_with_its_path(tmp_path):
    path = _yaml(
        tmp_path,
        """
        contacts:
          source: leads.csv
          columns:
            contact_id: id
            createdat: Created
            lead_source: {source: src, value_map: {"Olark Chat": chat}}
            country: {source: c, timezone: America/Sao_Paulo}
        outcomes:
          source: leads.csv
          row_filter: {column: Converted}
          columns:
            contact_id: id
            converted_at: {source: d, timezone: Mars/Olympus}
            outcome: {constant: gone, source: x}
        """,
    )
    with pytest.raises(InputError) as info:
        load_mapping(path)
    message = str(info.value)
    assert message.startswith("mapping bad.yaml: ")
    for expected in (
        "contacts.columns.createdat: not a column of contacts",
        "contacts.columns: required column(s) ['created_at'] not mapped",
        "contacts.columns.lead_source.value_map['Olark Chat']: 'chat' is not allowed",
        "contacts.columns.country.timezone: only for datetime columns",
        "outcomes.columns.converted_at.timezone: 'Mars/Olympus' is not an IANA time zone",
        "outcomes.columns.outcome: give exactly one of source, constant, template",
        "outcomes.columns.outcome.constant: 'gone' is not allowed",
        "outcomes.row_filter[0]: give exactly one of 'equals' or 'in'",
    ):
        assert expected in message


def test_structural_and_schema_problems_in_different_tables_together(tmp_path):
    path = _yaml(
        tmp_path,
        """
        contacts: {source: leads.csv, colums: {contact_id: id}}
        outcomes:
          source: leads.csv
          columns: {contact_id: id, converted_at: d, outcome: {constant: gone}}
        """,
    )
    with pytest.raises(InputError) as info:
        load_mapping(path)
    assert "contacts.colums: unknown field" in str(info.value)
    assert "outcomes.columns.outcome.constant: 'gone' is not allowed" in str(info.value)


def test_unquoted_yes_no_in_a_value_map_is_refused_with_a_hint(tmp_path):
    path = _yaml(
        tmp_path,
        """
        contacts:
          source: leads.csv
          columns:
            contact_id: id
            created_at: c
            do_not_email: {source: dne, value_map: {Yes: true, No: false}}
        """,
    )
    with pytest.raises(InputError, match=r"value_map key True is a YAML boolean.*quote it"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("top", "column"),
    [
        ("null_values: [Select, No]", "dne"),  # the mapping's null values
        ("", "{source: dne, null_values: [Yes]}"),  # one column's
    ],
)
def test_unquoted_yes_no_among_null_values_is_refused_with_a_hint(tmp_path, top, column):
    columns = f"contact_id: id, created_at: c, do_not_email: {column}"
    path = _yaml(tmp_path, f"{top}\ncontacts: {{source: leads.csv, columns: {{{columns}}}}}\n")
    with pytest.raises(InputError, match=r"null value (True|False) is a YAML boolean.*quote it"):
        load_mapping(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = _yaml(tmp_path, "contacts:\n  source: [leads.csv\n  columns: {}\n")
    with pytest.raises(InputError, match=r"mapping bad\.yaml: invalid YAML at line \d+"):
        load_mapping(path)


def test_yaml_tags_are_not_executed(tmp_path):
    path = _yaml(tmp_path, "contacts: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(InputError, match="invalid YAML"):
        load_mapping(path)


def test_a_folder_named_like_a_shipped_mapping_does_not_hide_it(tmp_path, monkeypatch):
    """`leadscore train --mapping olist --workdir olist` creates the folder ``olist`` first:
    the bare name still means the shipped mapping, as it does without that folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "olist").mkdir()
    shipped = load_mapping(MAPPINGS_DIR / "olist.yaml").model_dump()
    assert load_mapping("olist").model_dump() == shipped


def test_missing_mapping_file_lists_the_shipped_ones(tmp_path):
    with pytest.raises(InputError, match=r"mapping file not found: .*'maven', 'olist'"):
        load_mapping(tmp_path / "nope.yaml")


def test_json_schema_accepts_shipped_mappings_and_rejects_typos():
    schema = mapping_json_schema()
    for path in sorted(MAPPINGS_DIR.glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)
        assert load_mapping(path).origin == path.name
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"contacts": {"source": "x.csv", "colums": {}}}, schema)


def test_mapping_is_frozen():
    mapping = load_mapping("olist")
    with pytest.raises(ValueError, match="frozen"):
        mapping.null_values = ("x",)


# --- reading sources -----------------------------------------------------------------


def test_hubspot_example_on_an_inline_export(tmp_path):
    (tmp_path / "hubspot_contacts.csv").write_text(
        "Record ID,First Name,Email,Job Title,Create Date,Lifecycle Stage,Original Source,"
        "Country/Region,Associated Company ID,Unsubscribed from all email,"
        "Number of Pageviews,Number of Sessions\n"
        "101,Ann,ann@example.com,CTO,2024-03-05 14:30,Marketing Qualified Lead,Paid Search,"
        "Germany,9001,false,12,3\n"
        "102,Bob,,Intern,2024-07-05 14:30,Subscriber,Carrier Pigeon,,,true,1,1\n",
        encoding="utf-8",
    )
    out = read_source(tmp_path, load_mapping("hubspot_example"))
    contacts = out["contacts"]
    assert contacts["contact_id"].tolist() == ["101", "102"]
    assert contacts["created_at"].tolist() == [  # America/New_York: EST then EDT
        pd.Timestamp("2024-03-05 19:30", tz="UTC"),
        pd.Timestamp("2024-07-05 18:30", tz="UTC"),
    ]
    assert contacts["lifecycle_stage"].tolist() == ["mql", "subscriber"]
    assert contacts["lead_source"].tolist() == ["paid_search", "other"]  # default
    assert contacts["original_source"].tolist() == ["Paid Search", "Carrier Pigeon"]
    assert contacts["do_not_email"].tolist() == [False, True]
    assert contacts["number_of_pageviews"].tolist() == ["12", "1"]
    assert "first_name" not in contacts.columns  # personal data not kept
    assert out["outcomes"].empty


def test_canonical_folder_needs_no_mapping_and_ignores_other_files(tmp_path):
    pd.DataFrame(
        {
            "contact_id": ["a", "b"],
            "created_at": ["2024-01-01T00:00:00Z", "bad"],
            "Score X": ["1", "2"],
        }
    ).to_csv(tmp_path / "contacts.csv", index=False)
    pd.DataFrame(
        {"contact_id": ["a"], "converted_at": pd.to_datetime(["2024-02-01"]), "outcome": ["won"]}
    ).to_parquet(tmp_path / "outcomes.parquet")
    with gzip.open(tmp_path / "accounts.csv.gz", "wt") as fh:
        fh.write("account_id,name\n")  # header only: no accounts, not an error here
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "contacts.csv").write_text("junk\n")
    (tmp_path / "notes.txt").write_text("hello")
    out = read_source(tmp_path)
    assert list(out["contacts"].columns) == ["contact_id", "created_at", "score_x"]
    assert out["contacts"]["created_at"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC"), "bad"]
    assert str(out["outcomes"]["converted_at"].dtype) == UTC  # naive parquet read as UTC
    pd.testing.assert_frame_equal(out["accounts"], empty_table("accounts"))


def test_folder_without_contacts_and_without_mapping(tmp_path):
    (tmp_path / "leads.csv").write_text("a\n1\n")
    with pytest.raises(TableError, match=r"no contacts\.csv.*\['leads\.csv'\].*--mapping"):
        read_source(tmp_path)


def test_single_renamed_file_with_a_one_file_mapping(tmp_path):
    path = tmp_path / "leads_2024_06.csv"
    path.write_text("id,created\nx,2024-06-01\n", encoding="utf-8")
    mapping = parse_mapping(_contacts(BASE), "m.yaml")
    out = read_source(path, mapping)
    assert out["contacts"]["contact_id"].tolist() == ["x"]


def test_file_sources_need_a_folder_and_sql_sources_a_url(tmp_path):
    sql_mapping = parse_mapping({"contacts": {"source": {"sql_table": "t"}, "columns": BASE}})
    with pytest.raises(InputError, match="name SQL tables but the source .* is not a database URL"):
        read_source(tmp_path, sql_mapping)
    with pytest.raises(InputError, match="name files but the source is the database"):
        read_source(f"sqlite:///{tmp_path / 'x.db'}", parse_mapping(_contacts(BASE)))


@pytest.fixture
def crm_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "signup": ["2024-01-01", "2024-01-02", "later"],
            "won": [1, 0, 1],
        }
    ).to_sql("crm_leads", engine, index=False)
    engine.dispose()
    return url


SQL_MAPPING = {
    "contacts": {
        "source": {"sql_table": "crm_leads"},
        "columns": {"contact_id": "lead_id", "created_at": "signup"},
    },
    "outcomes": {
        "source": {"sql_table": "crm_leads"},
        "row_filter": {"column": "won", "equals": "1"},
        "columns": {
            "contact_id": "lead_id",
            "converted_at": "signup",
            "outcome": {"constant": "won"},
        },
    },
}


def test_sqlite_through_a_mapping(crm_db):
    out = read_source(crm_db, parse_mapping(SQL_MAPPING, "sql.yaml"))
    assert out["contacts"]["contact_id"].tolist() == ["L1", "L2", "L3"]
    assert out["contacts"]["created_at"].iloc[2] == "later"  # kept raw for validation
    assert out["outcomes"]["contact_id"].tolist() == ["L1", "L3"]  # integer column, "1" filter


def test_sql_table_name_with_a_quote_does_not_inject(crm_db):
    evil = 'crm_leads"; DROP TABLE crm_leads; --'
    mapping = {"contacts": {**SQL_MAPPING["contacts"], "source": {"sql_table": evil}}}
    with pytest.raises(InputError, match=r"no table .*; tables there are: crm_leads"):
        read_source(crm_db, parse_mapping(mapping))
    assert len(read_source(crm_db, parse_mapping(SQL_MAPPING))["contacts"]) == 3


# --- source paths stay inside the data folder ----------------------------------------


@pytest.mark.parametrize(
    "source", ["../../x.csv", "/etc/passwd", "exports/../../x.csv", "..", "C:\\data\\x.csv"]
)
def test_a_source_outside_the_data_folder_is_refused_naming_it(source):
    with pytest.raises(InputError, match=re.escape(f"contacts.source: {source!r} is outside")):
        parse_mapping({"contacts": {"source": source, "columns": BASE}}, "m.yaml")


def test_a_source_in_a_sub_folder_is_read(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "leads.csv").write_text("id,created\nx,2024-06-01\n")
    (tmp_path / "other.csv").write_text("a\n1\n")
    mapping = parse_mapping({"contacts": {"source": "exports/leads.csv", "columns": BASE}})
    assert read_source(tmp_path, mapping)["contacts"]["contact_id"].tolist() == ["x"]
    both = {
        **_contacts(BASE),
        "accounts": {"source": "other.csv", "columns": {"account_id": "a"}},
    }
    (tmp_path / "exports" / "other.csv").write_text("a\n1\n")
    out = read_source(tmp_path / "exports" / "leads.csv", parse_mapping(both))
    assert out["accounts"]["account_id"].tolist() == ["1"]  # beside the file given


def test_a_link_pointing_outside_the_data_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("id,created\nx,2024-06-01\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "leads.csv").symlink_to(secret)
    (data / "accounts.csv").write_text("a\n1\n")
    mapping = parse_mapping(
        {**_contacts(BASE), "accounts": {"source": "accounts.csv", "columns": {"account_id": "a"}}},
        "m.yaml",
    )
    with pytest.raises(
        InputError,
        match=rf"mapping m\.yaml: source 'leads\.csv' resolves to {re.escape(str(secret))}, "
        r"outside the data folder",
    ):
        read_source(data, mapping)
