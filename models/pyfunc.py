"""The conversion model as one MLflow pyfunc: load by alias, predict calibrated P(convert).

:class:`ConversionPyfunc` wraps a fitted :class:`models.estimator.ConversionModel` stored as
a pickle artifact. Its ``predict`` returns a frame with one column, ``p_convert``. The whole
scorer (features, rule points and blend around the same fitted model) is logged as its own
pyfunc by :mod:`serving.scorer_model`, with the helpers of this module.

Input schema: numeric features as ``double``, category features as ``string``; all
optional (missing allowed). :func:`to_serving_frame` converts a feature matrix to it.
"""

from __future__ import annotations

import pickle
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc import PythonModel
from mlflow.types import ColSpec, Schema

from models.estimator import ConversionModel
from models.frames import text_or_none

ARTIFACT_KEY = "conversion_model"
OUTPUT_COLUMN = "p_convert"
# Third-party packages the pickled model needs; pinned to the versions it was trained with.
RUNTIME_PACKAGES = ("lightgbm", "scikit-learn", "pandas", "numpy", "mlflow", "cloudpickle")
# First-party packages copied next to the model so it loads without leadscore installed.
CODE_PACKAGES = ("models", "features")


class ConversionPyfunc(PythonModel):
    """MLflow pyfunc around a fitted :class:`ConversionModel`."""

    def load_context(self, context: Any) -> None:
        """Unpickle the fitted model from the logged artifact."""
        self.model: ConversionModel = unpickle_artifact(context, ARTIFACT_KEY)

    # pd.DataFrame is a hint MLflow derives no schema from: serving_signature() applies.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Calibrated P(convert) per row of a frame in the serving schema, indexed like it,
        as a frame with one column ``p_convert``."""
        frame = pd.DataFrame(model_input)
        return pd.DataFrame(
            {OUTPUT_COLUMN: self.model.predict_conversion(frame)}, index=frame.index
        )


def unpickle_artifact(context: Any, key: str) -> Any:
    """The object a pyfunc logged as the pickle artifact ``key`` (its ``load_context``)."""
    with open(context.artifacts[key], "rb") as fh:
        # Our own artifact, written when the model was logged; loading it is as trusted as
        # loading any MLflow model.
        return pickle.load(fh)  # noqa: S301


def serving_signature(model: ConversionModel) -> ModelSignature:
    """Input (features, all optional) and output (``p_convert``) schema of the pyfunc."""
    inputs = Schema(
        [
            ColSpec("string" if col in model.categories_ else "double", col, required=False)
            for col in model.feature_names_
        ]
    )
    return ModelSignature(inputs=inputs, outputs=Schema([ColSpec("double", OUTPUT_COLUMN)]))


def to_serving_frame(X: pd.DataFrame, model: ConversionModel) -> pd.DataFrame:
    """Convert a feature matrix to the pyfunc input schema (category -> str, else float)."""
    missing = [c for c in model.feature_names_ if c not in X.columns]
    if missing:
        raise ValueError(f"feature frame lacks columns {missing} the model was trained on")
    out: dict[str, Any] = {}
    for col in model.feature_names_:
        if col in model.categories_:
            out[col] = text_or_none(X[col])
        else:
            out[col] = X[col].to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(out, index=X.index)


def _pip_requirements(extra: tuple[str, ...]) -> list[str]:
    """Pinned requirements of a logged model (``RUNTIME_PACKAGES`` and ``extra``), from
    the running environment."""
    return [f"{name}=={metadata.version(name)}" for name in (*RUNTIME_PACKAGES, *extra)]


def _code_paths(packages: tuple[str, ...]) -> list[str]:
    """Directories of the first-party packages the pickle refers to."""
    root = Path(__file__).resolve().parents[1]
    return [str(root / pkg) for pkg in packages if (root / pkg / "__init__.py").exists()]


def log_conversion_model(
    model: ConversionModel,
    input_example: pd.DataFrame,
    *,
    name: str = "model",
) -> ModelInfo:
    """Log the fitted model as a pyfunc in the active MLflow run.

    Args:
        model: Fitted conversion model.
        input_example: A few rows in the serving schema (no PII; see
            :func:`to_serving_frame`).
        name: Name of the logged model within the run.

    Returns:
        MLflow's model info (``model_uri`` loads it).
    """
    return log_pickled_pyfunc(
        model,
        ConversionPyfunc(),
        ARTIFACT_KEY,
        name=name,
        signature=serving_signature(model),
        input_example=input_example,
        packages=CODE_PACKAGES,
    )


def log_pickled_pyfunc(
    obj: Any,
    python_model: PythonModel,
    artifact_key: str,
    *,
    name: str,
    signature: ModelSignature,
    input_example: pd.DataFrame,
    packages: tuple[str, ...],
    requirements: tuple[str, ...] = (),
    metadata: dict[str, Any] | None = None,
) -> ModelInfo:
    """Log ``python_model`` in the active MLflow run with ``obj`` pickled as its artifact
    ``artifact_key`` (what its ``load_context`` reads back with :func:`unpickle_artifact`).

    Args:
        obj: What the pyfunc wraps (the fitted model, the scorer).
        python_model: The pyfunc instance.
        artifact_key: Name of the pickle among the model's artifacts (``<key>.pkl``).
        name: Name of the logged model within the run.
        signature: Input and output schema.
        input_example: A few rows in the input schema (no PII).
        packages: First-party packages copied next to the model so it loads without
            leadscore installed.
        requirements: Third-party packages the pickle needs besides ``RUNTIME_PACKAGES``,
            pinned to the running versions.
        metadata: Stored in the logged model's ``MLmodel`` file.

    Returns:
        MLflow's model info (``model_uri`` loads it).
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{artifact_key}.pkl"
        path.write_bytes(pickle.dumps(obj))
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=python_model,
            artifacts={artifact_key: str(path)},
            signature=signature,
            input_example=input_example,
            pip_requirements=_pip_requirements(requirements),
            code_paths=_code_paths(packages),
            metadata=metadata,
        )
