"""Operational evaluators: model_version, token_cost."""

from __future__ import annotations

from pydantic import Field

from replaylab.evals.base import EvalContext, Evaluator, Price, Score, evaluator


@evaluator("model_version")
class ModelVersion(Evaluator):
    """1.0 when the model that answered is the pinned one (`settings.pinned_model`, else the
    model the trace requested), else 0.0: the silent-version-change signal. Range 0..1;
    passes at 1.0. Not gating by default (a changed model is a cause, not an outcome)."""

    def evaluate(self, ctx: EvalContext) -> Score:
        mrv = ctx.trace.versions.mrv
        pinned = ctx.settings.pinned_model or mrv.requested
        returned = ctx.trace.generation.model_returned if ctx.trace.generation else mrv.returned
        if returned == pinned:
            return self.score(1.0, True, f"answered by the pinned model {pinned!r}")
        return self.score(
            0.0, False, f"requested {mrv.requested!r} (pinned {pinned!r}) but {returned!r} answered", returned=returned
        )


def price_of(model: str, prices: dict[str, Price]) -> tuple[Price, str | None]:
    """The price of `model`: an exact entry, else the longest matching id prefix (None: unknown)."""
    if model in prices:
        return prices[model], model
    backend, _, target = model.partition(":")
    for key in sorted(prices, key=len, reverse=True):
        if model.startswith(key) or (target and target.startswith(key)) or backend == key:
            return prices[key], key
    return Price(), None


@evaluator("token_cost")
class TokenCost(Evaluator):
    """Cost in USD of the request at `settings.prices` (per 1k prompt / completion tokens);
    the token counts are in `details`. Range 0..inf, lower is better. Passes while within
    `max_usd` and `max_tokens` when set; None when neither is set."""

    value_range = (0.0, float("inf"))
    higher_is_better = False
    max_usd: float | None = Field(None, ge=0.0)
    max_tokens: int | None = Field(None, ge=0)

    def evaluate(self, ctx: EvalContext) -> Score:
        gen = ctx.trace.generation
        if gen is None:
            return self.score(0.0, None, "no generation span")
        price, key = price_of(gen.model_returned, ctx.settings.prices)
        tokens = gen.prompt_tokens + gen.completion_tokens
        usd = gen.prompt_tokens / 1000 * price.input_per_1k + gen.completion_tokens / 1000 * price.output_per_1k
        checks = []
        if self.max_usd is not None:
            checks.append(usd <= self.max_usd)
        if self.max_tokens is not None:
            checks.append(tokens <= self.max_tokens)
        priced = f"priced as {key!r}" if key else f"no price for {gen.model_returned!r}: counted at $0"
        return self.score(
            usd,
            all(checks) if checks else None,
            f"{gen.prompt_tokens} prompt + {gen.completion_tokens} completion tokens = ${usd:.6f} ({priced})",
            prompt_tokens=gen.prompt_tokens,
            completion_tokens=gen.completion_tokens,
            tokens=tokens,
        )
