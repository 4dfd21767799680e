"""Shared test fixtures.

MLflow: one SQLite tracking store per test session (creating a new store runs ~15 s of
database migrations here). A pristine, migrated copy of the empty database is kept so a
test that needs its own store (e.g. the real ``mlflow server``) can start from it without
migrating again. Tests use unique experiment and model names, so they never collide.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class MlflowStore:
    """A tracking store for tests: URI, its folder and a migrated empty database copy."""

    tracking_uri: str
    root: Path
    pristine_db: Path

    def fresh_db(self, target: Path) -> Path:
        """Copy the migrated, empty database to ``target`` (a new store, no migrations)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.pristine_db, target)
        return target


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> MlflowStore:
    """Session-wide SQLite MLflow store with artifacts in the same temporary folder."""
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    pristine = root / "pristine.db"
    MlflowClient(f"sqlite:///{pristine}").search_experiments()  # runs the migrations once
    db = root / "mlflow.db"
    shutil.copyfile(pristine, db)
    return MlflowStore(tracking_uri=f"sqlite:///{db}", root=root, pristine_db=pristine)


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """Skip the Spark tests when pyspark or Java 17 is missing, or fail them under .ci/run.

    ``.ci/run`` sets ``LEADSCORE_REQUIRE_SPARK=1``: there a missing dependency must not
    turn the Spark equality tests into silent skips.
    """
    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed (pip install -e '.[spark]')"
    if missing is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing = "Spark tests need Java 17 (`java` on PATH or JAVA_HOME); .ci/run installs it"
    if missing is not None:
        if os.environ.get("LEADSCORE_REQUIRE_SPARK") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
