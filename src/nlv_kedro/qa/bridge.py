"""The bridge: chunk vectors -> soft tokens in the LLM's input-embedding space, spliced into its chat prompt.

The LLaVA / Video-ChatGPT recipe: a small projector (one linear layer, or Linear-GELU-Linear) maps each
chunk vector of a video to one token; the tokens stand where the user's message would show the video,
right before the question. Only the projector learns; the LLM sees ordinary input embeddings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

VIDEO_MARKER = "<<VIDEO-TOKENS-7f3a>>"  # rendered into the chat template to find where the soft tokens go
IGNORE = -100  # label of positions the loss must not see


@dataclass
class ProjectorConfig:
    in_dim: int                              # chunk vector size: 384 (NextLevel contextual), 1280 (EfficientNet chunks)
    llm_dim: int                             # the LLM's input-embedding size (576 for SmolLM2-135M)
    kind: Literal["linear", "mlp"] = "mlp"   # "linear" = Video-ChatGPT, "mlp" = LLaVA-1.5's Linear-GELU-Linear
    hidden_dim: int = 1024                   # mlp only
    max_tokens: int = 8                      # more chunks than this are mean-pooled in adjacent groups
    embed_std: float = 0.02                  # std of the LLM's token embeddings: soft tokens start at that scale
    dropout: float = 0.0                     # on the standardized inputs
    position_embedding: bool = False         # a learned vector per soft-token position (order encoding)

    def to_dict(self) -> dict:
        return asdict(self)


class Projector(nn.Module):
    """(B, T, in_dim) chunk vectors -> (B, T, llm_dim) soft tokens. Inputs are standardized with train
    statistics kept as buffers, so the saved state dict alone reproduces the mapping."""

    def __init__(self, config: ProjectorConfig) -> None:
        super().__init__()
        assert config.kind in ("linear", "mlp"), f"projector kind must be 'linear' or 'mlp', got {config.kind!r}"
        self.config = config
        self.register_buffer("input_mean", torch.zeros(config.in_dim))
        self.register_buffer("input_std", torch.ones(config.in_dim))
        self.dropout = nn.Dropout(config.dropout)
        if config.kind == "linear":
            self.net: nn.Module = nn.Linear(config.in_dim, config.llm_dim)
        else:
            self.net = nn.Sequential(nn.Linear(config.in_dim, config.hidden_dim), nn.GELU(),
                                     nn.Linear(config.hidden_dim, config.llm_dim))
        if config.position_embedding:  # (max_tokens, llm_dim); absent otherwise, so older artifacts still load
            self.position = nn.Parameter(torch.randn(config.max_tokens, config.llm_dim) * config.embed_std)
        self._init_weights()

    def _init_weights(self) -> None:
        """Standardized inputs through this init give outputs of about the LLM's own embedding scale."""
        layers = [m for m in self.net.modules() if isinstance(m, nn.Linear)]
        for layer in layers[:-1]:
            nn.init.normal_(layer.weight, std=1.0 / math.sqrt(layer.in_features))
            nn.init.zeros_(layer.bias)
        last = layers[-1]
        gain = 1.0 if len(layers) == 1 else 1.7  # GELU roughly halves the variance
        nn.init.normal_(last.weight, std=gain * self.config.embed_std / math.sqrt(last.in_features))
        nn.init.zeros_(last.bias)

    def set_input_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std.clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.input_mean) / self.input_std  # (..., in_dim)
        return self.net(self.dropout(x))           # (..., llm_dim)

    def add_positions(self, tokens: torch.Tensor) -> torch.Tensor:
        """(n, llm_dim) one video's soft tokens -> the same plus the n first position vectors (when enabled).

        The LLM's own rotary positions say where a soft token sits in the prompt but not which part of the video
        it stands for; a learned vector per slot does, as a ViT's position embedding does for its patches."""
        if not self.config.position_embedding:
            return tokens
        if len(tokens) > self.config.max_tokens:
            raise ValueError(f"{len(tokens)} soft tokens for one video, but the projector's position embedding has "
                             f"max_tokens={self.config.max_tokens} slots: pool the chunks first (pool_adjacent)")
        return tokens + self.position[: len(tokens)]


