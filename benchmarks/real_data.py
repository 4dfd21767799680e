"""The real CRMs with default flags: ``python -m benchmarks.real_data`` (``make real-data``).

Trains on each public data set beside the checkout (``../shared/data``) exactly as
``leadscore train --data FILE --mapping NAME`` does (the train flow, default flags, a
temporary MLflow store), and beside it a simple baseline framed the same way: a logistic
regression (categories one-hot, numbers log-scaled) on the slices training builds with the
same default flags, so on the same rows and the same columns the leakage guard allows the
model, fitted on the train + valid rows and scored on the test rows. Writes
``benchmarks/measured/real_data.json`` and the README's "Real CRMs" table between its markers;
the table is never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from benchmarks.paired_stats import auc_interval, delong_test
from features.files import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "measured" / "real_data.json"
START, END = "<!-- real-data:start -->", "<!-- real-data:end -->"
SETS = (
    ("X Education", "x_education/leads.csv", "x_education"),
    ("Olist", "olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv", "olist"),
    ("Maven", "maven_crm/sales_pipeline.csv", "maven"),
)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s values as text, missing ones as ``"missing"`` (a category of its own)."""
    return frame.astype("object").where(frame.notna(), "missing").astype(str)


def baseline_probabilities(
    train: pd.DataFrame,
    y_train: np.ndarray,
    test: pd.DataFrame,
    *,
    C: float = 1.0,
    min_frequency: int = 5,
) -> np.ndarray:
    """A logistic regression on the given columns (one-hot categories, log-scaled numbers),
    fitted on ``train``: its probabilities on ``test``.

    Args:
        train: Training rows.
        y_train: Their 0/1 labels.
        test: Rows to score.
        C: Inverse L2 strength of the regression (the table's baseline: 1).
        min_frequency: Categories seen fewer times in ``train`` share one column (the
            table's baseline: 5).
    """
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    text = [c for c in train.columns if c not in numeric]
    prep = ColumnTransformer(
        [
            ("num", make_pipeline(
                FunctionTransformer(lambda x: np.sign(x) * np.log1p(np.abs(x))),
                SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", make_pipeline(
                FunctionTransformer(as_text),
                OneHotEncoder(handle_unknown="ignore", min_frequency=min_frequency)), text),
        ]
    )  # fmt: skip
    model = make_pipeline(prep, LogisticRegression(C=C, max_iter=5000))
    model.fit(train, y_train)
    return np.asarray(model.predict_proba(test)[:, 1], dtype=float)


def model_slices(source: Path, mapping: str) -> Any:
    """The train / valid / test slices ``leadscore train`` builds with default flags.

    The same calls as the train flow (:mod:`pipelines.flows.train`): validation, the
    rulebook it chooses, the default feature spec plus the mapping's extra columns, the
    training plan, then the plan's slices (or a flat export's split) after the leakage guard.
    """
    from features.fit import spec_for_data
    from features.infer import InferSettings
    from features.ingest.load import ingest
    from features.spec import load_feature_spec
    from models.config import load_train_config
    from pipelines.plan_slices import config_slices
    from pipelines.training_data import flat_slices, is_flat
    from rules import load_rulebook
    from serving.run_config import choose_rulebook

    tables = ingest(source, mapping).tables
    rulebook = load_rulebook(choose_rulebook(None, mapping))
    config = load_train_config()
    if is_flat(tables):
        return flat_slices(tables, rulebook=rulebook, config=config)
    spec, _ = spec_for_data(load_feature_spec(None), tables.contacts, InferSettings())
    return config_slices(tables, spec, config, rulebook=rulebook)


def baseline_scores(slices: Any) -> np.ndarray:
    """The baseline's probabilities on the test rows of the model's slices.

    ``slices.X`` applies the leakage guard's verdict, so a column the model may not use is
    not the baseline's either; fitted on train + valid, scored on test.
    """
    fit = pd.concat([slices.X("train"), slices.X("valid")])
    y_fit = np.r_[slices.train.y.to_numpy(), slices.valid.y.to_numpy()]
    return baseline_probabilities(fit, y_fit, slices.X("test"))


def uncertainty(y: np.ndarray, p_model: np.ndarray, p_baseline: np.ndarray) -> dict[str, Any]:
    """How sure the test slice is of the model's AUC and of its gain over the baseline.

    DeLong's variance (:mod:`benchmarks.paired_stats`): a 95 % interval of the model's AUC
    (normal approximation, clipped to [0, 1]) and the paired test of model minus baseline
    on the same rows.
    """
    _, low, high = auc_interval(y, p_model)
    paired = delong_test(y, p_model, p_baseline)
    return {
        "model_auc_ci95": [low, high],
        "gain_over_baseline": paired["diff"],
        "gain_se": paired["se"],
        "gain_p_two_sided": paired["p_two_sided"],
    }


def model_test_scores(out: dict[str, Any], slices: Any) -> np.ndarray:
    """The registered model's probabilities on the test rows ``slices`` rebuilt.

    Raises:
        AssertionError: Their AUC is not the one training logged (the rebuilt rows are not
            the rows the model was tested on).
    """
    from serving.scorer_model import load_scorer

    scorer = load_scorer(out["scorer_uri"], out["tracking_uri"], check_requirements=False)
    p = np.asarray(scorer.scorer.model.predict_conversion(slices.X("test")), dtype=float)
    auc = float(roc_auc_score(slices.test.y.to_numpy(), p))
    logged = float(out["metrics"]["test_roc_auc"])
    if not np.isclose(auc, logged, rtol=0, atol=1e-9):
        raise AssertionError(f"rebuilt test rows give AUC {auc}, training logged {logged}")
    return p


