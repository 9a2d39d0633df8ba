"""The NextLevel top model: a small transformer over the sequence of frozen chunk vectors.

Chunk vectors from the frozen encoder go in; a contextual vector c_i per chunk, a prediction of the
(masked) chunk vector from it, and one pooled video vector come out. Pretraining replaces some
chunks by a learned [MASK] embedding and regresses their original vectors (NextLevelBERT's objective
moved from text to video). Padding never influences real positions: padded inputs are zeroed, keys
are masked in attention, and pooling only looks at real chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nlv_kedro.models.config import NextLevelConfig
from nlv_kedro.models.neighbours import mix_neighbours, neighbour_weights
from nlv_kedro.models.pooling import temporal_mean_pool


@dataclass
class NextLevelOutput:
    contextual: Tensor  # (B, T, d_model) c_i per chunk (CLS excluded); zero at padding positions
    predictions: Tensor  # (B, T, input_dim) head(contextual)
    pooled: Tensor  # (B, config.pooled_dim) video vector


class TimeEmbedding(nn.Module):
    """Embeds (start, end, duration) in seconds, log1p-scaled so hour-long videos stay in range."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, d_model), nn.GELU(), nn.Linear(d_model, d_model))

    def forward(self, times: Tensor) -> Tensor:
        start, end = times.unbind(-1)  # (B, T) each
        feats = torch.stack([start, end, end - start], dim=-1).clamp_min(0.0).log1p()  # (B, T, 3)
        return self.net(feats)  # (B, T, D)


class PredictionHead(nn.Module):
    """Narrow MLP from contextual width back to the encoder's width (the regression target)."""

    def __init__(self, d_model: int, hidden: int, out_dim: int) -> None:
        super().__init__()
        self.fc = nn.Linear(d_model, hidden)
        self.act = nn.GELU()
        self.proj = nn.Linear(hidden, out_dim)

    def forward(self, c: Tensor) -> Tensor:
        return self.proj(self.act(self.fc(c)))  # (B, T, input_dim)


