"""What ``listen`` and ``send`` write: strict JSON lines whatever peers send, secrets redacted as
values (never as text), and a quiet end when the reader of stdout goes away (``| head -1``).
Subprocesses against the local server over real sockets (QA findings 3, 4 and 8)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import IO, Any

from cli_helpers import TIMEOUT, cli_env, joined, read_until, start, strict_json

from inspector.protocol.frames import ENCODING_JSON, UserBroadcast
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.protocol.serializer import encode_binary
from inspector.server import RealtimeServer


async def _read_line(reader: IO[bytes]) -> dict[str, Any]:
    raw = await asyncio.wait_for(asyncio.to_thread(reader.readline), TIMEOUT)
    assert raw, "the process ended early"
    line: dict[str, Any] = json.loads(raw)
    return line


async def _start_on_pipe(*args: str, env: dict[str, str]) -> tuple[Any, IO[bytes]]:
    """A subprocess whose stdout is a pipe this test can close (the ``head -1`` of a shell)."""
    r, w = os.pipe()
    try:
        proc = await start(*args, env=env, stdout=w)
    finally:
        os.close(w)
    return proc, os.fdopen(r, "rb")


async def test_listen_ends_quietly_when_the_reader_goes_away(server: RealtimeServer) -> None:
    proc, reader = await _start_on_pipe("listen", "--channel", "room-1", env=cli_env(server))
    try:
        while not joined(await _read_line(reader)):
            pass
        reader.close()  # like `head -1` exiting: the next write meets a closed pipe
        server.publish("room-1", "after", {"n": 1})
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        reader.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert err.decode() == ""  # no BrokenPipeError tracebacks


async def test_send_stops_when_the_reader_goes_away(server: RealtimeServer) -> None:
    args = ("send", "--channel", "room-1", "--event", "e", "--payload", "{}")
    proc, reader = await _start_on_pipe(*args, "--ack", "--count", "1000000", env=cli_env(server))
    try:
        first = await _read_line(reader)
        reader.close()
        _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        reader.close()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert (first["i"], first["status"]) == (1, "ok")
    assert proc.returncode == 1
    # the summary table of a repeat run (issue #11 §3) on stderr, then the reason
    assert re.fullmatch(
        r"realtime-inspector send: summary:\n(  .*\n)+"
        r"realtime-inspector send: stdout was closed; stopped after \d+ of 1000000 sends\n",
        err.decode(),
    ), err.decode()[-2000:]


async def test_listen_prints_strict_json_for_nan_infinity_and_lone_surrogates(
    server: RealtimeServer,
) -> None:
    """Peers can send NaN, 1e999 and "\\ud800" (kind-4 payloads pass the real server
    unchecked, §2.3): every line stays RFC 8259 JSON and listen keeps going."""
    proc = await start("listen", "--channel", "room-1", "--count", "6", env=cli_env(server))
    await read_until(proc, joined)
    topic = "realtime:room-1"
    for event, payload in (
        ("nan", '{"n":NaN}'),
        ("inf", '{"n":1e999}'),
        ("sur", r'{"s":"\ud800"}'),
    ):
        body = f'{{"type":"broadcast","event":"{event}","payload":{payload}}}'
        server.send_raw(f'[null,null,"{topic}","broadcast",{body}]')
    for event, raw in (
        ("k4-nan", b'{"n":NaN}'),
        ("k4-big", b'{"big": 1e999}'),
        ("k4-sur", rb'{"s":"\ud800"}'),
    ):
        server.send_raw(encode_binary(UserBroadcast(topic, event, b"", ENCODING_JSON, raw)))
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert err.decode() == ""
    lines = [strict_json(line) for line in out.decode().splitlines()]  # all strict JSON
    got = {line["event"]: line["payload"] for line in lines if line["kind"] == "broadcast"}
    assert got == {
        "nan": {"$invalid_json": '{"n":NaN}'},
        "inf": {"$invalid_json": '{"n":Infinity}'},
        "sur": {"s": "\ud800"},
        "k4-nan": {"$invalid_json": '{"n":NaN}'},
        "k4-big": {"$invalid_json": '{"big": 1e999}'},
        "k4-sur": {"s": "\ud800"},
    }
    assert rb'"s":"\ud800"' in out  # written as the escape it came as, so UTF-8 can carry it


async def test_listen_redacts_values_not_text(server: RealtimeServer) -> None:
    """A payload that merely looks like a header never breaks the line; secret-looking values
    are redacted unless --show-secrets; our own key is hidden either way."""
    stranger = sign({"role": "anon", "exp": CLI_DEMO_EXP}, "someone-else-" * 4)
    procs = [
        await start("listen", "--channel", "room-1", "--count", "1", *flags, env=cli_env(server))
        for flags in ((), ("--show-secrets",))
    ]
    for proc in procs:
        await read_until(proc, joined)
    tricky = 'Authorization: Bearer abc","evil":"x'
    server.publish(
        "room-1",
        "e",
        {"msg": tricky, "apikey": "peer-value", "note": stranger, "mine": server.anon_key},
    )
    payloads = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        assert proc.returncode == 0, err.decode()
        leaked = server.anon_key in out.decode()  # a bool: a failure never prints the key
        assert not leaked
        [line] = [strict_json(x) for x in out.decode().splitlines() if '"broadcast"' in x]
        payloads.append(line["payload"])
    redacted, shown = payloads
    assert redacted == {
        "msg": 'Authorization: Bearer [redacted]","evil":"x',
        "apikey": "[redacted]",
        "note": "[redacted]",
        "mine": "[redacted]",
    }
    assert shown == {"msg": tricky, "apikey": "peer-value", "note": stranger, "mine": "[redacted]"}
