"""``realtime-inspector serve`` as a child process, for the tests that need its real stdout,
stderr and exit status (tests/server/test_server_serve_cli.py reads the banner the same way)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

TIMEOUT = 20.0


@dataclass
class Serve:
    proc: asyncio.subprocess.Process
    #: the labelled lines of the start banner ("Project URL" -> "http://…").
    banner: dict[str, str] = field(default_factory=dict)
    stdout: bytes = b""
    stderr: bytes = b""

    async def stop(self) -> int:
        """SIGTERM, then everything it wrote; returns the exit status."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(self.proc.communicate(), TIMEOUT)
        self.stdout += out
        self.stderr += err
        assert self.proc.returncode is not None
        return self.proc.returncode


async def _read_banner(serve: Serve) -> None:
    stdout = serve.proc.stdout
    assert stdout is not None
    async with asyncio.timeout(TIMEOUT):
        while "service_role key" not in serve.banner:
            line = await stdout.readline()
            serve.stdout += line
            if not line:
                raise AssertionError("serve exited before printing its banner")
            label, sep, value = line.decode().strip().partition(": ")
            if sep:
                serve.banner[label] = value.strip()


@asynccontextmanager
async def serve_process(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Serve]:
    """``python -m inspector serve ARGS``, running with its banner read; killed at exit if the
    test did not stop it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "serve",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    serve = Serve(proc)
    try:
        await _read_banner(serve)
        yield serve
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``serve ARGS`` expected to exit by itself (a refused start): its status and output."""
    return subprocess.run(
        [sys.executable, "-m", "inspector", "serve", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
    )
