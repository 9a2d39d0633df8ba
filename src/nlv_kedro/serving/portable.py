"""Keep a project's MLflow artifacts inside the project after it is copied or moved.

MLflow stores absolute artifact URIs in its database (``file:///<clone>/data/mlartifacts``), so a copied
project would keep writing into (and reading from) the old clone. At the start of a Kedro session, when the
experiment's artifact location differs from the one mlflow.yml resolves against the current project, every
stored URI under the old root is rebased onto the new root in the sqlite database: the experiment, its runs,
logged models and model versions. The artifact files travel with the copy (``data/mlartifacts``).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

# columns holding artifact URIs, in whichever of MLflow's tables carry them
_URI_COLUMNS = ("artifact_location", "artifact_uri", "source", "storage_location")


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (relative paths against the cwd, as MLflow does)."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    return Path(tracking_uri[len("sqlite:///"):])


def anchored_uri(uri: str | None, project_path: Path | str) -> str | None:
    """``uri`` with a relative sqlite path made absolute against ``project_path`` (MLflow would resolve it
    against the working directory: a notebook in ``notebooks/`` would open another database)."""
    path = sqlite_path(uri) if uri else None
    if path is None or path.is_absolute():
        return uri
    return f"sqlite:///{(Path(project_path) / path).resolve()}"


def _file_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    return uri if parsed.scheme == "" and uri.startswith("/") else None


def rebase_artifact_root(tracking_uri: str, old_root: str, new_root: str) -> int:
    """Rewrite every stored URI under ``old_root`` to lie under ``new_root`` (both file URIs or absolute paths);
    returns how many values changed. Only local roots in a sqlite store are rebased; otherwise nothing happens."""
    db, old, new = sqlite_path(tracking_uri), _file_path(old_root), _file_path(new_root)
    if db is None or old is None or new is None or old.rstrip("/") == new.rstrip("/") or not db.is_file():
        return 0
    pairs = [(Path(old).as_uri(), Path(new).as_uri()), (old.rstrip("/"), new.rstrip("/"))]
    changed = 0
    with sqlite3.connect(db) as connection:
        for table, column in _uri_columns(connection):
            for before, after in pairs:
                changed += connection.execute(
                    f'UPDATE "{table}" SET "{column}" = ? || substr("{column}", ?) '  # noqa: S608 - names from schema
                    f'WHERE substr("{column}", 1, ?) = ? AND ("{column}" = ? OR substr("{column}", ?, 1) = \'/\')',
                    (after, len(before) + 1, len(before), before, before, len(before) + 1)).rowcount
    if changed:
        logger.warning("Project moved: rebased %d MLflow artifact URI(s) from %s to %s", changed, old, new)
    return changed


def _uri_columns(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [(table, row[1]) for table in tables for row in connection.execute(f'PRAGMA table_info("{table}")')
            if row[1] in _URI_COLUMNS]
