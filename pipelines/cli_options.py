"""Command-line options several ``leadscore`` commands share, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

BotsOpt = Annotated[
    Path | None,
    typer.Option(
        "--bots",
        exists=True,
        dir_okay=False,
        help="Bot filter settings YAML: the changes to features/bots/default.yaml "
        "(enabled: false turns the filter off).",
    ),
]
"""``--bots``: the bot filter's settings file (default: the packaged settings)."""


def path_text(path: Path | None) -> str | None:
    """A path option as the text flows take (None stays None)."""
    return None if path is None else str(path)
