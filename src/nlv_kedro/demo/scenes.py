"""Scene parts of a demo video and how to draw them: real-footage segments, stills and moving shapes.

A part is a small frozen record of drawn random numbers (fractions of the frame, not pixels), so a whole
video can be planned, captioned and questioned before any pixel exists, and rendered later at any output
size. Rendering is deterministic: the only randomness at render time comes from seeds stored in the part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from nlv_kedro.demo.footage import ZOOMS, load_clip, shot_key_at

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Crop:
    """A window of a clip decoded at `zoom`, panning linearly from `start` to `end` (fractions of the slack)."""

    zoom: float
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class FootagePart:
    """Real footage played from `first` (a source frame) with `step` source frames per output frame.

    Playback bounces back and forth inside [lo, hi) instead of wrapping, so a long segment never jumps
    (a jump would be an unlabelled cut).
    """

    clip: str
    lo: int
    hi: int
    first: float
    step: float
    n_frames: int
    crop: Crop

    def source_indices(self) -> np.ndarray:
        length = self.hi - 1 - self.lo
        if length <= 0:
            return np.full(self.n_frames, self.lo, dtype=np.int64)
        position = (self.first - self.lo + self.step * np.arange(self.n_frames)) % (2 * length)
        bounced = np.where(position <= length, position, 2 * length - position)
        return np.clip(np.rint(bounced).astype(np.int64) + self.lo, self.lo, self.hi - 1)

    def shot_keys(self) -> list[str]:
        return [shot_key_at(self.clip, int(i)) for i in self.source_indices()]


@dataclass(frozen=True)
class StillPart:
    """One real frame held still, plus faint per-frame noise: a near-duplicate run for frame dropping."""

    clip: str
    frame: int
    n_frames: int
    crop: Crop
    noise_sigma: float
    noise_seed: int

    def shot_keys(self) -> list[str]:
        return [shot_key_at(self.clip, self.frame)] * self.n_frames


@dataclass(frozen=True)
class Background:
    """Either a two-colour linear gradient (`clip` is None) or a heavily blurred real frame."""

    colors: tuple[RGB, RGB] = ((0, 0, 0), (255, 255, 255))
    angle: float = 0.0
    clip: str | None = None
    frame: int = 0


@dataclass(frozen=True)
class BallPart:
    """A disc crossing the frame from left to right, bobbing vertically; reversed, it goes right to left."""

    background: Background
    color: RGB
    radius: float  # fraction of the frame height
    y_from: float  # fractions of the frame height
    y_to: float
    bob: float  # amplitude, fraction of the frame height
    bob_cycles: float
    n_frames: int

    def shot_keys(self) -> list[str]:
        return ["ball"] * self.n_frames


@dataclass(frozen=True)
class SquarePart:
    """A square that grows linearly around a fixed centre; reversed, it shrinks."""

    background: Background
    color: RGB
    center: tuple[float, float]  # fractions of (width, height)
    side_from: float  # fractions of the frame height
    side_to: float
    n_frames: int

    def shot_keys(self) -> list[str]:
        return ["square"] * self.n_frames


@dataclass(frozen=True)
class Insert:
    """A flat circle or square drawn over frames [start, start + n_frames) of the footage below it."""

    shape: str  # "circle" | "square"
    start: int
    n_frames: int
    color: RGB
    center: tuple[float, float]  # fractions of (width, height)
    size: float  # diameter or side, fraction of the frame height


@dataclass(frozen=True)
class InsertsPart:
    """Real footage with shape inserts over some of its frames; inserts do not change the shot (no cuts)."""

    base: FootagePart
    inserts: tuple[Insert, ...]

    def __post_init__(self) -> None:
        for ins in self.inserts:
            if ins.start < 0 or ins.start + ins.n_frames > self.base.n_frames or ins.shape not in ("circle", "square"):
                raise ValueError(f"insert {ins} does not fit a {self.base.n_frames}-frame background")

    @property
    def n_frames(self) -> int:
        return self.base.n_frames

    def shot_keys(self) -> list[str]:
        return self.base.shot_keys()


Part = FootagePart | StillPart | BallPart | SquarePart | InsertsPart


def _crop_windows(crop: Crop, clip: str, n: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decoded clip plus per-frame integer (x, y) offsets of an output-sized window."""
    frames = load_clip(clip, width, height, crop.zoom)
    slack_x, slack_y = frames.shape[2] - width, frames.shape[1] - height
    t = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    fx = crop.start[0] + (crop.end[0] - crop.start[0]) * t
    fy = crop.start[1] + (crop.end[1] - crop.start[1]) * t
    return frames, np.rint(fx * slack_x).astype(int), np.rint(fy * slack_y).astype(int)


def render_footage(part: FootagePart, width: int, height: int) -> np.ndarray:
    frames, xs, ys = _crop_windows(part.crop, part.clip, part.n_frames, width, height)
    idx = part.source_indices()
    out = np.empty((part.n_frames, height, width, 3), dtype=np.uint8)
    for k in range(part.n_frames):
        out[k] = frames[idx[k], ys[k] : ys[k] + height, xs[k] : xs[k] + width]
    return out


