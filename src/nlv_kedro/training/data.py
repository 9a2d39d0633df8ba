"""Chunk-embedding sequences for training: loading from the store, standardization, padding, masks, DataModule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.models.masking import bert_corruption, block_mask, future_mask, iid_mask, span_mask
from nlv_kedro.training.objective import ObjectiveConfig


@dataclass
class Sequences:
    """Per-video chunk vectors (T_i, D) and chunk times (T_i, 2) = (start s, end s)."""

    ids: list[str]
    vectors: list[np.ndarray]
    times: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return int(self.vectors[0].shape[1])


def load_sequences(store: EmbeddingStore, video_ids: Sequence[str]) -> Sequences:
    """Read the stored chunk vectors of ``video_ids`` (all of them must be in the store)."""
    missing = [v for v in video_ids if v not in store]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} videos have no chunk embeddings in {store.root} (e.g. {missing[:3]}): "
            "run `kedro run --pipelines=encode` first"
        )
    vectors, times = [], []
    for video_id in video_ids:
        tensors, _ = store.read(video_id)
        vectors.append(tensors["embeddings"].astype(np.float32))
        times.append(np.stack([tensors["chunk_start_s"], tensors["chunk_end_s"]], axis=1).astype(np.float32))
    return Sequences(list(video_ids), vectors, times)


@dataclass
class Standardizer:
    """Per-dimension mean/std of the training chunks: frame encoders share a large common component
    that would otherwise dominate a regression loss."""

    mean: np.ndarray  # (D,)
    std: np.ndarray  # (D,)

    @classmethod
    def fit(cls, sequences: Sequences, eps: float = 1e-6) -> Standardizer:
        stacked = np.concatenate(sequences.vectors)
        return cls(stacked.mean(0).astype(np.float32), (stacked.std(0) + eps).astype(np.float32))

    @classmethod
    def identity(cls, dim: int) -> Standardizer:
        return cls(np.zeros(dim, np.float32), np.ones(dim, np.float32))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.std


class SequenceDataset(Dataset):
    """Item = standardized (T, D) vectors, (T, 2) times and the video's position; long videos are cropped
    to ``max_len`` chunks (a random window when ``random_crop``, else the first window)."""

    def __init__(self, sequences: Sequences, standardizer: Standardizer, max_len: int, random_crop: bool) -> None:
        self.sequences, self.standardizer = sequences, standardizer
        self.max_len, self.random_crop = max_len, random_crop

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        x, t = self.sequences.vectors[i], self.sequences.times[i]
        if len(x) > self.max_len:
            start = int(torch.randint(0, len(x) - self.max_len + 1, ()).item()) if self.random_crop else 0
            x, t = x[start : start + self.max_len], t[start : start + self.max_len] - t[start, 0]
        return torch.from_numpy(self.standardizer.apply(x)), torch.from_numpy(t), i


def collate_sequences(batch: list[tuple[torch.Tensor, torch.Tensor, int]]) -> dict[str, torch.Tensor]:
    """Pad to the longest sequence: x (B, T, D), times (B, T, 2), padding_mask (B, T) True = pad."""
    lengths = torch.tensor([len(x) for x, _, _ in batch])
    t_max, dim = int(lengths.max()), batch[0][0].shape[1]
    x = torch.zeros(len(batch), t_max, dim)
    times = torch.zeros(len(batch), t_max, 2)
    for row, (xi, ti, _) in enumerate(batch):
        x[row, : len(xi)], times[row, : len(ti)] = xi, ti
    padding_mask = torch.arange(t_max)[None, :] >= lengths[:, None]
    index = torch.tensor([i for _, _, i in batch])
    return {"x": x, "times": times, "padding_mask": padding_mask, "lengths": lengths, "index": index}


class MaskCollator:
    """Pads a batch (:func:`collate_sequences`) and draws its masks there, in the loader, vectorized over videos.

    Adds ``mask`` (B, T) bool = positions scored by the loss; with ``iid`` masking also ``x_in`` (the 80/10/10
    corrupted input) and ``mask_positions`` (where [MASK] goes in); with ``order_weight > 0`` also
    ``order_masks`` (2, B, T), the masks of the time-reversal contrast's two extra views. Randomness: its own generator,
    seeded with ``seed`` (+ the DDP rank), or with the worker's seed inside a DataLoader worker (torch gives
    each worker a different, reproducible one). ``fixed`` (validation) reseeds per batch from ``seed`` and the
    batch's first row, so an unshuffled loader sees the same masks every epoch.
    """

    def __init__(self, objective: ObjectiveConfig, seed: int, fixed: bool = False) -> None:
        self.objective, self.seed, self.fixed = objective, seed, fixed
        self._generator = torch.Generator()
        self._seeded_for: int | None = None  # the seed the generator was last (re)started from

    def _rng(self, index: torch.Tensor) -> torch.Generator:
        if self.fixed:
            return self._generator.manual_seed(self.seed * 1_000_003 + int(index[0]))
        worker = get_worker_info()
        seed = worker.seed if worker is not None else self.seed + 7919 * _rank()
        if seed != self._seeded_for:
            self._generator.manual_seed(seed)
            self._seeded_for = seed
        return self._generator

    def _mask(self, lengths: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        obj = self.objective
        if obj.masking == "span":
            return span_mask(lengths, obj.mask_ratio, mean_span=obj.mean_span, generator=generator)
        if obj.masking == "blocks":
            return block_mask(lengths, obj.mask_ratio, n_blocks=obj.n_blocks, generator=generator)
        if obj.masking == "future":
            return future_mask(lengths, obj.mask_ratio)
        return iid_mask(lengths, obj.mask_ratio, generator=generator)

    def __call__(self, items: list[tuple[torch.Tensor, torch.Tensor, int]]) -> dict[str, torch.Tensor]:
        batch = collate_sequences(items)
        generator, lengths = self._rng(batch["index"]), batch["lengths"]
        batch["mask"] = self._mask(lengths, generator)  # (B, T)
        if self.objective.masking == "iid":
            obj = self.objective
            batch["x_in"], batch["mask_positions"] = bert_corruption(
                batch["x"], batch["mask"], lengths, obj.p_mask, obj.p_random, generator)
        if self.objective.order_weight > 0:
            batch["order_masks"] = torch.stack([self._mask(lengths, generator) for _ in range(2)])  # (2, B, T)
        return batch


def _rank() -> int:
    dist = torch.distributed
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class SequenceDataModule(L.LightningDataModule):
    """Train/val loaders over pre-loaded sequences (a few MB even for thousands of videos). With an
    ``objective`` the loaders' collators draw the pretraining masks (:class:`MaskCollator`); without one
    they only pad."""

    def __init__(self, train: Sequences, val: Sequences, standardizer: Standardizer, batch_size: int,
                 max_len: int, num_workers: int = 0, objective: ObjectiveConfig | None = None,
                 seed: int = 0) -> None:
        super().__init__()
        self.train, self.val, self.standardizer = train, val, standardizer
        self.batch_size, self.max_len, self.num_workers = batch_size, max_len, num_workers
        self.objective, self.seed = objective, seed

    def train_dataloader(self) -> DataLoader:
        dataset = SequenceDataset(self.train, self.standardizer, self.max_len, True)
        return self._loader(dataset, shuffle=True, collate=self._collator(fixed=False))

    def val_dataloader(self) -> DataLoader:
        dataset = SequenceDataset(self.val, self.standardizer, self.max_len, False)
        return self._loader(dataset, shuffle=False, collate=self._collator(fixed=True))

    def _collator(self, fixed: bool):  # noqa: ANN202 - a collate function
        if self.objective is None:
            return collate_sequences
        return MaskCollator(self.objective, self.seed, fixed=fixed)

    def _loader(self, dataset: Dataset, shuffle: bool, collate) -> DataLoader:  # noqa: ANN001
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle, collate_fn=collate,
                          num_workers=self.num_workers, pin_memory=torch.cuda.is_available(),
                          persistent_workers=self.num_workers > 0)
