"""Server-level happenings recorded in ``server.events`` next to the protocol events.

They let tests and the GUI see what the server did without reading logs. None holds a token:
``apikey_fingerprint`` is a short hash that a test can compare with :func:`fingerprint`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def fingerprint(secret: str | None) -> str | None:
    """A short, non-reversible tag of a secret, safe to print and compare."""
    if secret is None:
        return None
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class SocketOpened:
    """A websocket was accepted."""

    socket_id: int
    #: the request path (``/realtime/v1/websocket`` or ``/socket/websocket``).
    path: str
    vsn: str
    #: the names of the query parameters in the order sent (values are not kept).
    query_keys: tuple[str, ...]
    #: the ``vsn`` query value as sent, or None.
    vsn_param: str | None
    apikey_fingerprint: str | None
    #: ``x-api-key`` header was present.
    api_key_header: bool
    role: str


@dataclass(frozen=True, slots=True)
class SocketClosed:
    socket_id: int
    #: the close code seen (None when the connection was dropped without one).
    code: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class HandshakeRefused:
    """A websocket upgrade answered with an HTTP error (§1.4)."""

    path: str
    status: int
    #: the ``error`` text of the body ("" for the empty 403 of a bad vsn).
    error: str


@dataclass(frozen=True, slots=True)
class JoinRefused:
    """A join answered with an error reply (§4.4)."""

    socket_id: int
    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class ChannelJoined:
    socket_id: int
    topic: str
    join_ref: str | None
    role: str
    private: bool


@dataclass(frozen=True, slots=True)
class BroadcastDropped:
    """A websocket broadcast that was not fanned out, and why."""

    socket_id: int
    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class ChannelCrashed:
    """Peer input made a channel end as the real server's channel process would crash on it:
    ``phx_error`` was sent and the channel is gone (inspector.server.crashes)."""

    socket_id: int
    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class RestBroadcast:
    """A REST broadcast request and its answer (§6)."""

    path: str
    #: the names of the query parameters, in order (values are not kept).
    query_keys: tuple[str, ...]
    status: int
    #: messages fanned out (batch) or 1/0 (single).
    delivered_messages: int
    #: subscriber deliveries in total.
    deliveries: int


@dataclass(frozen=True, slots=True)
class HandlerError:
    """A bug: handling an event raised. The socket stays open; tests assert there are none."""

    socket_id: int
    event_type: str
    error: str


@dataclass(frozen=True, slots=True)
class SocketDropped:
    """The server dropped a socket at once (no close frame), as the real server kills a
    websocket process over its heap limit: a slow consumer over its own or the server-wide
    unsent-output cap (docs/server.md "Resource limits")."""

    socket_id: int
    reason: str
