"""The demo reuses its CRM folder only when it holds what this generator would write."""

from __future__ import annotations

import json

from features.synthetic import GENERATOR_VERSION
from pipelines.flows.demo import generate_or_reuse

reuse = generate_or_reuse.fn  # the task's function, without a flow run


def test_same_size_seed_and_version_is_reused_an_older_generator_is_not(tmp_path):
    folder = str(tmp_path / "crm")
    assert reuse(folder, 60, 3).startswith("generated")
    manifest = tmp_path / "crm" / "manifest.json"
    meta = json.loads(manifest.read_text())
    assert meta["generator_version"] == GENERATOR_VERSION
    assert reuse(folder, 60, 3).startswith("reused")
    assert reuse(folder, 60, 4).startswith("generated")  # another seed
    meta = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**meta, "generator_version": "1.0.0"}))
    assert reuse(folder, 60, 4).startswith("generated")  # an older generator's CRM
    assert json.loads(manifest.read_text())["generator_version"] == GENERATOR_VERSION
