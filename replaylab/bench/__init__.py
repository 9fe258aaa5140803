"""Measurements: `make bench` figures, the two papers' experiments, the demo recorder and
the Gemma baseline. Run as `python -m replaylab.bench.demo` / `.gemma_baseline`.
"""
