"""The whole scorer as one MLflow pyfunc: log it, register it, load it by alias.

``mlflow.pyfunc.load_model("models:/<name>@champion")`` gives a model whose ``predict``
takes the flat frame of :meth:`serving.scorer.LeadScorer.prepare` (model features as
numbers/strings, ``manual_score``, optional ``contact_id``, ``stage``, ``grade``,
``top_rules``; see :func:`to_pyfunc_frame`) and returns the scorer's output columns.
Batch jobs need the full tables path; they call :func:`load_scorer`, which unwraps the
same logged object (:class:`~serving.scorer.LeadScorer`).

Metadata of the logged model (``loaded.metadata.metadata``): conversion model name and
version, rulebook name and version, feature-spec fingerprint and the fitted blend (manual
calibration, weights, tier cut-offs).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

from models.pyfunc import PickledPyfunc, log_pickled_pyfunc, serving_signature, to_serving_frame
from models.store import MLFLOW_NOT_FOUND_CODES, use_tracking_uri
from serving.run_config import default_scorer_name, default_scorer_uri
from serving.scorer import LeadScorer
from serving.scorer_artifact import ARTIFACT_KEY, REGISTRY_URI
from serving.scorer_types import NUMBER_OUTPUTS, OUTPUT_COLUMNS, RULE_TEXT_COLUMNS


class LeadScorerPyfunc(PickledPyfunc):
    """MLflow pyfunc around a pickled :class:`LeadScorer`."""

    artifact_key = ARTIFACT_KEY
    code_packages = ("models", "features", "rules", "serving")
    requirements = ("pydantic", "numba", "pyarrow")

    def predict_frame(self, frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        """Score prepared rows; ``params={"explain": False}`` skips the SHAP reasons."""
        return self.wrapped.score_frame(frame, explain=bool(params.get("explain", True)))


def scorer_signature(scorer: LeadScorer) -> ModelSignature:
    """Input: features (optional) + ``manual_score`` (required) + rules text; output columns."""
    features = serving_signature(scorer.model).inputs.inputs
    inputs = Schema(
        [
            ColSpec("string", "contact_id", required=False),
            *features,
            ColSpec("double", "manual_score"),
            *(ColSpec("string", c, required=False) for c in RULE_TEXT_COLUMNS),
        ]
    )
    out_cols: list[ColSpec | TensorSpec] = [ColSpec("string", "contact_id", required=False)]
    out_cols += [ColSpec("double" if c in NUMBER_OUTPUTS else "string", c) for c in OUTPUT_COLUMNS]
    outputs = Schema(out_cols)
    params = ParamSchema([ParamSpec("explain", "boolean", True)])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def to_pyfunc_frame(frame: pd.DataFrame, scorer: LeadScorer) -> pd.DataFrame:
    """A prepared frame (:meth:`LeadScorer.prepare`) in the pyfunc's input schema."""
    out = to_serving_frame(frame, scorer.model)
    out.insert(0, "contact_id", frame["contact_id"].astype(object).astype(str).to_numpy())
    out["manual_score"] = frame["manual_score"].to_numpy(dtype="float64", na_value=np.nan)
    for col in RULE_TEXT_COLUMNS:
        values = frame[col].astype(object)
        out[col] = values.where(values.notna(), None).to_numpy()
    return out


def log_lead_scorer(
    scorer: LeadScorer, input_example: pd.DataFrame, *, name: str = "scorer"
) -> ModelInfo:
    """Log the scorer as a pyfunc named ``name`` in the active MLflow run.

    Args:
        input_example: A few rows from :func:`to_pyfunc_frame` (ids are replaced by
            placeholders so no CRM id is stored).
    """
    example = input_example.assign(contact_id=[f"example-{i}" for i in range(len(input_example))])
    signature = scorer_signature(scorer)
    return log_pickled_pyfunc(
        LeadScorerPyfunc(), scorer, name, signature, example, metadata=scorer.describe()
    )