def pool_adjacent(x: torch.Tensor, max_tokens: int) -> torch.Tensor:
    """(T, d) -> (min(T, max_tokens), d): means of contiguous, near-equal groups, so order survives pooling."""
    assert max_tokens >= 1, "max_tokens must be at least 1"
    if len(x) <= max_tokens:
        return x
    return torch.stack([group.mean(0) for group in torch.tensor_split(x, max_tokens)])


@dataclass
class EncodedPrompt:
    """Token ids around the soft tokens: ``before`` + [soft tokens] + ``after`` + answer (+ end of turn)."""

    before: list[int]
    after: list[int]


@dataclass
class QAItem:
    """One training or scoring row: prompt ids, the video's (pooled) chunk vectors, answer ids, and (for the
    ``choices`` training objective) every offered choice's ids with the index of the right one."""

    prompt: EncodedPrompt
    vectors: torch.Tensor | None  # (n, in_dim) or None for text-only
    answer: list[int]
    choices: list[list[int]] | None = None
    correct: int | None = None


def soft_tokens(projector: Projector | None, items: list[QAItem]) -> list[torch.Tensor | None]:
    """Project every row's vectors in one call, then split back per row."""
    if projector is None or all(item.vectors is None for item in items):
        return [None] * len(items)
    device = projector.input_mean.device
    lengths = [len(item.vectors) for item in items]  # type: ignore[arg-type]
    stacked = torch.cat([item.vectors.to(device) for item in items])  # type: ignore[union-attr]  # (sum n, in_dim)
    return [projector.add_positions(t) for t in torch.split(projector(stacked), lengths)]  # each (n, llm_dim)


