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
from collections.abc import Collection, Sequence
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


class PickledPyfunc(PythonModel):
    """An MLflow pyfunc around one object pickled as its artifact ``artifact_key``
    (:func:`log_pickled_pyfunc` logs it); a subclass says what ``predict_frame`` does.

    Attributes:
        artifact_key: Name of the pickle among the model's artifacts (``<key>.pkl``).
        code_packages: First-party packages copied next to the model so it loads without
            leadscore installed.
        requirements: Third-party packages the pickle needs besides ``RUNTIME_PACKAGES``,
            pinned to the running versions.
    """

    artifact_key = ARTIFACT_KEY
    code_packages: tuple[str, ...] = CODE_PACKAGES
    requirements: tuple[str, ...] = ()

    def load_context(self, context: Any) -> None:
        """Unpickle the wrapped object (the fitted model, the scorer) from the artifact."""
        with open(context.artifacts[self.artifact_key], "rb") as fh:
            # Our own artifact, written when the model was logged; loading it is as trusted as
            # loading any MLflow model.
            self.wrapped: Any = pickle.load(fh)  # noqa: S301

    # pd.DataFrame is a hint MLflow derives no schema from: the logged signature applies.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """The wrapped object's output for the rows of ``model_input``, indexed like them."""
        return self.predict_frame(pd.DataFrame(model_input), params or {})

    def predict_frame(self, frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        """What ``predict`` returns for ``frame`` (the input as a frame) and ``params``."""
        raise NotImplementedError


class ConversionPyfunc(PickledPyfunc):
    """MLflow pyfunc around a fitted :class:`ConversionModel`."""

    def predict_frame(self, frame: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
        """Calibrated P(convert) per row of a frame in the serving schema, as a frame with
        one column ``p_convert``."""
        conversion = self.wrapped.predict_conversion(frame)
        return pd.DataFrame({OUTPUT_COLUMN: conversion}, index=frame.index)


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
    return serving_frame(X, model.feature_names_, set(model.categories_))


def serving_frame(
    X: pd.DataFrame, columns: Sequence[str], text_columns: Collection[str]
) -> pd.DataFrame:
    """``X``'s ``columns`` in the pyfunc input schema: ``text_columns`` as str (or None),
    the others as float64; the one conversion for the model being logged and for a
    registered model known only by its input schema (the champion comparison)."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"feature frame lacks columns {missing} the model was trained on")
    out: dict[str, Any] = {}
    for col in columns:
        if col in text_columns:
            out[col] = text_or_none(X[col])
        else:
            out[col] = X[col].to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(out, index=X.index)


def _pip_requirements(extra: tuple[str, ...]) -> list[str]:
    """Pinned requirements of a logged model (``RUNTIME_PACKAGES`` and ``extra``), from
    the running environment."""
    return [f"{name}=={metadata.version(name)}" for name in (*RUNTIME_PACKAGES, *extra)]


def log_conversion_model(model: ConversionModel, input_example: pd.DataFrame) -> ModelInfo:
    """Log the fitted model as the pyfunc ``model`` of the active MLflow run.

    ``input_example`` is a few rows in the serving schema (:func:`to_serving_frame`), no
    PII. Returns MLflow's model info (``model_uri`` loads it).
    """
    signature = serving_signature(model)
    return log_pickled_pyfunc(ConversionPyfunc(), model, "model", signature, input_example)


def log_pickled_pyfunc(
    python_model: PickledPyfunc,
    obj: Any,
    name: str,
    signature: ModelSignature,
    input_example: pd.DataFrame,
    metadata: dict[str, Any] | None = None,
) -> ModelInfo:
    """Log ``python_model`` in the active MLflow run with ``obj`` pickled as its artifact
    (what its ``load_context`` reads back), with its code packages and requirements.

    ``input_example`` holds a few rows in the input schema (no PII); ``metadata`` goes to
    the logged model's ``MLmodel`` file. Returns MLflow's model info.
    """
    root = Path(__file__).resolve().parents[1]
    packages = [root / pkg for pkg in python_model.code_packages]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{python_model.artifact_key}.pkl"
        path.write_bytes(pickle.dumps(obj))
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=python_model,
            artifacts={python_model.artifact_key: str(path)},
            signature=signature,
            input_example=input_example,
            pip_requirements=_pip_requirements(python_model.requirements),
            code_paths=[str(pkg) for pkg in packages if (pkg / "__init__.py").exists()],
            metadata=metadata,
        )
