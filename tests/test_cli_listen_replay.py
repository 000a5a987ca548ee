"""``listen --replay-since TIME --replay-limit N`` (issue #15 item 2) against the local server:
the option goes into the join as realtime-js sends it, the server's refusal is shown, and bad
values (or replay on a public channel, which realtime-js refuses too) exit 2."""

from __future__ import annotations

import json
import time

import pytest
from cli_helpers import cli_env, run

from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data({"allow": [{"channels": ["ok-*"], "roles": ["anon"], "can": ["all"]}]})
    return ServerConfig(port=0, rules=rules, frame_log_size=500)


def joins(server: RealtimeServer) -> list[dict[str, object]]:
    out = []
    for frame in server.frames:
        if frame.direction == "in" and "phx_join" in str(frame.data):
            out.append(frame.decoded().payload["config"]["broadcast"])  # type: ignore[union-attr]
    return out


async def test_listen_joins_with_replay(server: RealtimeServer) -> None:
    before = int(time.time() * 1000)
    code, lines, err = await run(
        "listen",
        "--channel",
        "ok-room",
        "--private",
        "--replay-since",
        "15m",
        "--replay-limit",
        "5",
        "--timeout",
        "2",
        env=cli_env(server),
    )
    assert code == 0, err
    assert any(x["kind"] == "join" and x["event"] == "joined" for x in lines)
    (broadcast,) = joins(server)
    replay = broadcast["replay"]
    assert isinstance(replay, dict)
    assert replay["limit"] == 5
    assert abs(replay["since"] - (before - 15 * 60_000)) < 60_000


async def test_listen_shows_the_servers_refusal(server: RealtimeServer) -> None:
    code, _, err = await run(
        "listen",
        "--channel",
        "ok-room",
        "--private",
        "--replay-since",
        "10000000000000000",
        "--timeout",
        "5",
        env=cli_env(server),
    )
    assert code == 1
    assert "UnableToReplayMessages: Replay params are not valid" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--replay-since", "15m"], "--replay-since needs --private"),
        (["--private", "--replay-limit", "5"], "--replay-limit needs --replay-since"),
        (["--private", "--replay-since", "soon"], "not a replay time"),
        (["--private", "--replay-since", "1h", "--replay-limit", "26"], "1..25"),
        (["--private", "--replay-since", "1h", "--replay-limit", "0"], "at least 1"),
    ],
)
async def test_bad_replay_options_exit_2(
    server: RealtimeServer, args: list[str], words: str
) -> None:
    code, lines, err = await run("listen", "--channel", "ok-room", *args, env=cli_env(server))
    assert (code, lines) == (2, []), err
    assert words in err
    assert json.dumps(joins(server)) == "[]"


async def test_a_replay_time_in_the_future_joins_with_a_note(server: RealtimeServer) -> None:
    # The server accepts a since in the future and replays nothing: a wrong date or time zone
    # would otherwise look like "no messages to replay". The join still goes as asked.
    code, lines, err = await run(
        "listen",
        "--channel",
        "ok-room",
        "--private",
        "--replay-since",
        "2099-01-01T00:00:00Z",
        "--timeout",
        "2",
        env=cli_env(server),
    )
    assert code == 0, err
    assert "in the future" in err
    assert "nothing is replayed" in err
    assert any(x["kind"] == "join" and x["event"] == "joined" for x in lines)
    (broadcast,) = joins(server)
    assert broadcast["replay"] == {"since": 4070908800000}


async def test_a_recent_replay_time_has_no_future_note(server: RealtimeServer) -> None:
    code, _, err = await run(
        "listen", "--channel", "ok-room", "--private", "--replay-since", "1h",
        "--timeout", "2", env=cli_env(server),
    )  # fmt: skip
    assert code == 0, err
    assert "in the future" not in err
