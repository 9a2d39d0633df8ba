"""Logging helpers."""

from __future__ import annotations

import logging
import warnings

from rich.markup import escape

_PREFIX = "nlv_kedro"
_installed = False


def install_markup_escaping() -> None:
    """Escape rich markup in every record our package logs (idempotent, process-wide).

    Kedro logs through a rich handler that renders markup. Our messages carry file paths and
    decoder errors with square brackets (``[/data/clip.mp4]``) that rich would parse as tags and
    crash on. Kedro's logging config forbids custom handler and filter classes, and handlers are
    replaced whenever Kedro reconfigures logging, so the escaping happens where records are made.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003 - LogRecord's own signature
        record = previous(*args, **kwargs)
        if record.name.startswith(_PREFIX) and "[" in str(record.msg) + str(record.args or ""):
            record.msg, record.args = escape(record.getMessage()), ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


# Third-party warnings we cannot fix where they arise, each matched by its exact text and the module that
# triggers it, so that the same text from anywhere else (our own code included) still shows.
_THIRD_PARTY_WARNINGS: tuple[tuple[str, type[Warning], str], ...] = (
    # Kedro's config loader and kedro-mlflow's hook call OmegaConf's deprecated name for register_resolver.
    (r"register_new_resolver\(\) is deprecated", UserWarning, r"kedro(_mlflow)?\."),
    # Lightning's pytree copy builds torch's deprecated LeafSpec on every batch it moves between devices.
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning, r"lightning\.pytorch\.utilities\._pytree"),
)


def ignore_third_party_warnings() -> None:
    """Ignore the third-party deprecation notices in :data:`_THIRD_PARTY_WARNINGS` (idempotent)."""
    for message, category, module in _THIRD_PARTY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
