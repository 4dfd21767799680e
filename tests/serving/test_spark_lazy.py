"""Only the Spark engine imports pyspark: the local scorer, the batch and the CLI do not."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

LOCAL_PATH = ("serving.scorer", "serving.batch", "pipelines.cli")
# a fresh interpreter: this test session may have imported Spark already
PROBE = "\n".join(
    [
        "import json, sys",
        *(f"import {module}" for module in LOCAL_PATH),
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pyspark'"
        " or m.startswith('serving.spark'))))",
    ]
)


@pytest.mark.slow  # a new interpreter importing pandas, LightGBM and the scorer: ~5 s
def test_importing_the_local_path_does_not_import_pyspark() -> None:
    # pyspark is installed here (the dev extras), so the check below can fail
    assert importlib.util.find_spec("pyspark") is not None
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert "PySpark" not in done.stderr  # pyspark's pandas-3 warning comes with its import
