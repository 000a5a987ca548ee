"""The CLI against hostile or awkward surroundings (issue #10 items 1, 8, 9, 13): subprocesses
run as a user runs them, against the local server or a tiny hostile HTTP server on loopback."""

from __future__ import annotations

import array
import asyncio
import fcntl
import json
import os
import re
import signal
import termios
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start

from inspector.server import RealtimeServer

#: fcntl's "pipe capacity" command (Linux only; None elsewhere).
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", None)

Spawn = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def spawn() -> AsyncIterator[Spawn]:
    """``await spawn(*args, env=..., stdout=...)`` starts the CLI; whatever still runs at the
    end of the test (a failed assertion) is killed, so no process outlives its test."""
    procs: list[asyncio.subprocess.Process] = []

    async def spawn_(*args: str, **kw: Any) -> asyncio.subprocess.Process:
        proc = await start(*args, **kw)
        procs.append(proc)
        return proc

    yield spawn_
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# ------------------------------------------------------------------ item 13: realtime: prefix


async def test_listen_takes_a_typed_realtime_prefix_as_the_topic_prefix(
    server: RealtimeServer, spawn: Spawn
) -> None:
    proc = await spawn(
        "listen",
        "--channel",
        "realtime:room-1",
        "--count",
        "1",
        "--timeout",
        "15",
        env=cli_env(server),
    )
    await read_until(proc, joined)
    topics = [topic for s in server.sockets for topic in s.conn.channels]
    assert topics == ["realtime:room-1"]
    server.publish("room-1", "hello", {"n": 1})
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    [line] = [x for x in map(json.loads, out.decode().splitlines()) if x["kind"] == "broadcast"]
    assert (line["channel"], line["event"]) == ("room-1", "hello")
    assert (
        "realtime-inspector listen: note: the 'realtime:' prefix is added on the wire "
        "(as realtime-js does): joining channel 'room-1', topic 'realtime:room-1'"
    ) in err.decode()


async def test_send_takes_a_typed_realtime_prefix_as_the_topic_prefix(
    server: RealtimeServer, spawn: Spawn
) -> None:
    listener = await spawn(
        "listen", "--channel", "room-1", "--count", "1", "--timeout", "15", env=cli_env(server)
    )
    await read_until(listener, joined)
    proc = await spawn(
        "send",
        "--channel",
        "Realtime:room-1",
        "--event",
        "e",
        "--payload",
        "{}",
        env=cli_env(server),
    )
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert json.loads(out.decode().splitlines()[0])["channel"] == "room-1"
    assert "joining channel 'room-1'" in err.decode()
    got, _ = await asyncio.wait_for(listener.communicate(), TIMEOUT)
    lines = [json.loads(x) for x in got.decode().splitlines()]
    assert [x["event"] for x in lines if x["kind"] == "broadcast"] == ["e"]
    assert listener.returncode == 0


async def test_the_prefix_alone_is_a_usage_error(server: RealtimeServer, spawn: Spawn) -> None:
    proc = await spawn("listen", "--channel", "realtime:", env=cli_env(server))
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 2
    assert "no channel name after the prefix" in err.decode()


# ------------------------------------------------------------------ items 1 + 9: hostile text

#: What a hostile peer writes: clear screen, set the window title, colours, a right-to-left
#: override, a zero-width space, a C1 CSI, a bell, and a line break that forges a log line.
HOSTILE = (
    "\x1b[2J\x1b]0;pwned\x07\x1b[31mred \u202eexe.gnp\u200b \x9b31m\r\n"
    "realtime-inspector listen: all good"
)
#: Characters that must never reach the terminal raw (the test's own list, not the product's).
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def assert_printable(err: str) -> None:
    """Every stderr line is free of control, bidi and zero-width characters; no forged line."""
    assert err.endswith("\n")
    for line in err.splitlines():
        assert RAW.search(line) is None, repr(line)
        assert line.startswith("realtime-inspector "), repr(line)
    assert "\n" + "realtime-inspector listen: all good" not in "\n" + err


