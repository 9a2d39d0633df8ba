"""Ask the bridged LLM a question about one video, from the project root:

    python -m nlv_kedro.qa.ask --video-id bunny_then_bikes_000 --question "What is shown first?"
    python -m nlv_kedro.qa.ask --video-id bikes_street_003 --question "What is shown?" --choices "a car" "bicycles"
    python -m nlv_kedro.qa.ask --video my_clip.mp4 --question "What is shown first?"

It reads the trained projector (`qa_projector`) and the video's stored vectors through the project's
catalog, so `kedro run --pipelines=video_qa` (after encode and pretrain) must have run. A video *file* is
ingested, planned and encoded with the project's parameters and run through the champion top model first
(as ``python -m nlv_kedro.embed`` does), all in this one command. Without ``--choices`` the answer is generated
greedily; with them, each choice is scored by log-likelihood. An unknown video id, a missing file, a missing
projector or a run without QA pairs is answered in one line, exit code 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import click
import numpy as np

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.offline import apply_offline_defaults
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.artifact import load_bridge, settings_of
from nlv_kedro.qa.bridge import encode_answer, encode_prompt
from nlv_kedro.qa.examples import VIDEO_SOURCE, method_vectors, video_tokens_input
from nlv_kedro.qa.llm import end_of_turn_id
from nlv_kedro.qa.scoring import Question, generate_answer, score_choices

logger = logging.getLogger(__name__)
_STORES = {"chunks": "chunk_embeddings", "contextual": "contextual_embeddings"}
VIDEO_EXTENSIONS = [".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"]  # ingest's default extensions
ENCODE_HINT = ("to ask about a new video, add it to the dataset and run "
               "`kedro run --pipelines=ingest,preprocess,encode,pretrain`")


class AskError(Exception):
    """A mistake in the question's inputs, answered with one line (and exit code 1), not a traceback."""


def video_tensors(store: EmbeddingStore, video_id: str, store_name: str) -> dict[str, np.ndarray]:
    """The video's stored vectors; an unknown id fails naming some ids that exist and how to add a video."""
    try:
        known = video_id in store
    except ValueError:  # not even a valid file name
        known = False
    if not known:
        ids = store.ids()
        some = ", ".join(ids[:5]) + (f", ... ({len(ids)} in all)" if len(ids) > 5 else "")
        raise AskError(f"unknown video id {video_id!r}: {store_name} holds {some or 'no videos yet'}; {ENCODE_HINT}")
    return store.read(video_id)[0]


def check_projector(artifact: dict) -> None:
    """A projector file written when video_qa had no QA pairs holds no tensors: say so in one line."""
    skipped = artifact.get("metadata", {}).get("skipped")
    if skipped:
        raise AskError(f"no trained QA projector: video_qa was skipped because {skipped}")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nlv_kedro.qa.ask", description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", "--video-id", dest="video_id", required=True,
                        help="a video id of video_index (any split), or a video file to encode first")
    parser.add_argument("--question", required=True)
    parser.add_argument("--choices", nargs="+", help="score these answers instead of generating one")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--text-only", action="store_true", help="ask the LLM without the video (for comparison)")
    parser.add_argument("--env", default=None, help="Kedro config environment (default: local)")
    parser.add_argument("--project-path", type=Path, default=Path.cwd())
    parser.add_argument("--verbose", action="store_true", help="keep Kedro's and the libraries' log messages")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    apply_offline_defaults()
    if not args.verbose:  # the answer is the output; Kedro's startup log would bury it
        logging.disable(logging.WARNING)
    try:
        _ask(args)
    except AskError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _load(args: argparse.Namespace) -> tuple[dict, VideoQAConfig, dict | None]:
    """(projector artifact, video_qa parameters, the video's stored vectors or None) from the project catalog."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from kedro.io import DatasetError

    bootstrap_project(args.project_path)
    with KedroSession.create(project_path=args.project_path, env=args.env) as session:
        context = session.load_context()
        try:
            artifact = context.catalog.load("qa_projector")
        except DatasetError as error:
            raise AskError(f"no QA projector to load ({str(error).strip().splitlines()[-1]}): "
                           "run `kedro run --pipelines=video_qa` first") from error
        check_projector(artifact)
        params = VideoQAConfig.model_validate(context.params["video_qa"])
        source = VIDEO_SOURCE[settings_of(artifact)["method"]]
        tensors = None
        if source and not args.text_only and is_video_file(args.video_id):
            tensors = file_tensors(Path(args.video_id), source, args.project_path, dict(context.params))
        elif source and not args.text_only:
            tensors = video_tensors(context.catalog.load(_STORES[source]), args.video_id, _STORES[source])
    return artifact, params, tensors


def is_video_file(value: str) -> bool:
    """A file path (it exists, or ends in a video extension) rather than the id of an encoded video."""
    return Path(value).is_file() or Path(value).suffix.lower() in VIDEO_EXTENSIONS


def file_tensors(path: Path, source: str, project: Path, params: dict) -> dict[str, np.ndarray]:
    """A video file -> ingest -> plan -> encode (temporary store) [-> champion top model]: the tensors the
    projector's method reads, ``{"embeddings": (T, d)}`` for the frozen chunks, else ``{"contextual": (T, d)}``."""
    from nlv_kedro.embed import DEFAULT_MODEL, load_model
    from nlv_kedro.serving import embedding

    try:
        root, files = embedding.find_videos(path, params.get("ingest", {}).get("extensions", VIDEO_EXTENSIONS))
        model = load_model(DEFAULT_MODEL, project) if source == "contextual" else None  # fails before encoding
        with embedding.temporary_workdir() as workdir:
            index, store = embedding.encode_files(root, files[:1], params, Path(workdir))
            if model is not None:
                return {"contextual": embedding.embed_videos(index, store, model, root)[0].contextual}
            if not store.ids():
                raise embedding.EmbedError("the video could not be encoded (see the log for the reason)")
            return {"embeddings": store.read(store.ids()[0])[0]["embeddings"]}
    except embedding.EmbedError as error:
        raise AskError(f"{path}: {error}") from error


def _ask(args: argparse.Namespace) -> None:
    artifact, params, tensors = _load(args)
    method = settings_of(artifact)["method"]
    llm, projector = load_bridge(artifact, params.llm.cache_dir, params.llm.trust_remote_code)
    raw = method_vectors(method, tensors, tensors) if tensors is not None else None
    vectors = video_tokens_input(raw, projector.config.max_tokens)
    system_prompt = settings_of(artifact).get("system_prompt")
    if not args.choices:
        click.echo(generate_answer(llm, projector if vectors is not None else None, vectors, args.question,
                                   system_prompt, args.max_new_tokens))
        return
    end_id = end_of_turn_id(llm.tokenizer)
    prompt = encode_prompt(llm.tokenizer, args.question, with_video=vectors is not None, system_prompt=system_prompt)
    question = Question(prompt, vectors, [encode_answer(llm.tokenizer, c, end_id) for c in args.choices])
    scores = score_choices(llm, projector, [question], settings_of(artifact).get("score_reduction", "sum"))[0]
    for choice, score in sorted(zip(args.choices, scores), key=lambda pair: -pair[1]):
        click.echo(f"{score:9.3f}  {choice}")
    click.echo(f"answer: {args.choices[int(np.argmax(scores))]}")


if __name__ == "__main__":
    main()
