"""``listen`` and ``send`` flags and exit codes: the same checks for both (exit 2), ``--timeout``
bounding the connect and join, a channel closed by the server, and signals (QA findings 6,
10 and 11). Subprocesses against the local server over real sockets; argument checks in
process (they never reach the network)."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start

from inspector.cli import main
from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer

SEND = ("send", "--channel", "r", "--event", "e", "--payload", "{}")
LISTEN = ("listen", "--channel", "r")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("listen", "--channel", ""), "argument --channel: a channel name cannot be empty"),
        (("send", "--channel", "", "--event", "e", "--payload", "{}"), "a channel name cannot"),
        ((*SEND[:4], "", "--payload", "{}", "--rest"), "argument --event: an event name cannot"),
        ((*LISTEN, "--count", "0"), "argument --count: must be at least 1, got 0"),
        ((*LISTEN, "--count", "-3"), "argument --count: must be at least 1, got -3"),
        ((*SEND, "--count", "0"), "argument --count: must be at least 1, got 0"),
        ((*LISTEN, "--count", "x"), "argument --count: expected a whole number, got 'x'"),
        ((*LISTEN, "--timeout", "0"), "argument --timeout: must be a number of seconds above 0"),
        ((*LISTEN, "--timeout", "-1"), "argument --timeout: must be a number of seconds above"),
        ((*LISTEN, "--timeout", "nan"), "argument --timeout: must be a number of seconds above"),
        ((*SEND, "--timeout", "0"), "argument --timeout: must be a number of seconds above 0"),
        ((*SEND, "--timeout", "inf"), "argument --timeout: must be a number of seconds above"),
        ((*SEND, "--rate", "nan"), "argument --rate: must be a number of sends per second"),
        ((*SEND, "--rate", "inf"), "argument --rate: must be a number of sends per second"),
        ((*SEND, "--rate", "0"), "argument --rate: must be a number of sends per second"),
    ],
)
def test_bad_flags_exit_2_with_the_reason(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"realtime-inspector {argv[0]}: error: " in err
    assert message in err


class SilentServer:
    """A TCP port that accepts connections and never answers the websocket handshake."""

    def __init__(self) -> None:
        self.port = 0
        #: Set when a connection came in (the command is connecting, its signal handlers are on).
        self.accepted = asyncio.Event()
        self.held: list[asyncio.StreamWriter] = []

    async def hold(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.held.append(writer)
        self.accepted.set()

    def env(self) -> dict[str, str]:
        return cli_env(SUPABASE_URL=f"http://127.0.0.1:{self.port}", SUPABASE_KEY="k" * 20)


@pytest.fixture
async def silent() -> AsyncIterator[SilentServer]:
    s = SilentServer()
    srv = await asyncio.start_server(s.hold, "127.0.0.1", 0)
    s.port = srv.sockets[0].getsockname()[1]
    try:
        yield s
    finally:
        for writer in s.held:
            writer.close()
        srv.close()
        await srv.wait_closed()


async def test_listen_timeout_bounds_the_connect(silent: SilentServer) -> None:
    """Against a server that never answers the handshake, --timeout 1 ends listen after 1 s
    (the websocket's own 10 s open timeout used to win), exit 1."""
    proc = await start(*LISTEN, "--timeout", "1", env=silent.env())
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 1
    assert err.decode() == (
        "realtime-inspector listen: not connected and joined within --timeout 1 s\n"
    )


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (LISTEN, 0, ""),
        (SEND, 130, "realtime-inspector send: interrupted after 0 of 1 sends\n"),
    ],
)
async def test_ctrl_c_ends_a_connect_that_hangs(
    silent: SilentServer, argv: tuple[str, ...], code: int, message: str
) -> None:
    proc = await start(*argv, env=silent.env())
    await asyncio.wait_for(silent.accepted.wait(), TIMEOUT)
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert (proc.returncode, err.decode()) == (code, message)


async def test_listen_exits_1_when_the_server_closes_its_only_channel(
    server: RealtimeServer,
) -> None:
    """The token expires, the server sends a system error and phx_close (§7.4), no rejoin
    follows: listen says so and exits 1 instead of idling until --timeout."""
    # Valid for 9 to 10 s: a loaded machine starting the CLI never sees the join refused for it.
    token = sign({"role": "anon", "exp": int(time.time()) + 10}, server.config.jwt_secret)
    proc = await start(
        "listen", "--channel", "exp", "--token", token, "--timeout", "60", env=cli_env(server)
    )
    await read_until(proc, joined)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 1, err.decode()
    assert re.fullmatch(
        r"realtime-inspector listen: realtime:exp was closed by the server: "
        r"Token has expired \d+ seconds ago\n",
        err.decode(),
    )
    assert b'"event":"ChannelClosed"' in out


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_a_signal_during_send_exits_128_plus_the_signal_with_the_summary(
    server: RealtimeServer, sig: signal.Signals, code: int
) -> None:
    proc = await start(
        "send",
        "--channel",
        "room-1",
        "--event",
        "e",
        "--payload",
        "{}",
        "--ack",
        "--count",
        "1000000",
        env=cli_env(server),
    )
    await read_until(proc, lambda line: line.get("i") == 1)
    proc.send_signal(sig)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == code
    summary = [line for line in out.decode().splitlines() if '"summary"' in line]
    assert len(summary) == 1
    sent = int(re.search(r'"sent":(\d+)', summary[0]).group(1))  # type: ignore[union-attr]
    assert 1 <= sent < 1000000
    # a repeat run prints its summary table on stderr (issue #11 §3), then the reason
    lines = err.decode().splitlines()
    assert lines[0] == "realtime-inspector send: summary:"
    assert re.fullmatch(rf"  sent +{sent:,}", lines[1])
    assert any(re.fullmatch(r"  elapsed +[\d.]+ s \(cancelled\)", line) for line in lines)
    assert lines[-1] == f"realtime-inspector send: interrupted after {sent} of 1000000 sends"


async def test_a_signal_before_listen_count_is_reached_exits_143(server: RealtimeServer) -> None:
    proc = await start("listen", "--channel", "room-1", "--count", "5", env=cli_env(server))
    await read_until(proc, joined)
    server.publish("room-1", "one", {})
    await read_until(proc, lambda line: line["kind"] == "broadcast")
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 143
    assert err.decode() == "realtime-inspector listen: interrupted with 1 of 5 broadcasts\n"
