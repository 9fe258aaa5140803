"""Reports a person reads: self-contained HTML (no scripts, no external assets)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

from replaylab.bisection.engine import BisectResult
from replaylab.drills.journal import DrillJournal
from replaylab.drills.rates import rate_line
from replaylab.drills.steps import DetectStep
from replaylab.trace import Trace

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#1d232a}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.cause{color:#b42318;font-weight:600}.ok{color:#067647}.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.2em}
pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;border-radius:4px;font-size:12px}
.dim{color:#667085}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _json(value: object) -> str:
    """A value as the JSON people read in configs (never a Python repr), escaped for HTML."""
    return _e(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str))


def _outcome(passed: bool | None) -> str:
    return "pass" if passed else ("fail" if passed is False else "unresolved")


def _bars(result: BisectResult) -> str:
    """An inline SVG bar chart: pass rate of bad-with-v-good and good-with-v-bad per variable."""
    rows = result.swaps
    if not rows:
        return "<p class=dim>no swaps were run</p>"
    width, bar_h, gap, label_w = 520, 14, 10, 140
    height = len(rows) * (2 * bar_h + gap) + 20
    parts = [f'<svg width="{label_w + width + 60}" height="{height}" role="img" aria-label="pass rate of each swap">']
    y = 10
    for s in rows:
        parts.append(f'<text x="0" y="{y + bar_h + 4}" font-size="12">{_e(s.variable)}</text>')
        breaks = None if s.cause_rate is None else 1.0 - s.cause_rate
        for i, (rate, color, label) in enumerate(
            [(s.fix_rate, "#12b76a", "bad with it good: pass"), (breaks, "#f04438", "good with it bad: pass")]
        ):
            yy = y + i * bar_h
            if rate is None:  # an untried swap is not a 0 % bar
                why = "not tried (it does not fix the failure, so no cause check)" if i else "not tried"
                parts.append(f'<text x="{label_w + 4}" y="{yy + bar_h - 3}" font-size="11" fill="#667085">{label}: {why}</text>')
                continue
            parts.append(
                f'<rect x="{label_w}" y="{yy}" width="{rate * width:.1f}" height="{bar_h - 2}" '
                f'fill="{color}"><title>{label} {rate:.0%}</title></rect>'
            )
            parts.append(f'<text x="{label_w + rate * width + 4:.1f}" y="{yy + bar_h - 3}" font-size="11">{rate:.0%}</text>')
        y += 2 * bar_h + gap
    parts.append("</svg>")
    legend = (
        '<p class=dim><span style="color:#12b76a">■</span> pass rate of the bad config with this variable '
        'set good (fix) · <span style="color:#f04438">■</span> pass rate of the good config with this '
        "variable set bad (a low bar means it breaks) · grey text: that swap was not run</p>"
    )
    return "".join(parts) + legend


def _trace_card(title: str, trace: Trace | None) -> str:
    if trace is None:
        return f"<div><h3>{_e(title)}</h3><p class=dim>not available</p></div>"
    chunks = "".join(
        f"<tr><td>{c.rank}</td><td>{_e(c.chunk_id)}</td><td>{c.score:.3f}</td><td>{_e(c.source)}</td>"
        f"<td>{c.ingested_at}</td><td>{_e(c.text[:160])}</td></tr>"
        for c in (trace.retrieval.chunks if trace.retrieval else [])
    )
    prompt = "\n\n".join(f"[{m.role}]\n{m.content}" for m in (trace.prompt.messages if trace.prompt else []))
    out = trace.generation.output if trace.generation else ""
    return (
        f"<div><h3>{_e(title)}</h3><p><b>output:</b> {_e(out)}</p>"
        f"<p class=dim>{_e(trace.versions.ppv)} · {_e(trace.versions.mrv.returned)} · "
        f"{_e(trace.versions.index_snapshot)} · embedder {_e(trace.versions.embedder)}</p>"
        f"<table><tr><th>#</th><th>chunk</th><th>score</th><th>source</th><th>ingested</th><th>text</th></tr>"
        f"{chunks}</table><details><summary>rendered prompt</summary><pre>{_e(prompt)}</pre></details></div>"
    )


def bisect_html(result: BisectResult, *, trace: Trace, evidence: Mapping[str, Trace], good_desc: str) -> str:
    """The bisect report as one HTML page."""
    causes = (
        "".join(
            f"<tr><td class=cause>{_e(c.variable)}</td><td>{_e(c.layer)}</td><td>{c.fix_rate:.0%}</td>"
            f"<td>{c.cause_rate:.0%}</td><td><code>{_json(c.good_value)}</code></td><td><code>{_json(c.bad_value)}</code></td></tr>"
            for c in result.causes
        )
        or "<tr><td colspan=6>no single variable explains the failure</td></tr>"
    )
    fix_ref = next(
        (s.result.ref for s in result.steps if s.phase == "fix" and result.causes and s.name == result.causes[0].variable), None
    )
    steps = "".join(
        f"<tr><td>{_e(s.phase)}</td><td>{_e(s.name)}</td><td>{s.seed}</td>"
        f"<td class={'ok' if s.result.passed else 'cause'}>{_outcome(s.result.passed)}</td>"
        f"<td>{_e(s.result.reason)}</td></tr>"
        for s in result.steps
    )
    extra = ""
    if result.independent_causes():
        extra += "<p><b>independent causes</b> (each fails on its own; revert every one): "
        extra += _e(", ".join(result.independent_causes())) + "</p>"
    if result.true_interactions():
        extra += "<p><b>interactions</b> (fail only together): "
        extra += "; ".join(_e(" + ".join(g)) for g in result.true_interactions()) + "</p>"
    for fb in result.first_bad_version:
        extra += (
            f"<p><b>first bad version of {_e(fb.variable)}:</b> <code>{_json(fb.value)}</code> "
            f"(version {fb.index + 1}; last good: version {fb.last_good_index + 1}; oldest = 1)</p>"
        )
    if result.culprit_chunks:
        extra += f"<p><b>culprit chunks:</b> {_e(', '.join(result.culprit_chunks))}</p>"
    rollback = "".join(f"<li>{_e(r)}</li>" for r in result.rollback) or "<li>nothing to roll back</li>"
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>replaylab bisect {_e(trace.trace_id)}</title>
<style>{_CSS}</style></head><body>
<h1>Bisect of {_e(trace.trace_id)}</h1>
<p><b>question:</b> {_e(trace.question)}<br><b>good reference:</b> {_e(good_desc)}<br>
<b>reproducible:</b> {result.reproducible} — bad fails {result.bad_fail_rate:.0%}, good passes {result.good_pass_rate:.0%}
over {len(result.seeds)} seed(s)</p>
<p>{_e(result.stopped_because)}</p>
<h2>Causes</h2><table><tr><th>variable</th><th>layer</th><th>fix rate</th><th>cause rate</th><th>good</th><th>bad</th></tr>
{causes}</table>{extra}
<h2>Each swap's pass rate</h2>{_bars(result)}
<h2>Rollback</h2><ul>{rollback}</ul>
<h2>Evidence</h2><div class=cols>{_trace_card("recorded failing trace", trace)}
{_trace_card("replay with the cause set to its good value", evidence.get(fix_ref or ""))}</div>
<h2>Every replay ({result.replays} run, {result.cache_hits} memo hits, {result.unresolved} unresolved,
{result.elapsed_s:.2f}s)</h2>
<table><tr><th>phase</th><th>swap</th><th>seed</th><th>outcome</th><th>reason</th></tr>{steps}</table>
<p class=dim>reproduce: <code>{_e(result.reproduce)}</code></p></body></html>
"""


