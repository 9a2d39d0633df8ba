"""Encode frame arrays to real H.264 mp4 bytes with PyAV (which ships its own ffmpeg and libx264)."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np


def encode_mp4(frames: np.ndarray, fps: float, crf: int = 23, preset: str = "veryfast") -> bytes:
    """Encode ``frames`` (T, H, W, 3) uint8 RGB to an H.264 mp4 held in memory.

    H and W must be even (yuv420p). ``fps`` may be fractional (e.g. 29.97); it is stored as a
    rational time base so decoders report it back exactly.
    """
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if frames.shape[0] == 0:
        raise ValueError("cannot encode a video with zero frames")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f"H.264 yuv420p needs even sizes, got {width}x{height}")
    buffer = io.BytesIO()
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        # One thread and no lookahead make x264's output byte-identical across runs (same seed, same
        # file), at ~16% larger files and the same speed.
        stream.codec_context.thread_count = 1
        stream.options = {"crf": str(crf), "preset": preset, "x264-params": "rc-lookahead=0:sync-lookahead=0"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
