"""How well, and how fast, the real Gemma answers the golden set: a baseline for drills.

    stack = Stack()
    report = measure_baseline(stack, load_golden(), limit=40)
    report["modes"]["oracle"]["accuracy"]        # with the golden documents' chunks as context
    report["modes"]["retrieved"]["accuracy"]     # with the live MiniLM + FAISS top-k
    report["modes"]["none"]["accuracy"]          # with no context at all
    measure_speed()                              # load time, prompt and completion tokens/s

An answer is correct when the golden answer or one of its aliases is a substring of the
output, case-insensitively. Run it as `python -m replaylab.bench.gemma_baseline [LIMIT]`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from replaylab.config import RunConfig, SamplingParams
from replaylab.models.base import GenerationRequest, get_generator
from replaylab.stack import assembler
from replaylab.stack.corpus import GoldenItem
from replaylab.stack.pipeline import Stack
from replaylab.trace import ChatMessage, RetrievedChunk

Mode = Literal["oracle", "retrieved", "none"]
MODES: tuple[Mode, ...] = ("oracle", "retrieved", "none")


def is_correct(item: GoldenItem, output: str) -> bool:
    """The golden answer or an alias appears in the output (case-insensitive)."""
    low = output.lower()
    return any(a.lower() in low for a in (item.answer, *item.aliases) if a)


def oracle_chunks(stack: Stack, config: RunConfig, item: GoldenItem) -> list[RetrievedChunk]:
    """The chunks of the golden documents, in document order, as if retrieved."""
    chunks = [c for c in stack.chunks(config.corpus, config.index) if c.doc_id in item.doc_ids]
    return [
        RetrievedChunk(
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            title=c.title,
            text=c.text,
            score=1.0,
            source=c.source,
            ingested_at=c.ingested_at,
            rank=i,
        )
        for i, c in enumerate(chunks, 1)
    ]


def _messages(stack: Stack, config: RunConfig, item: GoldenItem, mode: Mode) -> list[ChatMessage]:
    if mode == "oracle":
        chunks = oracle_chunks(stack, config, item)
    elif mode == "retrieved":
        chunks = stack.retrieve(item.question, config).chunks
    else:
        chunks = []
    packed = assembler.assemble(chunks, order=config.context_order, tokenizer=config.tokenizer, budget=config.context_budget)
    return assembler.render(stack.prompts.resolve(config.prompt), question=item.question, chunks=packed.chunks)


def measure_baseline(
    stack: Stack,
    items: Sequence[GoldenItem],
    *,
    limit: int,
    prompt: str = "rag-answer@4",
    model: str = "gemma-3-270m",
    max_tokens: int = 48,
    modes: Sequence[Mode] = MODES,
    on_answer: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Accuracy of `model` on `limit` golden items, evenly spaced, in each context mode."""
    config = RunConfig(prompt=prompt, model=model, sampling=SamplingParams(max_tokens=max_tokens))
    generator = get_generator(model)
    chosen = list(items)[:: max(1, len(items) // max(limit, 1))][:limit]  # spread over every topic
    rows: list[dict[str, Any]] = []
    for item in chosen:
        for mode in modes:
            messages = _messages(stack, config, item, mode)
            start = time.perf_counter()
            result = generator.generate(GenerationRequest(model=model, messages=messages, sampling=config.sampling))
            row = {
                "qid": item.qid,
                "mode": mode,
                "correct": is_correct(item, result.output),
                "answer": item.answer,
                "output": result.output,
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "latency_s": round(time.perf_counter() - start, 3),
            }
            rows.append(row)
            if on_answer is not None:
                on_answer(row)
    summary: dict[str, Any] = {}
    for mode in modes:
        mine = [r for r in rows if r["mode"] == mode]
        n = len(mine) or 1
        summary[mode] = {
            "correct": sum(r["correct"] for r in mine),
            "questions": len(mine),
            "accuracy": round(sum(r["correct"] for r in mine) / n, 3),
            "mean_prompt_tokens": round(sum(r["prompt_tokens"] for r in mine) / n, 1),
            "mean_latency_s": round(sum(r["latency_s"] for r in mine) / n, 2),
        }
    return {
        "model": model,
        "prompt": prompt,
        "max_tokens": max_tokens,
        "questions": len(chosen),
        "modes": summary,
        "answers": rows,
    }


def measure_speed(
    messages: Sequence[ChatMessage] | None = None, *, max_tokens: int = 64, extra_bufts: str = "auto"
) -> dict[str, float]:
    """Gemma's load time and its prompt and completion tokens/s on one prompt (llama.cpp's counters),
    in a worker of its own loaded with llama.cpp's extra buffer types `auto`, `0` (off) or `1` (on)."""
    from replaylab.models import llama
    from replaylab.models.llama_worker import LlamaWorker

    start = time.perf_counter()
    worker = LlamaWorker(llama.model_file(), threads=llama._threads(), model=llama.Gemma270M.id, extra_bufts=extra_bufts)
    load_s = time.perf_counter() - start
    if messages is None:
        messages = [
            ChatMessage(role="system", content="Answer using only the context."),
            ChatMessage(
                role="user",
                content="Context:\n"
                + " ".join(
                    [
                        "[1] (help-centre, ingested 2026-05-01) Refunds: annual plans are refunded within 60 days,"
                        " monthly plans within 14 days, and credits are applied to the next invoice."
                    ]
                    * 12
                )
                + "\n\nQuestion: How long is the refund window for annual plans?\nAnswer:",
            ),
        ]
    try:
        out = worker.create_completion(llama.completion_prompt(list(messages)), temperature=0.0, seed=0, max_tokens=max_tokens)
        perf = worker.perf
    finally:
        worker.close()
    return {
        "load_s": round(load_s, 2),
        "threads": float(llama._threads()),
        "prompt_tokens": float(out["usage"]["prompt_tokens"]),
        "completion_tokens": float(out["usage"]["completion_tokens"]),
        "prompt_tokens_per_s": round(1000 * perf["n_p_eval"] / max(perf["t_p_eval_ms"], 1e-9), 1),
        "completion_tokens_per_s": round(1000 * perf["n_eval"] / max(perf["t_eval_ms"], 1e-9), 1),
    }


def main(argv: Sequence[str]) -> None:
    from replaylab.stack.corpus import load_golden

    limit = int(argv[0]) if argv else 40
    print(json.dumps(measure_speed()), flush=True)
    report = measure_baseline(Stack(), load_golden(), limit=limit, on_answer=lambda r: print(json.dumps(r), flush=True))
    print(json.dumps({k: v for k, v in report.items() if k != "answers"}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
