"""Where MLflow keeps things, without importing MLflow: the embedded store's location,
pointing MLflow at a store, and the error codes of something that is not there.

Kept apart from :mod:`models.tracking` (which imports MLflow and matplotlib) so that a
one-shot command can name its store before deciding what to load.
"""

from __future__ import annotations

from pathlib import Path

MLFLOW_NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
"""MLflow error codes of a model, version or run that is not there: asking again gives the
same answer (a retry cannot help; the user must train or name another model)."""


def embedded_store(workdir: Path) -> Path:
    """The embedded store's SQLite file in ``workdir``: ``<workdir>/mlruns/mlflow.db``."""
    return Path(workdir).resolve() / "mlruns" / "mlflow.db"


def default_tracking_uri(workdir: Path) -> str:
    """The embedded SQLite tracking URI inside ``workdir`` (folder created if needed).

    Its artifacts go to ``<workdir>/mlruns/artifacts`` (see :func:`artifact_location_for`).
    """
    db = embedded_store(workdir)
    db.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db}"


def existing_tracking_uri(workdir: Path) -> str:
    """The embedded tracking URI of ``workdir`` for commands that read a trained model.

    Unlike :func:`default_tracking_uri` it creates nothing: a mistyped ``--workdir`` would
    otherwise become a new, empty store and the error would be "no scorer registered".

    Raises:
        ValueError: ``workdir`` holds no store (``mlruns/mlflow.db``); names the folder.
    """
    db = embedded_store(workdir)
    if not db.is_file():
        raise ValueError(
            f"--workdir {workdir} holds no MLflow store ({db} is missing): pass the folder "
            "you trained into (leadscore train --workdir DIR) or --tracking-uri"
        )
    return f"sqlite:///{db}"


def use_tracking_uri(tracking_uri: str) -> None:
    """Point MLflow's fluent API (runs, model logging, registry) at ``tracking_uri``."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)


def artifact_location_for(tracking_uri: str) -> str | None:
    """Artifact root for new experiments: beside the database for a SQLite store, else None.

    A server (``http://...``) decides its own artifact root; a SQLite store would otherwise
    default to ``./mlruns`` relative to whatever the current directory is.
    """
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix):
        return (Path(tracking_uri[len(prefix) :]).resolve().parent / "artifacts").as_uri()
    return None
