"""Official-client peers as separate processes, driven over NDJSON (reusable by any test).

A peer is ``tests/interop/js/peer.mjs`` (realtime-js / supabase-js under Node) or
``tests/interop/py/peer.py`` (realtime-py in ``.venv-realtime-py``). It reads commands on stdin
and prints what it observes on stdout, one JSON object a line (the protocol is at the top of
each peer). Typical use, with the ``peers`` fixture of tests/interop/conftest.py::

    js = await peers.js()                                  # or peers.py()
    await js.call("client", id="c", url=server.realtime_url, key=server.anon_key)
    await js.call("channel", id="a", client="c", name="room-1", listen={"broadcast": ["*"]})
    await js.call("subscribe", channel="a")
    await js.expect(ev="status", channel="a", status="SUBSCRIBED")
    await js.call("send", channel="a", event="test", payload={"x": 1})
    got = await other.expect(ev="broadcast", channel="b")

``expect`` waits (with a timeout, never a sleep) for the first event that matches the given
fields or predicate and was not consumed by an earlier ``expect``; successive calls therefore
see successive matching events (``after=peer.mark()`` looks only at newer ones). Every line is kept in ``peer.events``. JWT-shaped strings are
redacted from everything a peer prints before it is stored, so no token reaches test output.

Missing prerequisites (node, node_modules, the realtime-py venv) FAIL the test with a message
saying to run ``bash scripts/bootstrap.sh setup``; they never skip.

The official clients' own errors fail the test too. The JS peer reports an unhandled rejection
or exception (``{"ev": "unhandled"}``) and every ``console.error`` (``{"ev": "console_error"}``);
the realtime-py peer reports every log record of level ERROR or above, realtime-py's and
asyncio's (``{"ev": "log", "level": "ERROR", …}``; warnings and errors also still go to its
stderr). When the pool closes (the ``peers`` fixture's teardown) any such error the test did not
declare fails the test, with the peer's last events and stderr. A test that provokes one on
purpose declares it: ``peers.expect_errors(r"regex", kind="py", optional=False)`` or the marker
``@pytest.mark.expect_peer_errors(r"regex", kind=None, optional=False)``; the regex is searched
in the error's text. A declared error that never came fails the test (when it passed
otherwise) unless ``optional=True``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS_DIR = ROOT / "tests" / "interop" / "js"
JS_PEER = JS_DIR / "peer.mjs"
PY_PEER = ROOT / "tests" / "interop" / "py" / "peer.py"
PY_VENV_PYTHON = ROOT / ".venv-realtime-py" / "bin" / "python"
SETUP_HINT = "run `bash scripts/bootstrap.sh setup` to install the interop peers"

DEFAULT_TIMEOUT = 10.0
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """Replace anything shaped like a JWT."""
    return _JWT.sub("<jwt>", text)


def js_command() -> list[str]:
    """The command that starts a JS peer, or a failed test saying what is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"Node.js is not installed: {SETUP_HINT}", pytrace=False)
    for package in ("@supabase/realtime-js", "@supabase/supabase-js", "ws"):
        if not (JS_DIR / "node_modules" / package / "package.json").is_file():
            pytest.fail(
                f"{package} is missing from tests/interop/js/node_modules: {SETUP_HINT}",
                pytrace=False,
            )
    return [node, str(JS_PEER)]


def py_command() -> list[str]:
    """The command that starts a realtime-py peer, or a failed test saying what is missing."""
    if not PY_VENV_PYTHON.is_file():
        pytest.fail(
            f"the realtime-py venv (.venv-realtime-py) is missing: {SETUP_HINT}", pytrace=False
        )
    return [str(PY_VENV_PYTHON), str(PY_PEER)]


#: Events a peer prints for an error of its client library (see the module docstring).
ERROR_EVENTS = frozenset({"unhandled", "console_error"})
_ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})


def peer_error(event: dict[str, Any]) -> str | None:
    """The text of an error the peer's client library reported, or None for other events."""
    ev = event.get("ev")
    if ev in ERROR_EVENTS:
        return f"{ev}: {event.get('error')}"
    if ev == "log" and event.get("level") in _ERROR_LEVELS:
        return f"{event.get('level')} {event.get('logger')}: {event.get('message')}"
    return None


