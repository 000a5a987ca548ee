"""``realtime-inspector --self-test`` as a real process (issue #5 §5): exit 0 with one line, or
exit 1 saying which step failed; headless without being told, and leaving no files behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

LINE = re.compile(
    r"^realtime-inspector self-test: ok \(connected, joined, ack ok [0-9.]+ ms, self echo "
    r"received, 3 rows, \d+ frames\) \([0-9.]+ s\)$"
)


def run_self_test(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    scratch = tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY") and not k.startswith("PYTEST")
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), TMPDIR=str(scratch), **extra)
    return subprocess.run(
        [sys.executable, "-m", "inspector", "--self-test"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_self_test_passes_headless_and_leaves_nothing(tmp_path: Path) -> None:
    result = run_self_test(tmp_path)
    out = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(out) == 1, out
    assert LINE.match(out[0]), out[0]
    assert "Traceback" not in result.stderr
    leaked = "eyJ" in result.stdout + result.stderr  # a bool: never prints a key
    assert not leaked
    # Settings went to a throwaway folder that is gone; the home folder is untouched.
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "home").rglob("*")) == []


def test_self_test_failure_says_which_step(tmp_path: Path) -> None:
    result = run_self_test(tmp_path, REALTIME_INSPECTOR_SELF_TEST_FAULT="bad-key")
    assert result.returncode == 1
    (line,) = result.stdout.strip().splitlines()
    assert line.startswith(
        "realtime-inspector self-test: FAILED at connect: HTTP 401: Failed to validate JWT signature"
    ), line
    leaked = "eyJ" in result.stdout + result.stderr
    assert not leaked