def render_still(part: StillPart, width: int, height: int) -> np.ndarray:
    frames, xs, ys = _crop_windows(part.crop, part.clip, 1, width, height)
    still = frames[part.frame, ys[0] : ys[0] + height, xs[0] : xs[0] + width].astype(np.float32)
    rng = np.random.default_rng(part.noise_seed)
    out = np.empty((part.n_frames, height, width, 3), dtype=np.uint8)
    for k in range(part.n_frames):  # frame by frame: a float copy of a long video would be hundreds of MB
        noise = rng.standard_normal((height, width, 1), dtype=np.float32) * part.noise_sigma
        out[k] = np.clip(np.rint(still + noise), 0, 255)
    return out


def render_background(bg: Background, width: int, height: int) -> np.ndarray:
    """(H, W, 3) float32. Blurring a real frame keeps its colours and layout but not its content."""
    if bg.clip is not None:
        frames = load_clip(bg.clip, width, height, ZOOMS[0])
        y0, x0 = (frames.shape[1] - height) // 2, (frames.shape[2] - width) // 2
        frame = frames[bg.frame, y0 : y0 + height, x0 : x0 + width]
        small = Image.fromarray(frame).resize((max(width // 8, 1), max(height // 8, 1)), Image.Resampling.BOX)
        return np.asarray(small.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    proj = np.cos(bg.angle) * xx / max(width - 1, 1) + np.sin(bg.angle) * yy / max(height - 1, 1)
    proj = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    a, b = (np.asarray(c, np.float32) for c in bg.colors)
    return a + (b - a) * proj[..., None]


def render_ball(part: BallPart, width: int, height: int) -> np.ndarray:
    bg = render_background(part.background, width, height)
    out = np.broadcast_to(np.rint(bg).astype(np.uint8), (part.n_frames, height, width, 3)).copy()
    radius = part.radius * height
    t = np.linspace(0.0, 1.0, part.n_frames) if part.n_frames > 1 else np.zeros(1)
    cx = radius + 1 + (width - 2 * radius - 2) * t
    cy = (part.y_from + (part.y_to - part.y_from) * t + part.bob * np.sin(2 * np.pi * part.bob_cycles * t)) * height
    color = np.asarray(part.color, np.float32)
    for k in range(part.n_frames):
        x0, x1 = max(int(cx[k] - radius - 1), 0), min(int(cx[k] + radius + 2), width)
        y0, y1 = max(int(cy[k] - radius - 1), 0), min(int(cy[k] + radius + 2), height)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        alpha = np.clip(radius + 0.5 - np.hypot(xx - cx[k], yy - cy[k]), 0.0, 1.0)[..., None]
        region = bg[y0:y1, x0:x1] * (1 - alpha) + color * alpha
        out[k, y0:y1, x0:x1] = np.rint(region).astype(np.uint8)
    return out


def render_square(part: SquarePart, width: int, height: int) -> np.ndarray:
    bg = np.rint(render_background(part.background, width, height)).astype(np.uint8)
    out = np.broadcast_to(bg, (part.n_frames, height, width, 3)).copy()
    sides = np.linspace(part.side_from, part.side_to, part.n_frames) * height
    cx, cy = part.center[0] * width, part.center[1] * height
    for k, side in enumerate(sides):
        half = side / 2
        x0, x1 = max(int(round(cx - half)), 0), min(int(round(cx + half)), width)
        y0, y1 = max(int(round(cy - half)), 0), min(int(round(cy + half)), height)
        out[k, y0:y1, x0:x1] = part.color
    return out


def render_inserts(part: InsertsPart, width: int, height: int) -> np.ndarray:
    out = render_footage(part.base, width, height)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for ins in part.inserts:
        cx, cy, half = ins.center[0] * width, ins.center[1] * height, ins.size * height / 2
        if ins.shape == "circle":
            mask = np.hypot(xx - cx, yy - cy) <= half
        else:
            mask = (np.abs(xx - cx) <= half) & (np.abs(yy - cy) <= half)
        out[ins.start : ins.start + ins.n_frames, mask] = ins.color
    return out


def render_part(part: Part, width: int, height: int) -> np.ndarray:
    """(n_frames, height, width, 3) uint8 frames of one part."""
    if isinstance(part, FootagePart):
        return render_footage(part, width, height)
    if isinstance(part, StillPart):
        return render_still(part, width, height)
    if isinstance(part, BallPart):
        return render_ball(part, width, height)
    if isinstance(part, SquarePart):
        return render_square(part, width, height)
    if isinstance(part, InsertsPart):
        return render_inserts(part, width, height)
    raise TypeError(f"unknown scene part {type(part).__name__}")


def render_frames(parts: tuple[Part, ...], width: int, height: int, reverse: bool = False) -> np.ndarray:
    """All frames of a video in play order; `reverse` plays the concatenation backwards (order pairs)."""
    frames = np.concatenate([render_part(p, width, height) for p in parts], axis=0)
    return np.ascontiguousarray(frames[::-1]) if reverse else frames

