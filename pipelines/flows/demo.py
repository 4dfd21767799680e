"""Flow: the end-to-end demo on a synthetic CRM.

generate (or reuse) -> validate (the validate flow's own steps,
:func:`pipelines.flows.ingest.validated`, into WORKDIR/validation: as ``leadscore
validate``) -> train + register (or reuse) -> score into a SQLite CRM table and a CSV ->
comparison report. A second run reuses the generated CRM and the registered scorer when
the data did not change, and re-scoring the same day changes nothing in the sinks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.files import atomic_write_text
from features.ingest.validation import ValidationReport
from features.synthetic import GENERATOR_VERSION, generate_crm, write_crm
from features.training_set import next_run_as_of
from models.store import default_tracking_uri, embedded_store
from pipelines.cli_options import DEFAULT_WORKDIR
from pipelines.flow_requests import CompareRequest, ScoreRequest, TrainRequest, ValidateRequest
from pipelines.flows.compare import compare_flow
from pipelines.flows.ingest import validated
from pipelines.flows.score import score_flow
from pipelines.flows.train import train_flow
from serving.sinks import DEFAULT_TABLE_PREFIX, build_tables

STATE_FILE = "demo_state.json"


@task(name="generate-synthetic-crm", cache_policy=NO_CACHE)
def generate_or_reuse(data_dir: str, contacts: int, seed: int) -> str:
    """Generate the synthetic CRM unless ``data_dir`` already holds the same one (same
    contacts, seed and generator version: an older generator's CRM is generated again)."""
    manifest = Path(data_dir) / "manifest.json"
    if manifest.exists():
        meta = json.loads(manifest.read_text())
        same = (meta.get("n_contacts"), meta.get("seed"), meta.get("generator_version"))
        if same == (contacts, seed, GENERATOR_VERSION):
            return f"reused {data_dir} ({contacts:,} contacts, seed {seed})"
    crm = generate_crm(contacts, seed)
    write_crm(crm, Path(data_dir))
    return f"generated {data_dir} ({contacts:,} contacts, seed {seed})"


@task(name="reuse-registered-scorer", cache_policy=NO_CACHE)
def registered_scorer(workdir: str, data_key: str) -> str | None:
    """The scorer URI of an earlier demo run on the same data, if its store is still there."""
    state = Path(workdir) / STATE_FILE
    if not state.exists() or not embedded_store(Path(workdir)).exists():
        return None
    saved = json.loads(state.read_text())
    return saved.get("scorer_uri") if saved.get("data_key") == data_key else None


@flow(name="demo")
def demo_flow(workdir: str = str(DEFAULT_WORKDIR), contacts: int = 20_000, seed: int = 7) -> str:
    """Run the demo: generate -> validate -> train -> score -> compare.

    Args:
        workdir: Folder for everything the demo writes.
        contacts: Number of synthetic contacts.
        seed: Random seed of the synthetic CRM.

    Returns:
        A human-readable summary saying where everything is.
    """
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    data_dir = str(root / "crm")
    generated = generate_or_reuse(data_dir, contacts, seed)
    report, _ = validated(ValidateRequest(data=data_dir, workdir=root, out=root / "validation"))
    key = hashlib.sha256((Path(data_dir) / "manifest.json").read_bytes()).hexdigest()[:16]
    scorer_uri = registered_scorer(str(root), key)
    trained: dict[str, Any] | None = None
    if scorer_uri is None:
        trained = train_flow(request=TrainRequest(data=data_dir, workdir=root))
        scorer_uri = trained["scorer_uri"]
        state = {"data_key": key, "scorer_uri": scorer_uri, "run_id": trained["run_id"]}
        atomic_write_text(root / STATE_FILE, json.dumps(state, indent=2))
    # score as of the midnight after the last recorded event: the nightly run
    as_of = f"{next_run_as_of(report.tables):%Y-%m-%d}"
    db_sink = f"sqlite:///{root / 'crm_scores.db'}"
    scoring = ScoreRequest(
        data=data_dir, sink=db_sink, model_uri=scorer_uri, as_of=as_of, workdir=root
    )
    scored = score_flow(request=scoring)
    score_flow(request=scoring.model_copy(update={"sink": str(root / "scores.csv")}))
    compared = compare_flow(
        request=CompareRequest(data=data_dir, model_uri=scorer_uri, workdir=root)
    )
    return _summary(root, generated, report, trained, scorer_uri, scored, compared, as_of)


def _summary(
    root: Path,
    generated: str,
    report: ValidationReport,
    trained: dict[str, Any] | None,
    scorer_uri: str,
    scored: dict[str, Any],
    compared: dict[str, Any],
    as_of: str,
) -> str:
    if trained is None:
        training = f"reused the registered scorer {scorer_uri} (same data as last run)"
    else:
        m = trained["metrics"]
        manual = m.get("manual_roc_auc", float("nan"))
        training = (
            f"test AUC {m['test_roc_auc']:.3f} (manual rules {manual:.3f}), "
            f"ECE {m['test_ece']:.4f}; {trained['decision']['reason']}"
        )
    quarantined = sum(c["quarantined"] for c in report.counts.values())
    tables = build_tables(DEFAULT_TABLE_PREFIX)  # the score flow's default, as used above
    lines = [
        "leadscore demo: done",
        f"  CRM          {generated}",
        f"  validation   {root / 'validation'} ({quarantined:,} rows quarantined with reasons)",
        f"  model        {training}",
        f"  scorer       {scorer_uri}",
        f"  scores       {root / 'crm_scores.db'} (tables {tables.current.name}, "
        f"{tables.history.name}) and {root / 'scores.csv'}, as of {as_of}",
        f"  report       {compared['report']}  (open it in a browser)",
        f"  MLflow UI    .venv/bin/mlflow ui --backend-store-uri {default_tracking_uri(root)}",
        "",
        scored.get("text", ""),
    ]
    return "\n".join(lines)
