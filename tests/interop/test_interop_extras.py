"""Interop beyond §13: a supabase-js app written for ``supabase start``, bad JWTs, REST batches,
a rules file for private channels, unicode."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from interop_helpers import js_client, py_client, subscribe, user_token
from peers import JS_DIR, PeerPool

from inspector.protocol.jwt import demo_key, sign
from inspector.server import RealtimeServer, ServerConfig

BAD_SIGNATURE = "JwtSignatureError: Failed to validate JWT signature"

RULES = """
# authenticated users may read and write team-* channels; anon may not join them
[[allow]]
channels = ["team-*"]
roles = ["authenticated"]
can = ["read", "write", "presence"]
"""


async def test_supabase_js_app_written_for_supabase_start(
    server: RealtimeServer, peers: PeerPool
) -> None:
    """The app gets the project URL and the CLI's demo anon key, exactly as `supabase start` prints."""
    assert server.anon_key == demo_key("anon")  # the well-known key such apps are configured with
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "room-1", listen={"broadcast": ["hello"]})
    app = await peers.script(
        "js",
        JS_DIR / "supabase_start_app.mjs",
        env={"SUPABASE_URL": server.url, "SUPABASE_ANON_KEY": demo_key("anon")},
    )
    await app.expect(ev="status", status="SUBSCRIBED")
    assert (await app.expect(ev="sent"))["result"] == "ok"  # ack:true, so the server answered
    assert (await app.expect(ev="received", event="hello"))["payload"] == {"from": "supabase-js"}
    got = await py.expect(ev="broadcast", channel="p")
    assert got["payload"] == {"event": "hello", "payload": {"from": "supabase-js"}}
    await py.call("send", channel="p", event="from-python", payload={"hi": True})
    await app.expect(ev="received", event="from-python")
    await app.expect(ev="bye")
    await app.expect(ev="exited")
    assert await app.proc.wait() == 0


# realtime-py logs the refused join as an error (its own report of what the test provokes).
@pytest.mark.expect_peer_errors(r"join push error .*Failed to validate JWT signature", kind="py")
async def test_join_with_badly_signed_jwt_gets_the_exact_reason(
    server: RealtimeServer, peers: PeerPool
) -> None:
    bad = sign(
        {"role": "authenticated", "exp": int(time.time()) + 600}, "not-the-server-secret-" * 2
    )
    js = await js_client(peers, server)
    await js.call("setAuth", client="c", token=bad)
    status = await subscribe(js, server, "a", "room-1", status="CHANNEL_ERROR")
    assert status["error"] == BAD_SIGNATURE
    py = await py_client(peers, server)
    await py.call("setAuth", client="c", token=bad)
    status = await subscribe(py, server, "p", "room-1", status="CHANNEL_ERROR")
    assert json.loads(status["error"]) == {"reason": BAD_SIGNATURE}


async def test_rest_batch_with_several_messages_reaches_js_and_py(
    server: RealtimeServer, peers: PeerPool
) -> None:
    js = await js_client(peers, server)
    await subscribe(js, server, "a", "news", listen={"broadcast": ["*"]})
    py = await py_client(peers, server)
    await subscribe(py, server, "p", "news", listen={"broadcast": ["*"]})
    body = {
        "messages": [
            {"topic": "news", "event": "one", "payload": {"n": 1}},
            {"topic": "news", "event": "two", "payload": {"n": 2}, "id": "msg-2"},
            {"topic": "other", "event": "three", "payload": {"n": 3}},
            {"topic": "news", "event": "four", "payload": {"n": 4}},
        ]
    }
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.post(server.rest_url, json=body, headers={"apikey": server.service_role_key})
    assert r.status_code == 202
    js_got = [await js.expect(ev="broadcast", channel="a") for _ in range(3)]
    py_got = [await py.expect(ev="broadcast", channel="p") for _ in range(3)]
    assert [g["payload"]["event"] for g in js_got] == ["one", "two", "four"]
    assert [g["payload"]["event"] for g in py_got] == ["one", "two", "four"]
    assert js_got[1]["payload"]["meta"] == {"id": "msg-2"}
    assert py_got[1]["payload"]["meta"] == {"id": "msg-2"}
    assert py_got[2]["payload"]["payload"] == {"n": 4}


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return ServerConfig(port=0, frame_log_size=5000, rules=str(rules))


async def test_private_channel_rules_file(server: RealtimeServer, peers: PeerPool) -> None:
    member = user_token(server, "authenticated")
    js = await js_client(peers, server, "member")
    await js.call("setAuth", client="member", token=member)
    await js_client(js, server, "anon")
    private = {"private": True, "broadcast": {"self": True}}
    await subscribe(
        js, server, "m", "team-red", client="member", config=private, listen={"broadcast": ["*"]}
    )
    status = await subscribe(
        js, server, "x", "team-red", client="anon", config=private, status="CHANNEL_ERROR"
    )
    assert (
        status["error"]
        == "Unauthorized: You do not have permissions to read from this Channel topic: team-red"
    )
    py = await py_client(peers, server)
    await py.call("setAuth", client="c", token=member)
    await subscribe(
        py, server, "p", "team-red", config={"private": True}, listen={"broadcast": ["*"]}
    )
    await js.call("send", channel="m", event="secret", payload={"k": 1})
    assert (await js.expect(ev="broadcast", channel="m"))["payload"]["payload"] == {"k": 1}
    assert (await py.expect(ev="broadcast", channel="p"))["payload"]["payload"] == {"k": 1}


async def test_unicode_channel_names_and_payloads(server: RealtimeServer, peers: PeerPool) -> None:
    name = "salon-café-日本-🎉"
    payload = {"text": "héllo 世界 🎉", "emoji": "👩‍💻", "rtl": "שלום"}
    js = await js_client(peers, server)
    await subscribe(
        js, server, "a", name, config={"broadcast": {"self": True}}, listen={"broadcast": ["*"]}
    )
    sb = await js_client(peers, server, "sb", lib="supabase-js")
    await subscribe(sb, server, "s", name, client="sb", listen={"broadcast": ["*"]})
    py = await py_client(peers, server)
    await subscribe(py, server, "p", name, listen={"broadcast": ["*"]})
    await js.call("send", channel="a", event="üñí-事件", payload=payload)
    for peer, channel in ((js, "a"), (sb, "s"), (py, "p")):
        got = await peer.expect(ev="broadcast", channel=channel)
        assert got["payload"]["event"] == "üñí-事件"
        assert got["payload"]["payload"] == payload
    await py.call("send", channel="p", event="ответ", payload={"ok": "✓"})
    assert (await js.expect(ev="broadcast", channel="a"))["payload"]["payload"] == {"ok": "✓"}
    # REST single with a percent-encoded unicode path, from both clients
    assert await js.call("httpSend", channel="a", event="rest-ü", payload={"via": "httpSend"}) == {
        "success": True
    }
    assert (
        await py.call("httpSend", channel="p", event="rest-ü", payload={"via": "http_send"}) is None
    )
    via = {
        (
            await sb.expect(
                ev="broadcast", channel="s", predicate=lambda e: e["payload"]["event"] == "rest-ü"
            )
        )["payload"]["payload"]["via"]
        for _ in range(2)
    }
    assert via == {"httpSend", "http_send"}
