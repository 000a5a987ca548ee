"""Helpers for the packaging smoke tests: run a built artifact's executable with a deadline, read
what it prints without ever showing a secret, and talk to its ``serve`` over a real socket."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci_gate import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
MAKE = PACKAGING / "make.py"
if str(PACKAGING) not in sys.path:
    sys.path.insert(0, str(PACKAGING))

SKIP_ENV = "RI_SKIP_PACKAGING"
"""Set to 1 to skip the packaging smoke tests locally (or pass ``-m "not packaging"``). CI never
skips them: with CI=true, setting it is an error."""

#: Seconds one build (``make.py bundle``, ``deb``...) may take before it counts as hung. A guard,
#: not a bar: xz-packing the .deb took over 100 s on 2 loaded cores (how long builds take is
#: recorded in packaging/README.md, not asserted).
BUILD_TIMEOUT = 600.0
#: pytest-timeout for a packaging test: its setup may run a build or two (session fixtures).
TEST_TIMEOUT = 3 * BUILD_TIMEOUT

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}")
_SECRET_KEY = re.compile(r"\bsb_(publishable|secret)_[A-Za-z0-9_-]+")
_WS_URL = re.compile(r"ws://[^\s\"']+/websocket")


def redact(text: str) -> str:
    """Text with JWT-shaped strings and ``sb_`` keys masked: safe to put in a failure message."""
    return _SECRET_KEY.sub("sb_<redacted>", _JWT.sub("<jwt redacted>", text))


def require_tool(name: str, debian_package: str) -> str:
    """The tool's path; a loud failure (never a skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed; the packaging smoke tests need it "
            f"(apt-get install {debian_package}; `bash scripts/bootstrap.sh setup` does it as root)"
        )
    return path


def require_root(what: str) -> None:
    """Skip locally, fail in CI, when not root (dpkg -i needs it; CI runs as root)."""
    if os.geteuid() == 0:
        return
    skip_or_fail(f"{what} needs root (CI runs it as root); run the suite as root to include it")


@dataclass(frozen=True)
class Result:
    """A finished command: exit code and its (text) output."""

    cmd: Sequence[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self, tail: int = 40) -> str:
        """The command, exit code and the last lines of output, secrets masked."""
        out = "\n".join(self.stdout.splitlines()[-tail:])
        err = "\n".join(self.stderr.splitlines()[-tail:])
        return redact(
            f"$ {' '.join(map(str, self.cmd))}\nexit {self.returncode}\n"
            f"--- stdout (tail)\n{out}\n--- stderr (tail)\n{err}"
        )


def app_env(home: Path) -> dict[str, str]:
    """Environment for running the app: offscreen Qt, and a throwaway home so a test never reads
    or writes the real user's settings, keychain or caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    for sub in ("config", "data", "cache", "state"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
    )
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def run(
    cmd: Sequence[str | Path],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Result:
    """Run to completion within timeout (a timeout fails the test with the output so far)."""
    args = [str(c) for c in cmd]
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        partial = Result(args, -1, _text(exc.stdout), _text(exc.stderr))
        pytest.fail(f"timed out after {timeout} s\n{partial.describe()}")
    return Result(args, done.returncode, done.stdout, done.stderr)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


def make(command: str, out: Path, *extra: str, timeout: float = BUILD_TIMEOUT) -> Path:
    """Run ``packaging/make.py <command> --out <out>`` (the documented one-command build) and
    return the artifact path it prints."""
    result = run([sys.executable, MAKE, command, "--out", out, *extra], timeout=timeout)
    assert result.returncode == 0, f"building the {command} failed\n{result.describe()}"
    artifact = Path(result.stdout.strip().splitlines()[-1])
    assert artifact.exists(), f"make.py {command} printed {artifact}, which does not exist"
    return artifact


def check_self_test(executable: Sequence[str | Path], home: Path, timeout: float = 90) -> None:
    """Run ``<executable> --self-test`` offscreen and require exit 0."""
    result = run([*executable, "--self-test"], timeout=timeout, env=app_env(home))
    assert result.returncode == 0, f"--self-test failed\n{result.describe()}"


def check_version(executable: Sequence[str | Path], version: str, home: Path) -> None:
    result = run([*executable, "--version"], timeout=60, env=app_env(home))
    assert result.returncode == 0, result.describe()
    assert result.stdout.strip() == f"realtime-inspector {version}", result.describe()


def check_help(executable: Sequence[str | Path], home: Path) -> None:
    result = run([*executable, "--help"], timeout=60, env=app_env(home))
    assert result.returncode == 0, result.describe()
    assert "--self-test" in result.stdout, result.describe()
    assert "--demo" in result.stdout, result.describe()


def check_serve_help(executable: Sequence[str | Path], home: Path) -> None:
    """The build has the ``serve`` subcommand (a bundle that lost it fails here, by name)."""
    result = run([*executable, "serve", "--help"], timeout=60, env=app_env(home))
    assert result.returncode == 0, (
        f"`serve --help` failed: is serve in the build?\n{result.describe()}"
    )


def check_serve(executable: Sequence[str | Path], home: Path, timeout: float = 60) -> None:
    """Start ``serve --port 0``, read the websocket URL it prints, exchange a heartbeat over a
    real websocket (vsn 1.0.0, the CLI demo anon key), then SIGTERM it and expect exit 0."""
    from websockets.sync.client import connect

    from inspector.protocol.jwt import demo_key

    check_serve_help(executable, home)
    proc = subprocess.Popen(
        [str(c) for c in (*executable, "serve", "--port", "0")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one pipe, always drained: the server's log cannot block it
        stdin=subprocess.DEVNULL,
        text=True,
        env=app_env(home),
    )
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        url = None
        while url is None:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(
                    f"serve printed no websocket URL in {timeout} s: {redact(''.join(seen))}"
                )
            if line is None:
                proc.wait(timeout=timeout)
                pytest.fail(f"serve exited ({proc.returncode}) early: {redact(''.join(seen))}")
            seen.append(line)
            match = _WS_URL.search(line)
            url = match.group(0) if match else None
        with connect(f"{url}?apikey={demo_key('anon')}&vsn=1.0.0", open_timeout=timeout) as ws:
            ws.send(
                json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"})
            )
            reply = json.loads(ws.recv(timeout=timeout))
        assert reply["event"] == "phx_reply", redact(str(reply))
        assert reply["ref"] == "1", redact(str(reply))
        assert reply["payload"]["status"] == "ok", redact(str(reply))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=timeout) == 0, (
            f"serve did not exit 0 on SIGTERM: {proc.returncode}"
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=timeout)
        reader.join(timeout=timeout)
        if proc.stdout is not None:
            proc.stdout.close()


def dpkg_owner(path: Path) -> str | None:
    """The Debian package that installed path (merged-/usr aliases tried), or None."""
    resolved = path.resolve()
    candidates = {str(path), str(resolved)}
    for alias in ("/usr/lib/", "/lib/"):
        if str(resolved).startswith(alias):
            other = "/lib/" if alias == "/usr/lib/" else "/usr/lib/"
            candidates.add(other + str(resolved)[len(alias) :])
    for candidate in sorted(candidates):
        done = subprocess.run(
            ["dpkg", "-S", candidate], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    return None


def system_library(soname: str) -> Path | None:
    """Where the dynamic linker finds soname on this machine (``ldconfig -p``), or None."""
    done = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        parts = line.strip().split(" => ")
        if len(parts) == 2 and parts[0].split(" ")[0] == soname:
            return Path(parts[1])
    return None
