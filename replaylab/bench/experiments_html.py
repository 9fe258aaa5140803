"""The two paper reproductions as one self-contained HTML page: tables and inline PNG plots."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

from replaylab.bench.experiment_tables import (
    PAPER_LITM_GPT35,
    PAPER_POISONEDRAG_ASR,
    DoseResponseTable,
    ExperimentsResult,
    LostInTheMiddleTable,
)

__all__ = ["experiments_html"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d232a}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.dim{color:#667085}.paper{color:#667085;font-style:italic}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _plot(
    series: dict[str, tuple[list[int], list[float]]],
    paper: tuple[str, list[int], list[float]],
    *,
    xlabel: str,
    ylabel: str,
    ylim: tuple[float, float],
) -> str:
    """A line chart as an inline base64 PNG: one line per series, the paper's row dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", label=name)
    ax.plot(paper[1], paper[2], linestyle="--", color="black", marker="s", label=paper[0])
    ax.set_xticks(sorted({x for xs, _ in series.values() for x in xs} | set(paper[1])))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{_e(ylabel)} by {_e(xlabel)}" src="data:image/png;base64,{data}">'


def _dose_html(t: DoseResponseTable) -> str:
    rows = "".join(
        f"<tr><td>{r.dose}</td><td>{r.asr:.2f}</td><td class=paper>{'–' if r.paper_asr is None else f'{r.paper_asr:.2f}'}"
        f"</td><td>{r.correct:.2f}</td><td>{r.precision:.2f}</td><td>{r.recall:.2f}</td><td>{r.f1:.2f}</td></tr>"
        for r in t.rows
    )
    return (
        f"<h3>{_e(t.model)}</h3><p class=dim>{_e(t.embedder)} + FAISS top-{t.top_k}, "
        f"n={t.rows[0].n if t.rows else 0} target questions, {t.seconds:.0f}s</p><table><tr><th>N</th>"
        "<th>ASR</th><th>paper ASR</th><th>correct</th><th>precision</th><th>recall</th><th>F1</th></tr>"
        f"{rows}</table>"
    )


def _litm_html(tables: Sequence[LostInTheMiddleTable]) -> str:
    if not tables:
        return "<p class=dim>not run</p>"
    positions = [r.position for r in tables[0].rows]
    head = "<tr><th>model</th>" + "".join(f"<th>{p}</th>" for p in positions) + "<th>longest prompt</th></tr>"
    body = "".join(
        f"<tr><td>{_e(t.model)}</td>"
        + "".join(f"<td>{r.accuracy:.1f}</td>" for r in t.rows)
        + f"<td>{t.max_prompt_tokens}</td></tr>"
        for t in tables
    )
    paper = (
        "<tr class=paper><td>paper GPT-3.5-Turbo</td>"
        + "".join(f"<td>{PAPER_LITM_GPT35[p]:.1f}</td>" if p in PAPER_LITM_GPT35 else "<td>–</td>" for p in positions)
        + "<td></td></tr>"
    )
    return f"<table>{head}{body}{paper}</table>"


def experiments_html(result: ExperimentsResult) -> str:
    """Both tables and their plots as one self-contained HTML page (no scripts, no external assets)."""
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>replaylab experiments</title>"
        f"<style>{_CSS}</style></head><body><h1>Two papers on our stack</h1>"
        f"<p class=dim>{len(result.questions)} golden questions ({_e(', '.join(result.questions))}); "
        f"{result.seconds:.0f}s in all</p>"
    ]
    parts.append("<h2>Lost in the Middle: accuracy (%) by position of the answer chunk</h2>")
    if result.litm:
        total = result.litm[0].total
        parts.append(_litm_html(result.litm))
        parts.append(
            _plot(
                {t.model: ([r.position for r in t.rows], [r.accuracy for r in t.rows]) for t in result.litm},
                ("paper GPT-3.5-Turbo", list(PAPER_LITM_GPT35), list(PAPER_LITM_GPT35.values())),
                xlabel=f"position of the answer chunk (of {total})",
                ylabel="accuracy (%)",
                ylim=(0, 105),
            )
        )
    else:
        parts.append("<p class=dim>not run</p>")
    parts.append("<h2>PoisonedRAG: attack success by poisoned texts per target question</h2>")
    parts.extend(_dose_html(t) for t in result.dose)
    if result.dose:
        parts.append(
            _plot(
                {t.model: ([r.dose for r in t.rows], [r.asr for r in t.rows]) for t in result.dose},
                ("paper (NQ, black-box)", list(PAPER_POISONEDRAG_ASR), list(PAPER_POISONEDRAG_ASR.values())),
                xlabel="poisoned texts per target question (N)",
                ylabel="ASR",
                ylim=(0, 1.05),
            )
        )
    parts.append("</body></html>")
    return "".join(parts)
