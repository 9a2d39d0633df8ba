"""The plan of one demo video: everything drawn at random, decided before any pixel is made.

Planning is cheap and needs no decoding, so the manifest, captions and QA of a few hundred videos are known
in milliseconds; `VideoPlan.render` makes the frames of one video only when its file is being written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nlv_kedro.demo.footage import take_of
from nlv_kedro.demo.language import QA
from nlv_kedro.demo.scenes import Part, render_frames


@dataclass(frozen=True)
class Canvas:
    """What a recipe needs to know about the output: size, frame rate and the allowed duration range."""

    width: int
    height: int
    fps: float
    duration_s: tuple[float, float]

    def frames(self, seconds: float) -> int:
        return max(2, round(seconds * self.fps))

    def duration(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(*self.duration_s))


@dataclass(frozen=True)
class Sketch:
    """What a class recipe returns: the parts in play order (before `reverse`), and their words."""

    parts: tuple[Part, ...]
    caption: str
    qa: tuple[QA, ...]
    reverse: bool = False


Recipe = Callable[[np.random.Generator, Canvas], Sketch]  # how one class draws a video


def count_cuts(parts: tuple[Part, ...]) -> int:
    """Hard cuts = changes of camera take between consecutive frames; playing backwards keeps the count."""
    keys = [take_of(key) for part in parts for key in part.shot_keys()]
    return sum(a != b for a, b in zip(keys, keys[1:], strict=False))


@dataclass(frozen=True)
class VideoPlan:
    video_id: str
    label: str
    split: str
    fps: float
    width: int
    height: int
    sketch: Sketch

    @property
    def n_frames(self) -> int:
        return sum(part.n_frames for part in self.sketch.parts)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    @property
    def cuts(self) -> int:
        return count_cuts(self.sketch.parts)

    def render(self) -> np.ndarray:
        """(n_frames, height, width, 3) uint8, in play order."""
        return render_frames(self.sketch.parts, self.width, self.height, reverse=self.sketch.reverse)
