"""``fit_table`` end to end on a planted table, its bad-input errors, and X Education."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.ingest import InputError, TableError
from features.ingest.convert import snake_case
from models.config import load_train_config
from pipelines.fit_table import FitTableResult, FlatExport, fit_table
from pipelines.flow_requests import TrainRequest
from serving.run_config import FlatExportChecks, settings_from_file
from serving.scorer_model import load_scorer

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
N = 2000
N_BLANK_TARGET, N_BAD_TARGET, N_DUPLICATE = 5, 1, 3
METRIC_KEYS = {
    "auc", "pr_auc", "brier", "ece", "log_loss", "n_rows", "n_train", "n_test", "n_scored",
    "n_rejected", "leakage_suspects", "excluded_columns", "column_types", "n_used", "n_valid",
    "scorer_uri", "run_id", "tracking_uri", "n_not_scored",
}  # fmt: skip
PERSONAL = ("Lead Contact", "Owner", "Rep line", "Account rep")


def planted_table() -> pd.DataFrame:
    """2,000 leads: one honest signal, one leaky column (the target with 2 % noise), and
    e-mail addresses and phone numbers under any name, however few distinct values."""
    rng = np.random.default_rng(42)
    visits = rng.poisson(4, N)
    y = (rng.random(N) < 1 / (1 + np.exp(-(visits - 4) * 0.8))).astype(int)
    noisy = np.where(rng.random(N) < 0.02, 1 - y, y)
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D")
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i:05d}" for i in range(N)],
            "converted": y.astype(str),
            "status_note": np.where(noisy == 1, "closed - won", "no answer"),
            "visits": visits.astype(str),
            "source": rng.choice(["Google", "Direct", "Select"], N),
            "region": rng.choice(["North", "South", "Select"], N),
            "job": rng.choice(["Student", "Worker", "Select"], N),
            "newsletter": rng.choice(["Yes", "No"], N),
            "created": created.strftime("%Y-%m-%d"),
            "always_no": "No",
            "comment": [f"called on day {i}" for i in range(N)],
            "Lead Contact": [f"lead{i % 40}@mail.example.org" for i in range(N)],  # 40 values
            "Owner": rng.choice([f"owner{i}@acme-sales.com" for i in range(4)], N),
            "Rep line": rng.choice(["+1 555-0100", "+1 555-0199", "(555) 010-0123"], N),
            "Account rep": "rep@acme-sales.com",  # constant: its reason would quote it
        }
    )
    frame.loc[: N_BLANK_TARGET - 1, "converted"] = ""
    frame.loc[N_BLANK_TARGET, "converted"] = "maybe"
    frame.loc[N - N_DUPLICATE :, "lead_id"] = frame.loc[10 : 9 + N_DUPLICATE, "lead_id"].values
    return frame


@pytest.fixture(scope="module")
def planted_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "leads.csv"
    planted_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    """A training config with this module's own names in the session's MLflow store."""
    path = tmp_path_factory.mktemp("config") / "train.yaml"
    path.write_text("model_name: fit-table-test\nexperiment_name: fit-table-test\n")
    return path


def fit(
    path: Path, export: FlatExport, *, out_dir: Path, files=None, checks=None, **fields
) -> FitTableResult:
    """``fit_table`` as ``leadscore fit-table`` calls it: one request (settings ``files``
    read once), the working directory ``out_dir`` unless ``workdir`` is given."""
    fields.setdefault("workdir", out_dir)
    request = TrainRequest.from_files(files, data=str(path), **fields)
    return fit_table(request, export, out_dir=out_dir, checks=checks)


def store_files(store) -> set[Path]:
    return {p for p in store.root.rglob("*") if p.is_file() and p.suffix != ".db"}


@pytest.fixture(scope="module")
def fitted(prefect_harness, planted_csv, config, mlflow_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    before = store_files(mlflow_store)  # the store is the session's: scan this run's files
    result = fit(
        planted_csv, FlatExport("converted", id_column="lead_id"), out_dir=out,
        tracking_uri=mlflow_store.tracking_uri, config=config,
    )  # fmt: skip
    return result, out, sorted(store_files(mlflow_store) - before)


@pytest.mark.slow
@pytest.mark.prefect
def test_every_data_row_is_scored_or_rejected_with_a_reason(fitted):
    _, out, _ = fitted
    assert {p.name for p in out.iterdir()} >= {
        "mapping.yaml", "metrics.json", "scores.csv", "scores_rejects.csv", "rejected.csv",
        "report.html", "report.json", "mlruns",
    } - {"mlruns"}  # fmt: skip
    scores = pd.read_csv(out / "scores.csv", dtype={"contact_id": str})
    not_scored = pd.read_csv(out / "scores_rejects.csv", dtype=str)
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    # repeated ids keep their first row (validation quarantines the repeats)
    assert len(scores) + len(not_scored) + len(rejected) + N_DUPLICATE == N
    assert scores["contact_id"].is_unique
    assert set(scores["contact_id"]) <= set(planted_table()["lead_id"])
    reasons = rejected["reason"].tolist()
    assert sum("is blank" in r for r in reasons) == N_BLANK_TARGET
    assert sum("'maybe' is neither" in r for r in reasons) == N_BAD_TARGET
    assert list(rejected.columns) == ["row", "lead_id", "converted", "reason"]  # no other values
    assert rejected["row"].astype(int).tolist() == list(range(1, N_BLANK_TARGET + N_BAD_TARGET + 1))


@pytest.mark.slow
@pytest.mark.prefect
def test_leaky_and_personal_columns_are_named_and_left_out(fitted):
    result, out, _ = fitted
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["leakage_suspects"] == ["status_note"]
    assert metrics["excluded_columns"]["status_note"].startswith("leakage suspect")
    for column in PERSONAL:
        assert metrics["excluded_columns"][column].startswith("personal data:"), column
    scorer = load_scorer(metrics["scorer_uri"], metrics["tracking_uri"]).scorer
    assert "status_note" not in scorer.model.feature_names_
    assert not {snake_case(c) for c in PERSONAL} & set(scorer.model.feature_names_)
    page = (out / "report.html").read_text()
    assert "status_note" in page and "Lead Contact: personal data" in page


@pytest.mark.slow
@pytest.mark.prefect
def test_personal_data_never_reaches_the_outputs_or_mlflow(fitted):
    _, out, logged = fitted
    assert logged, "the run logged no artifact to scan"
    # the scorer logs leadscore's own source (artifacts/code/): not data, and
    # features/personal.py shows phone numbers in its docstring
    written = [p for p in out.rglob("*") if p.is_file()]
    scanned = [p for p in [*written, *logged] if "code" not in p.relative_to(p.anchor).parts]
    assert len(scanned) > len(written)
    for file in scanned:
        text = file.read_bytes().decode("utf-8", errors="ignore")
        assert "@acme-sales.com" not in text and "@mail.example.org" not in text, file
        assert "555-01" not in text and "010-0123" not in text, file


@pytest.mark.slow
@pytest.mark.prefect
def test_metrics_json_has_every_key_with_sane_values(fitted):
    _, out, _ = fitted
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= METRIC_KEYS
    assert 0.6 < metrics["auc"] <= 1 and 0 < metrics["pr_auc"] <= 1
    assert 0 <= metrics["ece"] < 0.2 and 0 < metrics["brier"] < 0.25
    assert metrics["n_rows"] == N
    assert metrics["n_rejected"] == N_BLANK_TARGET + N_BAD_TARGET
    assert metrics["n_rows"] == metrics["n_used"] + metrics["n_rejected"]
    contacts = metrics["n_used"] - N_DUPLICATE
    assert metrics["n_train"] + metrics["n_valid"] + metrics["n_test"] == contacts
    assert metrics["n_scored"] + metrics["n_not_scored"] == contacts
    kinds = {name: col["kind"] for name, col in metrics["column_types"].items()}
    assert kinds["visits"] == "numeric" and kinds["newsletter"] == "boolean"
    assert kinds["created"] == "date" and kinds["source"] == "category"
    assert "constant" in metrics["excluded_columns"]["always_no"]
    assert "free text" in metrics["excluded_columns"]["comment"]
    assert metrics["placeholders"] == {"Select": ["source", "region", "job"]}


@pytest.mark.slow
@pytest.mark.prefect
def test_the_registered_scorer_gives_the_tiers_and_reasons_of_scores_csv(fitted):
    result, out, _ = fitted
    metrics = result.metrics
    loaded = load_scorer(metrics["scorer_uri"], metrics["tracking_uri"])
    run = loaded.scorer.run_config_
    assert run is not None and run.framing == "flat" and run.rulebook.empty
    assert run.train.model_name == "fit-table-test"
    scores = pd.read_csv(out / "scores.csv", dtype={"contact_id": str})
    assert set(scores["model_name"]) == {loaded.model_name}
    # tiers are the scorer's capacity cut-offs on the final score (BlendConfig's capacity
    # spread over the whole export), not deciles: each tier starts at its cut-off
    blend = loaded.scorer.blend
    for tier, cut in blend.cutoffs.items():
        held = scores.loc[scores["tier"] == tier, "final_score"]
        assert (held >= cut).all()  # a tier may be empty: its capacity lies past the pool
        assert (scores.loc[scores["final_score"] >= cut, "tier"] <= tier).all()
    assert scores["tier"].nunique() >= 2
    bottom_tier = blend.config.bottom_tier
    assert (
        scores.loc[scores["tier"] == bottom_tier, "final_score"] < min(blend.cutoffs.values())
    ).all()
    reasons = [r for cell in scores["top_reasons"] for r in json.loads(cell)]
    assert all("the average" in r["text"] for r in reasons)  # stated as conversion rates
    first = planted_table().drop_duplicates("lead_id").set_index("lead_id")
    visits = first.loc[scores["contact_id"], "visits"].astype(int)
    top = scores["final_score"] >= scores["final_score"].quantile(0.9)
    bottom = scores["final_score"] <= scores["final_score"].quantile(0.1)
    assert visits[top.to_numpy()].mean() > visits[bottom.to_numpy()].mean() + 2


@pytest.mark.slow
@pytest.mark.prefect
def test_a_second_run_writes_the_same_outputs(fitted, planted_csv, config, mlflow_store):
    first, out, _ = fitted
    names = ("scores.csv", "scores_rejects.csv", "rejected.csv", "mapping.yaml")
    before = {name: (out / name).read_bytes() for name in names}
    again = fit(
        planted_csv, FlatExport("converted", id_column="lead_id"), out_dir=out,
        tracking_uri=mlflow_store.tracking_uri, config=config,
    )  # fmt: skip
    for name in names[1:]:
        assert (out / name).read_bytes() == before[name], name
    # training again registers the next scorer version; every score, tier and reason is
    # the same
    old = pd.read_csv(io.BytesIO(before["scores.csv"]), dtype=str)
    new = pd.read_csv(out / "scores.csv", dtype=str)
    assert (new["model_version"].astype(int) == old["model_version"].astype(int) + 1).all()
    pd.testing.assert_frame_equal(
        new.drop(columns="model_version"), old.drop(columns="model_version")
    )
    assert again.metrics["auc"] == first.metrics["auc"]


@pytest.mark.slow
@pytest.mark.prefect
def test_time_split_tests_on_the_newest_rows(
    prefect_harness, planted_csv, config, mlflow_store, tmp_path
):
    result = fit(
        planted_csv, FlatExport("converted", id_column="lead_id", time_column="created"),
        out_dir=tmp_path, tracking_uri=mlflow_store.tracking_uri, config=config,
    )  # fmt: skip
    table = planted_table()
    usable = table[table["converted"].isin(["0", "1"])].drop_duplicates("lead_id")
    created = usable.set_index("lead_id")["created"]
    test = created.index.isin(result.training["test_contact_ids"])
    assert created[test].min() > created[~test].max()
    assert result.metrics["excluded_columns"]["created"].startswith("the --time column")
    assert result.metrics["split"] == "by time on 'created'"


@pytest.mark.slow
@pytest.mark.prefect
def test_the_seed_that_ran_is_the_run_configurations(
    prefect_harness, fitted, planted_csv, config, mlflow_store, tmp_path
):
    default, _, _ = fitted
    configured = load_train_config(config).seed
    assert default.training["run_config"]["train"]["seed"] == configured
    assert default.metrics["split"] == f"stratified at random, seed {configured}"
    seeded = fit(
        planted_csv, FlatExport("converted", id_column="lead_id"), out_dir=tmp_path,
        overrides={"seed": configured + 5}, tracking_uri=mlflow_store.tracking_uri,
        config=config,
    )  # fmt: skip
    assert seeded.training["run_config"]["train"]["seed"] == configured + 5
    assert seeded.metrics["split"] == f"stratified at random, seed {configured + 5}"
    assert set(seeded.training["test_contact_ids"]) != set(default.training["test_contact_ids"])


@pytest.mark.slow
@pytest.mark.prefect
def test_inference_settings_file_changes_the_mapping_and_the_trained_types(
    prefect_harness, fitted, planted_csv, config, mlflow_store, tmp_path
):
    """The word "Select" is a blank marker by default; with the markers of the settings file and
    prompts required in four columns (it fills three), it is a category level: in the
    mapping fit-table infers and in the types the train flow infers and the scorer keeps."""
    default, _, _ = fitted
    assert default.metrics["placeholders"] == {"Select": ["source", "region", "job"]}
    settings = tmp_path / "infer.yaml"
    settings.write_text("blank_markers: ['', n/a]\nplaceholder_min_columns: 4\n")
    result = fit(
        planted_csv, FlatExport("converted", id_column="lead_id"), out_dir=tmp_path / "out",
        tracking_uri=mlflow_store.tracking_uri, config=config, files={"infer": settings},
    )  # fmt: skip
    assert result.metrics["placeholders"] == {}
    assert "select" in result.types.columns["source"].spellings  # a level now
    assert result.training["run_config"]["infer"]["placeholder_min_columns"] == 4
    scorer = load_scorer(result.training["scorer_uri"], mlflow_store.tracking_uri).scorer
    assert not scorer.flat_types.placeholders
    assert scorer.run_config_.infer.placeholder_min_columns == 4


def test_fit_table_refuses_an_invalid_inference_settings_file_naming_the_field(tmp_path):
    settings = tmp_path / "infer.yaml"
    settings.write_text("max_category_levels: 1\n")
    with pytest.raises(
        ValueError,
        match=r"infer\.yaml: invalid type inference settings: "
        r"max_category_levels",
    ):
        fit(tmp_path / "unread.csv", FlatExport("y"), out_dir=tmp_path, files={"infer": settings})


def test_a_checks_file_sets_what_the_export_must_hold(planted_csv, tmp_path):
    """The planted export (2,000 rows) passes the default checks; a --checks file asking
    for more rows refuses it before anything is inferred or trained."""
    checks = tmp_path / "checks.yaml"
    checks.write_text(f"min_rows: {N + 1}\n")
    with pytest.raises(InputError, match=rf"fit-table needs at least {N + 1} rows"):
        fit(
            planted_csv,
            FlatExport("converted"),
            out_dir=tmp_path,
            checks=settings_from_file(FlatExportChecks, checks),
        )


def write(path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    frame.to_csv(path, index=False, sep=sep)
    return path


@pytest.mark.parametrize(
    "fields",
    [{"mapping": "x_education"}, {"overrides": {"framing": "snapshots"}}],
    ids=["mapping", "framing"],
)
def test_a_request_with_its_own_mapping_or_framing_is_refused(planted_csv, tmp_path, fields):
    # fit-table infers the mapping and trains flat: a request saying otherwise would be
    # silently overridden, so it is refused before anything is read or written
    with pytest.raises(ValueError, match="fit-table infers the mapping.*run leadscore train"):
        fit(planted_csv, FlatExport("converted"), out_dir=tmp_path / "out", **fields)
    assert not (tmp_path / "out").exists()


def test_unknown_target_lists_similar_columns(planted_csv, tmp_path):
    with pytest.raises(TableError, match=r"--target 'Converted ' is not a column.*'converted'"):
        fit(planted_csv, FlatExport("Converted "), out_dir=tmp_path)


def test_target_with_one_class(tmp_path):
    path = write(tmp_path / "one.csv", planted_table().assign(converted="1"))
    with pytest.raises(InputError, match="one class"):
        fit(path, FlatExport("converted"), out_dir=tmp_path / "out")


def test_target_needing_positive(tmp_path):
    frame = planted_table().assign(converted=np.where(np.arange(N) % 3, "Gold", "Silver"))
    path = write(tmp_path / "ab.csv", frame)
    with pytest.raises(InputError, match="pass --positive VALUE"):
        fit(path, FlatExport("converted"), out_dir=tmp_path / "out")
    with pytest.raises(InputError, match="--positive 'Bronze' does not occur"):
        fit(path, FlatExport("converted", positive="Bronze"), out_dir=tmp_path / "out")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(TableError, match="empty"):
        fit(path, FlatExport("converted"), out_dir=tmp_path / "out")


def test_wrong_separator_says_which_to_pass(tmp_path):
    path = write(tmp_path / "semi.csv", planted_table().head(50), sep=";")
    with pytest.raises(InputError, match="--sep ';'"):
        fit(path, FlatExport("converted", sep=","), out_dir=tmp_path / "out")


def test_unparseable_time_column(planted_csv, tmp_path):
    with pytest.raises(InputError, match="--time 'source' is not a date column"):
        fit(planted_csv, FlatExport("converted", time_column="source"), out_dir=tmp_path)


def test_too_few_usable_rows(tmp_path):
    path = write(tmp_path / "small.csv", planted_table().iloc[20:80])
    with pytest.raises(InputError, match="only 60 usable rows"):
        fit(path, FlatExport("converted"), out_dir=tmp_path / "out")


def test_one_row_says_how_many_rows_are_needed_not_one_class(tmp_path):
    path = write(tmp_path / "one_row.csv", planted_table().iloc[10:11])
    with pytest.raises(InputError, match=r"has 1 data row\(s\): fit-table needs at least 100"):
        fit(path, FlatExport("converted"), out_dir=tmp_path / "out")


def test_an_id_column_of_e_mails_is_refused(planted_csv, tmp_path):
    frame = planted_table().assign(lead_id=[f"lead{i}@example.com" for i in range(N)])
    path = write(tmp_path / "ids.csv", frame)
    with pytest.raises(InputError, match="--id 'lead_id' holds personal data: e-mail"):
        fit(path, FlatExport("converted", id_column="lead_id"), out_dir=tmp_path / "out")


@pytest.mark.slow
@pytest.mark.prefect
def test_x_education_through_fit_table_is_what_train_gives_with_its_mapping(
    prefect_harness, config, mlflow_store, tmp_path
):
    """The README's example: the leakage suspects named and left out, and the same test AUC
    as ``leadscore train --mapping <the mapping fit-table wrote> --framing flat``."""
    from pipelines.flows.train import train_flow

    path = DATA / "x_education" / "leads.csv"
    if not path.exists():
        pytest.skip(f"X Education data not found at {path} (see /work/shared/data/README.md)")
    result = fit(
        path, FlatExport("Converted", id_column="Prospect ID"), out_dir=tmp_path / "fit",
        tracking_uri=mlflow_store.tracking_uri, config=config,
    )  # fmt: skip
    metrics = result.metrics
    assert set(metrics["leakage_suspects"]) == {"Tags", "Lead Quality"}
    assert metrics["excluded_columns"]["Tags"].startswith("leakage suspect")
    assert metrics["excluded_columns"]["Prospect ID"] == "the id column"
    assert metrics["excluded_columns"]["Lead Number"].startswith("id-like")
    assert metrics["n_rows"] == 9240 == metrics["n_scored"] and metrics["n_rejected"] == 0
    assert metrics["ece"] < 0.05 and metrics["auc"] >= 0.92
    request = TrainRequest(
        data=str(path), workdir=tmp_path / "train", mapping=str(result.paths["mapping"]),
        config=config, tracking_uri=mlflow_store.tracking_uri,
        overrides={"framing": "flat"},
    )  # fmt: skip
    trained = train_flow(request=request)
    assert trained["metrics"]["test_roc_auc"] == metrics["auc"]
    assert trained["test_contact_ids"] == result.training["test_contact_ids"]


@pytest.mark.slow
@pytest.mark.prefect
def test_explain_reads_the_flat_export_through_fit_table_s_mapping(fitted, planted_csv):
    # A flat export maps no account: explain's one-account read must still find the lead
    # and give the batch's score (scores.csv) for it.
    from serving.lead_explanation import explain_from_source

    result, out, _ = fitted
    metrics = result.metrics
    scores = pd.read_csv(out / "scores.csv", dtype={"contact_id": str})
    # the version that wrote scores.csv (later tests register newer ones under the alias)
    (name, version), *_ = scores[["model_name", "model_version"]].drop_duplicates().to_numpy()
    loaded = load_scorer(f"models:/{name}/{version}", metrics["tracking_uri"])
    first = planted_table().drop_duplicates("lead_id").set_index("lead_id")
    open_leads = scores.loc[first.loc[scores["contact_id"], "converted"].ne("1").to_numpy()]
    lead = open_leads.sort_values("final_score").iloc[-1]  # a converted lead is rejected
    explained = explain_from_source(
        planted_csv, loaded.scorer, str(lead["contact_id"]), metrics["as_of"],
        mapping=result.paths["mapping"],
    )  # fmt: skip
    assert explained.scores["final_score"] == pytest.approx(lead["final_score"], abs=1e-6)
    assert explained.scores["tier"] == lead["tier"]