@dataclass
class ExpectedPeerError:
    """A peer error a test provokes on purpose."""

    pattern: str
    kind: str | None = None
    optional: bool = False
    seen: list[str] = field(default_factory=list)

    def matches(self, kind: str, text: str) -> bool:
        return (self.kind is None or self.kind == kind) and re.search(
            self.pattern, text
        ) is not None

    def describe(self) -> str:
        return f"{self.pattern!r}" + (f" from a {self.kind} peer" if self.kind else "")


def _matches(event: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(event.get(k) == v for k, v in fields.items())


class PeerError(AssertionError):
    """A peer command failed, a peer died, or an expected event did not come."""


class Peer:
    """One running peer process."""

    def __init__(self, kind: str, proc: asyncio.subprocess.Process) -> None:
        self.kind = kind
        self.proc = proc
        #: every event printed so far (dicts; non-JSON lines become {"ev": "stdout", "line": …}).
        self.events: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._changed = asyncio.Event()
        self._stderr: list[str] = []
        self._stderr_changed = asyncio.Event()
        self._tags = itertools.count(1)
        #: False for plain programs run with :meth:`PeerPool.script`.
        self.speaks_commands = True
        self._readers = [
            asyncio.create_task(self._read_stdout()),
            asyncio.create_task(self._read_stderr()),
        ]

    def __repr__(self) -> str:
        return f"Peer({self.kind}, pid={self.proc.pid}, events={len(self.events)})"

    @classmethod
    async def start(
        cls,
        kind: str,
        *,
        env: dict[str, str] | None = None,
        script: Path | None = None,
        wait_ready: bool = True,
    ) -> Peer:
        """Start a ``js`` or ``py`` peer (or another ``script`` run the same way).

        Waits for its ``ready`` line unless ``wait_ready`` is False.
        """
        argv = js_command() if kind == "js" else py_command()
        if script is not None:
            argv = [argv[0], str(script)]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(JS_DIR if kind == "js" else PY_PEER.parent),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            limit=16 * 1024 * 1024,
        )
        peer = cls(kind, proc)
        peer.speaks_commands = script is None
        if wait_ready:
            await peer.expect(ev="ready", timeout=30)
        return peer

    # ------------------------------------------------------------------------------ reading

    async def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            text = redact(line.decode(errors="replace").rstrip("\n"))
            try:
                event = json.loads(text)
                if not isinstance(event, dict):
                    raise ValueError
            except ValueError:
                event = {"ev": "stdout", "line": text}
            self.events.append(event)
            self._changed.set()
        self.events.append({"ev": "exited"})
        self._changed.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                break
            self._stderr.append(redact(line.decode(errors="replace").rstrip("\n")))
            del self._stderr[:-200]
            self._stderr_changed.set()

    def errors(self) -> list[str]:
        """The errors its client library reported so far (see :func:`peer_error`)."""
        return [text for text in map(peer_error, self.events) if text is not None]

    def stderr_tail(self, lines: int = 20) -> str:
        return "\n".join(self._stderr[-lines:])

    async def expect_stderr(self, text: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The first stderr line (of the last 200) containing ``text``, waiting for it."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for line in self._stderr:
                        if text in line:
                            return line
                    self._stderr_changed.clear()
                    await self._stderr_changed.wait()
        except TimeoutError:
            raise PeerError(
                self._explain(f"no stderr line with {text!r} within {timeout} s")
            ) from None

    # ------------------------------------------------------------------------------ waiting

    def mark(self) -> int:
        """A cursor at the end of the events seen so far."""
        return len(self.events)

    async def expect(
        self,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        after: int = 0,
        **fields: Any,
    ) -> dict[str, Any]:
        """The first not yet consumed event after ``after`` matching ``predicate`` and ``fields``.

        The match is consumed, so successive calls with the same fields return successive
        events, and events of other channels are never skipped.
        """
        index = after
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while index < len(self.events):
                        event = self.events[index]
                        if (
                            index not in self._consumed
                            and _matches(event, fields)
                            and (predicate is None or predicate(event))
                        ):
                            self._consumed.add(index)
                            return event
                        index += 1
                        if event.get("ev") == "exited":
                            raise PeerError(
                                self._explain(f"peer exited while waiting for {fields}")
                            )
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise PeerError(
                self._explain(f"no event matching {fields} within {timeout} s")
            ) from None

    def seen(
        self,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        *,
        after: int = 0,
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """Every event after ``after`` matching, without waiting."""
        return [
            e
            for e in self.events[after:]
            if _matches(e, fields) and (predicate is None or predicate(e))
        ]

    def _explain(self, what: str) -> str:
        recent = [json.dumps(e, ensure_ascii=False)[:300] for e in self.events[-15:]]
        return (
            f"{self.kind} peer: {what}\nlast events:\n  "
            + "\n  ".join(recent)
            + f"\nstderr tail:\n{self.stderr_tail()}"
        )

    # ------------------------------------------------------------------------------ commands

    async def send(self, cmd: str, **args: Any) -> str:
        """Send a command without waiting; returns its tag."""
        tag = f"{cmd}-{next(self._tags)}"
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"cmd": cmd, "tag": tag, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        return tag

    async def call(self, cmd: str, *, within: float = DEFAULT_TIMEOUT, **args: Any) -> Any:
        """Run a command and return its result; raise :class:`PeerError` if it failed.

        ``within`` bounds the wait; every other keyword goes to the peer (``timeout`` too).
        """
        tag = await self.send(cmd, **args)
        event = await self.expect(
            lambda e: e.get("tag") == tag and e.get("ev") in ("done", "failed"), timeout=within
        )
        if event["ev"] == "failed":
            raise PeerError(self._explain(f"command {cmd} failed: {event.get('error')}"))
        return event.get("result")

    async def close(self) -> None:
        """Ask the peer to exit, then kill it if it does not."""
        if self.proc.returncode is None and not self.speaks_commands:
            self.proc.terminate()
        if self.proc.returncode is None and self.speaks_commands:
            with contextlib.suppress(ConnectionError, RuntimeError):
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'{"cmd":"exit"}\n')
                await self.proc.stdin.drain()
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 3)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


