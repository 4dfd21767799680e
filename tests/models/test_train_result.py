"""Every field of :class:`models.train.TrainResult` is read by the path that trains: the
train flow (its summary, the SHAP views) or the scorer it registers. A field nobody reads
is a second copy of what the MLflow run already holds."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from models.train import TrainResult

ROOT = Path(__file__).resolve().parents[2]
# the callers of train_and_register and what they name its result
READERS = {
    ROOT / "pipelines" / "flows" / "train.py": "result",
    ROOT / "serving" / "scorer_training.py": "train_result",
}


def test_every_train_result_field_is_read_by_a_caller() -> None:
    unread = [
        field.name
        for field in dataclasses.fields(TrainResult)
        if not any(
            re.search(rf"\b{name}\.{field.name}\b", path.read_text())
            for path, name in READERS.items()
        )
    ]
    assert unread == []
