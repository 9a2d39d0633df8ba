"""Point the project at your own videos once: ``python -m nlv_kedro.mydata --root /data/videos``.

Writes ``conf/<env>/parameters_ingest.yml`` with only the keys that differ from ``conf/base`` (the folder
and how to read it), after checking them with the library's :class:`IngestConfig` and the folder itself,
then prints the command that uses it. Every later ``kedro run --env=<env>`` (any pipeline, in any order)
reads the same folder, so preprocess and encode never run against a stale ``ingest.root``. Everything else
(the catalog, ``mlflow.yml``, the other parameters) comes from ``conf/base``, which Kedro and kedro-mlflow
merge under every environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click
import yaml
from pydantic import ValidationError

from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.ingestion.sources import ManifestError, read_manifest, scan_class_folders
from nlv_kedro.ingestion.steps import IngestError, find_manifest

HEADER = ("# Written by `python -m nlv_kedro.mydata`; re-run it to change the folder. Only the keys that differ\n"
          "# from conf/base/parameters_ingest.yml are here; the rest come from conf/base.\n")


class SetupError(ValueError):
    """A bad --root, --manifest or --env, explained in one line."""


def ingest_overrides(root: str, manifest: str | None, folders: bool) -> dict:
    """The ``ingest`` keys to write, checked: the folder exists and holds videos in the chosen layout."""
    folder = Path(root).expanduser().resolve()
    if not folder.is_dir():
        raise SetupError(f"--root '{root}' is not a folder: give the folder that holds your videos")
    overrides: dict = {"root": str(folder)}
    if folders:
        overrides["manifest"] = None
    elif manifest is not None:
        overrides["manifest"] = manifest
    try:
        config = IngestConfig.model_validate(overrides)
        found = find_manifest(folder, config.manifest)
    except (ValidationError, IngestError) as exc:
        raise SetupError(_one_line(exc)) from None
    if found is None:
        candidates, _ = scan_class_folders(folder, config.extensions)
        where = f"folder-per-class layout {folder}/<label>/<file>"
        overrides["manifest"] = None
    else:
        try:
            candidates, _ = read_manifest(folder, found)
        except ManifestError as exc:
            raise SetupError(_one_line(exc)) from None
        where = f"manifest {found}"
        if manifest is not None:  # absolute, so later runs from the project root find it too
            overrides["manifest"] = str(found.resolve())
    if candidates.empty:
        raise SetupError(f"no video found in the {where} (extensions {config.extensions})")
    return overrides


def write_env(conf_dir: Path, env: str, overrides: dict) -> Path:
    """``conf_dir/<env>/parameters_ingest.yml`` holding ``{"ingest": overrides}``."""
    check_env(env)
    target = conf_dir / env / "parameters_ingest.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HEADER + yaml.safe_dump({"ingest": overrides}, sort_keys=False, allow_unicode=True))
    return target


def check_env(env: str) -> None:
    if env in ("base", "local") or not env.replace("_", "").replace("-", "").isalnum():
        raise SetupError(f"--env '{env}' must be a new name of letters, digits, _ or - (not base or local)")


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"ingest.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return " ".join(str(exc).split())


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nlv_kedro.mydata", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="the folder that holds your videos")
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument("--manifest", help="CSV with a `path` column, relative to --root or the working dir")
    layout.add_argument("--folders", action="store_true", help="folder-per-class: <root>/<label>/<video>")
    parser.add_argument("--env", default="mydata", help="the Kedro environment to write (default: mydata)")
    parser.add_argument("--conf-dir", type=Path, default=Path("conf"), help="the project's conf folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        check_env(args.env)
        target = write_env(args.conf_dir, args.env, ingest_overrides(args.root, args.manifest, args.folders))
    except SetupError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    click.echo(f"Wrote {target}. Next: .venv/bin/kedro run --env={args.env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