class NextLevelModel(nn.Module):
    """Contextualizes chunk vectors; see the module docstring for the contract."""

    def __init__(self, config: NextLevelConfig) -> None:
        super().__init__()
        self.config = config
        d = config.d_model
        self.input_proj = nn.Linear(config.input_dim, d)
        self.input_norm = nn.LayerNorm(d)
        self.mask_embedding = nn.Parameter(torch.zeros(d))
        self.pos_embedding = nn.Parameter(torch.zeros(config.max_chunks, d))
        self.time_embedding = TimeEmbedding(d) if config.use_time else None
        self.cls_token = nn.Parameter(torch.zeros(d)) if config.pooling == "cls" else None
        self.drop = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=d,
            nhead=config.n_heads,
            dim_feedforward=int(config.mlp_ratio * d),
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers=config.n_layers, norm=nn.LayerNorm(d), enable_nested_tensor=False
        )
        self.head = PredictionHead(d, config.head_hidden, config.input_dim)
        # per position, corrections to the (prev, next) interpolation weights of the neighbour skip
        self.skip_gate = nn.Linear(d, 2) if config.head_skip == "neighbours" else None
        self.apply(self._init_weights)
        if self.skip_gate is not None:
            nn.init.zeros_(self.skip_gate.weight)  # starts as plain interpolation
        for p in (self.mask_embedding, self.pos_embedding, self.cls_token):
            if p is not None:
                nn.init.normal_(p, std=0.02)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # nanoGPT's scheme: small normal weights, zero biases, unit LayerNorms.
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def _check_inputs(
        self, x: Tensor, padding_mask: Tensor, times: Tensor | None, mask_positions: Tensor | None
    ) -> None:
        cfg = self.config
        if x.dim() != 3 or x.shape[-1] != cfg.input_dim:
            raise ValueError(f"x must be (B, T, {cfg.input_dim}) chunk vectors, got shape {tuple(x.shape)}")
        B, T, _ = x.shape
        if T > cfg.max_chunks:
            raise ValueError(
                f"sequence has {T} chunks but NextLevelConfig.max_chunks is {cfg.max_chunks}; "
                "raise max_chunks or use fewer/longer chunks per video"
            )
        if padding_mask.shape != (B, T) or padding_mask.dtype != torch.bool:
            raise ValueError(
                f"padding_mask must be bool (B, T) = {(B, T)}, got {padding_mask.dtype} {tuple(padding_mask.shape)}"
            )
        if bool(padding_mask.all(dim=1).any()):
            raise ValueError("every video in the batch needs at least one real (non-padding) chunk")
        if times is not None and times.shape != (B, T, 2):
            raise ValueError(f"times must be (B, T, 2) start/end seconds, got {tuple(times.shape)}")
        if mask_positions is not None and (mask_positions.shape != (B, T) or mask_positions.dtype != torch.bool):
            raise ValueError(f"mask_positions must be bool (B, T) = {(B, T)}, got {tuple(mask_positions.shape)}")

    def forward(
        self,
        x: Tensor,
        padding_mask: Tensor,
        times: Tensor | None = None,
        mask_positions: Tensor | None = None,
    ) -> NextLevelOutput:
        """x (B, T, input_dim) standardized chunk vectors; padding_mask (B, T) True = padding;
        times (B, T, 2) start/end seconds or None; mask_positions (B, T) True = use [MASK].
        ``times`` is ignored when ``config.use_time`` is False."""
        self._check_inputs(x, padding_mask, times, mask_positions)
        B, T, _ = x.shape
        pad = padding_mask.unsqueeze(-1)  # (B, T, 1)
        # Zero padded inputs so even NaN/inf padding cannot leak through attention (0 * NaN = NaN).
        x = x.masked_fill(pad, 0.0)
        h = self.input_norm(self.input_proj(x))  # (B, T, D)
        if mask_positions is not None:
            h = torch.where(mask_positions.unsqueeze(-1), self.mask_embedding.to(h.dtype), h)  # (B, T, D)
        h = h + self.pos_embedding[:T]  # (B, T, D)
        if self.time_embedding is not None and times is not None:
            time = self.time_embedding(times.masked_fill(pad, 0.0).to(h.dtype))  # (B, T, D)
            if self.config.hide_masked_time and mask_positions is not None:
                time = time.masked_fill(mask_positions.unsqueeze(-1), 0.0)
            h = h + time
        key_padding = padding_mask
        if self.cls_token is not None:
            cls = self.cls_token.to(h.dtype).expand(B, 1, -1)  # (B, 1, D)
            h = torch.cat([cls, h], dim=1)  # (B, 1 + T, D)
            key_padding = torch.cat([padding_mask.new_zeros(B, 1), padding_mask], dim=1)  # (B, 1 + T)
        h = self.encoder(self.drop(h), src_key_padding_mask=key_padding)  # (B, T', D)
        if self.cls_token is not None:
            pooled_cls, h = h[:, 0], h[:, 1:]  # (B, D), (B, T, D)
        contextual = h.masked_fill(pad, 0.0)  # (B, T, D)
        predictions = self.head(contextual)  # (B, T, input_dim)
        if self.skip_gate is not None:
            predictions = predictions + self._neighbour_skip(x, contextual, padding_mask, mask_positions)
        if self.config.pooling == "cls":
            pooled = pooled_cls
        elif self.config.pooling == "max":
            pooled = h.masked_fill(pad, float("-inf")).amax(dim=1)  # (B, D)
        elif self.config.pooling == "temporal":
            pooled = temporal_mean_pool(contextual, padding_mask, self.config.pool_segments)  # (B, S * D)
        else:
            n_real = (~padding_mask).sum(dim=1, keepdim=True).to(h.dtype)  # (B, 1)
            pooled = contextual.sum(dim=1) / n_real  # (B, D)
        assert contextual.shape == (B, T, self.config.d_model)
        assert predictions.shape == (B, T, self.config.input_dim)
        assert pooled.shape == (B, self.config.pooled_dim)
        return NextLevelOutput(contextual=contextual, predictions=predictions, pooled=pooled)

    def _neighbour_skip(self, x: Tensor, contextual: Tensor, padding_mask: Tensor,
                        mask_positions: Tensor | None) -> Tensor:
        """Learned mix of the nearest visible inputs before and after each position -> (B, T, input_dim).
        A side with no visible chunk gets weight 0; a visible position's neighbours are itself."""
        visible = ~padding_mask if mask_positions is None else ~padding_mask & ~mask_positions  # (B, T)
        weights, prev, nxt = neighbour_weights(visible)  # (B, T, 2)
        exists = torch.stack([prev >= 0, nxt < x.shape[1]], dim=-1).to(x.dtype)  # (B, T, 2)
        assert self.skip_gate is not None
        mixed = (weights.to(x.dtype) + self.skip_gate(contextual).to(x.dtype)) * exists  # (B, T, 2)
        return mix_neighbours(x, mixed, prev, nxt)  # (B, T, input_dim)

    def num_trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
