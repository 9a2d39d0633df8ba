"""Probe a video file's stream metadata with decord, falling back to PyAV.

A probe does more than read headers: it decodes the first and the last frame, so a file whose
stream was cut mid-way (headers intact, data missing) is caught here rather than during encoding.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import decord

logger = logging.getLogger(__name__)

# Codecs of single pictures: ffmpeg opens a PNG or BMP as a one-frame "video".
STILL_IMAGE_CODECS = frozenset({"png", "bmp", "tiff", "webp", "jpegls", "qoi", "pgm", "ppm"})


class ProbeError(Exception):
    """The file cannot be used as a video; ``reason`` is the human-readable cause."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True)
class ProbeResult:
    fps: float
    n_frames: int
    duration_s: float
    width: int
    height: int
    codec: str
    decoder: str  # "decord" or "pyav": which library later steps should decode with

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def probe_video(path: str | Path, check_last_frame: bool = True) -> ProbeResult:
    """Return the stream metadata of ``path`` or raise :class:`ProbeError` with the reason."""
    path = Path(path)
    if not path.is_file():
        raise ProbeError(path, "file not found")
    if path.stat().st_size == 0:
        raise ProbeError(path, "empty file (0 bytes)")
    codec, pyav_reason = _pyav_codec(path)
    if codec is None:
        raise ProbeError(path, pyav_reason)
    try:
        return _probe_decord(path, codec, check_last_frame)
    except ProbeError:
        raise
    except Exception as exc:  # decord raises DECORDError / RuntimeError with C++ context
        logger.info("decord cannot open %s (%s); trying PyAV", path, _short(exc))
    return _probe_pyav(path, codec)


def _pyav_codec(path: Path) -> tuple[str | None, str]:
    """The video codec name, or None and the reason the file has no decodable video stream."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                kinds = sorted({s.type for s in container.streams}) or ["none"]
                return None, f"no video stream (streams found: {', '.join(kinds)})"
            codec = container.streams.video[0].codec_context.name
            if codec in STILL_IMAGE_CODECS:
                return None, f"a still image ({codec}), not a video"
            return codec, ""
    except av.error.FFmpegError as exc:
        return None, f"not a readable video container ({_short(exc)})"


def _probe_decord(path: Path, codec: str, check_last_frame: bool) -> ProbeResult:
    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), num_threads=1)
    n_frames = len(reader)
    fps = float(reader.get_avg_fps())
    if n_frames <= 0 or fps <= 0:
        raise ProbeError(path, f"broken stream metadata (frames={n_frames}, fps={fps})")
    if n_frames < 2:
        raise ProbeError(path, "a single frame (a still image?), not a video")
    first = reader[0].shape
    if check_last_frame and n_frames > 1:
        try:
            reader.get_batch([n_frames - 1])
        except Exception as exc:
            raise ProbeError(
                path, f"stream cut mid-way: header says {n_frames} frames but the last cannot be decoded"
            ) from exc
    return ProbeResult(fps, n_frames, n_frames / fps, int(first[1]), int(first[0]), codec, "decord")


def _probe_pyav(path: Path, codec: str) -> ProbeResult:
    """Fallback: count decoded frames with PyAV (slower, but exact and tolerant of odd containers)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            n_frames, width, height = 0, 0, 0
            for frame in container.decode(stream):
                width, height = frame.width, frame.height
                n_frames += 1
            rate = stream.average_rate or stream.guessed_rate
            declared = int(stream.frames or 0)
    except av.error.FFmpegError as exc:
        raise ProbeError(path, f"decoding failed ({_short(exc)})") from exc
    if n_frames == 0 or not rate:
        raise ProbeError(path, "video stream holds no decodable frames")
    if declared and n_frames < 0.9 * declared:
        raise ProbeError(path, f"stream cut mid-way: {n_frames} of {declared} declared frames decode")
    fps = float(rate)
    return ProbeResult(fps, n_frames, n_frames / fps, width, height, codec, "pyav")


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return text[:limit]
