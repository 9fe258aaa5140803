"""Each detector's measured TP and FP rates, as a drill journal's detect step reports them.

    rates = detector_rates(stack.ws.root, ["quality-drop", "chunk-age"])
    rate_line(rates[0])    # "measured TP 100% (prompt-instruction-conflict 100%/5), FP 0% over 10 clean windows"

The detect step of every journal carries them (`DetectDetail.measured`); `replaylab drill`
prints them, the drill HTML report and the postmortem's eval-gap section quote them.

The rates are those `replaylab detectors measure` kept in the workspace
(`replaylab.detectors.measure.MEASURED_FILE`); a detector that measurement did not cover, or a
workspace with no measurement, says so instead of a number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from replaylab.detectors.measure import MEASURED_FILE, load_measured, measured_rates

__all__ = ["NOT_MEASURED", "MeasuredRate", "detector_rates", "rate_line"]

NOT_MEASURED = "not measured; run replaylab detectors measure"
"""What a journal says for a detector the workspace has no measurement of."""


class MeasuredRate(BaseModel):
    """One detector's measured TP and FP rates (from `replaylab detectors measure`), or why there are none."""

    detector: str
    """The detector's registered name."""
    tp_rate: float | None = None
    """Share of its own fault's windows it fired on (the lowest over its own faults); None: not measured."""
    tp_faults: str = ""
    """Per own fault: `fault TP/windows`, e.g. `stale-index 100%/5`."""
    fp_rate: float | None = None
    """Share of clean windows it fired on; None: not measured."""
    clean_windows: int = 0
    """Clean windows of the measurement: the FP rate's resolution is 1 / clean_windows."""
    note: str = ""
    """Why a rate is missing (empty when both were measured)."""
    source: str | None = None
    """The measurement file the rates come from (None: there is none)."""


def _number(value: object) -> float | None:
    return None if not isinstance(value, int | float) or math.isnan(value) else float(value)


def detector_rates(root: Path, detectors: Iterable[str]) -> list[MeasuredRate]:
    """The measured rates of `detectors` (names, de-duplicated in order) from the workspace at `root`."""
    names = list(dict.fromkeys(detectors))
    table = load_measured(root)
    if table is None:
        return [MeasuredRate(detector=n, note=NOT_MEASURED) for n in names]
    source = str(root / MEASURED_FILE)
    out: list[MeasuredRate] = []
    for name in names:
        r = measured_rates(table, name)
        tp, fp = _number(r["tp_rate"]), _number(r["fp_rate"])
        missing = [what for what, v in (("TP", tp), ("FP", fp)) if v is None]
        note = f"{' and '.join(missing)} {NOT_MEASURED}" if missing else ""
        faults = str(r["tp_faults"])
        out.append(
            MeasuredRate(
                detector=name,
                tp_rate=tp,
                tp_faults="" if faults == "not measured" else faults,
                fp_rate=fp,
                clean_windows=table.clean_windows if fp is not None else 0,
                note=note,
                source=source,
            )
        )
    return out


def rate_line(rate: MeasuredRate) -> str:
    """`measured TP 100% (stale-index 100%/5), FP 0% over 10 clean windows`, or the note."""
    if rate.tp_rate is None and rate.fp_rate is None:
        return rate.note
    tp = "TP not measured" if rate.tp_rate is None else f"TP {rate.tp_rate:.0%}"
    tp += f" ({rate.tp_faults})" if rate.tp_faults else ""
    fp = "FP not measured" if rate.fp_rate is None else f"FP {rate.fp_rate:.0%} over {rate.clean_windows} clean windows"
    missing = "; run replaylab detectors measure" if rate.note else ""
    return f"measured {tp}, {fp}{missing}"
