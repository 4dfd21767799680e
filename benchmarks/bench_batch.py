"""The nightly batch end to end: features + rules + model + blend + explanations + SQLite.

Data: a synthetic CRM of N contacts (``features.synthetic.generate_crm``, ~21 activities
per contact; not timed). Model: the default training config fitted once on a 20,000-contact
CRM (not timed). Ours: :func:`serving.batch.run_batch` into a fresh SQLite file, with
explanations from the fast exact TreeSHAP path. Reference: the same job with LightGBM's
``pred_contrib=True`` explanations (identical values). Above ``REF_FULL_MAX`` contacts the
reference's explanation step is timed on a ``REF_SAMPLE``-row sample and scaled linearly;
its other steps are ours (they are the same code), as the notes say.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.harness import BenchResult, measure
from benchmarks.scorer_fixture import AS_OF, RUN, trained_scorer
from features.crm import CrmTables
from features.synthetic import DirtConfig, generate_crm
from models.frames import align_features
from serving.batch import run_batch
from serving.reasons import top_model_factors
from serving.scorer import LeadScorer

SIZES = {"quick": [20_000], "full": [100_000, 1_000_000]}
REF_FULL_MAX = 100_000
REF_SAMPLE = 50_000


def _job(tables: CrmTables, scorer: LeadScorer, folder: Path) -> dict[str, float]:
    url = f"sqlite:///{folder / f'scores_{time.monotonic_ns()}.db'}"
    summary = run_batch(
        tables, scorer, AS_OF, url, model_name=RUN["model_name"], model_version=RUN["model_version"]
    )
    return summary.seconds


def _ref_explain_seconds(tables: CrmTables, scorer: LeadScorer, rows: int) -> float:
    """pred_contrib explanations of ``rows`` prepared leads (model step excluded)."""
    prepared = scorer.prepare(tables, AS_OF).frame.head(rows)
    model = scorer.model
    X = align_features(prepared, model.feature_names_, model.categories_, "bench")
    start = time.perf_counter()
    top_model_factors(model, X, scorer.settings.top_k, method="lightgbm")
    return time.perf_counter() - start


def bench(size: int, repeats: int) -> list[BenchResult]:
    """Time the batch job for ``size`` contacts (ours vs the pred_contrib reference)."""
    scorer = trained_scorer()
    tables = generate_crm(size, 202, dirt=DirtConfig.none()).tables
    with tempfile.TemporaryDirectory() as tmp:
        head = tables.contacts.head(500)
        warm = CrmTables(head, tables.accounts, tables.activities, tables.outcomes)
        _job(warm, scorer, Path(tmp))  # warm-up (numba cache, imports): not timed
        ours = measure(lambda: _job(tables, scorer, Path(tmp)), repeats)
        steps: dict[str, float] = ours.result
        explain_s = steps["explanations"]
        if size <= REF_FULL_MAX:
            reference = scorer.with_settings(shap_method="lightgbm")
            ref = measure(lambda: _job(tables, reference, Path(tmp)), 1)
            ref_s, ref_explain = ref.median_s, ref.result["explanations"]
            how = "reference run in full"
        else:
            sample = _ref_explain_seconds(tables, scorer, REF_SAMPLE)
            ref_explain = sample * size / REF_SAMPLE
            ref_s = ours.median_s - explain_s + ref_explain
            how = (
                f"reference explanations timed on {REF_SAMPLE:,} leads and scaled linearly; "
                "its other steps are ours"
            )
    detail = ", ".join(f"{k} {v:.1f}s" for k, v in steps.items())
    return [
        BenchResult(
            "batch_end_to_end",
            size,
            ours.median_s,
            ref_s,
            ours.peak_rss_mb,
            f"{len(tables.activities):,} activities; steps: {detail}; {how}",
        ),
        BenchResult(
            "batch_explanations",
            size,
            explain_s,
            ref_explain,
            ours.peak_rss_mb,
            "top-3 up/down SHAP factors + readable texts (JSON) per lead; " + how,
        ),
    ]
