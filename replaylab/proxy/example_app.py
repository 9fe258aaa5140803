"""A small staging RAG app for chaos drills: FastAPI, real MiniLM + FAISS retrieval, an OpenAI client.

    with ExampleApp(llm_base_url=proxy.base_url) as app_url:
        httpx.post(f"{app_url}/ask", json={"question": "...", "session_id": "s1"}).json()

`POST /ask` embeds the question with the configured embedder (MiniLM by default), searches the
FAISS snapshot of the corpus, renders the production prompt with the retrieved passages, and
asks `model` through the official `openai` client at `llm_base_url` — the proxy, in a drill.
It knows nothing about replaylab's faults: what it answers is what a staging app would.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from replaylab.config import RunConfig
from replaylab.models.asgi import LoopbackServer, ServerLimits, bind_loopback
from replaylab.stack import assembler
from replaylab.stack.pipeline import Stack

__all__ = ["AskBody", "AskReply", "ExampleApp", "create_example_app"]


class AskBody(BaseModel):
    """A question to the app."""

    question: str = Field(min_length=1, max_length=2000)
    """The user's question."""
    session_id: str | None = None
    """The user's session (sent to the LLM as `X-Session-Id`, so faults can pick sessions)."""


class AskReply(BaseModel):
    """The app's answer."""

    answer: str
    """What the model said."""
    model: str
    """The `model` field of the LLM's response."""
    chunk_ids: list[str]
    """The passages placed in the prompt, in order."""


def create_example_app(
    *, llm_base_url: str, model: str = "sandbox-reader-1.0", config: RunConfig | None = None, stack: Stack | None = None
) -> FastAPI:
    """The example app over `stack` (default: the default workspace)."""
    from openai import APIError, OpenAI

    cfg = config or RunConfig(model=model)
    rag = stack or Stack()
    prompt = rag.prompts.resolve(cfg.prompt)
    client = OpenAI(base_url=llm_base_url, api_key="staging-unused", max_retries=0, timeout=30.0)
    app = FastAPI(title="replaylab example RAG app")

    @app.post("/ask")
    def ask(body: AskBody) -> AskReply:
        retrieval = rag.retrieve(body.question, cfg)
        packed = assembler.assemble(retrieval.chunks, order=cfg.context_order, tokenizer=cfg.tokenizer, budget=cfg.context_budget)
        messages = assembler.render(prompt, question=body.question, chunks=packed.chunks)
        headers = {"X-Session-Id": body.session_id} if body.session_id else {}
        try:
            reply = client.chat.completions.create(
                model=model,
                messages=[m.model_dump() for m in messages],  # type: ignore[misc]
                temperature=cfg.sampling.temperature,
                top_p=cfg.sampling.top_p,
                seed=cfg.sampling.seed,
                max_tokens=cfg.sampling.max_tokens,
                extra_headers=headers,
            )
        except APIError as exc:
            raise HTTPException(status_code=502, detail=f"LLM call failed: {type(exc).__name__}: {exc}") from None
        return AskReply(
            answer=reply.choices[0].message.content or "", model=reply.model, chunk_ids=[c.chunk_id for c in packed.chunks]
        )

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "llm": llm_base_url, "model": model}

    return app


class ExampleApp:
    """The example app in a daemon thread on a free loopback port; the context value is its URL."""

    def __init__(self, **kwargs: Any) -> None:
        self.app = create_example_app(**kwargs)
        self._server: LoopbackServer | None = None

    def __enter__(self) -> str:
        self._server = bind_loopback(self.app, "127.0.0.1", 0, limits=ServerLimits(), log=False)
        self._server.start(name="replaylab-example-app")
        return f"http://127.0.0.1:{self._server.port}"

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
