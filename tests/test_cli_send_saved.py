"""``send --saved NAME [--library FILE]`` and variables in ``send`` (issue #11 items 1-2): the
CLI as a user runs it, against the local server, received by a listening ``listen``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from cli_helpers import TIMEOUT, cli_env, joined, read_until, run, start

from inspector.protocol.jwt import sign
from inspector.server import RealtimeServer
from inspector.store import Transport
from inspector.store.library import Library, SavedMessage


def _library(path: Path) -> Path:
    lib = Library(folders=["chat"])
    lib.add(
        SavedMessage(
            "hello",
            "msg-{{seq}}",
            '{"n": "{{seq}}", "who": "{{env.RI_TEST_WHO}}", "lit": "{{{{x}}"}',
            folder="chat",
            ack=True,
            channel="room-lib",
            note="greets",
        )
    )
    lib.add(SavedMessage("blob", "raw", "de ad", binary=True, encoding="hex", channel="room-lib"))
    lib.add(SavedMessage("rested", "r", '{"r": 1}', via=Transport.REST, channel="room-lib"))
    lib.save(path)
    return path


async def _broadcasts(listener: Any) -> list[tuple[str, Any]]:
    out, _ = await asyncio.wait_for(listener.communicate(), TIMEOUT)
    got = [json.loads(x) for x in out.decode().splitlines()]
    return [(b["event"], b["payload"]) for b in got if b["kind"] == "broadcast"]


async def test_send_saved_with_overrides_and_seq(server: RealtimeServer, tmp_path: Path) -> None:
    path = _library(tmp_path / "team.json")
    env = cli_env(server, RI_TEST_WHO="ann")
    listener = await start("listen", "--channel", "room-lib", "--count", "6", env=env)
    await read_until(listener, joined)
    # the saved channel, ack and event apply; {{seq}} counts 1..N over --count
    code, lines, err = await run(
        "send", "--saved", "chat/hello", "--library", str(path), "--count", "3", env=env
    )
    assert code == 0, err
    assert [r["status"] for r in lines[:-1]] == ["ok"] * 3  # ack from the saved message
    # every flag given wins: event, payload, --no-ack; the name alone finds a unique message
    code, lines, err = await run(
        "send", "--saved", "hello", "--library", str(path), "--event", "over",
        "--payload", '{"p": "{{seq}}"}', "--no-ack", env=env,
    )  # fmt: skip
    assert code == 0, err
    assert lines[0]["status"] == "sent"
    # a saved binary message; a saved REST one, overridden back to the websocket
    code, lines, err = await run("send", "--saved", "blob", "--library", str(path), env=env)
    assert code == 0, err
    code, lines, err = await run(
        "send", "--saved", "rested", "--library", str(path), "--websocket", env=env
    )
    assert code == 0, err
    assert "http" not in lines[0]
    assert await _broadcasts(listener) == [
        ("msg-1", {"n": 1, "who": "ann", "lit": "{{x}}"}),
        ("msg-2", {"n": 2, "who": "ann", "lit": "{{x}}"}),
        ("msg-3", {"n": 3, "who": "ann", "lit": "{{x}}"}),
        ("over", {"p": 1}),
        ("raw", {"$binary": "3q0="}),
        ("r", {"r": 1}),
    ]


async def test_send_saved_default_library_env_and_errors(
    server: RealtimeServer, tmp_path: Path
) -> None:
    path = _library(tmp_path / "lib.json")
    env = cli_env(server, RI_LIBRARY=str(path))
    code, _, err = await run("send", "--saved", "nope", env=env)
    assert code == 2
    assert "no saved message 'nope'" in err
    assert str(path) in err
    code, _, err = await run("send", "--saved", "chat/hello", env=env)  # RI_TEST_WHO unset
    assert code == 2
    assert "line 1, column" in err
    assert "RI_TEST_WHO is not set" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "version": 1,\n  "messages": [,]\n}\n')
    code, _, err = await run("send", "--saved", "x", "--library", str(bad), env=env)
    assert code == 2
    assert "line 3, column 16" in err
    assert bad.read_text() == '{\n  "version": 1,\n  "messages": [,]\n}\n'
    code, _, err = await run("send", "--channel", "c", "--payload", "{}", env=env)
    assert code == 2
    assert "--event" in err


async def test_send_vars_claims_and_no_vars(server: RealtimeServer) -> None:
    token = sign(
        {"sub": "user-7", "role": "authenticated", "exp": 4_000_000_000},
        server.config.jwt_secret,
    )
    env = cli_env(server)
    listener = await start("listen", "--channel", "room-v", "--count", "3", env=env)
    await read_until(listener, joined)
    code, _, err = await run(
        "send", "--channel", "room-v", "--event", "who", "--token", token,
        "--payload", '{"sub": "{{claims.sub}}", "at": "{{now_ms}}"}', env=env,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = await run(
        "send", "--channel", "room-v", "--event", "lit-{{seq}}", "--no-vars",
        "--payload", '{"t": "{{seq}}"}', env=env,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = await run(
        "send", "--channel", "room-v", "--event", "anon", "--payload", '{"s": "{{claims.sub}}"}',
        env=env,
    )  # fmt: skip
    assert code == 2
    assert "user token" in err
    code, _, err = await run(
        "send", "--channel", "room-v", "--event", "e-{{seq}}", "--payload", "{}",
        "--count", "2", env=env,
    )  # fmt: skip
    assert code == 0, err
    got = await _broadcasts(listener)
    assert got[0][0] == "who"
    assert got[0][1]["sub"] == "user-7"
    assert isinstance(got[0][1]["at"], int)
    assert got[1:] == [("lit-{{seq}}", {"t": "{{seq}}"}), ("e-1", {})]


async def test_payload_from_stdin_is_read_once(server: RealtimeServer) -> None:
    """``--payload @/dev/stdin`` (what *Copy as CLI command* writes for long payloads) is a
    pipe: read once, with or without variables."""
    env = cli_env(server)
    listener = await start("listen", "--channel", "room-s", "--count", "2", env=env)
    await read_until(listener, joined)
    for body in (b'{"plain": 1}', b'{"n": "{{seq}}"}'):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "inspector", "send", "--channel", "room-s", "--event", "in",
            "--payload", "@/dev/stdin",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(body), TIMEOUT)
        assert proc.returncode == 0, err.decode()
    assert await _broadcasts(listener) == [("in", {"plain": 1}), ("in", {"n": 1})]


async def test_saved_message_with_an_empty_event_is_refused(
    server: RealtimeServer, tmp_path: Path
) -> None:
    """QA: ``"event": ""`` in a library file was sent as ``{"event":"",...}`` while
    ``--event ''`` is refused; the same refusal now, also for an event that expands to ''."""
    path = tmp_path / "lib.json"
    lib = Library()
    lib.add(SavedMessage("j1", "", '{"a": 1}', channel="room-e"))
    lib.add(SavedMessage("j2", "{{env.RI_TEST_EMPTY}}", '{"a": 2}', channel="room-e"))
    lib.save(path)
    env = cli_env(server, RI_TEST_EMPTY="")
    code, lines, err = await run("send", "--saved", "j1", "--library", str(path), env=env)
    assert (code, lines) == (2, [])
    assert "'j1' has an empty event: an event name cannot be empty" in err
    code, lines, err = await run("send", "--saved", "j2", "--library", str(path), env=env)
    assert (code, lines) == (2, [])
    assert "expands to nothing: an event name cannot be empty" in err
    # --event still overrides it
    code, _, err = await run(
        "send", "--saved", "j1", "--library", str(path), "--event", "e", env=env
    )
    assert code == 0, err
