"""Video QA on a tiny random Llama with a byte-level tokenizer (built here, saved to a temp dir): seconds on CPU."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from pydantic import ValidationError
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.pipelines.video_qa import create_pipeline
from nlv_kedro.qa.artifact import load_bridge
from nlv_kedro.qa.bridge import (
    IGNORE,
    Projector,
    ProjectorConfig,
    answer_loss,
    encode_answer,
    encode_prompt,
    pool_adjacent,
    splice,
)
from nlv_kedro.qa.compare import collect_video_vectors, prepare_qa_pairs, train_qa_projectors
from nlv_kedro.qa.config import GoalConfig, VideoQAConfig
from nlv_kedro.qa.examples import VIDEO_SOURCE
from nlv_kedro.qa.results import qa_goals
from nlv_kedro.qa.llm import cached_dir, end_of_turn_id, load_llm
from nlv_kedro.qa.module import QAItem, TrainConfig, fit_bridge
from nlv_kedro.qa.scoring import Question, generate_answer, score_choices

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
IN_DIM = 6


@pytest.fixture(scope="module")
def tiny_llm_dir(tmp_path_factory) -> str:
    return save_tiny_llm(tmp_path_factory.mktemp("tiny_llm"))


def save_tiny_llm(path) -> str:
    """A 2-layer, 32-d random Llama and a byte-level tokenizer with ChatML specials, saved like any HF model."""
    vocab = {ch: i for i, ch in enumerate(pre_tokenizers.ByteLevel.alphabet())}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|im_end|>", pad_token="<pad>",
                                        additional_special_tokens=["<|im_start|>"])
    tokenizer.chat_template = CHATML
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return f"hf:{path}"


@pytest.fixture
def llm(tiny_llm_dir):
    return load_llm(tiny_llm_dir)


def _projector(llm, max_tokens: int = 4) -> Projector:
    torch.manual_seed(0)
    return Projector(ProjectorConfig(in_dim=IN_DIM, llm_dim=llm.embed_dim, kind="mlp", hidden_dim=16,
                                     max_tokens=max_tokens, embed_std=0.02))


def test_soft_tokens_land_between_the_template_and_the_question(llm) -> None:
    tok = llm.tokenizer
    prompts = [encode_prompt(tok, q, with_video=True, system_prompt="Be brief.") for q in ("Why?", "What is shown?")]
    assert tok.decode(prompts[0].before).endswith("<|im_start|>user\n")
    assert tok.decode(prompts[1].after) == "\nWhat is shown?<|im_end|>\n<|im_start|>assistant\n"
    soft = [torch.randn(3, llm.embed_dim), torch.randn(1, llm.embed_dim)]
    answers = [encode_answer(tok, "yes", end_of_turn_id(tok)), encode_answer(tok, "no", end_of_turn_id(tok))]
    embedding = llm.model.get_input_embeddings()
    batch = splice(embedding, prompts, soft, answers, tok.pad_token_id)
    for row, (prompt, tokens) in enumerate(zip(prompts, soft)):
        nb = len(prompt.before)
        assert batch.soft_positions[row].tolist() == list(range(nb, nb + len(tokens)))
        assert torch.equal(batch.inputs_embeds[row, nb:nb + len(tokens)], tokens)
        after = torch.tensor(prompt.after)
        assert torch.equal(batch.inputs_embeds[row, nb + len(tokens):nb + len(tokens) + len(after)], embedding(after))
        assert int(batch.attention_mask[row].sum()) == nb + len(tokens) + len(prompt.after) + len(answers[row])
    text_only = encode_prompt(tok, "Why?", with_video=False, system_prompt="Be brief.")
    assert text_only.after == [] and "<<" not in tok.decode(text_only.before)


def test_pool_adjacent_caps_tokens_and_keeps_order() -> None:
    x = torch.arange(10, dtype=torch.float32).unsqueeze(1)
    pooled = pool_adjacent(x, 4)
    assert pooled.squeeze(1).tolist() == [1.0, 4.0, 6.5, 8.5]  # groups 0-2, 3-5, 6-7, 8-9
    assert torch.equal(pool_adjacent(x[:3], 4), x[:3])


def test_loss_counts_answer_tokens_only(llm) -> None:
    tok, model = llm.tokenizer, llm.model
    prompt = encode_prompt(tok, "Colour?", with_video=True)
    answer = encode_answer(tok, "red", end_of_turn_id(tok))
    soft = torch.randn(2, llm.embed_dim)
    batch = splice(model.get_input_embeddings(), [prompt, prompt], [soft, soft[:1]], [answer, answer[:2]],
                   tok.pad_token_id)
    labelled = batch.labels != IGNORE
    assert labelled.sum(1).tolist() == [len(answer), 2]
    assert batch.labels[0, labelled[0]].tolist() == answer
    logits = model(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask).logits
    expected = torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1), batch.labels[:, 1:].flatten(),
                                                 ignore_index=IGNORE)
    assert batch.shared_prefix == len(prompt.before)
    for prefix_cache in (True, False):  # the shared template prefix through a KV cache changes nothing
        torch.testing.assert_close(answer_loss(model, batch, prefix_cache), expected, rtol=1e-4, atol=1e-5)


def _items(llm, n: int = 8) -> list[QAItem]:
    tok, end = llm.tokenizer, end_of_turn_id(llm.tokenizer)
    rng = np.random.default_rng(0)
    return [QAItem(encode_prompt(tok, "Which way?", with_video=True),
                   torch.tensor(rng.normal(size=(1 + i % 3, IN_DIM)), dtype=torch.float32),
                   encode_answer(tok, "left" if i % 2 else "right", end)) for i in range(n)]


def test_training_moves_the_projector_and_never_the_llm(llm, tmp_path) -> None:
    frozen = {k: v.clone() for k, v in llm.model.state_dict().items()}
    projector = _projector(llm)
    start = {k: v.clone() for k, v in projector.state_dict().items()}
    history = fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, _items(llm), _items(llm, 4),
                         TrainConfig(max_epochs=2, batch_size=4, lr=1e-2,
                                                              checkpoint_dir=str(tmp_path)))
    assert len(history) == 2 and all(np.isfinite([h["val_loss"], h["train_loss"]]).all() for h in history)
    assert all(torch.equal(v, llm.model.state_dict()[k]) for k, v in frozen.items())
    assert not all(torch.equal(v, projector.state_dict()[k]) for k, v in start.items())
    assert not any(p.requires_grad for p in llm.model.parameters())


def test_choice_scoring_picks_the_planted_answer(llm) -> None:
    """An LM head whose bias favours 'z' (and the end of turn) makes "zz" the likeliest choice in any context."""
    tok, model = llm.tokenizer, llm.model
    head = torch.nn.Linear(llm.embed_dim, len(tok), bias=True)
    torch.nn.init.zeros_(head.weight)
    with torch.no_grad():
        head.bias.fill_(-5.0)
        head.bias[tok.convert_tokens_to_ids("z")] = 5.0
        head.bias[end_of_turn_id(tok)] = 5.0
    model.lm_head = head
    end, projector = end_of_turn_id(tok), _projector(llm)
    choices = [["ab", "zz", "zzzzq"], ["zz", "b"], ["c", "d", "e", "zz"]]
    questions = [Question(encode_prompt(tok, f"Q{i}?", with_video=True), torch.randn(2 + i, IN_DIM),
                          [encode_answer(tok, c, end) for c in cs]) for i, cs in enumerate(choices)]
    for reduction in ("sum", "mean"):
        scores = score_choices(llm, projector, questions, reduction)
        assert [cs[int(np.argmax(s))] for cs, s in zip(choices, scores)] == ["zz", "zz", "zz"]


def test_shared_prompt_scoring_matches_full_rows(llm) -> None:
    end, projector = end_of_turn_id(llm.tokenizer), _projector(llm, max_tokens=2)
    questions = [Question(encode_prompt(llm.tokenizer, q, with_video=v is not None), v,
                          [encode_answer(llm.tokenizer, c, end) for c in ("a", "bcd", "ef")])
                 for q, v in (("One?", torch.randn(2, IN_DIM)), ("Two?", torch.randn(2, IN_DIM)), ("Three?", None))]
    shared = score_choices(llm, projector, questions, share_prompt=True)
    rows = score_choices(llm, projector, questions, share_prompt=False)
    for a, b in zip(shared, rows):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_generation_runs_with_and_without_video(llm) -> None:
    projector = _projector(llm)
    for vectors in (torch.randn(3, IN_DIM), None):
        answer = generate_answer(llm, projector, vectors, "What happens?", max_new_tokens=4)
        assert answer == generate_answer(llm, projector, vectors, "What happens?", max_new_tokens=4)  # greedy


def test_llm_cache_is_built_once_and_never_left_half_written(tmp_path) -> None:
    calls = []

    def failing(out):
        (out / "part").write_text("x")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cached_dir(tmp_path, "m", failing)
    assert not (tmp_path / "m").exists() and list(tmp_path.iterdir()) == []
    build = lambda out: calls.append((out / "model").write_text("ok"))  # noqa: E731
    first, second = cached_dir(tmp_path, "m", build), cached_dir(tmp_path, "m", build)
    assert first == second == tmp_path / "m" and len(calls) == 1 and (first / "model").read_text() == "ok"


def test_unknown_llm_and_extra_params_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown LLM"):
        load_llm("gpt-17")
    with pytest.raises(ValidationError):
        VideoQAConfig.model_validate({"methods": ["nextlevel"], "epochs": 3})
    with pytest.raises(ValidationError):
        VideoQAConfig.model_validate({"methods": ["clip"]})


from tests.conftest import KeptDataset  # noqa: E402


@pytest.fixture
def qa_corpus(tmp_path):
    """12 videos (6 train, 3 val, 3 test), chunk and contextual stores, two questions per video."""
    rng = np.random.default_rng(0)
    chunks, contextual = EmbeddingStore(tmp_path / "chunks"), EmbeddingStore(tmp_path / "ctx")
    rows, qa = [], []
    for i in range(12):
        vid, split = f"v{i}", ["train"] * 6 + ["val"] * 3 + ["test"] * 3
        chunks.write(vid, {"embeddings": rng.normal(size=(3 + i % 4, 10)).astype(np.float32)}, {})
        contextual.write(vid, {"contextual": rng.normal(size=(3 + i % 4, IN_DIM)).astype(np.float32),
                               "pooled": np.zeros(IN_DIM, np.float32)}, {})
        rows.append({"video_id": vid, "split": split[i], "label": "x"})
        answer = "left" if i % 2 else "right"
        qa += [{"video_id": vid, "question": "Which way?", "choices": ["left", "right"], "answer": answer,
                "type": "direction"},
               {"video_id": vid, "question": "How many?", "choices": ["1", "2", "3"], "answer": "2", "type": "count"}]
    return pd.DataFrame(qa), pd.DataFrame(rows), chunks, contextual


def _params(tmp_path, llm_name: str, **overrides) -> VideoQAConfig:
    return VideoQAConfig.model_validate({
        "methods": ["text_only", "mean_pool", "frozen_chunks", "nextlevel"],
        "llm": {"name": llm_name, "cache_dir": str(tmp_path / "cache")},
        "projector": {"hidden_dim": 8, "max_tokens": 2},
        "training": {"max_epochs": 1, "batch_size": 8, "checkpoint_dir": str(tmp_path / "qa_ckpt")},
        **overrides,
    })


ALL_METHODS = ["text_only", "text_only_normalized", "mean_pool", "frozen_chunks", "nextlevel", "blind_constant",
               "blind_shuffled"]


def test_pipeline_compares_every_method_over_seeds_and_exports_a_reloadable_projector(tmp_path, tiny_llm_dir,
                                                                                     qa_corpus) -> None:
    qa, index, chunks, contextual = qa_corpus
    params = _params(tmp_path, tiny_llm_dir, methods=ALL_METHODS, seeds=[0, 1])
    catalog = DataCatalog({"video_qa_pairs": MemoryDataset(qa), "video_index": MemoryDataset(index),
                           "chunk_embeddings": MemoryDataset(chunks), "contextual_embeddings": MemoryDataset(contextual),
                           "params:video_qa": MemoryDataset(params)})
    pipeline = create_pipeline()
    for name in pipeline.all_outputs():
        catalog[name] = KeptDataset()
    SequentialRunner().run(pipeline, catalog)
    metrics = catalog["qa_metrics"].load()
    assert set(metrics["accuracy"]) == {*ALL_METHODS, "answer_prior"}
    for method, acc in metrics["accuracy"].items():
        assert acc["n"] == 6 and {"overall", "direction", "count"} <= set(acc) and set(acc["std"]) == {
            "overall", "direction", "count"}
        rows = metrics["per_question"]["correct"][method]
        assert acc["seeds"] == len(rows) == (2 if VIDEO_SOURCE.get(method) else 1) and all(len(r) == 6 for r in rows)
        assert acc["overall"] == pytest.approx(100 * np.mean(rows), abs=0.01)
    assert len(set(metrics["per_question"]["question_ids"])) == 6
    assert set(metrics["comparisons"]) == {f"nextlevel_minus_{m}" for m in {*ALL_METHODS, "answer_prior"} - {"nextlevel"}}
    ci = metrics["comparisons"]["nextlevel_minus_text_only"]["overall"]
    assert ci["lo"] <= ci["points"] <= ci["hi"] and ci["n"] == 6
    assert set(metrics["goals"]) == {"nextlevel_minus_best_blind_overall"}  # no order questions here
    assert [r["seed"] for r in metrics["training"]["nextlevel"]] == [0, 1]
    artifact, config = catalog["qa_projector"].load(), catalog["qa_projector_config"].load()
    assert config["settings"]["method"] == "nextlevel" and config["settings"]["seed"] == 0
    assert config["projector_config"]["in_dim"] == IN_DIM and all(k.startswith("projector.") for k in artifact["tensors"])
    llm, projector = load_bridge(artifact, str(tmp_path / "cache"))
    assert projector(torch.zeros(1, IN_DIM)).shape == (1, llm.embed_dim)


def test_lora_adapters_train_and_reload_with_the_projector(tmp_path, tiny_llm_dir, qa_corpus) -> None:
    qa, index, chunks, contextual = qa_corpus
    params = _params(tmp_path, tiny_llm_dir, methods=["nextlevel"],
                     lora={"enabled": True, "r": 2, "alpha": 4, "target_modules": ["q_proj", "v_proj"]})
    table = prepare_qa_pairs(qa, index, params)
    trained = train_qa_projectors(table, collect_video_vectors(table, chunks, contextual, params), params)
    artifact = trained["nextlevel"][0]["artifact"]
    lora = {k: v for k, v in artifact["tensors"].items() if k.startswith("llm.")}
    assert lora and all("lora_" in k for k in lora)
    llm, _ = load_bridge(artifact, str(tmp_path / "cache"))
    reloaded = dict(llm.model.named_parameters())
    assert all(np.allclose(reloaded[k[4:]].detach().numpy(), v) for k, v in lora.items())


def _ci(points: float, lo: float) -> dict:
    return {"points": points, "lo": lo, "hi": points + 5, "n": 40, "beats": lo > 0}


def test_goals_need_the_target_lead_and_a_ci_above_zero() -> None:
    accuracy = {"blind_shuffled": {"overall": 50.0}, "blind_constant": {"overall": 45.0}, "nextlevel": {"overall": 70.0}}
    compared = {"nextlevel_minus_blind_shuffled": {"overall": _ci(20.0, 3.0)},
                "nextlevel_minus_blind_constant": {"overall": _ci(25.0, 9.0)},
                "nextlevel_minus_frozen_chunks": {"overall": _ci(5.0, -2.0), "order": _ci(12.0, -0.5),
                                                  "structure": _ci(11.0, 1.0)}}
    goals = qa_goals(accuracy, compared, GoalConfig())
    assert GoalConfig().over_blind_overall == 15 and GoalConfig().over_frozen_chunks_order == 10
    best = goals["nextlevel_minus_best_blind_overall"]
    assert best["control"] == "blind_shuffled" and best["points"] == 20.0 and best["met"] is True  # the best blind
    assert goals["nextlevel_minus_frozen_chunks_order"]["met"] is False        # lead clears 10, the CI does not clear 0
    assert goals["nextlevel_minus_frozen_chunks_structure"]["met"] is True
    strict = qa_goals(accuracy, compared, GoalConfig(over_blind_overall=21.0))
    assert strict["nextlevel_minus_best_blind_overall"]["met"] is False      # CI clears 0, the lead misses 21


