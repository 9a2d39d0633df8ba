"""Compute accounting: parameter counts and FLOPs measured with ``torch.utils.flop_counter.FlopCounterMode``.

FLOPs follow torch's counter: 2 x multiply-accumulates of matmuls, convolutions and attention (the ops that
dominate); element-wise ops, normalisation and the optimizer update are not counted. A training step is a
forward pass, the loss and ``backward()`` (weight and input gradients), without the optimizer update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nlv_kedro.models.losses import masked_prediction_loss
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel

logger = logging.getLogger(__name__)


def count_parameters(module: nn.Module) -> dict[str, int]:
    """{"total", "trainable"} numbers of scalar parameters (buffers excluded)."""
    params = list(module.parameters())
    return {"total": sum(p.numel() for p in params), "trainable": sum(p.numel() for p in params if p.requires_grad)}


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs of everything ``fn`` runs (forward and, if it calls it, backward)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def inference_flops(module: nn.Module, *inputs: torch.Tensor, **kwargs: Any) -> int:
    """FLOPs of one forward pass in eval mode without autograd."""
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return count_flops(lambda: module(*inputs, **kwargs))
    finally:
        module.train(was_training)


def training_step_flops(module: nn.Module, loss_fn: Callable[[nn.Module], torch.Tensor]) -> int:
    """FLOPs of ``loss_fn(module).backward()`` in train mode; gradients are cleared afterwards."""
    module.train()
    try:
        return count_flops(lambda: loss_fn(module).backward())
    finally:
        module.zero_grad(set_to_none=True)
        module.eval()


def _sequence_batch(config: NextLevelConfig, batch: int, chunks: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, chunks, config.input_dim, generator=generator)  # (B, T, input_dim)
    padding = torch.zeros(batch, chunks, dtype=torch.bool)  # (B, T) all real
    start = torch.arange(chunks, dtype=torch.float32).mul(2.0).expand(batch, chunks)  # 2 s chunks
    times = torch.stack([start, start + 2.0], dim=-1)  # (B, T, 2)
    return x, padding, times


def top_model_accounting(config: NextLevelConfig, chunks_per_video: int, batch_size: int,
                         train_chunks: int, mask_ratio: float = 0.4) -> dict[str, int]:
    """Parameters of the NextLevel model and its FLOPs for one video (inference) and one training step.

    Inference: one video of ``chunks_per_video`` chunks. Training: a batch of ``batch_size`` videos of
    ``train_chunks`` chunks each, the first ``mask_ratio`` of every video masked, SmoothL1 on those positions.
    Every counted op treats the videos of a batch independently, so the step is counted on one video and
    multiplied by ``batch_size`` (exact, and ``batch_size`` times cheaper on a CPU).
    """
    model = NextLevelModel(config)
    x, padding, times = _sequence_batch(config, 1, max(1, chunks_per_video))
    per_video = inference_flops(model, x, padding, times)
    xb, padb, timesb = _sequence_batch(config, 1, max(2, train_chunks))
    mask = torch.zeros_like(padb)
    mask[:, : max(1, round(mask_ratio * xb.shape[1]))] = True

    def loss(m: nn.Module) -> torch.Tensor:
        out = m(xb, padb, timesb, mask)
        return masked_prediction_loss(out.predictions, xb, mask, "smooth_l1")

    params = count_parameters(model)
    return {"params_total": params["total"], "params_trainable": params["trainable"],
            "flops_per_video_inference": per_video,
            "flops_per_training_step": batch_size * training_step_flops(model, loss)}


def frame_encoder_accounting(name: str, image_size: int) -> dict[str, Any]:
    """Parameters (all frozen) and FLOPs per frame of a registry frame encoder at ``image_size``.

    Returns ``{"error": ...}`` instead of raising when the encoder cannot be built here (e.g. an ``hf:`` model
    that is not cached offline): the report then says so rather than failing.
    """
    from nlv_kedro.encoders import build_frame_encoder

    try:
        encoder = build_frame_encoder(name, image_size, "cpu")
    except (OSError, ValueError, ImportError) as exc:
        logger.warning("compute accounting: cannot build frame encoder %r (%s)", name, exc)
        return {"name": name, "error": str(exc)}
    params = count_parameters(encoder.module)
    frame = torch.zeros(1, 3, *encoder.input_size)
    if encoder.kind == "image":
        flops = count_flops(lambda: encoder.encode(frame))
    else:  # clip encoders see a chunk of num_frames frames at once; report per frame
        frames = encoder.num_frames or 1
        flops = count_flops(lambda: encoder.encode_chunks(frame.unsqueeze(1).expand(1, frames, -1, -1, -1))) // frames
    return {"name": name, "input_size": list(encoder.input_size), "params_total": params["total"],
            "params_trainable": params["trainable"], "flops_per_frame": flops}


def compute_accounting(top_config: NextLevelConfig, top_params: dict[str, int], encode_report: dict,
                       plan_stats: dict, history: dict, node_timings: dict | None, batch_size: int,
                       n_classes: int, qa_projector: dict | None) -> dict:
    """The compute section of the report: parameters, FLOPs, throughput, and per-node wall time and memory.

    FLOPs are measured on the persisted top model's config for a video of the demo's mean length (kept frames
    and chunks from ``plan_stats``); the encoder is rebuilt from ``encode_report`` (weights are local files).
    """
    overall = plan_stats.get("overall", {})
    n_videos = max(int(overall.get("n_videos", 0)), 1)
    chunks, frames = overall.get("n_chunks", n_videos) / n_videos, overall.get("n_kept", n_videos) / n_videos
    size = (encode_report.get("input_size") or [None])[0]
    encoder = frame_encoder_accounting(encode_report["encoder"], size) if encode_report.get("encoder") else {}
    top = top_model_accounting(top_config, round(chunks), batch_size, round(chunks))
    top.update({"params_total_persisted": top_params.get("total"), "train_batch": {"batch_size": batch_size,
                                                                                    "chunks": max(2, round(chunks))}})
    encoder_flops = encoder.get("flops_per_frame")
    per_video = {"frames_kept_mean": frames, "chunks_mean": chunks,
                 "flops_encoder": None if encoder_flops is None else encoder_flops * frames,
                 "flops_top_model": top["flops_per_video_inference"]}
    per_video["flops_total"] = None if encoder_flops is None else (
        per_video["flops_encoder"] + per_video["flops_top_model"])
    seconds, epochs = history.get("seconds"), history.get("epochs_completed") or len(history.get("epochs", []))
    throughput = {"encode_frames_per_s": encode_report.get("frames_per_s"),
                  "encode_seconds": encode_report.get("seconds"), "frames_encoded": encode_report.get("frames_encoded"),
                  "pretrain_seconds": seconds, "pretrain_epochs": epochs,
                  "pretrain_s_per_epoch": seconds / epochs if seconds and epochs else None,
                  "pretrain_train_videos_per_s": history.get("train_videos", 0) * epochs / seconds if seconds else None}
    pooled_dim = int(getattr(top_config, "pooled_dim", top_config.d_model))  # temporal pooling concatenates parts
    head = pooled_dim * n_classes + n_classes
    others = {"NextLevel fine-tuned (top model + linear head)": {"params_total": top["params_total"] + head,
                                                                 "params_trainable": top["params_trainable"] + head}}
    if qa_projector and "projector_config" in qa_projector:
        cfg = qa_projector["projector_config"]
        hidden = cfg.get("hidden_dim", 0) if cfg.get("kind") == "mlp" else 0
        n = (cfg["in_dim"] * hidden + hidden + hidden * cfg["llm_dim"] + cfg["llm_dim"]) if hidden else \
            cfg["in_dim"] * cfg["llm_dim"] + cfg["llm_dim"]
        others[f"video-QA projector ({cfg.get('kind')}, LLM frozen)"] = {"params_total": n, "params_trainable": n}
    nodes = [{"name": name, **entry} for name, entry in sorted((node_timings or {}).get("nodes", {}).items())]
    return {"frame_encoder": encoder, "top_model": top, "per_video": per_video, "throughput": throughput,
            "other_models": others, "nodes": nodes}