def refused(name: str, mapping: str, error: Exception) -> dict[str, Any]:
    """The result of a data set ``train`` refuses with default flags (no training plan
    fits): its row says so, and the JSON keeps the refusal's message."""
    return {"data set": name, "mapping": mapping, "framing": None, "refused": str(error)}


def run_one(name: str, relative: str, mapping: str, workdir: Path) -> dict[str, Any]:
    """Train with default flags and measure the baseline on the same framing; a data set
    no training plan fits gets :func:`refused`'s result."""
    from features.plan import PlanError
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.train import train_flow

    source = DATA / relative
    started = time.perf_counter()
    try:
        out = train_flow(request=TrainRequest(data=str(source), workdir=workdir, mapping=mapping))
    except PlanError as err:
        return refused(name, mapping, err)
    seconds = time.perf_counter() - started
    run = out["run_config"]
    test = run["slices"]["test"]
    kind = run["framing"]
    metrics = out["metrics"]
    slices = model_slices(source, mapping)
    p_baseline = baseline_scores(slices)
    y = slices.test.y.to_numpy()
    return {
        "data set": name,
        "mapping": mapping,
        "framing": kind,
        "horizon_days": run["train"]["horizon_days"] if kind != "flat" else None,
        "rows": {p: run["slices"][p]["rows"] for p in ("train", "valid", "test")},
        "test_positives": test["positives"],
        "model_auc": metrics["test_roc_auc"],
        "rules_auc": metrics.get("manual_roc_auc"),
        "rulebook": run["rulebook"]["name"],
        "baseline_auc": float(roc_auc_score(y, p_baseline)),
        **uncertainty(y, model_test_scores(out, slices), p_baseline),
        # the final score (blend) on the same test rows, and tier A with the default capacity
        "final_auc": out["blend_metrics"]["final_roc_auc"],
        "final_ece": out["blend_metrics"]["final_ece"],
        "tier_a_share": out["blend_metrics"].get("tier_A_share"),
        # how the calibrations weighted the validation rows (calibration_recency)
        "calibration_recency": out.get("calibration_recency"),
        "train_seconds": round(seconds, 1),
    }


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def table(results: list[dict[str, Any]]) -> str:
    """The README's markdown table."""
    head = (
        "| data set | framing | horizon | rows train / valid / test | test positives | "
        "model AUC (95 % interval) | rules AUC (rulebook) | baseline AUC | "
        "model - baseline (p) | final AUC | final ECE | tier A |"
        "\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in results:
        if "refused" in r:
            lines.append(
                f"| {r['data set']} (`--mapping {r['mapping']}`) | no plan fits: "
                "`train` refuses |" + " - |" * 10
            )
            continue
        rows = " / ".join(f"{r['rows'][p]:,}" for p in ("train", "valid", "test"))
        horizon = "-" if r["horizon_days"] is None else f"{r['horizon_days']} days"
        rules = "-" if r["rules_auc"] is None else f"{r['rules_auc']:.3f}"
        low, high = r["model_auc_ci95"]
        lines.append(
            f"| {r['data set']} (`--mapping {r['mapping']}`) | {r['framing']} | {horizon} | "
            f"{rows} | {r['test_positives']:,} | {r['model_auc']:.3f} ({low:.3f}-{high:.3f}) | "
            f"{rules} ({r['rulebook']}) | {r['baseline_auc']:.3f} | "
            f"{r['gain_over_baseline']:+.3f} ({r['gain_p_two_sided']:.2g}) | "
            f"{r['final_auc']:.3f} | {r['final_ece']:.3f} | {_share(r['tier_a_share'])} |"
        )
    return "\n".join(lines)


def write_readme(text: str, readme: Path = README) -> None:
    """Replace what stands between the README's markers with ``text``."""
    content = readme.read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise ValueError(f"{readme} has no {START} ... {END} markers to write the table between")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    atomic_write_text(readme, pattern.sub(lambda _: f"{START}\n{text}\n{END}", content))


def build_parser() -> argparse.ArgumentParser:
    """The command line of this benchmark; ``--only`` names the mappings listed in ``SETS``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mappings = ", ".join(mapping for _, _, mapping in SETS)
    parser.add_argument("--only", help=f"One mapping ({mappings}).")
    parser.add_argument("--no-readme", action="store_true", help="Do not rewrite README.md.")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    missing = [str(DATA / rel) for _, rel, _ in SETS if not (DATA / rel).exists()]
    if missing:
        raise SystemExit(
            f"real data not found: {', '.join(missing)} (../shared/data beside the checkout)"
        )
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, relative, mapping in SETS:
            if args.only and mapping != args.only:
                continue
            results.append(run_one(name, relative, mapping, Path(tmp) / mapping))
    atomic_write_text(RESULTS, json.dumps(results, indent=2) + "\n")
    text = table(results)
    print(text)  # noqa: T201 - a command's output
    if not args.no_readme and not args.only:
        write_readme(text)


if __name__ == "__main__":
    main()
