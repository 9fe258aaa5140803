"""`replaylab doctor` and the llama.cpp build checks: parsed facts, warnings, a crashing smoke test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replaylab.bench import doctor
from replaylab.models.llama_worker import build_flags, build_has_amx, crash_message

INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 0 | "
    "AMX_INT8 = 0 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)


def test_build_flags_are_read_from_llama_cpp_system_info() -> None:
    flags = build_flags(INFO)
    assert flags["AVX2"] == "1" and flags["AVX512"] == "0" and flags["AMX_INT8"] == "0" and flags["REPACK"] == "1"
    assert not build_has_amx(INFO)
    assert build_has_amx(INFO.replace("AMX_INT8 = 0", "AMX_INT8 = 1"))


def test_an_instruction_set_the_cpu_lacks_is_a_failed_check() -> None:
    flags = build_flags(INFO.replace("AVX512 = 0", "AVX512 = 1"))
    warnings = doctor.build_warnings(flags, ["avx", "avx2", "fma", "f16c", "bmi2"], machine="x86_64")
    assert len(warnings) == 1 and warnings[0].startswith("FAIL llama.cpp was built with AVX512")
    assert doctor.build_warnings(build_flags(INFO), ["avx", "avx2", "fma", "f16c", "bmi2"], machine="x86_64") == []
    amx = doctor.build_warnings(
        build_flags(INFO.replace("AMX_INT8 = 0", "AMX_INT8 = 1")),
        ["avx", "avx2", "fma", "f16c", "bmi2", "amx_int8"],
        machine="x86_64",
    )
    assert len(amx) == 1 and "extra buffer types off" in amx[0] and not amx[0].startswith("FAIL")
    assert doctor.build_warnings(flags, [], machine="aarch64") == []


def test_a_crash_is_named_by_its_signal() -> None:
    assert crash_message("gemma-3-270m", -11) == "model backend gemma-3-270m crashed (signal 11, SIGSEGV); run replaylab doctor"
    assert crash_message("gemma-3-270m", 3) == "model backend gemma-3-270m crashed (exit code 3); run replaylab doctor"


def test_a_smoke_test_that_segfaults_is_a_failed_check_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(doctor._SMOKE_CODE, "faiss", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    report = doctor.examine(parts=("faiss",))
    [result] = report.smoke
    assert not result.ok and "crashed (signal 11, SIGSEGV)" in result.detail
    assert not report.ok


def test_doctor_command_reports_versions_and_a_passing_faiss_check(tmp_path: Path) -> None:
    out = tmp_path / "doctor.json"
    proc = subprocess.run(
        [sys.executable, "-m", "replaylab", "doctor", "--part", "faiss", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["ok"] is True and [s["part"] for s in data["smoke"]] == ["faiss"]
    assert data["versions"]["faiss-cpu"] != "not installed" and data["python"] == sys.version.split()[0]
    assert "AVX2" in data["builds"]["llama.cpp"] or "error" in data["builds"]["llama.cpp"]
    assert "every part works" in proc.stdout


def test_doctor_refuses_an_unknown_part_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replaylab", "doctor", "--part", "gpu"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "Unknown part 'gpu'" in proc.stderr and "Traceback" not in proc.stderr
