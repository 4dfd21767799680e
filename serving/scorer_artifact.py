"""The registered scorer's pickle in a local SQLite store, found without importing MLflow.

``leadscore explain`` loads the scorer to explain one lead. MLflow's ``pyfunc.load_model``
imports most of MLflow (about 1.5 s of CPU here) and reads the model's environment files;
for a store in a local SQLite file (what ``leadscore train --workdir`` creates) the scorer
is one pickle whose place the store records. :func:`read_registered_scorer` reads the
registry's two rows with parameterised SQL on a read-only connection (the alias's version,
that version's ``storage_location``), the model's ``MLmodel`` file with a safe YAML loader
for the artifact's path, and unpickles it. Anything else (a tracking server, a run URI, a
layout it does not know) returns None and the caller loads the scorer through MLflow
(:func:`serving.scorer_model.load_scorer`), which also gives the errors for a missing alias
or model.
"""

from __future__ import annotations

import pickle
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from features.safe_yaml import read_yaml
from serving.scorer import LeadScorer

ARTIFACT_KEY = "lead_scorer"
"""Name of the scorer's pickle among the logged pyfunc's artifacts."""

REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")
"""``models:/<name>@<alias>`` or ``models:/<name>/<version>``."""

_SQLITE = "sqlite:///"


def registered_scorer_file(model_uri: str, tracking_uri: str | None) -> Path | None:
    """The scorer's pickle of a registered model in a local SQLite store, or None.

    Args:
        model_uri: ``models:/<name>@<alias>`` or ``models:/<name>/<version>``.
        tracking_uri: The store, ``sqlite:///<path>``; other kinds give None.

    Returns:
        The path of the pickle, or None when the URI, the store or the files are not of
        the kind this reads (the caller then asks MLflow).
    """
    match = REGISTRY_URI.match(model_uri)
    if match is None or not tracking_uri or not tracking_uri.startswith(_SQLITE):
        return None
    database = Path(tracking_uri[len(_SQLITE) :])
    if not database.is_file():
        return None
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as con:
            location = _storage_location(con, match["name"], match["alias"], match["version"])
    except sqlite3.Error:
        return None  # not the schema this reads: MLflow knows its own store
    if location is None or urlparse(location).scheme != "file":
        return None
    folder = Path(unquote(urlparse(location).path))
    try:
        mlmodel = read_yaml(folder / "MLmodel")
        relative = mlmodel["flavors"]["python_function"]["artifacts"][ARTIFACT_KEY]["path"]
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return None
    path = folder / str(relative)
    return path if path.is_file() else None


def _storage_location(
    con: sqlite3.Connection, name: str, alias: str | None, version: str | None
) -> str | None:
    if alias is not None:
        rows = con.execute(
            "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
            (name, alias),
        ).fetchall()
        if len(rows) != 1:
            return None
        version = str(rows[0][0])
    rows = con.execute(
        "SELECT storage_location FROM model_versions "
        "WHERE name = ? AND version = ? AND status = 'READY'",
        (name, int(str(version))),
    ).fetchall()
    return str(rows[0][0]) if len(rows) == 1 and rows[0][0] else None


def read_registered_scorer(model_uri: str, tracking_uri: str | None) -> LeadScorer | None:
    """The registered scorer read straight from its pickle (see the module docstring), or
    None when :func:`registered_scorer_file` finds no pickle or the pickle holds something
    else."""
    path = registered_scorer_file(model_uri, tracking_uri)
    if path is None:
        return None
    with path.open("rb") as fh:
        # our own artifact, written by log_lead_scorer; as trusted as any MLflow model
        scorer = pickle.load(fh)  # noqa: S301
    return scorer if isinstance(scorer, LeadScorer) else None
