"""Pretraining steps/s: masks drawn per video inside the training step (the old way) vs in the DataLoader collator.

The old path is kept here only: a Python loop over videos for span masks and ``.cpu()`` round trips inside the
LightningModule's step. The new path is :class:`nlv_kedro.training.data.MaskCollator` (vectorized, in the loader,
overlapping the accelerator when ``num_workers > 0``). Both run the same model, data, optimizer and step count,
interleaved with the order rotated on each repeat; the report is the median ratio (the machine is shared and
noisy, see benchmarks/README.md). Also timed alone: mask generation per batch, old loop vs vectorized.
Run from the repository root:  .venv/bin/python benchmarks/pretrain_steps_benchmark.py  [--device cuda]
Model and objective come from conf/base/parameters_pretrain.yml. Exits 0 whatever it measures: it is a report.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.utils.data import DataLoader

from nlv_kedro.models.masking import _num_masked, bert_corruption, iid_mask, span_mask
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.training.data import MaskCollator, SequenceDataset, Sequences, Standardizer, collate_sequences
from nlv_kedro.training.module import MaskedEmbeddingModule
from nlv_kedro.training.objective import ObjectiveConfig

PARAMS = Path(__file__).resolve().parents[1] / "conf" / "base" / "parameters_pretrain.yml"


def legacy_span_mask(lengths: torch.Tensor, ratio: float, mean_span: float, generator: torch.Generator) -> torch.Tensor:
    """The span mask as it was: one Python loop per video, chunk by chunk."""
    lengths = lengths.cpu().long()
    mask = torch.zeros(lengths.numel(), int(lengths.max()), dtype=torch.bool)
    k_all, p = _num_masked(lengths, ratio), 1.0 / mean_span
    for b in range(lengths.numel()):
        L, k = int(lengths[b]), int(k_all[b])
        row, count = [False] * L, 0
        while count < k:
            for u_start, u_span in torch.rand(32, 2, generator=generator, dtype=torch.float64).tolist():
                start = min(int(u_start * L), L - 1)
                span = 1 if p >= 1.0 else 1 + int(math.log1p(-u_span) / math.log1p(-p))
                for t in range(start, min(start + span, L)):
                    if not row[t] and count < k:
                        row[t], count = True, count + 1
                if count == k:
                    break
        mask[b, :L] = torch.tensor(row, dtype=torch.bool)
    return mask


def legacy_masks(batch: dict, obj: ObjectiveConfig, generator: torch.Generator) -> dict:
    """What the module's step used to do first: masks on the CPU, then copies back to the batch's device."""
    x, lengths = batch["x"], batch["lengths"].cpu()
    if obj.masking == "span":
        mask = legacy_span_mask(lengths, obj.mask_ratio, obj.mean_span, generator).to(x.device)
        return {**batch, "mask": mask}
    mask = iid_mask(lengths, obj.mask_ratio, generator=generator).to(x.device)
    x_in, mpos = bert_corruption(x.cpu(), mask.cpu(), lengths, obj.p_mask, obj.p_random, generator)
    return {**batch, "mask": mask, "x_in": x_in.to(x.device), "mask_positions": mpos.to(x.device)}


def synthetic(n: int, dim: int, seed: int = 0) -> Sequences:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(16, 200, size=n)
    vectors = [rng.normal(size=(t, dim)).astype(np.float32) for t in lengths]
    times = [np.stack([np.arange(t) * 2.0, np.arange(t) * 2.0 + 2], 1).astype(np.float32) for t in lengths]
    return Sequences([f"v{i}" for i in range(n)], vectors, times)


def run(variant: str, module: MaskedEmbeddingModule, dataset: SequenceDataset, args: argparse.Namespace,
        obj: ObjectiveConfig) -> float:
    """Steps/s of ``args.steps`` optimizer steps (loading, masking, forward, backward, update)."""
    collate = MaskCollator(obj, seed=0) if variant == "collator" else collate_sequences
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, collate_fn=collate,
                        num_workers=args.num_workers, persistent_workers=False)
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-4)
    generator, device, done = torch.Generator().manual_seed(0), torch.device(args.device), 0
    start = time.perf_counter()
    while done < args.steps:
        for batch in loader:
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            if variant == "per-video":
                batch = legacy_masks(batch, obj, generator)
            loss = module.model_step(batch)[0]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == args.steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return args.steps / (time.perf_counter() - start)


def mask_only(obj: ObjectiveConfig, lengths: torch.Tensor, n: int) -> tuple[float, float]:
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(n):
        legacy_span_mask(lengths, obj.mask_ratio, obj.mean_span, g)
    t1 = time.perf_counter()
    for _ in range(n):
        span_mask(lengths, obj.mask_ratio, mean_span=obj.mean_span, generator=g)
    return (t1 - t0) / n * 1e3, (time.perf_counter() - t1) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dim", type=int, default=1280, help="chunk vector width (EfficientNet-Lite0: 1280)")
    parser.add_argument("--videos", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--masking", choices=["span", "iid"], default=None, help="default: the YAML's")
    args = parser.parse_args()
    params = yaml.safe_load(PARAMS.read_text())["pretrain"]
    objective = dict(params["objective"], **({"masking": args.masking} if args.masking else {}))
    obj = ObjectiveConfig(**objective)
    torch.manual_seed(0)
    network = NextLevelModel(NextLevelConfig(input_dim=args.dim, **params["model"]))
    zeros, ones = torch.zeros(args.dim), torch.ones(args.dim)
    module = MaskedEmbeddingModule(network, obj, None, zeros, ones, zeros)  # type: ignore[arg-type]  # no optim
    module = module.to(args.device).train()
    dataset = SequenceDataset(synthetic(args.videos, args.dim), Standardizer.identity(args.dim), args.max_len, True)
    variants, rates = ["per-video", "collator"], {"per-video": [], "collator": []}
    run("collator", module, dataset, argparse.Namespace(**{**vars(args), "steps": 2}), obj)  # warm-up
    for r in range(args.repeats):
        for variant in variants[r % 2 :] + variants[: r % 2]:
            rates[variant].append(run(variant, module, dataset, args, obj))
    ratios = [c / p for c, p in zip(rates["collator"], rates["per-video"], strict=True)]
    lengths = torch.full((args.batch_size,), args.max_len)
    old_ms, new_ms = mask_only(obj, lengths, 50)
    print(f"device {args.device}, masking {obj.masking}, batch {args.batch_size} x {args.max_len} chunks x "
          f"{args.dim}-d, {args.steps} steps x {args.repeats} repeats, num_workers {args.num_workers}")
    for variant in variants:
        print(f"  {variant:>9}: {statistics.median(rates[variant]):7.2f} steps/s  (runs: "
              + ", ".join(f"{v:.2f}" for v in rates[variant]) + ")")
    print(f"  collator / per-video steps/s: {statistics.median(ratios):.2f}x (median of {len(ratios)})")
    print(f"  span masks alone, one batch: loop {old_ms:.2f} ms, vectorized {new_ms:.2f} ms "
          f"({old_ms / max(new_ms, 1e-9):.1f}x)")


if __name__ == "__main__":
    main()