class PeerPool:
    """Starts peers for one test and stops them all at teardown (the ``peers`` fixture); fails
    on errors the peers' client libraries reported that the test did not declare."""

    def __init__(self) -> None:
        self.started: list[Peer] = []
        self.expected: list[ExpectedPeerError] = []

    def expect_errors(
        self, *patterns: str, kind: str | None = None, optional: bool = False
    ) -> list[ExpectedPeerError]:
        """Declare errors the test provokes on purpose (regexes searched in the error text);
        ``kind`` ("js" or "py") limits them to that peer kind."""
        declared = [ExpectedPeerError(p, kind, optional) for p in patterns]
        self.expected.extend(declared)
        return declared

    async def js(self) -> Peer:
        peer = await Peer.start("js")
        self.started.append(peer)
        return peer

    async def py(self) -> Peer:
        peer = await Peer.start("py")
        self.started.append(peer)
        return peer

    async def script(self, kind: str, script: Path, env: dict[str, str] | None = None) -> Peer:
        """Run a program that prints NDJSON (not a command-driven peer); stopped at teardown."""
        peer = await Peer.start(kind, env=env, script=script, wait_ready=False)
        self.started.append(peer)
        return peer

    def unexpected_errors(self) -> list[str]:
        """Errors the peers reported that no declaration matches (declarations record theirs)."""
        out = []
        for peer in self.started:
            for text in peer.errors():
                declared = next((e for e in self.expected if e.matches(peer.kind, text)), None)
                if declared is None:
                    out.append(
                        f"{peer.kind} peer (pid {peer.proc.pid}) {text}\n"
                        + peer._explain("reported this error")
                    )
                elif text not in declared.seen:
                    declared.seen.append(text)
        return out

    def missing_errors(self) -> list[str]:
        """Declared (not optional) errors that never came; call after :meth:`unexpected_errors`."""
        return [
            f"expected a peer error matching {e.describe()}, none came"
            for e in self.expected
            if not e.optional and not e.seen
        ]

    async def close(self) -> None:
        """Stop every peer, then raise :class:`PeerError` for errors nobody declared."""
        await asyncio.gather(*(p.close() for p in self.started), return_exceptions=True)
        unexpected = self.unexpected_errors()
        if unexpected:
            raise PeerError(
                f"{len(unexpected)} error(s) reported by an official client that the test did "
                "not declare (declare one it provokes on purpose with peers.expect_errors or "
                "@pytest.mark.expect_peer_errors):\n\n" + "\n\n".join(unexpected)
            )
