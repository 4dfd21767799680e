"""Terminal output for the CLI: one rich console, error formatting, exit codes."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

console = Console()
err_console = Console(stderr=True)

EXIT_DATA_ERROR = 1
"""Exit code for bad input data, a failed table-level check or a failed quality gate."""


def setup_logging(verbose: bool = False) -> None:
    """Route library logging through rich on stderr (INFO with --verbose, else WARNING)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=False)],
        force=True,
    )
    if not verbose:
        # these libraries set their own loggers to INFO; keep the terminal to what matters
        for name in ("great_expectations", "prefect", "mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)


def fail(message: str) -> None:
    """Print a user-facing error to stderr."""
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False)