@dataclass(frozen=True)
class LoadedScorer:
    """A scorer loaded from MLflow, with what the sink records about it."""

    scorer: LeadScorer
    model_uri: str
    model_name: str
    model_version: str


def _registered_hint(model_uri: str, tracking_uri: str | None) -> str:
    """What the store does hold under the URI's name: its aliases and versions."""
    match = REGISTRY_URI.match(model_uri)
    if match is None:
        return ""
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    try:
        registered = client.get_registered_model(match["name"])
    except MlflowException:
        return ""
    aliases = registered.aliases or {}
    if aliases:
        shown = ", ".join(f"@{a} (v{aliases[a]})" for a in sorted(aliases))
        return f"{match['name']} has the aliases {shown}: pass one of them with --model, or "
    return f"{match['name']} has no alias: pass models:/{match['name']}/VERSION, or "


def load_scorer(
    model_uri: str | None, tracking_uri: str | None = None, *, check_requirements: bool = True
) -> LoadedScorer:
    """Load a logged scorer and resolve its registered name and version.

    Args:
        model_uri: ``models:/<name>@<alias>``, ``models:/<name>/<version>`` or a run URI;
            None: the champion of the default config's scorer name
            (:func:`serving.run_config.default_scorer_uri`).
        tracking_uri: MLflow tracking/registry URI (None: MLflow's current one).
        check_requirements: Let MLflow compare the model's pinned requirements with the
            installed packages and warn on a mismatch (seconds of package metadata reads;
            ``leadscore explain`` of one lead skips it).

    Returns:
        The scorer and its name/version (a run URI reports ``run:<run_id>`` as version).

    Raises:
        ValueError: The URI does not hold a leadscore scorer, or nothing is registered or
            logged under it in this tracking store (the message says where it looked and,
            for a missing alias, which aliases exist).
        OSError: The scorer's files are missing or unreadable; the error's note names the
            model URI and the store.
        pickle.UnpicklingError: The pickle is corrupt or truncated (``EOFError`` when it
            ends early); with the same note.
    """
    model_uri = model_uri or default_scorer_uri()
    if tracking_uri is not None:
        use_tracking_uri(tracking_uri)
    where = tracking_uri or mlflow.get_tracking_uri()
    try:
        loaded = mlflow.pyfunc.load_model(model_uri, suppress_warnings=not check_requirements)
    except MlflowException as exc:
        if exc.error_code not in MLFLOW_NOT_FOUND_CODES:
            exc.add_note(f"loading the scorer {model_uri} from the MLflow store {where}")
            raise
        raise ValueError(
            f"no scorer {model_uri} in the MLflow store {where} ({exc.message}); "
            f"{_registered_hint(model_uri, tracking_uri)}train one first (leadscore train "
            "--workdir DIR), or pass the --workdir / --tracking-uri it was trained into, or "
            "another --model"
        ) from None
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        # a missing, unreadable or truncated artifact (the run's files were deleted, or a
        # copy was cut short): permanent, and the note names what was being loaded
        exc.add_note(f"loading the scorer {model_uri} from the MLflow store {where}")
        raise
    python_model = loaded.unwrap_python_model()
    scorer = getattr(python_model, "wrapped", None)
    if not isinstance(scorer, LeadScorer):
        raise ValueError(
            f"{model_uri} is not a leadscore scorer (got {type(python_model).__name__}); "
            "pass the URI of a model logged by build_and_register_scorer"
        )
    match = REGISTRY_URI.match(model_uri)
    if match is None:
        run_id = loaded.metadata.run_id or "unknown"
        name = scorer.metadata.get("scorer_name") or default_scorer_name()
        return LoadedScorer(scorer, model_uri, name, f"run:{run_id}")
    name, version = match["name"], match["version"]
    if version is None:
        client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
        version = str(client.get_model_version_by_alias(name, match["alias"]).version)
    return LoadedScorer(scorer, model_uri, name, version)
