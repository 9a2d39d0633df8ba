"""Embed videos with the registered top model::

    .venv/bin/python -m nlv_kedro.embed <video file or folder> [--out vectors.safetensors]
                                        [--model models:/nextlevel-video@champion]

Runs the project's ingest -> plan -> encode on the files (temporary store; parameters from conf/ through
Kedro's OmegaConfigLoader, base then local), loads the model from the registry in data/mlflow.db (or
$MLFLOW_TRACKING_URI) and writes contextual and pooled vectors per video to one safetensors file, printing one
line per video. A missing video, an unknown model or no champion is one readable line and exit code 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path

import click

DEFAULT_MODEL = "models:/nextlevel-video@champion"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nlv_kedro.embed", description=__doc__.split("::")[0])
    parser.add_argument("target", type=Path, help="a video file, or a folder searched recursively")
    parser.add_argument("--out", type=Path, default=Path("vectors.safetensors"), help="output safetensors file")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="MLflow model URI (default: %(default)s)")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="project folder (conf/, data/mlflow.db)")
    return parser.parse_args(argv)


def _project_params(project: Path) -> dict:
    from kedro.config import OmegaConfigLoader

    # settings.py's loader arguments, without importing settings (its hooks pull in Kedro's logging setup)
    loader = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="local")
    return dict(loader["parameters"])


def load_model(uri: str, project: Path):  # noqa: ANN202 - an mlflow PyFuncModel
    import mlflow
    from mlflow.exceptions import MlflowException

    if "MLFLOW_TRACKING_URI" not in os.environ:
        mlflow.set_tracking_uri(f"sqlite:///{(project / 'data' / 'mlflow.db').resolve()}")
    try:
        return mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        from nlv_kedro.serving.embedding import EmbedError

        raise EmbedError(f"cannot load model {uri} from {mlflow.get_tracking_uri()}: {message} "
                         "(register one with `kedro run --pipelines=pretrain`)") from exc


def run(argv: list[str] | None = None) -> int:
    from nlv_kedro.offline import apply_offline_defaults
    from nlv_kedro.serving import embedding

    apply_offline_defaults()
    args = _arguments(argv)
    try:
        params = _project_params(args.project)
        root, files = embedding.find_videos(args.target, params.get("ingest", {}).get(
            "extensions", [".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"]))
        model = load_model(args.model, args.project)  # before encoding: a wrong URI fails in seconds
        with embedding.temporary_workdir() as workdir:
            index, store = embedding.encode_files(root, files, params, Path(workdir))
            vectors = embedding.embed_videos(index, store, model, root)
        embedding.write_vectors(args.out, vectors, args.model)
    except embedding.EmbedError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    for v in vectors:
        click.echo(f"{v.video_id}\t{v.path}\tchunks={len(v.contextual)}\tcontextual={tuple(v.contextual.shape)}"
                   f"\tpooled={tuple(v.pooled.shape)}\t-> {args.out}")
    return 0


def _logs_to_stderr() -> None:
    """stdout carries only the per-video lines; warnings and progress go to stderr."""
    if not sys.warnoptions:  # library deprecation chatter would bury the one line a user needs
        warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)


if __name__ == "__main__":
    _logs_to_stderr()
    sys.exit(run())
