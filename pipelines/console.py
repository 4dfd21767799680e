"""Terminal output for the CLI: one rich console, error formatting, exit codes."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from features.safe_yaml import clipped

console = Console()
err_console = Console(stderr=True)

EXIT_DATA_ERROR = 1
"""Exit code for bad input data, a failed table-level check or a failed quality gate."""


QUIET_LIBRARIES = ("great_expectations", "prefect", "mlflow", "alembic", "py.warnings")
"""Libraries whose INFO lines are noise on a terminal unless --verbose is given."""

QUIET_ENVIRONMENT = {
    # Prefect logs every failed task and flow run with its whole traceback (150-280 lines)
    # before the CLI prints the one-line error; without --verbose only that line is shown.
    # An unexpected error still ends in its traceback: the exception leaves the flow.
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "CRITICAL",
    # MLflow's own handler (it does not propagate): its warnings on logging a Python model
    "MLFLOW_LOGGING_LEVEL": "ERROR",
    # loading a registered model draws a download bar per artifact: noise in job logs
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
"""Environment set (unless the user set it) for runs without --verbose."""


class _QuietLibraries(logging.Filter):
    """Drops records below WARNING from :data:`QUIET_LIBRARIES`.

    A filter on the handler, because some libraries (Great Expectations) reset their
    loggers' levels to INFO when they are imported, after the CLI configured logging.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith(QUIET_LIBRARIES)


def setup_logging(verbose: bool = False) -> None:
    """Route library logging through rich on stderr (INFO with --verbose, else WARNING)."""
    handler = RichHandler(console=err_console, show_path=False, rich_tracebacks=False)
    if not verbose:
        handler.addFilter(_QuietLibraries())
        for key, value in QUIET_ENVIRONMENT.items():
            os.environ.setdefault(key, value)
        # great_expectations imports pyspark when it is installed (the spark extra), and
        # pyspark warns about pandas 3 on import: not about anything the user runs
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    if not verbose:
        for name in QUIET_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)


def fail(message: str) -> None:
    """Print a user-facing error to stderr (the message is shown as is, not as markup;
    a value quoted from a user's file is cut to a short prefix, see
    :func:`features.safe_yaml.clipped`)."""
    err_console.print(f"[bold red]error:[/bold red] {escape(clipped(message))}", highlight=False)


@contextmanager
def user_errors(*expected: type[Exception]) -> Iterator[None]:
    """A command's expected errors (bad input): the message on stderr, exit code 1.

    A ``KeyError`` shows its message, not its quoted repr. Anything else leaves the
    command for :func:`pipelines.cli.main`'s classification.
    """
    try:
        yield
    except expected as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
        raise typer.Exit(EXIT_DATA_ERROR) from exc
