"""Issues, the human summary and the files of a validation report.

Nothing here shows personal data: issue examples carry the row number only for ``pii``
columns, and written quarantine files redact ``pii`` values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from features.bots import bot_share_text
from features.crm import empty_table
from features.files import atomic_write, atomic_write_text, write_table
from features.ingest.origin import LINE_COLUMN
from features.ingest.quarantine import Failure, redacted, shown_values
from features.json_text import json_text
from features.schema import TABLES, Table

if TYPE_CHECKING:
    from features.ingest.validation import ValidationReport

MAX_EXAMPLES = 5
BOTS_FILE = "bots.csv"
TOP_ISSUES = 10


@dataclass(frozen=True)
class Issue:
    """One rule that failed on a table, summarised for people and JSON.

    Attributes:
        rule: Expectation type or coercion rule.
        severity: ``error`` (rows quarantined) or ``warning`` (rows kept).
        message: What the rule checks and what to do, without values.
        examples: Up to five ``{"row": position, "line": line, "value": raw value}``;
            ``line`` (in the row's source file) only when known, ``value`` left out for
            personal-data (``pii``) columns.
    """

    table: str
    column: str
    rule: str
    severity: Literal["error", "warning"]
    n_rows: int
    message: str
    examples: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self) | {"examples": list(self.examples)}


def issue_of(table: Table, failure: Failure, raw: pd.DataFrame) -> Issue:
    """Summarise ``failure`` with up to five example rows (no PII values)."""
    head = failure.rows[:MAX_EXAMPLES]
    first_column = failure.column.split(", ")[0]
    pii = first_column in table.names and table.column(first_column).pii
    values = None if pii else shown_values(raw.reset_index(drop=True), head, first_column, table)
    lines = raw[LINE_COLUMN].iloc[head] if LINE_COLUMN in raw.columns else None
    examples = tuple(
        {"row": int(row)}
        | ({} if lines is None or pd.isna(lines.iloc[i]) else {"line": int(lines.iloc[i])})
        | ({} if values is None else {"value": str(values.iloc[i])})
        for i, row in enumerate(head.tolist())
    )
    return Issue(
        table=table.name,
        column=failure.column,
        rule=failure.rule,
        severity=failure.severity,
        n_rows=len(failure.rows),
        message=failure.message,
        examples=examples,
    )


def example_rows(examples: tuple[dict[str, Any], ...]) -> str:
    """``row 3`` / ``rows 3 (line 5), 4 (line 9)``: examples as messages show them."""
    shown = [f"{e['row']} (line {e['line']})" if "line" in e else str(e["row"]) for e in examples]
    return ("row " if len(shown) == 1 else "rows ") + ", ".join(shown)


def summary_text(report: ValidationReport) -> str:
    """Rows per table and the top issues, one line each."""
    total = sum(c["quarantined"] for c in report.counts.values())
    head = f"validation of {report.source or 'input'}: "
    head += "all rows accepted" if report.success else f"{_rows(total)} quarantined"
    lines = [head, f"  {'table':<11}{'input':>10}{'accepted':>10}{'quarantined':>13}"]
    for name, c in report.counts.items():
        warn = f"  ({c['warnings']} kept with warnings)" if c.get("warnings") else ""
        lines.append(f"  {name:<11}{c['input']:>10}{c['accepted']:>10}{c['quarantined']:>13}{warn}")
    bots = bot_share_text(report.bot_counts)
    if bots:
        lines.append(bots)
    if report.issues:
        lines.append("top issues:")
    for issue in report.issues[:TOP_ISSUES]:
        rows = example_rows(issue.examples)
        lines.append(
            f"  [{issue.severity}] {issue.table}.{issue.column} {issue.rule}: "
            f"{_rows(issue.n_rows)} (e.g. {rows}): {issue.message}"
        )
    if len(report.issues) > TOP_ISSUES:
        lines.append(f"  ... {len(report.issues) - TOP_ISSUES} more in validation_summary.json")
    return "\n".join(lines)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def summary_dict(report: ValidationReport) -> dict[str, Any]:
    """The JSON summary: source, now, success, counts and issues."""
    return {
        "source": report.source,
        "now": report.now.isoformat(),
        "success": report.success,
        "counts": report.counts,
        "bots": report.bot_counts,
        "issues": [i.as_dict() for i in report.issues],
    }


def write_report(report: ValidationReport, out_dir: Path) -> dict[str, Path]:
    """Write the files of :meth:`ValidationReport.write`; see there."""
    written: dict[str, Path] = {}
    for name, frame in report.quarantine.items():
        path = _write_redacted(frame, TABLES[name], out_dir / "quarantine" / f"{name}.csv")
        written[f"quarantine/{name}"] = path
    written["bots"] = write_bots(report.bots, out_dir)
    summary = out_dir / "validation_summary.json"
    atomic_write_text(summary, _json(summary_dict(report)))
    written["summary"] = summary
    gx_path = out_dir / "gx_results.json"
    atomic_write_text(gx_path, _json(report.gx_results))
    written["gx_results"] = gx_path
    return written


def write_bots(bots: pd.DataFrame | None, out_dir: Path) -> Path:
    """Write ``out_dir/bots.csv``: the flagged activities with their ``bot_reason``.

    The one writer of the file, for ``leadscore validate`` and ``leadscore score --engine
    spark``: canonical activity columns then ``bot_reason``, ``pii`` values redacted,
    written atomically (header only when nothing was flagged).

    Args:
        bots: The flagged activities (canonical dtypes, with ``bot_reason``); None when
            the run did not filter (the same header as a run that flagged nothing).
        out_dir: The folder (created when missing).
    """
    if bots is None:
        bots = empty_table("activities").assign(bot_reason=pd.Series(dtype="string"))
    return _write_redacted(bots, TABLES["activities"], Path(out_dir) / BOTS_FILE)


def _write_redacted(frame: pd.DataFrame, table: Table, path: Path) -> Path:
    """Write ``frame`` as CSV at ``path`` (atomically) with ``pii`` values redacted."""
    atomic_write_text(path, redacted(frame, table).to_csv(index=False, lineterminator="\n"))
    return path


def default_validation_dir(data: str, root: str | Path) -> Path:
    """``root/validation/<source name>``: where validation outputs of ``data`` go by default.

    Never inside the source (it may be read-only or shared), and one folder per source, so
    validating another source keeps this one's. The source name is a folder's or file's
    name, or a database URL's database name (``table:DB.PREFIX``: ``table_DB``).

    Args:
        data: The source: a folder, a file or a database URL.
        root: The working directory (the command line's default workdir, or ``--workdir``).
    """
    path = Path(data)
    if path.is_dir() or path.is_file():
        name = path.resolve().stem if path.is_file() else path.resolve().name
    else:  # a database URL: its database name
        name = data.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0].rsplit(".", 1)[0]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
    return Path(root) / "validation" / (safe or "source")


def write_accepted(report: ValidationReport, folder: Path) -> dict[str, Path]:
    """Write the accepted rows as canonical ``<table>.parquet`` files under ``folder``.

    Activities the bot filter flagged are not among them (they are in ``bots.csv``), so
    every ``--data`` option reading the folder (``leadscore score --engine spark``, which
    expects validated tables, included) sees what features and rules see. The tables are in
    the lead layout (:func:`features.files.write_table`), so ``leadscore explain`` reads one
    lead's rows without scanning the rest; writing the same report again (atomically) gives
    identical files. The tables hold the data as accepted, personal data included: they are
    the user's data, written where the user asked.
    """
    written: dict[str, Path] = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        atomic_write(path, partial(write_table, report.tables.table(name), name))
        written[name] = path
    return written


def _json(data: Any) -> str:
    return json_text(data) + "\n"
