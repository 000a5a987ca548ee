"""The inspector's engine: an asyncio Supabase Realtime client (websockets + httpx, no Qt).

This is the stable surface the GUI and the CLI use; names here do not change.

Connect, join, send, receive::

    import asyncio
    from inspector.client import (
        BroadcastReceived, ChannelConfig, ClientSettings, RealtimeClient, InspectorError,
    )

    async def main() -> None:
        settings = ClientSettings("http://127.0.0.1:54321", api_key="<anon key>")
        client = RealtimeClient(settings)          # settings are checked here (InvalidSettings)
        try:
            await client.connect()                 # typed ConnectError on failure
            await client.join(ChannelConfig("room-1", broadcast_ack=True))   # JoinRefused...
            result = await client.send("room-1", "ping", {"n": 1})  # PushResult ok/error/timed out
            print(result.status, result.rtt)
            async for event in client.events():    # or RealtimeClient(..., on_event=callback)
                if isinstance(event, BroadcastReceived):
                    print(event.event, event.json_payload())   # payload parsed only when asked
        except InspectorError as exc:
            print(exc.message)                     # one line in plain words
        finally:
            await client.close()

    asyncio.run(main())

What the client does (docs/realtime-protocol.md): many channels on one socket, each with its
own :class:`ChannelConfig` (broadcast ``self``/``ack``, presence key and enabled, ``private``,
``events``: names or globs matched without regard to case, :mod:`inspector.protocol.event_filter`;
refused broadcasts are dropped before an event is built and counted in
``client.channels[topic].filtered``); heartbeats every 25 s with the round trip in
:class:`HeartbeatEvent` and ``client.heartbeat_rtt``, a missed reply reconnects (§7.1);
reconnect after 1, 2, 5, 10, 10… s and rejoin of every channel, join timeout 10 s, rejoin
after join errors (§7.2); pushes made while a channel is not joined wait in a bounded buffer
(``client.channels[topic].dropped`` counts what was dropped); token refresh with
:meth:`RealtimeClient.set_access_token` (§7.4); REST broadcast with
:meth:`RealtimeClient.rest_send` (§6) giving a :class:`RestResult`.

Calls (all on :class:`RealtimeClient`): ``connect(retry=False)``, ``close()``,
``join(config | name, wait=True, timeout=None) -> Channel``, ``leave(name)``,
``send(name, event, payload, binary=False, timeout=None) -> PushResult``,
``rest_send(name, event, payload, binary=False, private=None, batch=False) -> RestResult``,
``set_access_token(token)``, ``track(name, payload) -> PushResult``,
``untrack(name) -> PushResult``, ``events() -> AsyncIterator[ClientEvent]``.
State: ``state`` (:class:`ConnectionState`), ``channels`` (topic -> Channel with ``state``,
``join_ref``, ``last_error``, ``dropped``, ``received``, ``presence.state``),
``heartbeat_rtt``, ``last_error``, ``events_dropped``.

Events (frozen dataclasses; delivered to ``on_event`` inside the client's pump, so keep the
callback quick and batch in the GUI, or read them from ``events()``, a bounded queue that drops
broadcasts, never state changes, for a slow consumer and then says so with
:class:`EventsDropped`):

- :class:`ConnectionStateChanged`: ``state`` (closed / connecting / open / reconnect_wait),
  ``attempt``, ``retry_in`` ("reconnecting in N s (attempt k)"), ``reason`` of the disconnect.
- :class:`HeartbeatEvent`: ``status`` sent/ok/error/timeout, ``rtt``.
- :class:`ChannelStateChanged`: ``topic``, ``state``, ``cause``, ``reason`` (the server's exact
  join error or system message), ``retry_in`` (next rejoin).
- :class:`BroadcastReceived`: ``topic``, ``event``, ``binary``, ``size``, ``received_at``;
  ``json_payload()``, ``payload_bytes()``, ``display_payload()`` (base64 marker for bytes),
  ``meta()`` — the payload stays undecoded until one of these is called.
- :class:`PresenceChanged` (state/diff with joins, leaves and the whole map),
  :class:`SystemMessage`, :class:`ChannelMessage` (postgres_changes and other events).
- :class:`PushResult`: ``status`` sent/ok/error/timed_out/dropped, ``response``, ``rtt``.
- :class:`ErrorOccurred`: a typed :class:`InspectorError` (tree in :mod:`.errors`).
- :class:`FrameRejected` (malformed frame, the client keeps going), :class:`MessageIgnored`.

Frame tap: set ``client.on_frame = callback`` to get a :class:`FrameRecord` for every frame in
and out (direction, monotonic and wall time, opcode, size, data, ``decoded()``); secrets (the
table of :mod:`inspector.protocol.redact`: ``apikey``, ``access_token``, ``Authorization``,
JWTs...) are redacted unless ``ClientSettings(redact_frames=False)``. With no callback the tap costs one None check.
"""

from inspector.protocol.channel import Channel, ChannelConfig
from inspector.protocol.client_url import Endpoints, endpoints
from inspector.protocol.redact import (
    may_hold_secret,
    redact_bytes,
    redact_text,
    redact_url,
    redact_value,
)

from .client import RealtimeClient
from .errors import (
    AuthRejected,
    ChannelClosed,
    ChannelError,
    ClientStateError,
    ConnectError,
    ConnectionLost,
    EndpointNotFound,
    HandshakeRejected,
    HostUnreachable,
    InspectorError,
    InvalidPayload,
    InvalidSettings,
    JoinRefused,
    JoinTimedOut,
    RateLimited,
    TlsError,
)
from .events import (
    BroadcastReceived,
    ChannelCause,
    ChannelMessage,
    ChannelState,
    ChannelStateChanged,
    ClientEvent,
    ConnectionState,
    ConnectionStateChanged,
    ErrorOccurred,
    EventsDropped,
    FrameRejected,
    HeartbeatEvent,
    MessageIgnored,
    PresenceChanged,
    PushResult,
    PushStatus,
    SystemMessage,
)
from .rest import RestMessage, RestResult
from .settings import CLIENT_VERSION, ClientSettings
from .tap import FrameRecord

__all__ = [
    "CLIENT_VERSION",
    "AuthRejected",
    "BroadcastReceived",
    "Channel",
    "ChannelCause",
    "ChannelClosed",
    "ChannelConfig",
    "ChannelError",
    "ChannelMessage",
    "ChannelState",
    "ChannelStateChanged",
    "ClientEvent",
    "ClientSettings",
    "ClientStateError",
    "ConnectError",
    "ConnectionLost",
    "ConnectionState",
    "ConnectionStateChanged",
    "EndpointNotFound",
    "Endpoints",
    "ErrorOccurred",
    "EventsDropped",
    "FrameRecord",
    "FrameRejected",
    "HandshakeRejected",
    "HeartbeatEvent",
    "HostUnreachable",
    "InspectorError",
    "InvalidPayload",
    "InvalidSettings",
    "JoinRefused",
    "JoinTimedOut",
    "MessageIgnored",
    "PresenceChanged",
    "PushResult",
    "PushStatus",
    "RateLimited",
    "RealtimeClient",
    "RestMessage",
    "RestResult",
    "SystemMessage",
    "TlsError",
    "endpoints",
    "may_hold_secret",
    "redact_bytes",
    "redact_text",
    "redact_url",
    "redact_value",
]