class HostileHttp:
    """A loopback HTTP server that answers every request (the websocket upgrade included) with
    HTTP 401 and a hostile body."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        self.content_type = content_type
        self.port = 0

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            head = (
                "HTTP/1.1 401 Unauthorized\r\n"
                f"Content-Type: {self.content_type}\r\n"
                f"Content-Length: {len(self.body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + self.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def env(self) -> dict[str, str]:
        return cli_env(SUPABASE_URL=f"http://127.0.0.1:{self.port}", SUPABASE_KEY="k" * 20)


@pytest.fixture(params=["text", "json"])
async def hostile_http(request: pytest.FixtureRequest) -> AsyncIterator[HostileHttp]:
    if request.param == "json":
        h = HostileHttp(json.dumps({"message": HOSTILE}).encode(), "application/json")
    else:
        h = HostileHttp(HOSTILE.encode(), "text/plain; charset=utf-8")
    srv = await asyncio.start_server(h.answer, "127.0.0.1", 0)
    h.port = srv.sockets[0].getsockname()[1]
    try:
        yield h
    finally:
        srv.close()
        await srv.wait_closed()


@pytest.mark.parametrize("command", ["listen", "send"])
async def test_a_hostile_401_body_reaches_stderr_escaped(
    hostile_http: HostileHttp, spawn: Spawn, command: str
) -> None:
    argv = ["--channel", "room-1"]
    if command == "send":
        argv += ["--event", "e", "--payload", "{}"]
    proc = await spawn(command, *argv, "--timeout", "10", env=hostile_http.env())
    _, raw = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    err = raw.decode()
    assert proc.returncode == 1, err
    assert "HTTP 401" in err
    assert_printable(err)
    assert "\\u001b[2J" in err  # shown, not hidden: the reader sees what the server sent
    assert "\\u202eexe.gnp" in err


async def test_a_hostile_close_reason_reaches_stderr_escaped(
    server: RealtimeServer, spawn: Spawn
) -> None:
    proc = await spawn("listen", "--channel", "room-1", "--timeout", "15", env=cli_env(server))
    await read_until(proc, joined)
    system = {"extension": "system", "status": "error", "message": HOSTILE, "channel": "room-1"}
    assert server.inject("realtime:room-1", system, event="system") == 1
    assert server.inject("realtime:room-1", {}, event="phx_close") == 1
    _, raw = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    err = raw.decode()
    assert proc.returncode == 1, err
    assert "realtime:room-1 was closed by the server: \\u001b[2J" in err
    assert_printable(err)


async def test_hostile_text_in_listen_lines_is_escaped_json(
    server: RealtimeServer, spawn: Spawn
) -> None:
    """stdout is JSON for machines but often read on a terminal: the same strings, with
    every control, bidi and zero-width character written as a JSON escape."""
    proc = await spawn(
        "listen", "--channel", "room-1", "--count", "1", "--timeout", "15", env=cli_env(server)
    )
    await read_until(proc, joined)
    server.publish("room-1", HOSTILE, {HOSTILE: [HOSTILE]})
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert RAW.search(text.replace("\n", "")) is None
    [line] = [x for x in map(json.loads, text.splitlines()) if x["kind"] == "broadcast"]
    assert line["event"] == HOSTILE
    assert line["payload"] == {HOSTILE: [HOSTILE]}


# ------------------------------------------------------------------ item 8: nobody reads stdout


class UnreadPipe:
    """A pipe for a subprocess's stdout whose read end nobody reads."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.capacity = fcntl.fcntl(self.read_fd, F_GETPIPE_SZ)

    def queued(self) -> int:
        buf = array.array("i", [0])
        fcntl.ioctl(self.read_fd, termios.FIONREAD, buf)
        return buf[0]

    def full(self) -> bool:
        """Nearly full: a blocking writer of the next 16 KiB would wait (pipes fill by pages)."""
        return self.queued() >= self.capacity - 16384

    def close_write(self) -> None:
        """The child has the write end now; close ours (once: fd numbers are reused)."""
        os.close(self.write_fd)
        self.write_fd = -1

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)


@pytest.fixture
def unread() -> Iterator[UnreadPipe]:
    pipe = UnreadPipe()
    try:
        yield pipe
    finally:
        pipe.close()


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` on the loop with a deadline (a wait on a condition, not a sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def flood_until_full(server: RealtimeServer, pipe: UnreadPipe) -> None:
    """Publish 4 KB broadcasts until the unread stdout pipe is full (the writer would block)."""
    payload = {"blob": "x" * 4000}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not pipe.full():
        assert loop.time() < deadline, f"the pipe never filled ({pipe.queued()} bytes)"
        for _ in range(20):
            server.publish("room-1", "flood", payload)
        await asyncio.sleep(0.01)  # let the server write and the listener read
    for _ in range(200):  # 800 KB more: a writer that blocks on the pipe is stuck for good
        server.publish("room-1", "flood", payload)


def joined_on_server(server: RealtimeServer) -> bool:
    return any("realtime:room-1" in s.conn.channels for s in server.sockets)


@pytest.mark.skipif(F_GETPIPE_SZ is None, reason="Linux pipes (F_GETPIPE_SZ)")
async def test_sigterm_ends_listen_while_nobody_reads_its_stdout(
    server: RealtimeServer, spawn: Spawn, unread: UnreadPipe
) -> None:
    proc = await spawn("listen", "--channel", "room-1", env=cli_env(server), stdout=unread.write_fd)
    unread.close_write()
    await wait_until(lambda: joined_on_server(server), "the join")
    await flood_until_full(server, unread)
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()  # a signal is listen's normal end
    text = err.decode()
    assert "stdout is not being read" in text
    assert_printable(text)


@pytest.mark.skipif(F_GETPIPE_SZ is None, reason="Linux pipes (F_GETPIPE_SZ)")
async def test_timeout_ends_listen_while_nobody_reads_its_stdout(
    server: RealtimeServer, spawn: Spawn, unread: UnreadPipe
) -> None:
    proc = await spawn(
        "listen",
        "--channel",
        "room-1",
        "--count",
        "100000",
        "--timeout",
        "5",
        env=cli_env(server),
        stdout=unread.write_fd,
    )
    unread.close_write()
    await wait_until(lambda: joined_on_server(server), "the join")
    await flood_until_full(server, unread)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 3, err.decode()  # --count not reached before --timeout
    assert "timed out after 5 s" in err.decode()


@pytest.mark.skipif(F_GETPIPE_SZ is None, reason="Linux pipes (F_GETPIPE_SZ)")
async def test_sigterm_ends_send_while_nobody_reads_its_stdout(
    server: RealtimeServer, spawn: Spawn, unread: UnreadPipe
) -> None:
    big = json.dumps({"blob": "y" * 3000})
    proc = await spawn(
        "send",
        "--channel",
        "room-1",
        "--event",
        "e",
        "--payload",
        big,
        "--count",
        "1000000",
        env=cli_env(server),
        stdout=unread.write_fd,
    )
    unread.close_write()
    await wait_until(unread.full, "a full pipe")
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 143, err.decode()
    assert "interrupted after" in err.decode()
