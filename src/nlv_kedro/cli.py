"""Project CLI: Kedro's own `kedro run`, with user errors shown as one line instead of a traceback.

Kedro loads ``<package>.cli`` and lets its ``run`` replace the built-in one. A wrong parameter, a missing folder,
an unknown id or a missing model is the user's to fix, and a 100-line traceback buries the one line that says
how. Those errors print as ``error: ...`` plus a hint; ``kedro run --verbose`` (or ``NLV_VERBOSE=1``) shows the
full traceback, as does every other exception (a bug is ours to read in full).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.cli.utils import KedroCliError
from kedro.io import DatasetError
from kedro.validation import ParameterValidationError
from pydantic import ValidationError

from nlv_kedro.ingestion.sources import ManifestError
from nlv_kedro.ingestion.steps import IngestError

# Exceptions whose message is written for the user (it names the input and what to do).
USER_ERRORS: tuple[type[BaseException], ...] = (ParameterValidationError, ValidationError, ManifestError,
                                               IngestError, FileNotFoundError, NotADirectoryError, DatasetError)
VERBOSE_HINT = "run with --verbose (or NLV_VERBOSE=1) for the full traceback"
# One pydantic error as pydantic prints it: "<loc>\n  <msg> [type=..., input_value=..., ...]"
_PYDANTIC_ERROR = re.compile(r"^(?P<loc>[^\s-][^\n]*)\n  (?P<msg>[^\n\[]+?)(?: \[type=[^,\]]+"
                             r"(?:, input_value=(?P<value>[^\]]*?), input_type=[^\]]*)?\])?$", re.M)
_PARAMETER = re.compile(r"^- Parameter '(?P<key>[^']+)'", re.M)


def _parameter_message(text: str) -> str:
    """``params.key.sub: what is wrong (got value)`` for each failed field of a Kedro parameter validation."""
    key = (_PARAMETER.search(text) or {"key": ""})["key"]
    fields = [f"{'.'.join(filter(None, [key, m['loc']]))}: {m['msg'].strip()}"
              + (f" (got {m['value']})" if m["value"] else "") for m in _PYDANTIC_ERROR.finditer(text)]
    return "bad parameter " + "; ".join(fields) if fields else " ".join(text.split())


def one_line(exc: BaseException) -> tuple[str, str]:
    """(message, hint) for a user error: the message without tracebacks, line breaks or pydantic's URLs."""
    text = str(exc)
    if isinstance(exc, (ParameterValidationError, ValidationError)):
        return _parameter_message(text), "check conf/base/parameters_*.yml and any --params; " + VERBOSE_HINT
    if isinstance(exc, DatasetError) and "\n" in text:
        text = text.rsplit("\n", 1)[-1]  # Kedro's "Failed while loading data from dataset ..." wraps the cause
    if isinstance(exc, FileNotFoundError) and "/data/" in str(exc.filename or ""):
        return " ".join(text.split()), "the pipeline that writes it has not run yet (`make run` runs them all); " \
            + VERBOSE_HINT
    return " ".join(text.split()), VERBOSE_HINT


def verbose_requested(flag: bool) -> bool:
    return flag or os.environ.get("NLV_VERBOSE", "").lower() not in ("", "0", "false", "no")


@click.group(name="nlv_kedro")
def cli() -> None:
    """Commands of the nlv_kedro project."""


@cli.command(name="run", params=[*kedro_run.params,
                                 click.Option(["--verbose", "-v"], is_flag=True,
                                              help="Show the full traceback of any error.")],
             help=kedro_run.help, short_help=kedro_run.short_help)
def run(verbose: bool, **kwargs: Any) -> Any:
    """Kedro's `run`; a user error ends it with one line on stderr and exit code 1."""
    verbose = verbose_requested(verbose)
    KedroCliError.VERBOSE_ERROR = verbose
    try:
        return kedro_run.callback(**kwargs)
    except USER_ERRORS as exc:
        if verbose:
            raise
        message, hint = one_line(exc)
        click.secho(f"error: {message}", fg="red", err=True)
        click.secho(f"hint: {hint}", fg="yellow", err=True)
        sys.exit(1)
