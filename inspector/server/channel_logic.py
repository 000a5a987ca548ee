"""What the server decides for each protocol event: joins, broadcasts, presence, refreshes.

The pure connection (inspector.protocol.server_conn) has already answered what Phoenix answers
(heartbeats, unmatched topics, leaves, duplicate joins). This module is the Realtime channel's
policy: the join checks of §4.3 with the texts of §4.4, broadcast rules of §5.2, presence of §8,
token refresh and expiry of §7.4, limits of §10, and the private-channel rules (§9.3).

It is built from its collaborators (config, hub, authenticator, rules, tenant limits, journal,
faults) and sees a socket only as a :class:`Peer`, so it can be driven without one.
"""

from __future__ import annotations

import fnmatch
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from inspector.protocol.frames import PRESENCE_STATE, FrameRejected
from inspector.protocol.invisible import printable
from inspector.protocol.jwt import JwtError, join_reason, system_text
from inspector.protocol.server_events import (
    AccessTokenPushed,
    BroadcastPushed,
    ChannelClosed,
    IdleTimeout,
    JoinRequested,
    LeaveRequested,
    PresencePushed,
)
from inspector.protocol.server_json import compact_size

from .auth import Identity
from .crashes import join_config_error, join_payload_error, presence_event_crashes
from .hub import Hub, Sub
from .limits import (
    PAYLOAD_SIZE_EXCEEDED,
    PRESENCE_RATE_LIMIT,
    TOO_MANY_MESSAGES,
    TRACK_TOO_BIG,
    CallWindow,
    TenantLimits,
)
from .lograte import LogLimiter
from .notes import BroadcastDropped, ChannelCrashed, ChannelJoined, JoinRefused
from .rules import ALL, Permissions, Rules
from .wsframe import ws_frame

if TYPE_CHECKING:
    from inspector.protocol.server_conn import ServerConnection

    from .auth import Authenticator
    from .config import ServerConfig
    from .faults import Faults
    from .recorder import Journal

log = logging.getLogger("inspector.server")

TOPIC_NAME_REQUIRED = "TopicNameRequired: You must provide a topic name"
TOO_MANY_CHANNELS = "ChannelRateLimitReached: Too many channels"
REPLAY_PUBLIC = "UnableToReplayMessages: Replay is not allowed for public channels"
REPLAY_INVALID = "UnableToReplayMessages: Replay params are not valid"
#: Why a JSON broadcast whose payload is not an object crashes the sender's channel: the v2
#: serializer's ``fastlane!`` raises for it (supabase/realtime:lib/realtime_web/socket/
#: v2_serializer.ex), inside the sender's dispatch (message_dispatcher.ex), §2.5.
NON_OBJECT_BROADCAST = "expected broadcasted payload to be a map"


def unauthorized(name: str) -> str:
    """The join refusal of a private channel without read permission (§4.4)."""
    return f"Unauthorized: You do not have permissions to read from this Channel topic: {name}"


def no_longer_permitted(name: str) -> str:
    """The system error after a refresh that lost read permission (§7.4)."""
    return f"You no longer have permission to read from this Channel topic: {name}"


#: The milliseconds Elixir's ``DateTime.from_unix(since, :millisecond)`` accepts (years
#: -9999..9999); outside them the real server answers "Replay params are not valid".
REPLAY_SINCE_MIN = -377_705_116_800_000
REPLAY_SINCE_MAX = 253_402_300_799_999
#: The real server clamps ``limit`` to 1..25 (``lib/realtime/messages.ex``, ``@hard_limit``).
REPLAY_LIMIT_MAX = 25


def _replay_valid(replay: dict[str, Any]) -> bool:
    """``config.broadcast.replay`` as ``Realtime.Messages.replay/5`` takes it (§4.2): ``since``
    an integer of ms in DateTime's range; ``limit`` an integer or absent (``limit || 25``:
    ``null`` and ``false`` mean 25); any integer limit is accepted and clamped, not refused."""
    since, limit = replay.get("since"), replay.get("limit")
    ok_since = (
        isinstance(since, int)
        and not isinstance(since, bool)
        and REPLAY_SINCE_MIN <= since <= REPLAY_SINCE_MAX
    )
    ok_limit = limit is None or limit is False or (type(limit) is int)
    return ok_since and ok_limit


