"""Logging helpers."""

from __future__ import annotations

import logging

from rich.markup import escape


class EscapeMarkupFilter(logging.Filter):
    """Escape rich markup in records that do not come from Kedro itself.

    Kedro's rich handler renders markup; Kedro's own messages use it for colour, but ours carry
    file paths and decoder errors with square brackets (``[file.mp4]``) that rich would parse as
    tags and crash on. Kedro's logging config forbids custom filter classes, so the project hook
    attaches this filter to the root handlers in code.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("kedro"):
            record.msg = escape(record.getMessage())
            record.args = ()
        return True


def install_markup_escaping() -> None:
    """Attach one :class:`EscapeMarkupFilter` to each root handler (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, EscapeMarkupFilter) for f in handler.filters):
            handler.addFilter(EscapeMarkupFilter())
