"""A small scorer trained and registered on a synthetic CRM, for tests of the scoring paths."""

from __future__ import annotations

from pathlib import Path

from features.crm import CrmTables
from features.ingest.load import ingest
from features.spec import FeatureSpec, load_feature_spec
from features.synthetic import DirtConfig, generate_crm, write_crm
from models.config import LightGBMParams, QualityGates, TrainConfig
from models.train import train_and_register
from pipelines.plan_slices import config_slices
from rules import Rulebook, load_rulebook
from serving.blend import BlendConfig, FittedBlend

RULEBOOK = Path(__file__).resolve().parents[1] / "rules" / "rulebooks" / "default.yaml"


def crm_on_disk(
    folder: Path, n_contacts: int, seed: int, *, bot_share: float | None = None
) -> CrmTables:
    """Write a clean synthetic CRM as Parquet files to ``folder``; return its ingested tables
    (bots filtered out). ``bot_share``: the generator's share of bot e-mail events (None: its
    default; 0 for a CRM without bots)."""
    options = {} if bot_share is None else {"bot_share": bot_share}
    write_crm(generate_crm(n_contacts, seed, dirt=DirtConfig.none(), **options), folder)
    return ingest(folder).tables


def register_scorer(
    tables: CrmTables,
    tracking_uri: str,
    name: str,
    *,
    train_snapshots: int,
    n_estimators: int,
    early_stopping_rounds: int,
    horizon_days: int = 90,
    with_run_config: bool = False,
    spec: FeatureSpec | None = None,
    rulebook: Rulebook | None = None,
):
    """Train a quick model on ``tables`` (``horizon_days`` label, default rulebook) and
    register the scorer under ``name``; permissive gates so that it always becomes the
    champion. ``with_run_config`` stores a run configuration in the scorer, as ``train``
    does (its horizon is what ``compare`` and ``rules publish`` read). ``spec``: the feature
    spec (None: the default one); ``rulebook``: the rulebook (None: the default one)."""
    from serving.run_config import RunConfig, rulebook_ref
    from serving.scorer_training import build_and_register_scorer, sales_share_of

    spec, rulebook = spec or load_feature_spec(), rulebook or load_rulebook(RULEBOOK)
    config = TrainConfig(
        model_name=name,
        experiment_name=name,
        framing="snapshots",
        horizon_days=horizon_days,
        train_snapshots=train_snapshots,
        every_days=30,
        lightgbm=LightGBMParams(
            n_estimators=n_estimators,
            learning_rate=0.1,
            early_stopping_rounds=early_stopping_rounds,
        ),
        gates=QualityGates(min_auc=0.5, max_ece=0.5),
    )
    slices = config_slices(tables, spec, config, rulebook=rulebook)  # as train builds them
    result = train_and_register(
        *(slices.X("train"), slices.train.y, slices.X("valid"), slices.valid.y),
        *(slices.X("test"), slices.test.y),
        config=config,
        k_frac=sales_share_of(slices, BlendConfig(), tables),
        tracking_uri=tracking_uri,
    )
    run = None
    if with_run_config:
        run = RunConfig(
            framing="snapshots",
            train=config,
            feature_spec=spec.model_dump(mode="json"),
            rulebook=rulebook_ref(rulebook, RULEBOOK),
            tracking_uri=tracking_uri,
        )
    return build_and_register_scorer(
        result, slices, tables, rulebook=rulebook, spec=spec, run_config=run
    )


def model_only_blend(config: BlendConfig, cutoffs: dict[str, float]) -> FittedBlend:
    """A blend that passes the model's probability through (manual weight 0), with given
    tier cut-offs: what a scorer needs when a test sets its tiers by hand."""
    return FittedBlend(config, None, "none", 0.0, 0.0, (0.0, 1.0), dict(cutoffs))