def drill_html(journals: Sequence[DrillJournal]) -> str:
    """Drill journals as one HTML page."""
    rows = "".join(
        f"<tr><td>{_e(j.scenario)}</td><td class={'ok' if j.passed else 'cause'}>{'passed' if j.passed else 'deviated'}</td>"
        f"<td>{_e(', '.join(j.detected_by))}</td><td>{_e(j.diagnosed_layer or '–')}</td>"
        f"<td>{_e(', '.join(j.bisect_causes) or '–')}</td><td>{j.recovered}</td><td>{j.elapsed_s:.1f}s</td></tr>"
        for j in journals
    )
    details = ""
    for j in journals:
        exp = "".join(
            f"<tr><td>{_e(e.name)}</td><td>{_e(e.expected)}</td><td>{_e(e.actual)}</td>"
            f"<td class={'ok' if e.met else 'cause'}>{'✓' if e.met else '✗'}</td></tr>"
            for e in j.expectations
        )
        steps = "".join(
            f"<tr><td>{_e(s.name)}</td><td>{s.elapsed_s:.2f}s</td><td><code>{_e(s.detail)}</code></td></tr>" for s in j.steps
        )
        step = j.find(DetectStep)
        rates = "".join(
            f"<tr><td>{_e(r.detector)}</td><td>{_e(rate_line(r))}</td></tr>" for r in (step.detail.measured if step else [])
        )
        details += (
            f"<h2>{_e(j.scenario)} — {_e(j.title)}</h2><table>{exp}</table>"
            + (f"<h3>Detectors used, with their measured rates</h3><table>{rates}</table>" if rates else "")
            + f"<details><summary>journal</summary><table>{steps}</table></details>"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>replaylab drills</title><style>{_CSS}</style>"
        f"</head><body><h1>Drills</h1><table><tr><th>scenario</th><th>result</th><th>detected by</th><th>layer</th>"
        f"<th>bisect</th><th>recovered</th><th>time</th></tr>{rows}</table>{details}</body></html>"
    )
