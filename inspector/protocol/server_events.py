"""Events the server role of a socket emits, and the parsing of a ``phx_join`` payload.

Pure (stdlib only). :class:`~inspector.protocol.server_conn.ServerConnection` turns client data
into these frozen dataclasses; the asyncio server (``inspector.server``) or an in-memory test
decides what to do with them. Every event names the wire ``topic`` and, for channel events, the
channel ``name`` (the topic without ``realtime:``, §3).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

from .frames import BROADCAST, ENCODING_JSON, JSON, FrameRejected
from .server_fanout import Fanout

# ------------------------------------------------------------------------------- join config


@dataclass(frozen=True, slots=True)
class JoinConfig:
    """The parts of a ``phx_join`` payload the server reads (§4.1, §4.2)."""

    #: ``config.broadcast.ack``: reply to broadcast pushes (§5.2).
    ack: bool = False
    #: ``config.broadcast.self``: deliver the sender's own broadcasts back to it (§5.2).
    self_broadcast: bool = False
    #: ``config.broadcast.replication_ready``: send the "Replication connection established" system.
    replication_ready: bool = False
    #: ``config.broadcast.replay`` as sent (an object), or None.
    replay: dict[str, Any] | None = None
    #: Whether ``config.broadcast`` has a ``replay`` key at all, whatever its value (``null``
    #: and non-objects included): the real server refuses any of them on a public channel.
    replay_sent: bool = False
    #: ``config.presence.enabled``: send ``presence_state`` after the join (§4.5).
    presence_enabled: bool = False
    #: ``config.presence.key`` as a string; "" means "let the server generate one" (§8.3).
    presence_key: str = ""
    #: ``config.private``: an RLS-protected channel (§9.3).
    private: bool = False
    #: ``config.postgres_changes`` bindings, ``null`` entries dropped (§4.2).
    postgres_changes: tuple[dict[str, Any], ...] = ()
    #: the join token: ``user_token`` wins over ``access_token``; None when neither is a string.
    #: Never shown in reprs.
    access_token: str | None = field(default=None, repr=False)
    #: whether ``config`` was present at all (absent means the legacy mode, §4.2).
    has_config: bool = True
    #: fields of invalid type that were dropped, as dotted paths (logged as InvalidJoinPayload).
    invalid_fields: tuple[str, ...] = ()


def _flexible_bool(value: object) -> bool | None:
    """Booleans, or the strings "true"/"false" in any case (§4.2 ``flexible_boolean``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _presence_key(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse_join_payload(payload: JSON) -> JoinConfig:
    """Read a join payload the way the server does: bad fields are dropped, never fatal (§4.2)."""
    invalid: list[str] = []
    if not isinstance(payload, dict):
        return JoinConfig(has_config=False, invalid_fields=("payload",))
    token: str | None = None
    for name in ("user_token", "access_token"):  # user_token wins (§4.2)
        raw = payload.get(name)
        if isinstance(raw, str):
            token = raw
            break
        if raw is not None:
            invalid.append(name)
    config = payload.get("config")
    if not isinstance(config, dict):
        if config is not None:
            invalid.append("config")
        return JoinConfig(access_token=token, has_config=False, invalid_fields=tuple(invalid))
    values: dict[str, Any] = {}

    def flag(section: dict[str, Any], key: str, path: str, target: str) -> None:
        if key not in section or section[key] is None:
            return
        parsed = _flexible_bool(section[key])
        if parsed is None:
            invalid.append(path)
        else:
            values[target] = parsed

    broadcast = config.get("broadcast")
    if isinstance(broadcast, dict):
        flag(broadcast, "ack", "config.broadcast.ack", "ack")
        flag(broadcast, "self", "config.broadcast.self", "self_broadcast")
        flag(
            broadcast,
            "replication_ready",
            "config.broadcast.replication_ready",
            "replication_ready",
        )
        replay = broadcast.get("replay")
        if "replay" in broadcast:
            values["replay_sent"] = True
        if isinstance(replay, dict):
            values["replay"] = replay
        elif replay is not None:
            invalid.append("config.broadcast.replay")
    elif broadcast is not None:
        invalid.append("config.broadcast")
    presence = config.get("presence")
    if isinstance(presence, dict):
        flag(presence, "enabled", "config.presence.enabled", "presence_enabled")
        values["presence_key"] = _presence_key(presence.get("key"))
    elif presence is not None:
        invalid.append("config.presence")
    flag(config, "private", "config.private", "private")
    changes = config.get("postgres_changes")
    if isinstance(changes, list):
        kept = tuple(c for c in changes if isinstance(c, dict))
        if len(kept) != sum(1 for c in changes if c is not None):
            invalid.append("config.postgres_changes")
        values["postgres_changes"] = kept
    elif changes is not None:
        invalid.append("config.postgres_changes")
    return JoinConfig(access_token=token, invalid_fields=tuple(invalid), **values)


def binding_id(binding: dict[str, Any]) -> int:
    """A stable integer id for a postgres_changes binding (the server hashes it, §4.4)."""
    canonical = json.dumps(
        {k: binding.get(k) for k in ("event", "schema", "table", "filter")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return zlib.crc32(canonical.encode()) & 0x7FFFFFF


def join_ok_response(config: JoinConfig) -> dict[str, Any]:
    """The ``response`` of a successful join: bindings echoed in order, each with an ``id`` (§4.4)."""
    return {"postgres_changes": [{**b, "id": binding_id(b)} for b in config.postgres_changes]}


# ------------------------------------------------------------------------------- channel state


@dataclass(slots=True)
class ServerChannel:
    """One joined channel instance on a socket: mutable, owned by the connection."""

    #: the wire topic exactly as the client joined it (``realtime:room-1``).
    topic: str
    #: the channel name (``room-1``).
    name: str
    #: ref of the accepted ``phx_join``; every channel push carries it (§2.6).
    join_ref: str
    #: the parsed join payload.
    config: JoinConfig
    #: ``now`` when the join was accepted.
    joined_at: float
    #: ``exp`` of the token that authorised the channel, or None when it never expires.
    token_exp: float | None = None
    #: when the token watchdog looks next (§7.4), or None.
    token_check_at: float | None = None
    #: most seconds between two watchdog checks (§7.4: 5 minutes).
    token_check_max: float = 300.0


# ------------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class HeartbeatReceived:
    """A ``heartbeat`` on ``phoenix``. The connection has already queued the ok reply (§7.1)."""

    #: the heartbeat's ref (realtime-py sends null).
    ref: str | None
    #: False when the reply was suppressed (:attr:`ServerConnection.reply_to_heartbeats`).
    replied: bool = True


@dataclass(frozen=True, slots=True)
class JoinRequested:
    """A ``phx_join`` on a ``realtime:`` topic. Answer with ``accept_join`` or ``reject_join``."""

    topic: str
    name: str
    #: the join's ref; it becomes the channel's join_ref when accepted.
    join_ref: str | None
    ref: str | None
    config: JoinConfig
    #: the raw payload as sent (it may hold a token: never shown in reprs).
    payload: JSON = field(repr=False)
    #: True when this join replaced an instance already joined on the same topic (§4.6).
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class BroadcastPushed:
    """A ``broadcast`` push on a joined channel: a JSON text frame or a binary kind 3 (§5.1)."""

    topic: str
    name: str
    join_ref: str | None
    ref: str | None
    #: the user event (``payload.event`` of a JSON push, the kind-3 event), or None if absent.
    user_event: str | None
    #: JSON origin: the sender's whole payload object; kind 3: None.
    payload: JSON = None
    #: kind 3 origin: the user payload bytes; JSON origin: None.
    data: bytes | None = None
    #: kind 3 payload encoding (0 raw, 1 JSON); JSON origin: :data:`ENCODING_JSON`.
    encoding: int = ENCODING_JSON
    #: kind 3 metadata bytes (ignored by the real server when fanning out, §2.3).
    metadata: bytes = b""
    #: True for kind 3 pushes.
    binary: bool = False

    @property
    def size(self) -> int:
        """Bytes of user payload, for the payload size limit (§10)."""
        if self.data is not None:
            return len(self.data)
        return len(json.dumps(self.payload, separators=(",", ":"), ensure_ascii=False).encode())

    def fanout(self, wrap: Callable[[str | bytes], Any] | None = None) -> Fanout[Any]:
        """The fan-out of this push: JSON origin stays text, kind 3 becomes kind 4 (§2.5).

        Kind-3 metadata is dropped, as the real server does when fanning out (§2.3).
        ``wrap`` is applied to each encoding (see :class:`Fanout`).
        """
        if self.binary and self.data is not None:
            return Fanout.user_broadcast(self.user_event or "", self.data, self.encoding, wrap=wrap)
        return Fanout.text(BROADCAST, self.payload, wrap=wrap)


@dataclass(frozen=True, slots=True)
class PresencePushed:
    """A ``presence`` push on a joined channel (§8.1)."""

    topic: str
    name: str
    join_ref: str | None
    ref: str | None
    #: ``payload.event`` lowercased (``track``, ``untrack``, ...), or None when absent.
    event: str | None
    #: ``payload.payload`` (the meta to track), or None.
    meta: JSON
    #: the whole payload as sent.
    payload: JSON


@dataclass(frozen=True, slots=True)
class AccessTokenPushed:
    """An ``access_token`` push on a joined channel (§7.4). The server never replies to it."""

    topic: str
    name: str
    join_ref: str | None
    ref: str | None
    #: ``payload.access_token`` as sent (any JSON value; None when missing or null). Not in reprs.
    token: JSON = field(repr=False)


@dataclass(frozen=True, slots=True)
class LeaveRequested:
    """A ``phx_leave`` on a joined channel: ok reply and ``phx_close`` are already queued (§4.6)."""

    topic: str
    name: str
    join_ref: str | None
    ref: str | None
    #: the channel that was removed.
    channel: ServerChannel


@dataclass(frozen=True, slots=True)
class ChannelClosed:
    """A channel instance ended for a reason other than a leave; ``phx_close`` is queued.

    Reasons: ``duplicate join`` (§4.6), the text of a system error (token expiry, rate limits),
    or ``closed by server``.
    """

    topic: str
    name: str
    join_ref: str
    reason: str
    channel: ServerChannel


@dataclass(frozen=True, slots=True)
class OtherPushed:
    """Any other event pushed on a joined channel (custom events, kind 0 binary pushes)."""

    topic: str
    name: str
    join_ref: str | None
    ref: str | None
    event: str
    #: parsed JSON, or bytes for a kind 0 push.
    payload: JSON


@dataclass(frozen=True, slots=True)
class UnmatchedTopic:
    """A push to a topic that is not routed or not joined; the error reply is queued (§3)."""

    topic: str
    event: str
    ref: str | None


@dataclass(frozen=True, slots=True)
class StalePushIgnored:
    """A push whose join_ref is set but is not the channel's current one; dropped (§2.6)."""

    topic: str
    event: str
    join_ref: str
    current_join_ref: str


@dataclass(frozen=True, slots=True)
class IdleTimeout:
    """Nothing came in for the idle timeout (§1.5). The layer above closes the socket."""

    idle_for: float


ServerEvent: TypeAlias = (
    HeartbeatReceived
    | JoinRequested
    | BroadcastPushed
    | PresencePushed
    | AccessTokenPushed
    | LeaveRequested
    | ChannelClosed
    | OtherPushed
    | UnmatchedTopic
    | StalePushIgnored
    | IdleTimeout
    | FrameRejected
)

#: Reason of :class:`ChannelClosed` for a duplicate join (§4.6).
DUPLICATE_JOIN: Final = "duplicate join"
