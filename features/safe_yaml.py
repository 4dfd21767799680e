"""The one way leadscore reads a user's YAML: safe, bounded, and quiet about values.

Rulebooks, column mappings, feature specs, training configs and Spark settings are read
with :func:`read_yaml` (or :func:`load_yaml` for text), never with ``yaml.safe_load``:

* only plain data (``yaml.SafeLoader``): no Python objects, nothing is executed;
* a document is at most :data:`MAX_BYTES` bytes;
* anchors and aliases are allowed (``<<: *defaults``), but the document *as expanded*
  (every alias counted as a copy of what it points to) is at most :data:`MAX_NODES`
  nodes, and an alias may not contain itself: a "billion laughs" file is refused at once,
  in linear time, before anything walks the expanded structure;
* errors name the file and the limit, and quote at most :data:`MAX_SHOWN` characters of
  any value (:func:`clipped`);
* a settings file is a mapping (:func:`read_settings_file`, missing and bad files named);
* settings that fail validation are listed one problem per field with its YAML path
  (:func:`setting_problems`; :func:`invalid_settings` for a whole file).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from pydantic import ValidationError

MAX_BYTES = 2_000_000
"""Largest YAML document read (2 MB; the shipped rulebooks are under 30 kB)."""

MAX_NODES = 100_000
"""Most nodes of a document with every alias expanded (the default rulebook has ~2,000)."""

MAX_SHOWN = 120
"""Most characters of a value an error message quotes."""

MAX_MESSAGE = 600
"""Most characters of one error message (a list of many short values is cut too)."""

_LONG_RUN = re.compile(rf"\S{{{2 * MAX_SHOWN + 1},}}")
"""A run of non-space characters this long is a value, not a file path or a word."""


class YamlLimitError(ValueError):
    """A YAML document beyond the limits: too large, or aliases expanding too far."""


def clipped(message: str) -> str:
    """``message`` with every run of more than twice :data:`MAX_SHOWN` non-space
    characters (longer than any sensible path) cut to its first :data:`MAX_SHOWN`, and the
    whole cut to :data:`MAX_MESSAGE` characters; each cut says how long the text was. For
    messages that quote a user's values.
    """
    text = _LONG_RUN.sub(
        lambda m: f"{m.group()[:MAX_SHOWN]}... ({len(m.group()):,} characters)", message
    )
    if len(text) > MAX_MESSAGE:
        text = f"{text[:MAX_MESSAGE]}... (message of {len(text):,} characters cut)"
    return text


def _expanded_size(root: yaml.Node, source: str) -> int:
    """Nodes of the document with aliases expanded, computed once per node (memoised)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise YamlLimitError(f"{source}: an alias refers to a node containing itself")
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        visiting.discard(key)
        if total > MAX_NODES:
            raise YamlLimitError(
                f"{source}: with its aliases expanded the document has more than "
                f"{MAX_NODES:,} values (an alias bomb?); write the values out or use fewer "
                "nested aliases"
            )
        sizes[key] = total
        return total

    return size(root)


def load_yaml(text: str, source: str) -> Any:
    """Parse one YAML document of plain data within the limits.

    Args:
        source: Where it comes from, for messages (a file path).

    Returns:
        The data (None for an empty document).

    Raises:
        YamlLimitError: The document is too large or expands too far.
        yaml.YAMLError: Invalid YAML (with its line and column).
    """
    n_bytes = len(text.encode("utf-8"))
    if n_bytes > MAX_BYTES:
        raise YamlLimitError(
            f"{source}: {n_bytes:,} bytes is more than the {MAX_BYTES:,} a YAML file may have"
        )
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, source)
        return loader.construct_document(node)
    except RecursionError:
        raise YamlLimitError(f"{source}: the document is nested too deeply") from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file with :func:`load_yaml` (size checked before reading).

    Raises:
        YamlLimitError: The file is too large or expands too far.
        OSError: The file cannot be read.
        UnicodeDecodeError: It is not UTF-8.
        yaml.YAMLError: Invalid YAML.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlLimitError(
            f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} a YAML file may have"
        )
    return load_yaml(path.read_text(encoding="utf-8"), str(path))


def read_settings_file(path: str | Path, what: str) -> dict[str, Any]:
    """The top-level mapping of a settings file, read with :func:`read_yaml`.

    Args:
        what: What the file holds, for the message when it is missing (``feature spec``).

    Returns:
        The mapping; an empty file gives ``{}``.

    Raises:
        ValueError: The file is missing, is not valid YAML, or holds something other than
            a mapping (file named; :class:`YamlLimitError` beyond the limits).
    """
    try:
        raw = read_yaml(path)
    except FileNotFoundError:
        raise ValueError(f"{what} not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML ({exc}); fix the syntax") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw


def setting_problems(err: ValidationError) -> list[str]:
    """Each problem of settings that failed validation: ``path.to.field: message``.

    Returns:
        One line per problem; the path is ``<root>`` for the mapping as a whole.
    """
    return [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in err.errors()]


def invalid_settings(source: str | Path, what: str, err: ValidationError) -> ValueError:
    """The error for a settings file that failed validation, one problem a line.

    Args:
        what: What the file holds, for the message (``feature spec``).

    Returns:
        ``ValueError`` naming the file and listing :func:`setting_problems`; raise it
        ``from None`` (pydantic's own text repeats the values).
    """
    problems = setting_problems(err)
    return ValueError(
        f"{source}: invalid {what} ({len(problems)} problem(s)); fix:\n"
        + "\n".join(f"  {line}" for line in problems)
    )
