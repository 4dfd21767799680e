"""Bot and privacy-proxy filtering of activities, after validation, before features and rules.

Link scanners click every link of an e-mail seconds after delivery and privacy proxies
(Apple Mail Privacy Protection) "open" every message; counted as engagement they inflate
points and features. :func:`split_bots` flags such activities by the rules of
:class:`BotSettings` (``features/bots/default.yaml``) and keeps them apart with a reason.
"""

from features.bots.detect import bot_reasons, delivery_times, ip_in_ranges
from features.bots.settings import BotSettings, load_bot_settings
from features.bots.summary import bot_counts, bot_share_text, counts_of, split_bots

__all__ = [
    "BotSettings",
    "bot_counts",
    "bot_reasons",
    "bot_share_text",
    "counts_of",
    "delivery_times",
    "ip_in_ranges",
    "load_bot_settings",
    "split_bots",
]