class Peer(Protocol):
    """What the channel logic needs of one client socket (a FrameSink for the hub, too)."""

    @property
    def id(self) -> int: ...

    @property
    def vsn(self) -> str: ...

    #: the identity of the socket's token (§1.2); joins may bring their own (§4.3).
    @property
    def identity(self) -> Identity: ...

    #: the pure protocol state of the socket; replies are queued on it.
    @property
    def conn(self) -> ServerConnection: ...

    def write(self, frame: bytes) -> None:
        """Write a complete frame after whatever the connection has queued."""

    def flush(self) -> None:
        """Write what the connection has queued."""

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` seconds unless the socket closes first."""

    def close_soon(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket with ``code`` from synchronous code."""


class ChannelLogic:
    """Handles the events of every socket of one server."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        hub: Hub[Peer],
        auth: Authenticator,
        rules: Rules,
        limits: TenantLimits,
        journal: Journal,
        faults: Faults,
        logs: LogLimiter | None = None,
    ) -> None:
        self.config = config
        #: repeated peer-caused lines (malformed frames) go through it, rate-limited.
        self.logs = logs or LogLimiter(log, config.log_interval_s)
        self.hub = hub
        self.auth = auth
        self.rules = rules
        self.limits = limits
        self.journal = journal
        self.faults = faults

    def handle(self, s: Peer, event: object, now: float) -> None:
        """Dispatch one event of socket ``s``."""
        self.journal.note(s.id, event)
        if isinstance(event, BroadcastPushed):
            self.on_broadcast(s, event, now)
        elif isinstance(event, JoinRequested):
            self.on_join(s, event, now)
        elif isinstance(event, LeaveRequested | ChannelClosed):
            self.hub.remove(s.id, event.topic)
        elif isinstance(event, PresencePushed):
            self.on_presence(s, event, now)
        elif isinstance(event, AccessTokenPushed):
            self.on_access_token(s, event, now)
        elif isinstance(event, IdleTimeout):
            log.info("socket %d: nothing received for %.0f s; closing", s.id, event.idle_for)
            s.close_soon(1000, "idle timeout")
        elif isinstance(event, FrameRejected):
            self.logs.log(
                logging.WARNING,
                "malformed frame",
                "socket %d: malformed frame dropped: %s",
                s.id,
                printable(event.reason),
            )

    # ------------------------------------------------------------------------------ joins

    def _refusal(
        self, s: Peer, ev: JoinRequested, now: float
    ) -> tuple[str, None] | tuple[None, tuple[Identity, Permissions]]:
        """The checks of §4.3 in order: the reason to refuse, or who joins with what rights."""
        for pattern, reason in self.faults.reject_joins.items():
            if fnmatch.fnmatchcase(ev.name, pattern):
                return reason, None
        if ev.name == "":
            return TOPIC_NAME_REQUIRED, None
        crash = join_payload_error(ev.payload)  # raised before any check (crashes.py)
        if crash is not None:
            return crash, None
        if len(s.conn.channels) >= self.config.max_channels_per_socket:
            return TOO_MANY_CHANNELS, None
        config = ev.config
        token = config.access_token
        if token is None or token.startswith("sb_"):  # §4.3 step 7
            token = s.identity.token
        identity = self.auth.authenticate(token, now)
        if isinstance(identity, JwtError):
            return join_reason(identity), None
        perms = ALL
        if config.private:
            perms = self.rules.permissions(identity.role, ev.name, identity.claims)
            if not perms.can_join:
                return unauthorized(ev.name), None
        if config.replay_sent:  # §4.3 step 10 (realtime_channel.ex can_replay?, maybe_replay)
            if config.private and not perms.read:
                return unauthorized(ev.name), None
            if not config.private:
                return REPLAY_PUBLIC, None
            if config.replay is not None and not _replay_valid(config.replay):
                return REPLAY_INVALID, None
        crash = join_config_error(ev.payload)  # raised after the checks (crashes.py)
        if crash is not None:
            return crash, None
        return None, (identity, perms)

    def on_join(self, s: Peer, ev: JoinRequested, now: float) -> None:
        if self.faults.mute_join_replies:
            return
        reason, granted = self._refusal(s, ev, now)
        if reason is not None or granted is None:
            refusal = reason or "Unknown Error on Channel"
            log.info(
                "socket %d: join %s refused: %s", s.id, printable(ev.topic), printable(refusal)
            )
            self.journal.note(s.id, JoinRefused(s.id, ev.topic, refusal))
            delay = self.config.channel_error_delay_ms / 1000
            if delay > 0:  # the real server holds error replies back (§4.3)
                s.later(delay, lambda: s.conn.reject_join(ev, refusal))
            else:
                s.conn.reject_join(ev, refusal)
            return
        identity, perms = granted
        config = ev.config
        channel = s.conn.accept_join(
            ev,
            now,
            token_exp=identity.exp,
            token_check_max=self.config.token_check_interval_s,
        )
        key = config.presence_key or str(uuid.uuid1())  # generated when empty (§8.3)
        calls = CallWindow(self.config.presence_max_calls, self.config.presence_window_ms / 1000)
        sub = Sub(s, channel, identity, perms, key, calls)
        self.hub.add(sub)
        log.info(
            "socket %d joined %s (%s, role %s)",
            s.id,
            printable(ev.topic),
            "private" if config.private else "public",
            printable(identity.role),
        )
        self.journal.note(
            s.id, ChannelJoined(s.id, ev.topic, channel.join_ref, identity.role, config.private)
        )
        if config.replay is not None:
            log.info(
                "socket %d: %s asked to replay since %s (limit %s): this server keeps no "
                "messages (no database), nothing is replayed",
                s.id,
                printable(ev.topic),
                printable(str(config.replay.get("since"))[:40]),
                printable(str(config.replay.get("limit"))[:40]),
            )
        # After the join reply (§4.5).
        if config.presence_enabled and sub.perms.presence_read:
            s.conn.push(ev.topic, PRESENCE_STATE, self.hub.presence_state(sub.key))
        if config.postgres_changes:
            s.conn.system(ev.topic, "ok", "Subscribed to PostgreSQL", "postgres_changes")
        if config.replication_ready:
            s.conn.system(ev.topic, "ok", "Replication connection established")

    # ------------------------------------------------------------------------------ broadcast

    def close_with_error(self, s: Peer, topic: str, text: str) -> None:
        """System error then ``phx_close`` (§4.6); the channel's subscription ends."""
        closed = s.conn.system_error_and_close(topic, text)
        if closed is not None:
            self.hub.remove(s.id, topic)
            self.journal.note(s.id, closed)
        s.flush()

    def crash_channel(self, s: Peer, topic: str, why: str) -> None:
        """The channel process of the real server raised: ``phx_error``, the channel is gone
        (its presence leaves), the client rejoins (§4.6)."""
        log.info(
            "socket %d: channel %s crashed, as the real server's would: %s",
            s.id,
            printable(topic),
            why,
        )
        if self.error_channel(s, topic):
            self.journal.note(s.id, ChannelCrashed(s.id, topic, why))
        s.flush()

    def error_channel(self, s: Peer, topic: str) -> bool:
        """``phx_error`` on ``topic`` (the channel is gone, the client rejoins, §4.6).

        False when the socket has no such channel. The caller flushes.
        """
        if s.conn.error_channel(topic) is None:
            return False
        self.hub.remove(s.id, topic)
        return True

    def forget(self, s: Peer) -> None:
        """A socket ended: its channels go (presence leaves, §8.3)."""
        self.hub.remove_socket(s.id)

    def _rate_limited(self, sub: Sub[Peer], now: float) -> bool:
        """Count one inbound event; when over the limit close the channels involved (§10)."""
        rate = self.limits.rate
        if rate is None:
            return False
        rate.add(1, now)
        if not rate.over(now):
            return False
        for other in self.hub.subscribers(sub.key):
            if other is sub or other.perms.read:
                self.close_with_error(other.sink, other.topic, TOO_MANY_MESSAGES)
        return True

    def on_broadcast(self, s: Peer, ev: BroadcastPushed, now: float) -> None:
        sub = self.hub.get(s.id, ev.topic)
        if sub is None:
            return
        if sub.private and not sub.perms.write:  # dropped silently, even with ack (§5.2)
            self.journal.note(s.id, BroadcastDropped(s.id, ev.topic, "no write permission"))
            return
        if self._rate_limited(sub, now):
            return
        if ev.size > self.limits.max_payload:  # §10: error ack, or silent drop without ack
            self.journal.note(s.id, BroadcastDropped(s.id, ev.topic, PAYLOAD_SIZE_EXCEEDED))
            if sub.ack and not self.faults.mute_acks:
                s.conn.reply(ev.topic, ev.join_ref, ev.ref, "error", PAYLOAD_SIZE_EXCEEDED)
            return
        if not self.faults.drop_broadcasts:
            if ev.binary or isinstance(ev.payload, dict):
                delivered = self.hub.publish(sub.key, ev.fanout(ws_frame), sender=sub)
            else:  # v1 receivers get it; the first v2 one crashes the sender's channel
                delivered, crashed = self.hub.publish_non_object(
                    sub.key, ev.fanout(ws_frame), sender=sub
                )
                if crashed:
                    self.crash_channel(s, ev.topic, NON_OBJECT_BROADCAST)
                    return
            self.limits.count(delivered, now)
        if sub.ack and not self.faults.mute_acks:  # only with ack:true (§5.2)
            s.conn.reply(ev.topic, ev.join_ref, ev.ref, "ok", {})

    # ------------------------------------------------------------------------------ presence

    def on_presence(self, s: Peer, ev: PresencePushed, now: float) -> None:
        sub = self.hub.get(s.id, ev.topic)
        if sub is None:
            return
        if presence_event_crashes(ev.payload):  # String.downcase/2 raises (crashes.py)
            self.crash_channel(s, ev.topic, "presence event is not a string")
            return
        if not sub.presence_calls.allow(now):  # 5 calls per 30 s (§8.5)
            self.close_with_error(s, ev.topic, PRESENCE_RATE_LIMIT)
            return
        conn = s.conn
        if ev.event is None:  # accepted, does nothing (§8.2)
            conn.reply(ev.topic, ev.join_ref, ev.ref, "ok", {})
            return
        if sub.private and not sub.perms.presence_write:
            conn.reply(ev.topic, ev.join_ref, ev.ref, "error", {})
            return
        if ev.event == "track":
            meta = ev.meta
            if not isinstance(meta, dict):
                reason = {"reason": "Presence track payload must be a map"}
                conn.reply(ev.topic, ev.join_ref, ev.ref, "error", reason)
                return
            size = compact_size(meta)  # the size a broadcast of it would have (§10)
            if size > self.limits.max_payload:
                self.close_with_error(s, ev.topic, TRACK_TOO_BIG)
                return
            full = self.hub.presence_budget.refusal(sub, s.id, size)
            if full is not None:  # local caps, in the style of TRACK_TOO_BIG
                self.logs.log(
                    logging.WARNING,
                    "presence cap",
                    "socket %d: track on %s refused: %s (%d bytes)",
                    s.id,
                    ev.topic,
                    full,
                    size,
                )
                self.close_with_error(s, ev.topic, full)
                return
            conn.reply(ev.topic, ev.join_ref, ev.ref, "ok", {})
            s.flush()  # the reply goes before the diff (§8.2, §8.3)
            self.hub.track(sub.key, sub, sub.presence_key, meta, socket_id=s.id, size=size)
        elif ev.event == "untrack":
            conn.reply(ev.topic, ev.join_ref, ev.ref, "ok", {})
            s.flush()
            self.hub.untrack(sub.key, sub)
        else:
            conn.reply(ev.topic, ev.join_ref, ev.ref, "error", {})

    # ------------------------------------------------------------------------------ tokens

    def on_access_token(self, s: Peer, ev: AccessTokenPushed, now: float) -> None:
        """§7.4: ignore same/null/``sb_`` tokens; otherwise verify and re-check, or close."""
        sub = self.hub.get(s.id, ev.topic)
        token = ev.token
        if sub is None or token is None:
            return
        if not isinstance(token, str):  # no access_token clause matches: ignored (§7.4)
            return
        if isinstance(token, str) and (token == sub.identity.token or token.startswith("sb_")):
            return
        identity = self.auth.authenticate(token, now)
        if isinstance(identity, JwtError):
            self.close_with_error(s, ev.topic, system_text(identity))
            return
        if sub.private:
            perms = self.rules.permissions(identity.role, sub.name, identity.claims)
            if not perms.can_join:
                self.close_with_error(s, ev.topic, no_longer_permitted(sub.name))
                return
            sub.perms = perms
        sub.identity = identity
        s.conn.set_token_expiry(ev.topic, identity.exp, now)
