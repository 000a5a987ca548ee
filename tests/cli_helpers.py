"""Helpers for the CLI tests: run ``python -m inspector`` subprocesses against the local server
and read their JSON lines without sleeping."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from inspector.server import RealtimeServer

#: Seconds any single wait for a subprocess may take before the test fails.
TIMEOUT = 20.0


def cli_env(server: RealtimeServer | None = None, **extra: str) -> dict[str, str]:
    """The environment without the user's SUPABASE_* variables, pointed at ``server``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    if server is not None:
        env["SUPABASE_URL"] = server.url
        env["SUPABASE_ANON_KEY"] = server.anon_key
    env.update(extra)
    return env


async def start(*args: str, env: dict[str, str], stdout: Any = None) -> asyncio.subprocess.Process:
    """``realtime-inspector <args>`` as a subprocess (stdout a pipe unless given)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        *args,
        stdout=asyncio.subprocess.PIPE if stdout is None else stdout,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def run(*args: str, env: dict[str, str]) -> tuple[int, list[dict[str, Any]], str]:
    """Run to the end: (exit code, stdout lines parsed as JSON, stderr)."""
    proc = await start(*args, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert proc.returncode is not None
    return proc.returncode, lines, err.decode()


async def read_until(proc: asyncio.subprocess.Process, pred: Any) -> list[dict[str, Any]]:
    """Lines of a running process up to and including the first that matches ``pred``."""
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
        assert raw, f"the process ended before the expected line; saw {seen}"
        line = json.loads(raw)
        seen.append(line)
        if pred(line):
            return seen


def joined(line: dict[str, Any]) -> bool:
    """The ``join``/``joined`` line: the channel is ready."""
    return line["kind"] == "join" and line["event"] == "joined"


def strict_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and ±Infinity, which RFC 8259 does not allow."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)
