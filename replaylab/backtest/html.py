"""A backtest report as one self-contained HTML page, with its plot embedded as a base64 PNG.

The plot shows, per evaluator, the candidate-minus-production pass-rate difference with its
paired bootstrap CI (red: significantly worse, green: significantly better, grey: not significant).
"""

from __future__ import annotations

import base64
import html
import io

from replaylab.backtest.model import BacktestReport
from replaylab.backtest.stats import EvaluatorStat

__all__ = ["backtest_html", "diff_plot_png"]

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.worse{color:#b00020;font-weight:600}.better{color:#1b7f2a;font-weight:600}
.regression{background:#fde7ea}.improvement{background:#e6f4ea}.verdict{padding:.6em 1em;border-radius:6px;display:inline-block}
code{background:#f4f4f4;padding:0 3px}small{color:#666}"""

_COLOURS = {"worse": "#b00020", "better": "#1b7f2a", "same": "#888888"}


def _e(text: object) -> str:
    return html.escape(str(text))


def diff_plot_png(stats: list[EvaluatorStat]) -> bytes:
    """A horizontal plot of each evaluator's pass-rate difference and its CI, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [s for s in stats if s.diff is not None and s.diff_ci is not None]
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * max(3, len(rows)) + 1.2), dpi=110)
    try:
        for y, s in enumerate(reversed(rows)):
            assert s.diff is not None and s.diff_ci is not None
            lo, hi = s.diff_ci
            colour = _COLOURS[s.direction]
            ax.errorbar(
                [s.diff], [y], xerr=[[s.diff - lo], [hi - s.diff]], fmt="o", color=colour, ecolor=colour, capsize=3, markersize=5
            )
        ax.axvline(0.0, color="#444", linewidth=0.8)
        ax.set_xlim(-1.05, 1.05)
        ax.set_yticks(range(len(rows)), [s.name for s in reversed(rows)])
        ax.set_xlabel("candidate − production pass rate (95% paired bootstrap CI)")
        ax.set_title("per-evaluator difference")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _ci(ci: tuple[float, float] | None, centre: float | None) -> str:
    if ci is None or centre is None:
        return "–"
    return f"{centre:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _stats_table(report: BacktestReport) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in ("evaluator", "n", "production", "candidate", "b / c", "McNemar p", "Δ pass [95% CI]", "Δ score [95% CI]", "")
    )
    rows = []
    for s in report.evaluators:
        mark = {"worse": "significantly worse", "better": "significantly better", "same": "n.s."}[s.direction]
        rows.append(
            f"<tr><td>{_e(s.name)}</td><td>{s.n}</td><td>{_rate(s.production_rate)}</td><td>{_rate(s.candidate_rate)}</td>"
            f"<td>{s.regressions} / {s.improvements}</td><td>{s.mcnemar_p:.3g}</td><td>{_ci(s.diff_ci, s.diff)}</td>"
            f"<td>{_ci(s.score_ci, s.mean_score_diff)}</td><td class='{s.direction}'>{mark}</td></tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _flips_table(report: BacktestReport) -> str:
    if not report.flips:
        return "<p>No trace flipped.</p>"
    rows = "".join(
        f"<tr><td class='{'worse' if f.direction == 'regressed' else 'better'}'>{f.direction}</td>"
        f"<td><code>{_e(f.ref)}</code></td>"
        f"<td>{_e(', '.join(f.evaluators) or '–')}</td><td>{_e(f.production_output)}</td><td>{_e(f.candidate_output)}</td></tr>"
        for f in report.flips
    )
    hidden = report.flipped - len(report.flips)
    more = f"<p><small>{hidden} more not shown.</small></p>" if hidden > 0 else ""
    return (
        "<table><tr><th></th><th>trace</th><th>evaluators</th><th>production output</th><th>candidate output</th></tr>"
        f"{rows}</table>{more}"
    )


def backtest_html(report: BacktestReport) -> str:
    """The whole report page."""
    png = base64.b64encode(diff_plot_png(report.evaluators)).decode()
    workers = "".join(
        f"<tr><td>{_e(w.worker)}</td><td>{w.items}</td><td>{w.setup_s:.2f}</td><td>{w.snapshot_loads}</td><td>{w.peak_rss_mb:.0f}</td></tr>"
        for w in report.workers
    )
    errors = "".join(f"<li>{_e(e)}</li>" for e in report.errors)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>replaylab backtest</title><style>{_CSS}</style></head><body>"
        f"<h1>Backtest: {report.traces} traces</h1>"
        f"<p class='verdict {report.verdict.split()[0]}'><b>{_e(report.verdict)}</b>: {_e(report.reason)} "
        f"(McNemar exact, α = {report.alpha})</p>"
        f"<p>engine <code>{_e(report.engine)}</code>, {report.replayed} pairs replayed in {report.wall_s:.1f} s "
        f"({report.traces_per_s:.1f} traces/s), held: {_e(', '.join(report.holds) or 'nothing')}; "
        f"candidate <code>{_e(report.candidate)}</code>, production <code>{_e(report.production or 'as recorded')}</code></p>"
        f"<img alt='per-evaluator difference' src='data:image/png;base64,{png}'>"
        f"<h2>Evaluators</h2>{_stats_table(report)}"
        f"<p><small>b: traces that pass in production and fail in the candidate; c: the reverse.</small></p>"
        f"<h2>Flipped traces ({report.flipped})</h2>{_flips_table(report)}"
        + (f"<h2>Could not replay ({report.error_count})</h2><ul>{errors}</ul>" if errors else "")
        + "<h2>Workers</h2><table><tr><th>worker</th><th>traces</th><th>setup s</th><th>snapshot loads</th>"
        f"<th>peak RSS MB</th></tr>{workers}</table></body></html>"
    )