def encode_prompt(tokenizer: PreTrainedTokenizerBase, question: str, with_video: bool,
                  system_prompt: str | None = None) -> EncodedPrompt:
    """Render the chat template with a marker where the video goes and split the ids there.

    Rendering (rather than hand-writing ChatML) keeps any model's own turn format; the marker is on its
    own line before the question, as LLaVA places ``<image>``. Without video the prompt is the plain question.
    """
    content = f"{VIDEO_MARKER}\n{question}" if with_video else question
    messages = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + \
        [{"role": "user", "content": content}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    before, _, after = text.partition(VIDEO_MARKER) if with_video else (text, "", "")
    assert not with_video or VIDEO_MARKER not in after, "the chat template repeated the user message"
    before_ids = tokenizer(before, add_special_tokens=False)["input_ids"]
    after_ids = tokenizer(after, add_special_tokens=False)["input_ids"] if after else []
    bos = tokenizer.bos_token
    if bos and not text.startswith(bos) and tokenizer("a")["input_ids"][:1] == [tokenizer.bos_token_id]:
        before_ids = [tokenizer.bos_token_id, *before_ids]  # models that expect BOS but whose template omits it
    if not with_video:
        before_ids, after_ids = [*before_ids, *after_ids], []
    return EncodedPrompt(list(before_ids), list(after_ids))


def encode_answer(tokenizer: PreTrainedTokenizerBase, answer: str, end_id: int) -> list[int]:
    """Answer ids closed by the end-of-turn token, so a complete answer outscores a prefix of a longer one."""
    return [*tokenizer(answer, add_special_tokens=False)["input_ids"], end_id]


@dataclass
class SplicedBatch:
    inputs_embeds: torch.Tensor     # (B, L, D)
    attention_mask: torch.Tensor    # (B, L) 1 = real, right-padded
    labels: torch.Tensor            # (B, L) answer ids, IGNORE elsewhere
    soft_positions: list[torch.Tensor]  # per row, the sequence positions of its soft tokens
    shared_prefix: int = 0          # leading ids identical in every row (the template before the video)


def splice(embedding: nn.Embedding, prompts: list[EncodedPrompt], soft: list[torch.Tensor | None],
           answers: list[list[int]], pad_id: int) -> SplicedBatch:
    """Rows ``before | soft | after | answer``, right-padded; labels only on the answer tokens."""
    assert len(prompts) == len(soft) == len(answers), "one prompt, soft-token block and answer per row"
    device = embedding.weight.device
    dim = embedding.weight.shape[1]
    rows, labels, positions = [], [], []
    for prompt, tokens, answer in zip(prompts, soft, answers):
        tokens = tokens if tokens is not None else torch.zeros(0, dim, device=device)
        ids = torch.tensor([*prompt.before, *prompt.after, *answer], dtype=torch.long, device=device)
        embedded = embedding(ids)  # (n_ids, D)
        nb, na = len(prompt.before), len(prompt.after)
        rows.append(torch.cat([embedded[:nb], tokens.to(embedded.dtype), embedded[nb:]]))
        n_prompt = nb + len(tokens) + na
        labels.append(torch.tensor([IGNORE] * n_prompt + list(answer), dtype=torch.long, device=device))
        positions.append(torch.arange(nb, nb + len(tokens), device=device))
    length = max(len(r) for r in rows)
    pad_vector = embedding(torch.tensor([pad_id], device=device))[0]
    embeds = torch.stack([torch.cat([r, pad_vector.expand(length - len(r), dim)]) for r in rows])
    mask = torch.stack([torch.arange(length, device=device) < len(r) for r in rows]).long()
    label_tensor = torch.full((len(rows), length), IGNORE, dtype=torch.long, device=device)
    for i, lab in enumerate(labels):
        label_tensor[i, : len(lab)] = lab
    same = all(p.before == prompts[0].before for p in prompts)
    return SplicedBatch(embeds, mask, label_tensor, positions, len(prompts[0].before) if same else 0)


def answer_log_probs(model: nn.Module, batch: SplicedBatch,
                     prefix_cache: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-probs of the labelled (answer) tokens -> ((B, K) log-probs, (B, K) bool mask).

    Two savings on a CPU, where a 135M LLM is the whole cost: logits only for the last K positions,
    which hold every answer (the LM head over a 49k vocabulary is a large share of the model), and, with
    ``prefix_cache``, the template before the video (system prompt, user header: ~40% of a row) runs once
    without gradient and is shared by the batch. It holds no trainable input, so the loss is unchanged;
    turn it off when the LLM itself trains (LoRA), whose adapters would then miss that part's gradient.
    """
    labels = batch.labels
    has_label = labels != IGNORE  # (B, L)
    first = int(has_label.float().argmax(1).min())
    keep = labels.shape[1] - first + 1  # positions first-1 .. L-1 predict tokens first .. L
    prefix = batch.shared_prefix if prefix_cache and 0 < batch.shared_prefix < first else 0
    logits = _forward_tail(model, batch, keep, prefix)  # (B, keep, V)
    logits = logits[:, :-1]                       # (B, K, V) predicts labels[:, first:]
    targets = labels[:, first:]                   # (B, K)
    mask = targets != IGNORE
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    picked = log_probs.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)
    return picked * mask, mask


def _forward_tail(model: nn.Module, batch: SplicedBatch, keep: int, prefix: int) -> torch.Tensor:
    """Logits of the last ``keep`` positions; the first ``prefix`` positions (same in every row) go through a cache."""
    embeds, mask = batch.inputs_embeds, batch.attention_mask
    kwargs: dict = {"attention_mask": mask}
    if prefix:
        with torch.no_grad():
            cache = model(inputs_embeds=embeds[:1, :prefix].detach(), use_cache=True, logits_to_keep=1).past_key_values
        if cache is not None and hasattr(cache, "batch_repeat_interleave"):
            cache.batch_repeat_interleave(len(embeds))
            embeds, kwargs["past_key_values"] = embeds[:, prefix:], cache
    try:
        return model(inputs_embeds=embeds, logits_to_keep=keep, **kwargs).logits
    except TypeError:  # architectures without logits_to_keep: full logits, then the same slice
        return model(inputs_embeds=embeds, **kwargs).logits[:, -keep:]


def answer_loss(model: nn.Module, batch: SplicedBatch, prefix_cache: bool = True) -> torch.Tensor:
    """Mean next-token cross-entropy over answer tokens only (question, video and padding are ignored)."""
    picked, mask = answer_log_probs(model, batch, prefix_cache)
    return -picked.sum() / mask.sum().clamp_min(1)
