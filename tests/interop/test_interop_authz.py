"""The authorization matrix with realtime-js as the independent observer (issue #13 §4, "Done
when"): the engine's probes are watched by an unmodified realtime-js client (service role) in
its own process instead of this package's client, and the matrix it yields agrees cell by cell
with the one the rules file implies and with the run observed by our own client. alice signs in
with her password against ``serve --users`` (an IdentitySession), so the per-user rule is met
through a real sign-in."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from authz_helpers import BOB, CHANNELS, as_table, implied, user_token, write_rules
from interop_helpers import js_client
from peers import Peer, PeerError, PeerPool

from inspector.client import ClientSettings
from inspector.client.authz import (
    AuthzEngine,
    ClientObserver,
    ProbeChannel,
    ProbeIdentity,
    SeenCallback,
)
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.protocol.authz_probe import PROBE_EVENT, Capability, probe_marker, probe_payload
from inspector.server import RealtimeServer, ServerConfig
from inspector.server.rules import Rules

USERS = """
users:
  - email: alice@example.com
    password: alice-password
"""


class JsObserver:
    """The engine's :class:`Observer` made of a realtime-js client in a peer process."""

    name = "realtime-js"

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self._ids: dict[ProbeChannel, str] = {}
        self._seen: dict[str, SeenCallback] = {}
        self._n = 0
        self._pump = asyncio.create_task(self._read())

    async def _read(self) -> None:
        def ours(e: dict[str, Any]) -> bool:
            return e.get("ev") in ("broadcast", "presence") and e.get("channel") in self._seen

        while True:
            try:
                event = await self.peer.expect(ours, timeout=3600)
            except PeerError:
                return
            seen = self._seen[event["channel"]]
            if event["ev"] == "broadcast":
                marker = probe_marker(event.get("payload"))
                if marker is not None:
                    seen("broadcast", marker)
            elif event.get("kind") == "join":
                for meta in event.get("presences") or []:
                    marker = probe_marker(meta)
                    if marker is not None:
                        seen("presence", marker)

    async def watch(self, channel: ProbeChannel, seen: SeenCallback) -> str | None:
        self._n += 1
        cid = f"authz-{self._n}"
        self._ids[channel] = cid
        self._seen[cid] = seen
        await self.peer.call(
            "channel",
            id=cid,
            client="obs",
            name=channel.name,
            config={
                "private": channel.private,
                "broadcast": {"self": True, "ack": True},
                "presence": {"key": "authz:realtime-js"},
            },
            listen={"broadcast": [PROBE_EVENT], "presence": True},
        )
        await self.peer.call("subscribe", channel=cid)
        status = await self.peer.expect(
            lambda e: (
                e.get("ev") == "status"
                and e.get("channel") == cid
                and e.get("status") in ("SUBSCRIBED", "CHANNEL_ERROR", "TIMED_OUT")
            )
        )
        return None if status["status"] == "SUBSCRIBED" else str(status.get("error"))

    async def control(self, channel: ProbeChannel, marker: str) -> None:
        cid = self._ids[channel]
        meta = probe_payload(marker, self.name, "control")
        await self.peer.call("send", channel=cid, event=PROBE_EVENT, payload=meta)
        await self.peer.call("track", channel=cid, meta=meta)

    async def unwatch(self, channel: ProbeChannel) -> None:
        cid = self._ids.pop(channel)
        with contextlib.suppress(PeerError):
            await self.peer.call("untrack", channel=cid)
            await self.peer.call("unsubscribe", channel=cid)

    async def close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    (tmp_path / "users.yaml").write_text(USERS)
    return ServerConfig(
        port=0, users=str(tmp_path / "users.yaml"), rules=str(write_rules(tmp_path))
    )


async def test_realtime_js_observer_agrees_with_the_rules_and_our_observer(
    server: RealtimeServer, server_config: ServerConfig, peers: PeerPool
) -> None:
    rules = server_config.load_rules()
    assert isinstance(rules, Rules)
    base = ClientSettings(server.url, server.anon_key)
    alice = IdentitySession(
        IdentitySpec("alice", email="alice@example.com", password="alice-password")
    )
    identities = [
        ProbeIdentity("anon", base),
        ProbeIdentity("alice", await alice.start(base)),
        ProbeIdentity(
            "bob", ClientSettings(server.url, server.anon_key, access_token=user_token(server, BOB))
        ),
    ]
    channels = [ProbeChannel(name, private) for name, private in CHANNELS]
    want = {
        (i.name, ch, p, cap): v
        for i, claims in zip(identities, [{"role": "anon"}, alice.claims, BOB], strict=True)
        for ch, p in CHANNELS
        for cap, v in implied(rules, claims, ch, p).items()
    }
    assert alice.claims["email"] == "alice@example.com"

    js = await js_client(peers, server, "obs", key=server.service_role_key)
    js_observer = JsObserver(js)
    try:
        js_cells = await AuthzEngine(identities, channels, observer=js_observer, wait=1.0).run()
    finally:
        await js_observer.close()
    ours = ClientObserver("ours", ClientSettings(server.url, server.service_role_key))
    try:
        our_cells = await AuthzEngine(identities, channels, observer=ours, wait=1.0).run()
    finally:
        await ours.close()
    await alice.close()

    js_table, our_table = as_table(js_cells), as_table(our_cells)
    assert [k for k in want if js_table.get(k) != want[k]] == []
    assert js_table == our_table
    # realtime-js really was the observer: alice's REST sends to the write-only inbox (she
    # cannot join it) were seen by it alone
    by = {(c.identity, c.channel.name, c.capability): c for c in js_cells}
    assert by[("alice", "inbox", Capability.SEND_REST)].reason == (
        "probe received by realtime-js (observer)"
    )
    # and its silence decides denials: anon's batch to team-news (read only) was dropped
    anon_batch = by[("anon", "team-news", Capability.SEND_REST_BATCH)].reason
    assert "realtime-js (observer)" in anon_batch
    assert anon_batch.startswith("silence")
    assert server.hub.channels() == {}
