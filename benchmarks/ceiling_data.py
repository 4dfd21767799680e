"""The slices the ceiling study (:mod:`benchmarks.ceiling`) reads, and the model ``train``
fits on them.

:class:`StudyData` holds the train / valid / test slices ``leadscore train`` builds
(:func:`benchmarks.real_data.model_slices`) with each row's contact day and its weekday and
month (:func:`benchmarks.ceiling_grid.with_contact_dates`); :func:`shipped_model` fits the
training config's model on them as :func:`models.train.train_and_register` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.ceiling_grid import DATE_COLUMNS, with_contact_dates
from benchmarks.time_folds import development_rows
from models.config import TrainConfig
from models.estimator import ConversionModel
from models.train import model_from_config

PARTS = ("train", "valid", "test")


@dataclass(frozen=True)
class StudyData:
    """The three slices as the study reads them.

    Attributes:
        X: Per slice, the model's columns (after the leakage guard) plus
            :data:`~benchmarks.ceiling_grid.DATE_COLUMNS`; rows oldest first.
        y: Per slice, the 0/1 labels.
        contact_day: Per slice, each row's contact day.
        time_valid: The validation rows' times, as training passes them to calibration.
        manual: Per slice (``valid``, ``test``), the rulebook's manual score.
        empty_rulebook: The rulebook ``train`` chose is the empty one (blend weight 0).
    """

    X: dict[str, pd.DataFrame]
    y: dict[str, np.ndarray]
    contact_day: dict[str, pd.Series]
    time_valid: pd.Series
    manual: dict[str, np.ndarray]
    empty_rulebook: bool

    def features(self, part: str) -> pd.DataFrame:
        """The model's columns of ``part`` (without the date columns)."""
        return self.X[part].drop(columns=list(DATE_COLUMNS))


def study_data(slices: Any, *, empty_rulebook: bool) -> StudyData:
    """The :class:`StudyData` of time-ordered ``first_touch`` slices.

    Raises:
        ValueError: The slices are not ``first_touch`` or not in time order.
    """
    development_rows(slices)  # refuses slices without a time order
    if slices.kind != "first_touch":
        raise ValueError(f"{slices.kind} slices: the study reads first_touch contact days")
    delay = pd.Timedelta(days=int(slices.fingerprint["plan"]["delay_days"]))
    day = {p: getattr(slices, p).snapshot.reset_index(drop=True) - delay for p in PARTS}
    manual = {}
    for p in ("valid", "test"):
        score = getattr(slices, f"manual_score_{p}")
        rows = len(getattr(slices, p).y)
        manual[p] = np.zeros(rows) if score is None else np.nan_to_num(np.asarray(score, float))
    return StudyData(
        X={p: with_contact_dates(slices.X(p), day[p]) for p in PARTS},
        y={p: getattr(slices, p).y.to_numpy(dtype=int) for p in PARTS},
        contact_day=day,
        time_valid=slices.time_valid.reset_index(drop=True),
        manual=manual,
        empty_rulebook=empty_rulebook,
    )


def shipped_model(data: StudyData, config: TrainConfig) -> ConversionModel:
    """The model ``train`` fits with ``config`` (its small-data values for the training
    rows, validation halves for early stopping and calibration, the rows' times)."""
    X = data.features("train")
    model = model_from_config(config.for_training_rows(len(X)))
    return model.fit(
        X,
        data.y["train"],
        X_valid=data.features("valid"),
        y_valid=data.y["valid"],
        time_valid=data.time_valid,
    )


def monthly_rates(data: StudyData) -> list[dict[str, Any]]:
    """Rows, conversions and conversion rate per contact month and slice, oldest first."""
    frames = [
        pd.DataFrame({"month": data.contact_day[p].dt.strftime("%Y-%m"), "part": p, "y": data.y[p]})
        for p in PARTS
    ]  # fmt: skip
    table = pd.concat(frames).groupby(["month", "part"], sort=False)["y"].agg(["size", "sum"])
    return [
        {"month": m, "part": p, "rows": int(n), "conversions": int(k), "rate": k / n}
        for (m, p), (n, k) in table.iterrows()
    ]
