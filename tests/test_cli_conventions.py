"""CLI conventions (issue #15 items 8 and 9), run as a user runs them: subprocesses against the
local server. The key's environment names and their order, ``@-`` (stdin), ``send --stdin``,
``--debug`` on every subcommand, ``serve --print env|json``, and the log file (rotating, in
``$RI_LOG_DIR`` here) with no secret in it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import TIMEOUT, cli_env, joined, read_until, start

from inspector.cli import SUBCOMMANDS
from inspector.protocol.jwt import CLI_DEMO_EXP, sign
from inspector.server import RealtimeServer


async def run_with_stdin(
    *args: str, env: dict[str, str], stdin: bytes
) -> tuple[int, list[dict[str, Any]], str]:
    """``realtime-inspector <args>`` with ``stdin`` piped in: (exit code, JSON lines, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), TIMEOUT)
    assert proc.returncode is not None
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return proc.returncode, lines, err.decode()


async def listener(server: RealtimeServer, channel: str, count: int) -> asyncio.subprocess.Process:
    """A ``listen`` subprocess on ``channel`` that stops after ``count`` broadcasts, joined."""
    proc = await start("listen", "--channel", channel, "--count", str(count), env=cli_env(server))
    await read_until(proc, joined)
    return proc


async def broadcasts(proc: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return [line for line in lines if line["kind"] == "broadcast"]


# ------------------------------------------------------------------ the key's names


async def test_publishable_key_name_is_read_first(server: RealtimeServer) -> None:
    base = cli_env()
    base["SUPABASE_URL"] = server.url
    send = ("send", "--channel", "k", "--event", "e", "--payload", "{}")
    # only the current name
    code, _, err = await run_with_stdin(
        *send, env={**base, "SUPABASE_PUBLISHABLE_KEY": server.anon_key}, stdin=b""
    )
    assert code == 0, err
    # the current name wins over the legacy ones (a wrong legacy key is not used)
    env = {
        **base,
        "SUPABASE_PUBLISHABLE_KEY": server.anon_key,
        "SUPABASE_ANON_KEY": "not-a-key",
        "SUPABASE_KEY": "not-a-key",
    }
    code, _, err = await run_with_stdin(*send, env=env, stdin=b"")
    assert code == 0, err
    # an empty value counts as unset
    env = {**base, "SUPABASE_PUBLISHABLE_KEY": "", "SUPABASE_KEY": server.anon_key}
    code, _, err = await run_with_stdin(*send, env=env, stdin=b"")
    assert code == 0, err
    code, _, err = await run_with_stdin(*send, env=base, stdin=b"")
    assert code == 2
    assert "no API key" in err
    assert "SUPABASE_PUBLISHABLE_KEY" in err


# ------------------------------------------------------------------ @- and --stdin


async def test_payload_from_stdin(server: RealtimeServer) -> None:
    listen = await listener(server, "stdin-one", 1)
    code, lines, err = await run_with_stdin(
        "send",
        "--channel",
        "stdin-one",
        "--event",
        "piped",
        "--payload",
        "@-",
        env=cli_env(server),
        stdin=b'{"from": "stdin", "n": 1}\n',
    )
    assert code == 0, err
    assert lines[-1]["summary"]["sent"] == 1
    (got,) = await broadcasts(listen)
    assert (got["event"], got["payload"]) == ("piped", {"from": "stdin", "n": 1})


async def test_payload_from_stdin_that_is_not_json_is_refused(server: RealtimeServer) -> None:
    code, _, err = await run_with_stdin(
        "send",
        "--channel",
        "x",
        "--event",
        "e",
        "--payload",
        "@-",
        env=cli_env(server),
        stdin=b"{nope",
    )
    assert code == 2
    assert "standard input is not valid JSON" in err


@pytest.mark.parametrize(
    "flags",
    [
        ("--key", "@-", "--payload", "@-"),
        ("--token", "@-", "--payload", "@-"),
        ("--key", "@-", "--stdin"),
    ],
)
async def test_only_one_flag_reads_stdin(server: RealtimeServer, flags: tuple[str, ...]) -> None:
    """QA of issue #15 item 8: ``--key @- --payload @-`` gave the whole of stdin to the key
    and then said the payload "is not valid JSON: Expecting value" (stdin was used up). Only
    one flag may read standard input, and the message says so."""
    code, lines, err = await run_with_stdin(
        "send",
        "--channel",
        "x",
        "--event",
        "e",
        *flags,
        env=cli_env(server),
        stdin=server.anon_key.encode() + b"\n",
    )
    assert code == 2, err
    assert lines == []
    assert "only one of" in err
    assert "standard input" in err
    assert "not valid JSON" not in err


async def test_an_empty_key_from_stdin_is_an_error_not_the_environments(
    server: RealtimeServer,
) -> None:
    """QA of issue #15 item 8: ``--key @-`` with nothing on stdin fell back to the key in the
    environment without a word."""
    code, lines, err = await run_with_stdin(
        "send",
        "--channel",
        "x",
        "--event",
        "e",
        "--payload",
        "{}",
        "--key",
        "@-",
        env=cli_env(server),
        stdin=b"\n",
    )
    assert code == 2, err
    assert lines == []
    assert "the key from standard input is empty" in err


async def test_send_stdin_says_when_it_forwards_redacted_values(server: RealtimeServer) -> None:
    """QA of issue #15 item 8: ``listen | send --stdin`` forwards what listen printed, and
    listen redacts secret-looking values (a JWT, ``password=…``) unless --show-secrets: the
    other channel got the text "[redacted]" without a word. send --stdin says so, once."""
    line = {
        "time": "2026-12-05T06:00:00.000Z",
        "channel": "a",
        "event": "t",
        "payload": {"jwt": "[redacted]", "note": "password=[redacted]"},
        "meta": None,
        "kind": "broadcast",
    }
    stdin = (json.dumps(line) + "\n") * 2
    code, lines, err = await run_with_stdin(
        "send", "--stdin", "--channel", "b", env=cli_env(server), stdin=stdin.encode()
    )
    assert code == 0, err
    assert lines[-1]["summary"]["sent"] == 2
    assert err.count("[redacted]") == 1, err
    assert "--show-secrets" in err


async def test_send_stdin_sends_a_message_per_line_and_reports_bad_lines(
    server: RealtimeServer,
) -> None:
    listen = await listener(server, "ndjson", 4)
    stdin = "\n".join(
        [
            json.dumps({"event": "first", "payload": {"n": 1}}),
            "this is not json",
            # listen's own output: a join line is skipped, a broadcast line is sent
            json.dumps({"time": "2026-01-01T00:00:00Z", "kind": "join", "event": "joined"}),
            json.dumps(
                {
                    "time": "2026-01-01T00:00:00Z",
                    "channel": "elsewhere",
                    "event": "second",
                    "payload": {"n": 2},
                    "meta": None,
                    "kind": "broadcast",
                }
            ),
            "",
            json.dumps({"payload": {"n": 3}}),  # no event: --event is used
            json.dumps([1, 2]),
            json.dumps({"event": "bytes", "payload": {"$binary": "AAEC"}, "binary": True}),
        ]
    )
    code, lines, err = await run_with_stdin(
        "send",
        "--channel",
        "ndjson",
        "--ack",
        "--stdin",
        "--event",
        "fallback",
        env=cli_env(server),
        stdin=stdin.encode() + b"\n",
    )
    assert code == 2, err  # every good line sent; the bad ones make the exit code 2
    assert "line 2: not JSON" in err
    assert "line 7: not a JSON object" in err
    assert "2 bad lines skipped" in err
    results = [line for line in lines if "i" in line]
    assert [(r["i"], r["event"], r["status"]) for r in results] == [
        (1, "first", "ok"),
        (4, "second", "ok"),
        (6, "fallback", "ok"),
        (8, "bytes", "ok"),
    ]
    summary = lines[-1]["summary"]
    assert (summary["sent"], summary["ok"], summary["lines"]) == (4, 4, 8)
    assert (summary["bad_lines"], summary["skipped"]) == (2, 1)
    got = await broadcasts(listen)
    assert [(g["event"], g["payload"]) for g in got[:3]] == [
        ("first", {"n": 1}),
        ("second", {"n": 2}),
        ("fallback", {"n": 3}),
    ]
    assert got[3]["binary"] is True
    assert got[3]["payload"] == {"$binary": "AAEC"}


async def test_send_stdin_refuses_a_payload_flag(server: RealtimeServer) -> None:
    code, _, err = await run_with_stdin(
        "send", "--channel", "x", "--stdin", "--count", "2", env=cli_env(server), stdin=b""
    )
    assert code == 2
    assert "not with --count" in err


# ------------------------------------------------------------------ --debug and the log file


def test_every_subcommand_takes_debug() -> None:
    for name in (*SUBCOMMANDS, "token mint"):
        proc = subprocess.run(
            [sys.executable, "-m", "inspector", *name.split(), "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert "--debug" in proc.stdout, name


async def test_debug_logs_to_stderr_and_the_log_file_without_secrets(
    server: RealtimeServer, tmp_path: Path
) -> None:
    token = sign(
        {"role": "authenticated", "sub": "debug-user", "exp": CLI_DEMO_EXP},
        server.config.jwt_secret,
    )
    env = cli_env(server, RI_LOG_DIR=str(tmp_path / "logs"))
    code, _, err = await run_with_stdin(
        "send",
        "--channel",
        "dbg",
        "--event",
        "e",
        "--payload",
        json.dumps({"access_token": token, "apikey": server.anon_key}),
        "--token",
        token,
        "--debug",
        env=env,
        stdin=b"",
    )
    assert code == 0, err
    assert "DEBUG" in err  # --debug raises the level of stderr
    log = tmp_path / "logs" / "cli.log"
    text = log.read_text(encoding="utf-8")
    assert " DEBUG " in text  # and of the file: the websocket's frames are in it
    assert "realtime:dbg" in text
    for secret in (token, server.anon_key, token.split(".")[2], server.anon_key.split(".")[2]):
        assert secret not in text
        assert secret not in err

    # without --debug neither gets DEBUG lines
    env = cli_env(server, RI_LOG_DIR=str(tmp_path / "quiet"))
    send = ("send", "--channel", "dbg", "--event", "e", "--payload", "{}")
    code, _, err = await run_with_stdin(*send, env=env, stdin=b"")
    assert code == 0, err
    assert "DEBUG" not in err
    quiet = tmp_path / "quiet" / "cli.log"
    assert not quiet.exists() or " DEBUG " not in quiet.read_text(encoding="utf-8")


# ------------------------------------------------------------------ serve --print


async def _serve_print(fmt: str, *extra: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "inspector",
        "serve",
        "--port",
        "0",
        "--print",
        fmt,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env(),
    )
    assert proc.stdout is not None
    lines: list[str] = []
    want = "SUPABASE_SERVICE_ROLE_KEY" if fmt == "env" else "{"
    while not any(line.startswith(want) for line in lines):
        raw = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
        assert raw, "serve ended before printing"
        lines.append(raw.decode().rstrip("\n"))
    return proc, lines


async def _stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err.decode()
    assert out == b""  # nothing else on stdout: "Stopped." goes to stderr
    return err.decode()


async def test_serve_print_env_lines_work_as_the_clients_environment() -> None:
    proc, lines = await _serve_print("env")
    try:
        pairs = dict(line.split("=", 1) for line in lines)
        assert set(pairs) == {
            "SUPABASE_URL",
            "SUPABASE_REALTIME_URL",
            "SUPABASE_ANON_KEY",
            "SUPABASE_SERVICE_ROLE_KEY",
        }
        # the lines as a shell reads them (eval / source), then the CLI with that environment
        shell = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            "\n".join(lines) + '\nprintf %s "$SUPABASE_URL"',
            stdout=asyncio.subprocess.PIPE,
        )
        printed, _ = await asyncio.wait_for(shell.communicate(), TIMEOUT)
        assert printed.decode() == pairs["SUPABASE_URL"]
        env = {**cli_env(), **pairs}
        code, result, err = await run_with_stdin(
            "send", "--channel", "env", "--event", "e", "--payload", "{}", env=env, stdin=b""
        )
        assert code == 0, err
        assert result[-1]["summary"]["sent"] == 1
    finally:
        err = await _stop(proc)
    assert "Realtime Inspector local server is running." in err


async def test_serve_print_json() -> None:
    proc, lines = await _serve_print("json", "--publishable-key", "sb_publishable_test123")
    try:
        info = json.loads(lines[-1])
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["websocket_url"].startswith("ws://127.0.0.1:")
        assert info["anon_key"].count(".") == 2
        assert info["publishable_keys"] == ["sb_publishable_test123"]
        assert "jwt_secret" not in json.dumps(info)
    finally:
        await _stop(proc)


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("SUPABASE_")]:
        monkeypatch.delenv(name)
