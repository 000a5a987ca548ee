"""Broadcast Replay on join (issue #15 item 2): the local server accepts and refuses
``config.broadcast.replay`` as the real server does (supabase/realtime
lib/realtime_web/channels/realtime_channel.ex ``can_replay?``/``maybe_replay_messages``,
lib/realtime/messages.ex ``replay/5``) and, having no database, replays nothing."""

from __future__ import annotations

from typing import Any

import pytest
from server_helpers import field

from inspector.server import ServerConfig
from inspector.server.rules import Rules

PUBLIC = "UnableToReplayMessages: Replay is not allowed for public channels"
INVALID = "UnableToReplayMessages: Replay params are not valid"


@pytest.fixture
def server_config() -> ServerConfig:
    rules = Rules.from_data(
        {
            "allow": [
                {"channels": ["ok-*"], "roles": ["anon"], "can": ["all"]},
                {"channels": ["lobby-*"], "roles": ["anon"], "can": ["presence"]},
            ]
        }
    )
    return ServerConfig(port=0, frame_log_size=2000, rules=rules)


def reply_of(frame: Any) -> tuple[str, str | None]:
    payload = field(frame, "payload")
    return payload["status"], payload["response"].get("reason")


@pytest.mark.parametrize(
    "replay",
    [
        {"since": 1767225600000, "limit": 10},
        {"since": 1767225600000},  # limit || 25
        {"since": 0, "limit": None},
        {"since": 0, "limit": False},  # false || 25
        {"since": 0, "limit": 0},  # clamped to 1, not refused
        {"since": 0, "limit": 1000},  # clamped to 25
        {"since": -1},  # before 1970 is a DateTime too
        {"since": 253_402_300_799_999},  # 9999-12-31T23:59:59.999Z
        None,  # not a map: no replay, join goes on (InvalidJoinPayload is only logged)
        "yesterday",
        5,
    ],
)
async def test_private_join_with_replay_is_accepted(connect_client, replay: Any) -> None:
    c = await connect_client()
    reply = await c.join("ok-room", {"private": True, "broadcast": {"replay": replay}})
    assert reply_of(reply) == ("ok", None)


@pytest.mark.parametrize(
    "replay",
    [
        {},  # since is required (nil is not an integer)
        {"since": None},
        {"since": "1767225600000"},
        {"since": 1767225600000.0},  # a float is not an integer
        {"since": True},
        {"since": 253_402_300_800_000},  # past year 9999: DateTime.from_unix fails
        {"since": -377_705_116_800_001},
        {"since": 10**30},
        {"since": 0, "limit": "10"},
        {"since": 0, "limit": 2.5},
        {"since": 0, "limit": True},
    ],
)
async def test_bad_replay_params_are_refused(connect_client, replay: Any) -> None:
    c = await connect_client()
    reply = await c.join("ok-room", {"private": True, "broadcast": {"replay": replay}})
    assert reply_of(reply) == ("error", INVALID)


@pytest.mark.parametrize("replay", [{"since": 0, "limit": 5}, None, "x", {}])
async def test_any_replay_key_on_a_public_channel_is_refused(connect_client, replay: Any) -> None:
    c = await connect_client()
    reply = await c.join("room", {"broadcast": {"replay": replay}})
    assert reply_of(reply) == ("error", PUBLIC)


async def test_replay_needs_broadcast_read(connect_client) -> None:
    """Presence read lets a private join in; replay also needs broadcast read (can_replay?)."""
    c = await connect_client()
    assert reply_of(await c.join("lobby-1", {"private": True})) == ("ok", None)
    reply = await c.join("lobby-2", {"private": True, "broadcast": {"replay": {"since": 0}}})
    assert reply_of(reply) == (
        "error",
        "Unauthorized: You do not have permissions to read from this Channel topic: lobby-2",
    )


async def test_accepted_replay_replays_nothing_and_says_so(
    connect_client, caplog: pytest.LogCaptureFixture
) -> None:
    c = await connect_client()
    caplog.set_level("INFO", logger="inspector.server")
    reply = await c.join(
        "ok-room", {"private": True, "broadcast": {"replay": {"since": 0, "limit": 3}}}
    )
    assert reply_of(reply) == ("ok", None)
    assert "nothing is replayed" in caplog.text
    # the next frame is what anyone sends, never a replayed broadcast
    ref = await c.broadcast("ok-room", "after", {"n": 1})
    assert ref
