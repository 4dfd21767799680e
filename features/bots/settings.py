"""Settings of the bot and privacy-proxy filter, loaded once from YAML.

``features/bots/default.yaml`` is the one definition of every setting (commented line by
line). A team's file holds only what it changes: its mappings are merged over the
default's key by key (lists replace), then the whole is validated into the frozen
:class:`BotSettings`. The privacy proxy's IP ranges and the mail clients allowed past the
crawler rule are data: files (CIDR ranges; user-agent substrings) read here, at load time,
so the detection itself (:mod:`features.bots.detect`) does no I/O.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from features.safe_yaml import invalid_settings, read_settings_file
from features.schema import ACTIVITY_TYPES
from features.spec import merged_mappings

DEFAULT_BOT_SETTINGS_PATH = Path(__file__).with_name("default.yaml")

BOT_RULES: tuple[str, ...] = (
    "crawler_user_agent",
    "privacy_proxy_open",
    "all_links_at_once",
    "click_after_delivery",
    "burst",
)
"""The filter's rules, in the order they are tried: the first that matches is the reason."""


class _Switched(BaseModel):
    """A frozen block of settings with an ``enabled`` switch: the filter and each rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool


class _TypedRule(_Switched):
    activity_types: tuple[str, ...] = Field(min_length=1)

    @field_validator("activity_types")
    @classmethod
    def _known_types(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(ACTIVITY_TYPES))
        if unknown:
            raise ValueError(
                f"unknown activity types {unknown}; use some of {list(ACTIVITY_TYPES)}"
            )
        return v


class CrawlerUserAgentRule(_Switched):
    """Crawler, scanner and HTTP-library user agents (``crawlerdetect``).

    ``allow`` holds case-insensitive substrings of user agents never flagged: those given
    inline plus, after loading, those of ``allow_file`` (people's mail clients that
    crawlerdetect lists, such as Outlook).
    """

    allow_file: str | None
    allow: tuple[str, ...]

    @field_validator("allow")
    @classmethod
    def _not_blank(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not text.strip() for text in v):
            raise ValueError("an empty entry would allow every user agent; remove it")
        return v


class PrivacyProxyRule(_TypedRule):
    """Opens fetched by a privacy proxy: its user agent, or an IP in its ranges.

    ``ip_ranges`` holds the ranges given inline plus, after loading, those of
    ``ip_ranges_file``.
    """

    user_agents: tuple[str, ...]
    ip_ranges_file: str | None
    ip_ranges: tuple[str, ...]

    @field_validator("ip_ranges")
    @classmethod
    def _cidr(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not an IP range (CIDR, e.g. 17.0.0.0/8)") from exc
        return v


class AllLinksRule(_Switched):
    """Several clicks on one e-mail by one contact within ``within_seconds``."""

    within_seconds: float = Field(gt=0)


class ClickAfterDeliveryRule(_TypedRule):
    """A click within ``within_seconds`` of the e-mail's delivery."""

    within_seconds: float = Field(gt=0)


class BurstRule(_TypedRule):
    """``events`` or more activities of one contact within ``within_seconds``."""

    events: int = Field(ge=2)
    within_seconds: float = Field(gt=0)


class BotSettings(_Switched):
    """Every setting of the bot filter (see ``features/bots/default.yaml``)."""

    crawler_user_agent: CrawlerUserAgentRule
    privacy_proxy_open: PrivacyProxyRule
    all_links_at_once: AllLinksRule
    click_after_delivery: ClickAfterDeliveryRule
    burst: BurstRule

    def active_rules(self) -> tuple[str, ...]:
        """The enabled rules in the order they are tried (none when the filter is off)."""
        if not self.enabled:
            return ()
        return tuple(name for name in BOT_RULES if getattr(self, name).enabled)


def load_bot_settings(path: str | Path | None = None) -> BotSettings:
    """Load the filter's settings: the default, with ``path``'s changes merged over it.

    Args:
        path: A YAML file holding the settings to change (None: the default alone).

    Returns:
        The frozen settings, with the privacy proxy's ranges read from their file.

    Raises:
        ValueError: The file is missing, is not a YAML mapping, breaks the settings (every
            problem with its YAML path) or names a ranges file that is missing or holds a
            line that is not an IP range (with its line number).
    """
    raw = read_settings_file(DEFAULT_BOT_SETTINGS_PATH, "bot filter settings")
    source = DEFAULT_BOT_SETTINGS_PATH
    ranges_dir = allow_dir = DEFAULT_BOT_SETTINGS_PATH.parent
    if path is not None:
        source = Path(path)
        override = read_settings_file(source, "bot filter settings")
        if "ip_ranges_file" in (override.get("privacy_proxy_open") or {}):
            ranges_dir = source.parent
        if "allow_file" in (override.get("crawler_user_agent") or {}):
            allow_dir = source.parent
        raw = merged_mappings(raw, override)
    try:
        settings = BotSettings.model_validate(raw)
    except ValidationError as exc:
        raise invalid_settings(source, "bot filter settings", exc) from None
    crawler = settings.crawler_user_agent
    if crawler.allow_file is not None:
        allowed = read_allow_list(allow_dir / crawler.allow_file)
        crawler = crawler.model_copy(update={"allow": (*crawler.allow, *allowed)})
    proxy = settings.privacy_proxy_open
    if proxy.ip_ranges_file is not None:
        ranges = read_ip_ranges(ranges_dir / proxy.ip_ranges_file)
        proxy = proxy.model_copy(update={"ip_ranges": (*proxy.ip_ranges, *ranges)})
    return settings.model_copy(update={"crawler_user_agent": crawler, "privacy_proxy_open": proxy})


def read_allow_list(path: Path) -> tuple[str, ...]:
    """The user-agent substrings of an allow-list file (one a line, lower-cased; blank
    lines and ``#`` comments skipped).

    Raises:
        ValueError: The file is missing (the key to fix named).
    """
    return tuple(text.lower() for _, text in _data_lines(path, "crawler_user_agent.allow_file"))


def read_ip_ranges(path: Path) -> tuple[str, ...]:
    """The CIDR ranges of a ranges file (one a line; blank lines and ``#`` comments skipped).

    Raises:
        ValueError: The file is missing or a line is not an IP range (file and line named).
    """
    ranges: list[str] = []
    for number, line in _data_lines(path, "privacy_proxy_open.ip_ranges_file"):
        text = line.split(",", 1)[0].strip()
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(
                f"{path}, line {number}: {text!r} is not an IP range (CIDR, e.g. 17.0.0.0/8); "
                "fix or remove the line"
            ) from None
        ranges.append(text)
    return tuple(ranges)


def _data_lines(path: Path, key: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of a settings data file's lines that hold something."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ValueError(
            f"bot filter data file not found: {path}; fix {key} in the bot settings "
            "(relative to the settings file naming it) or set it to null"
        ) from None
    stripped = ((n, line.split("#", 1)[0].strip()) for n, line in enumerate(lines, start=1))
    return [(n, text) for n, text in stripped if text]
