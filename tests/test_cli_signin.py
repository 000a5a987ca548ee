"""``listen``/``send --email``: sign-in against the local server's Auth (password from
``$SUPABASE_PASSWORD``), private channels as that user, and ``listen`` refreshing the token
before it expires (issue #13 §1, CLI)."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from cli_helpers import TIMEOUT, cli_env, read_until, run, start

from inspector.server import RealtimeServer, Rules, ServerConfig

USERS = """
users:
  - email: alice@example.com
    password: alice-password-123
"""


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    """Private ``members-*`` for signed-in users only; tokens that live 5 s."""
    users = tmp_path / "users.yaml"
    users.write_text(USERS)
    rules = Rules.from_data(
        {"allow": [{"channels": ["members-*"], "roles": ["authenticated"], "can": ["all"]}]}
    )
    return ServerConfig(port=0, rules=rules, users=str(users), jwt_expiry_s=5)


SEND = ("send", "--channel", "members-1", "--private", "--event", "hi", "--payload", "{}")


async def test_send_as_a_signed_in_user_and_the_errors(server: RealtimeServer) -> None:
    code, _, err = await run(*SEND, env=cli_env(server))
    assert code == 1
    assert "You do not have permissions" in err
    who = ("--email", "alice@example.com")
    code, lines, err = await run(
        *SEND, *who, env=cli_env(server, SUPABASE_PASSWORD="alice-password-123")
    )
    assert (code, err) == (0, "")
    assert lines[-1]["summary"]["sent"] == 1
    code, _, err = await run(*SEND, *who, env=cli_env(server, SUPABASE_PASSWORD="wrong-pw-1"))
    assert code == 1
    assert err.strip() == (
        "realtime-inspector send: sign-in refused (HTTP 400): Invalid login credentials"
    )
    assert "wrong-pw-1" not in err
    code, _, err = await run(*SEND, *who, env=cli_env(server))
    assert code == 2
    assert "--email needs the user's password in $SUPABASE_PASSWORD" in err
    code, _, err = await run(
        *SEND, *who, "--token", "x" * 40, env=cli_env(server, SUPABASE_PASSWORD="p")
    )
    assert code == 2
    assert "--email and --token" in err


async def test_listen_refreshes_the_token_and_keeps_receiving(server: RealtimeServer) -> None:
    env = cli_env(server, SUPABASE_PASSWORD="alice-password-123")
    who = ("--email", "alice@example.com")
    proc = await start("listen", "--channel", "members-2", "--private", *who, env=env)
    try:
        await read_until(proc, lambda line: line.get("event") == "joined")
        assert proc.stderr is not None
        notes: list[str] = []
        while sum("access token refreshed" in n for n in notes) < 2:  # past the first expiry
            raw = await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)
            assert raw, f"listen ended; stderr: {notes}"
            notes.append(raw.decode())
        code, _, err = await run(
            "send", "--channel", "members-2", "--private", "--event", "after", "--payload",
            '{"n": 1}', *who, env=env,
        )  # fmt: skip
        assert (code, err) == (0, "")
        [line] = await read_until(proc, lambda line: line.get("kind") == "broadcast")
        assert (line["event"], line["payload"]) == ("after", {"n": 1})
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    text = out.decode() + err.decode() + "".join(notes)
    assert "alice-password-123" not in text
    assert all(json.loads(x) for x in out.decode().splitlines() if x.strip())
