"""benchmarks/: every script still imports and parses its options (a renamed helper once broke bench_train
unnoticed, because nothing runs the benchmarks but a person measuring)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from p2p_testutils import PYTHON, REPO_ROOT, subprocess_env

SCRIPTS = sorted((REPO_ROOT / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_a_benchmark_script_starts_and_explains_its_options(script: Path) -> None:
    done = subprocess.run(
        [PYTHON, str(script), "--help"], capture_output=True, text=True, env=subprocess_env(), timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
