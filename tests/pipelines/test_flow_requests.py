"""A request's time fields are parsed once, by the request: UTC timestamps for the flows, an
error naming the field for a deployment and the option for the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from features.infer import InferSettings
from pipelines.flow_requests import (
    CompareRequest,
    FeaturesRequest,
    ScoreRequest,
    TrainRequest,
    ValidateRequest,
    from_options,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-07-01", "2026-07-01T00:00Z"),
        ("2026-07-01T02:30+02:00", "2026-07-01T00:30Z"),  # the offset applied
        ("2026-07-01 08:15", "2026-07-01T08:15Z"),  # no offset: UTC
        (None, None),
    ],
)
def test_a_time_is_parsed_into_utc_once(given: str | None, expected: str | None) -> None:
    request = ScoreRequest(data="crm/", sink="s.csv", as_of=given)
    want = None if expected is None else pd.Timestamp(expected)
    assert request.as_of == want
    assert request.as_of is None or request.as_of.tzinfo is not None
    # a deployment's parameters travel as JSON: the same time comes back
    again = ScoreRequest.model_validate(request.model_dump(mode="json"))
    assert again.as_of == want
    assert ValidateRequest(data="crm/", now=given).now == want


@pytest.mark.parametrize(
    ("model", "field", "fields"),
    [
        (ScoreRequest, "as_of", {"sink": "s.csv"}),
        (CompareRequest, "as_of", {}),
        (FeaturesRequest, "as_of", {"out": "f.parquet"}),
        (ValidateRequest, "now", {}),
    ],
)
def test_a_deployment_is_told_the_field(model, field: str, fields: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"data": "crm/", field: "05/09/2026", **fields})
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert str(error["ctx"]["error"]).startswith(f"{field} '05/09/2026' is not an ISO date")


@pytest.mark.parametrize(
    ("model", "field", "option", "fields"),
    [
        (ScoreRequest, "as_of", "--as-of", {"sink": "s.csv"}),
        (CompareRequest, "as_of", "--as-of", {}),
        (ValidateRequest, "now", "--now", {}),
    ],
)
def test_the_command_line_is_told_the_option(model, field: str, option: str, fields: dict) -> None:
    with pytest.raises(ValueError, match=f"^{option} '2026-09-31' is not a real date") as caught:
        from_options(model, data="crm/", **{field: "2026-09-31"}, **fields)
    assert not isinstance(caught.value, ValidationError)  # one readable line, no pydantic dump
    request = from_options(model, data="crm/", **{field: "2026-09-30"}, **fields)
    assert getattr(request, field) == pd.Timestamp("2026-09-30", tz="UTC")


def test_the_requests_that_read_a_new_export_take_infer_and_the_scorers_do_not() -> None:
    """Validate, features and train type a new export's columns with ``infer`` (default: the
    settings' defaults); score and compare read the scorer's stored settings, so a request
    giving ``infer`` there is refused, naming the field."""
    given = {"max_category_levels": 7}
    for cls, fields in (
        (ValidateRequest, {}),
        (FeaturesRequest, {"out": Path("f.parquet")}),
        (TrainRequest, {}),
    ):
        assert cls(data="crm/", **fields).infer == InferSettings()
        request = cls(data="crm/", infer=given, **fields)
        assert request.infer.max_category_levels == 7
        assert cls.model_validate(request.model_dump(mode="json")).infer == request.infer
    for cls, fields in ((ScoreRequest, {"sink": "s.csv"}), (CompareRequest, {})):
        with pytest.raises(ValidationError, match="infer"):
            cls(data="crm/", infer=given, **fields)


def test_score_engines_are_the_command_lines_choices() -> None:
    from pipelines.cli import Engine

    # one vocabulary: the request's field is the CLI's enum, so a new engine is one edit
    assert ScoreRequest.model_fields["engine"].annotation is Engine
    assert [e.value for e in Engine] == ["local", "spark"]
    spark = ScoreRequest(data="crm/", sink="s.csv", engine="spark")  # as prefect.yaml gives it
    assert spark.engine == "spark"
    assert spark.model_dump(mode="json")["engine"] == "spark"
    assert ScoreRequest(data="crm/", sink="s.csv").engine == "local"
    with pytest.raises(ValidationError, match="engine"):
        ScoreRequest(data="crm/", sink="s.csv", engine="dask")
