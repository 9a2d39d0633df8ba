from pathlib import Path

import pytest

from nlv_kedro.video.probe import ProbeError, probe_video
from tests.conftest import BAD_INPUTS, write_container


def test_probe_reads_real_metadata(good_video: Path) -> None:
    info = probe_video(good_video)
    assert (info.n_frames, info.fps, info.width, info.height) == (30, 10.0, 64, 48)
    assert info.duration_s == pytest.approx(3.0)
    assert (info.codec, info.decoder) == ("h264", "decord")


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_every_bad_input_kind_gets_a_reason(kind: str, bad_inputs: dict[str, Path]) -> None:
    with pytest.raises(ProbeError) as caught:
        probe_video(bad_inputs[kind])
    assert BAD_INPUTS[kind][2] in caught.value.reason
    assert str(bad_inputs[kind]) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="file not found"):
        probe_video(tmp_path / "nope.mp4")


def test_falls_back_to_pyav_when_decord_cannot_open(tmp_path: Path) -> None:
    # decord 0.6 cannot open MPEG-TS; PyAV can.
    info = probe_video(write_container(tmp_path / "clip.ts", "mpegts"))
    assert info.decoder == "pyav"
    assert info.n_frames == 30
