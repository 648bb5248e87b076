"""Describe the machine a benchmark ran on: cores, memory, CPU model, Python and PostgreSQL versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any


def describe() -> dict[str, Any]:
    """Return what the figures depend on: nproc, memory, CPU model, OS, Python, PostgreSQL."""
    return {
        "nproc": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu_model": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": _postgres_version(),
    }


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _postgres_version() -> str | None:
    candidates = [shutil.which("postgres"), *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin/postgres"))]
    for binary in filter(None, reversed(candidates)):
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
        except OSError:
            continue
        if out.stdout.strip():
            return out.stdout.strip()
    return None
