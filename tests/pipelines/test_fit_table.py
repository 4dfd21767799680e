"""``fit_table`` end to end on a planted table, its bad-input errors, and X Education."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.ingest import InputError, TableError
from pipelines.fit_table import fit_table

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
N = 2000
N_BLANK_TARGET, N_BAD_TARGET, N_DUPLICATE = 5, 1, 3
METRIC_KEYS = {
    "auc", "pr_auc", "brier", "ece", "log_loss", "base_rate", "n_rows", "n_train", "n_test",
    "n_rejected", "leakage_suspects", "excluded_columns", "column_types", "n_used", "n_valid",
}  # fmt: skip


def planted_table() -> pd.DataFrame:
    """2,000 leads: one honest signal, one leaky column (the target with 2 % noise)."""
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
def fitted(planted_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = fit_table(planted_csv, target="converted", id_column="lead_id", out_dir=out)
    return result, out


def test_leaky_column_is_reported_and_excluded(fitted):
    result, out = fitted
    metrics = json.loads((out / "metrics.json").read_text())
    assert "status_note" in metrics["leakage_suspects"]
    assert metrics["excluded_columns"]["status_note"].startswith("leakage suspect")
    assert "status_note" not in result.model.feature_names_
    assert "visits" not in metrics["leakage_suspects"]


def test_metrics_json_has_every_key_with_sane_values(fitted):
    _, out = fitted
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= METRIC_KEYS
    assert 0.6 < metrics["auc"] <= 1 and 0 < metrics["pr_auc"] <= 1
    assert 0 <= metrics["ece"] < 0.2 and 0 < metrics["brier"] < 0.25
    assert metrics["n_rows"] == N
    assert metrics["n_rejected"] == N_BLANK_TARGET + N_BAD_TARGET + N_DUPLICATE
    assert metrics["n_rows"] == metrics["n_used"] + metrics["n_rejected"]
    assert metrics["n_train"] + metrics["n_valid"] + metrics["n_test"] == metrics["n_used"]
    kinds = {name: col["kind"] for name, col in metrics["column_types"].items()}
    assert kinds["visits"] == "numeric" and kinds["newsletter"] == "boolean"
    assert kinds["created"] == "date" and kinds["source"] == "category"
    assert "constant" in metrics["excluded_columns"]["always_no"]
    assert "free text" in metrics["excluded_columns"]["comment"]
    assert metrics["placeholders"] == {"Select": ["source", "region", "job"]}


def test_rejected_rows_have_reasons(fitted):
    _, out = fitted
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    assert len(rejected) == N_BLANK_TARGET + N_BAD_TARGET + N_DUPLICATE
    reasons = rejected["reason"].tolist()
    assert sum("is blank" in r for r in reasons) == N_BLANK_TARGET
    assert sum("'maybe' is neither" in r for r in reasons) == N_BAD_TARGET
    assert sum("duplicate id" in r for r in reasons) == N_DUPLICATE
    assert rejected["row"].astype(int).tolist()[-1] == N  # data row numbers, 1-based
    assert list(rejected.columns) == ["row", "lead_id", "converted", "reason"]  # no other values


def test_scores_cover_every_usable_row_with_reasons(fitted):
    result, out = fitted
    scores = pd.read_csv(out / "scores.csv")
    table = planted_table()
    n_used = result.metrics["n_used"]
    assert len(scores) == n_used and scores["id"].is_unique
    assert set(scores["split"].value_counts().to_dict()) == {"train", "valid", "test"}
    assert (scores["split"] == "test").sum() == result.metrics["n_test"]
    assert (scores["score"] == np.rint(100 * scores["probability"])).all()
    assert set(scores["decile"]) == set(range(1, 11)) and set(scores["tier"]) == set("ABCD")
    assert (scores.filter(regex=r"reason_up_\d_shap") >= 0).all().all()
    assert (scores.filter(regex=r"reason_down_\d_shap") <= 0).all().all()
    assert scores["reason_up_1"].str.startswith("visits = ").any()
    # rows are the table's data rows; the honest signal orders the deciles
    assert (table.loc[scores["row"] - 1, "lead_id"].to_numpy() == scores["id"].to_numpy()).all()
    visits = table.loc[scores["row"] - 1, "visits"].astype(int).to_numpy()
    assert visits[scores["decile"] == 1].mean() > visits[scores["decile"] == 10].mean() + 2


def test_shap_values_are_exact_and_add_up_to_the_margin(fitted):
    result, _ = fitted
    model, X = result.model, result.X
    np.testing.assert_allclose(
        result.contributions.sum(axis=1), model.predict_raw(X), rtol=0, atol=1e-6
    )
    head = X.iloc[:100]
    contrib = model.booster_.predict(
        head[model.feature_names_], pred_contrib=True, num_iteration=model.best_iteration_
    )
    np.testing.assert_allclose(result.contributions[:100], contrib, rtol=0, atol=1e-6)


def test_report_is_self_contained_html(fitted):
    _, out = fitted
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") == 3
    assert 'src="http' not in page and "<script" not in page
    assert "status_note" in page and "Strongest features" in page


@pytest.mark.slow
def test_time_split_tests_on_the_newest_rows(planted_csv, tmp_path):
    result = fit_table(
        planted_csv,
        target="converted",
        id_column="lead_id",
        time_column="created",
        out_dir=tmp_path,
    )
    scores = pd.read_csv(tmp_path / "scores.csv").merge(
        planted_table()[["lead_id", "created"]].drop_duplicates("lead_id"),
        left_on="id",
        right_on="lead_id",
    )
    newest_train = scores.loc[scores["split"] == "train", "created"].max()
    assert newest_train < scores.loc[scores["split"] == "test", "created"].min()
    assert result.metrics["excluded_columns"]["created"].startswith("the --time column")


def write(path: Path, frame: pd.DataFrame, sep: str = ",") -> Path:
    frame.to_csv(path, index=False, sep=sep)
    return path


def test_unknown_target_lists_similar_columns(planted_csv, tmp_path):
    with pytest.raises(TableError, match=r"--target 'Converted ' is not a column.*'converted'"):
        fit_table(planted_csv, target="Converted ", out_dir=tmp_path)


def test_target_with_one_class(tmp_path):
    path = write(tmp_path / "one.csv", planted_table().assign(converted="1"))
    with pytest.raises(InputError, match="one class"):
        fit_table(path, target="converted", out_dir=tmp_path / "out")


def test_target_needing_positive(tmp_path):
    frame = planted_table().assign(converted=np.where(np.arange(N) % 3, "Gold", "Silver"))
    path = write(tmp_path / "ab.csv", frame)
    with pytest.raises(InputError, match="pass --positive VALUE"):
        fit_table(path, target="converted", out_dir=tmp_path / "out")
    with pytest.raises(InputError, match="--positive 'Bronze' does not occur"):
        fit_table(path, target="converted", positive="Bronze", out_dir=tmp_path / "out")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(TableError, match="empty"):
        fit_table(path, target="converted", out_dir=tmp_path / "out")


def test_wrong_separator_says_which_to_pass(tmp_path):
    path = write(tmp_path / "semi.csv", planted_table().head(50), sep=";")
    with pytest.raises(InputError, match="--sep ';'"):
        fit_table(path, target="converted", sep=",", out_dir=tmp_path / "out")


def test_unparseable_time_column(planted_csv, tmp_path):
    with pytest.raises(InputError, match="--time 'source' is not a date column"):
        fit_table(planted_csv, target="converted", time_column="source", out_dir=tmp_path)


def test_too_few_usable_rows(tmp_path):
    path = write(tmp_path / "small.csv", planted_table().iloc[20:80])
    with pytest.raises(InputError, match="only 60 usable rows"):
        fit_table(path, target="converted", out_dir=tmp_path / "out")


@pytest.mark.slow
def test_x_education_end_to_end(tmp_path):
    path = DATA / "x_education" / "leads.csv"
    if not path.exists():
        pytest.skip(f"X Education data not found at {path} (../shared/data beside the checkout)")
    result = fit_table(path, target="Converted", id_column="Prospect ID", out_dir=tmp_path)
    metrics = result.metrics
    assert {"Tags", "Lead Quality"} <= set(metrics["leakage_suspects"])
    assert {"Tags", "Lead Quality"} <= set(metrics["excluded_columns"])
    assert not {"Tags", "Lead Quality"} & set(result.model.feature_names_)
    assert metrics["n_rows"] == 9240 == metrics["n_used"] + metrics["n_rejected"]
    assert metrics["ece"] < 0.05
    assert metrics["auc"] >= 0.91


def test_one_row_says_how_many_rows_are_needed_not_one_class(tmp_path):
    path = write(tmp_path / "one_row.csv", planted_table().iloc[10:11])
    with pytest.raises(InputError, match=r"has 1 data row\(s\): fit-table needs at least 100"):
        fit_table(path, target="converted", out_dir=tmp_path / "out")


@pytest.mark.slow
def test_personal_data_never_reaches_a_feature_the_outputs_or_mlflow(tmp_path, mlflow_store):
    """E-mails and phones found by content, however few distinct values, under any name."""
    rng = np.random.default_rng(3)
    frame = planted_table().drop(columns=["status_note"])
    owners = [f"owner{i}@acme-sales.com" for i in range(4)]  # repeated: a category before
    frame["Lead Contact"] = [f"lead{i % 40}@mail.example.org" for i in range(N)]  # 40 values
    frame["Owner"] = rng.choice(owners, N)
    frame["Rep line"] = rng.choice(["+1 555-0100", "+1 555-0199", "(555) 010-0123"], N)
    frame["Account rep"] = "rep@acme-sales.com"  # constant: its reason quoted the value
    path = write(tmp_path / "leads.csv", frame)
    out = tmp_path / "out"

    def store_files() -> set[Path]:
        return {p for p in mlflow_store.root.rglob("*") if p.is_file() and p.suffix != ".db"}

    # the store is shared by the session: scan what this run wrote, not other tests' models
    # (whose logged code holds features/personal.py, phone examples in its docstring)
    before = store_files()
    result = fit_table(
        path, target="converted", out_dir=out, tracking_uri=mlflow_store.tracking_uri
    )

    excluded = result.metrics["excluded_columns"]
    for column in ("Lead Contact", "Owner", "Rep line", "Account rep"):
        assert excluded[column].startswith("personal data:"), column
        assert not any(column in f for f in result.X.columns)
    written = [p for p in out.rglob("*") if p.is_file()]
    logged = sorted(store_files() - before)
    assert logged, "the run logged no artifact to scan"
    for file in [*written, *logged]:
        text = file.read_bytes().decode("utf-8", errors="ignore")
        assert "@acme-sales.com" not in text and "@mail.example.org" not in text, file
        assert "555-01" not in text and "010-0123" not in text, file


def test_an_id_column_of_e_mails_is_refused(planted_csv, tmp_path):
    frame = planted_table().assign(lead_id=[f"lead{i}@example.com" for i in range(N)])
    path = write(tmp_path / "ids.csv", frame)
    with pytest.raises(InputError, match="--id 'lead_id' holds personal data: e-mail"):
        fit_table(path, target="converted", id_column="lead_id", out_dir=tmp_path / "out")
