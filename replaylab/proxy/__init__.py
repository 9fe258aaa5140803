"""The staging chaos proxy: an OpenAI-compatible proxy that injects registered faults.

    replaylab proxy --upstream http://127.0.0.1:8000/v1 --scenario scenarios/staging/proxy.yaml

- `faults`: the faults (`@register("proxy_fault", name)`), each a pydantic model.
- `control`: fault rules (rate, session ids), the board, scenario files.
- `app`: the proxy itself (starlette); `control_api`: `/_replaylab/...` routes; `client`: their client.
- `recorder`: every chat completion as a replaylab trace + cassette.
- `runner`: foreground or in a thread; `chaos`: the Chaos Toolkit extension;
  `example_app`: a small RAG app (MiniLM + FAISS) the drills point at the proxy.
"""
