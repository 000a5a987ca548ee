"""The README's run command: ``realtime-inspector --demo`` as a real process (offscreen).

It must start the embedded server, connect, join both demo channels, keep running, and exit 0
with no traceback when asked to stop (SIGTERM closes the window, which saves its state).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui


def test_demo_command_runs_and_stops_cleanly(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        wanted = ("joined realtime:demo-chat", "joined realtime:demo-cursors")
        while not all(any(w in line for line in seen) for w in wanted):
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the demo did not join both channels:\n" + "".join(seen)
            if selector.select(timeout=remaining):
                line = proc.stdout.readline()
                assert line, "the demo exited early:\n" + "".join(seen)
                seen.append(line)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        seen.append(rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(seen)
    assert proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert "eyJ" not in output  # no JWT-shaped string in the log
    settings = list((tmp_path / "config").rglob("*.ini"))
    assert settings, "the window saved no state on exit"
    assert "eyJ" not in settings[0].read_text()
