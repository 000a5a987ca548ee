"""Channel options, channel join state and connection state, as the UI shows them (pure).

The options are what a tab was joined with (docs/realtime-protocol.md §4.1): ``ack`` and
``self`` are broadcast options of the join, so changing them means a rejoin (§5.2). The event
filter is the tab's own: like realtime-js's ``on('broadcast', {event})`` it is matched without
regard to case and ``*`` matches everything (§5.3).

Statuses carry deadlines (``retry_at``) on the caller's monotonic clock; :meth:`describe` takes
``now`` so the text can count down without the store reading a clock.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Final

from inspector.protocol.event_filter import parse_event_list
from inspector.store.timefmt import utc_iso

#: The replay limits the real server uses (it clamps ``limit`` to 1..25, 25 when absent).
REPLAY_LIMIT_MIN: Final = 1
REPLAY_LIMIT_MAX: Final = 25
_AGO: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)", re.IGNORECASE)
_AGO_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


class ReplaySinceError(ValueError):
    """A replay time that is not one (the message says what is accepted)."""


def parse_replay_since(text: str, now: float) -> int:
    """``config.broadcast.replay.since`` (ms since the epoch) from what a person types: ms since
    the epoch (``1767225600000``), a duration before ``now`` (``90s``, ``15m``, ``2h``, ``1d``)
    or an ISO-8601 time (``2026-12-05T06:00:00Z``; without a zone, local time)."""
    raw = text.strip()
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    ago = _AGO.fullmatch(raw)
    if ago is not None:
        span = float(ago.group(1)) * _AGO_MS[ago.group(2).lower()]
        if math.isfinite(span):
            return int(now * 1000 - span)
        raw = ""  # a duration longer than any clock: refused below
    try:
        stamp = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        return int(stamp.timestamp() * 1000)
    except (ValueError, OverflowError, OSError):
        raise ReplaySinceError(
            f"not a replay time: {text[:40]!r} (use ms since 1970, a duration before now "
            "such as 15m, 2h or 1d, or an ISO-8601 time such as 2026-12-05T06:00:00Z)"
        ) from None


#: A since this far ahead of the local clock is a mistake, not clock skew.
REPLAY_FUTURE_SLACK_MS: Final = 60_000


def replay_since_in_future(since_ms: int, now: float) -> str | None:
    """A note when ``since_ms`` is ahead of ``now`` (seconds) by more than a minute: the server
    accepts it and replays only messages sent after it, so the join replays nothing (a time
    zone slip, or a date typed wrong), or None."""
    ahead = since_ms - now * 1000
    if ahead <= REPLAY_FUTURE_SLACK_MS:
        return None
    minutes = ahead / 60_000
    if minutes < 120:
        span = f"{minutes:,.0f} min"
    elif minutes < 2 * 1440:
        span = f"{minutes / 60:,.0f} h"
    elif minutes < 730 * 1440:
        span = f"{minutes / 1440:,.0f} days"
    else:
        span = f"{minutes / 1440 / 365.25:,.0f} years"
    return (
        f"the replay time is {span} in the future: the server replays only messages sent "
        "after it, so nothing is replayed now"
    )


def replay_limit_problem(limit: int | None) -> str | None:
    """Why a replay limit is not one the server would use as given, or None."""
    if limit is not None and not REPLAY_LIMIT_MIN <= limit <= REPLAY_LIMIT_MAX:
        return (
            f"replay limit must be {REPLAY_LIMIT_MIN}..{REPLAY_LIMIT_MAX} (the server keeps "
            f"at most {REPLAY_LIMIT_MAX}), got {limit}"
        )
    return None


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    """One tab's channel: the name (without ``realtime:``) and its join options."""

    name: str
    broadcast_self: bool = False
    ack: bool = False
    private: bool = False
    #: presence key; a key turns presence on for this tab (the server makes one up when empty).
    presence_key: str = ""
    #: lower-case event names or globs to show; empty means every event.
    events: tuple[str, ...] = ()
    #: listen to presence without a key of our own (``config.presence.enabled``, §4.1, §8).
    #: Listening never tracks: the inspector is only present when the user tracks.
    presence: bool = False
    #: Broadcast Replay (private channels): replay the messages sent from the database since
    #: this time, ms since the epoch (``config.broadcast.replay.since``); None: no replay.
    replay_since: int | None = None
    #: at most this many replayed messages (1..25; None lets the server use 25).
    replay_limit: int | None = None
    #: the id of the profile identity the tab joins as (issue #13 §1); "" is the profile's
    #: own key and token. Each identity joins over its own socket.
    identity: str = ""

    @property
    def presence_enabled(self) -> bool:
        """Whether the join asks for presence (``presence_state`` and diffs, §4.5)."""
        return self.presence or bool(self.presence_key)

    def validate(self) -> str | None:
        """Why these options cannot be joined, or None."""
        if not self.name.strip():
            return "Channel name is required"
        if self.name != self.name.strip():
            return "Channel name has leading or trailing spaces"
        if len(self.name.encode()) > 240:
            return "Channel name is too long (binary frames allow 255 bytes per topic, §2.3)"
        if self.replay_since is not None and not self.private:
            return "Replay needs a private channel (Realtime refuses it on public ones)"
        if self.replay_since is None and self.replay_limit is not None:
            return "A replay limit needs a replay time"
        return replay_limit_problem(self.replay_limit)

    def with_broadcast(self, *, ack: bool, broadcast_self: bool) -> ChannelOptions:
        return replace(self, ack=ack, broadcast_self=broadcast_self)

    def with_presence(self, enabled: bool) -> ChannelOptions:
        """Presence on (listening) or off (which also drops the presence key)."""
        if enabled:
            return replace(self, presence=True)
        return replace(self, presence=False, presence_key="")

    def chips(self) -> list[str]:
        """Short labels for the tab header: ``self``, ``ack``, ``private``, ``presence: k``."""
        out = []
        if self.broadcast_self:
            out.append("self")
        if self.ack:
            out.append("ack")
        out.append("private" if self.private else "public")
        if self.presence_key:
            out.append(f"presence: {self.presence_key}")
        elif self.presence:
            out.append("presence")
        if self.events:
            out.append("events: " + ", ".join(self.events))
        if self.replay_since is not None:
            limit = f", limit {self.replay_limit}" if self.replay_limit is not None else ""
            out.append(f"replay since {utc_iso(self.replay_since / 1000)}{limit}")
        return out

    def differences(self, other: ChannelOptions) -> list[str]:
        """What differs, in words: ``["ack on (open tab: off)"]``."""
        out = []
        for label, mine, theirs in (
            ("self", self.broadcast_self, other.broadcast_self),
            ("ack", self.ack, other.ack),
            ("private", self.private, other.private),
        ):
            if mine != theirs:
                out.append(f"{label} {_onoff(mine)} (open tab: {_onoff(theirs)})")
        if self.presence_key != other.presence_key:
            out.append("presence key")
        elif self.presence != other.presence:
            out.append(f"presence {_onoff(self.presence)} (open tab: {_onoff(other.presence)})")
        if self.events != other.events:
            out.append("event filter")
        if (self.replay_since, self.replay_limit) != (other.replay_since, other.replay_limit):
            out.append("replay")
        if self.identity != other.identity:
            out.append("identity")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "self": self.broadcast_self,
            "ack": self.ack,
            "private": self.private,
            "presence_key": self.presence_key,
            "events": list(self.events),
            "presence": self.presence,
            "replay_since": self.replay_since,
            "replay_limit": self.replay_limit,
            **({"identity": self.identity} if self.identity else {}),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ChannelOptions | None:
        """Rebuild from :meth:`to_dict` output; None when malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        events = data.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            events = []
        options = cls(
            name=data["name"],
            broadcast_self=data.get("self") is True,
            ack=data.get("ack") is True,
            private=data.get("private") is True,
            presence_key=data["presence_key"] if isinstance(data.get("presence_key"), str) else "",
            events=parse_event_list(",".join(events)),
            presence=data.get("presence") is True,
            replay_since=_whole(data.get("replay_since")),
            replay_limit=_whole(data.get("replay_limit")),
            identity=data["identity"] if isinstance(data.get("identity"), str) else "",
        )
        return options if options.validate() is None else None


def _whole(value: Any) -> int | None:
    return value if type(value) is int else None


def _onoff(value: bool) -> str:
    return "on" if value else "off"


def join_conflict(new: ChannelOptions, open_tabs: list[ChannelOptions]) -> str | None:
    """Why ``new`` cannot be opened next to ``open_tabs``, or None.

    One socket carries one instance per topic: a second ``phx_join`` on ``realtime:<name>``
    makes the server close the first (§4.6), so the same name is refused rather than merged.
    """
    for tab in open_tabs:
        if tab.name != new.name:
            continue
        diff = new.differences(tab)
        if not diff:
            return f"Channel “{new.name}” is already open in a tab."
        if diff == ["identity"]:
            advice = (
                "A tab shows a channel as one identity; to see it as several side by side, "
                "use Channel → Compare identities…, or close the tab first."
            )
        else:
            advice = (
                "One socket joins a topic once; change ack/self from the tab's composer "
                "or close the tab first."
            )
        return (
            f"Channel “{new.name}” is already open with different options: "
            + "; ".join(diff)
            + ". "
            + advice
        )
    return None


def _countdown(retry_at: float | None, now: float) -> str:
    if retry_at is None:
        return ""
    return f"{max(0, math.ceil(retry_at - now))} s"


class TabState(Enum):
    """Join state of a tab's channel, in the tab's words (§4). Not the client's
    :class:`~inspector.protocol.events.ChannelState`: a tab also waits for a connection and
    knows it was left."""

    #: the tab is open but the socket is not connected; it joins when it is.
    WAITING = "waiting for connection"
    JOINING = "joining"
    JOINED = "joined"
    #: the join was refused or the channel crashed; the client retries (§4.4, §4.6).
    ERRORED = "errored"
    #: the server closed the channel (``phx_close``, possibly after a system error, §4.6).
    CLOSED = "closed"
    #: we left it.
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    state: TabState
    #: the server's exact reason or system message, when there is one.
    reason: str | None = None
    #: when the next rejoin happens, on the caller's monotonic clock.
    retry_at: float | None = None

    def describe(self, now: float) -> str:
        text = self.state.value
        if self.reason:
            text += f": {self.reason}"
        if self.state is TabState.ERRORED and self.retry_at is not None:
            text += f" · retrying in {_countdown(self.retry_at, now)}"
        return text


class LinkState(Enum):
    """The connection as the toolbar shows it. Not the client's
    :class:`~inspector.protocol.events.ConnectionState`: the controller maps that onto these
    words (a lost socket waiting to reconnect is RECONNECTING here)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    state: LinkState = LinkState.DISCONNECTED
    #: last heartbeat round trip, milliseconds.
    rtt_ms: float | None = None
    #: why we are disconnected or reconnecting (``HTTP 401: Invalid JWT``, ``host not found``).
    reason: str | None = None
    #: when the next attempt starts, on the caller's monotonic clock.
    retry_at: float | None = None
    #: which reconnect attempt comes next (1 for the first).
    attempt: int = 0

    def describe(self, now: float) -> str:
        """The toolbar's words: ``connected · heartbeat 1.2 ms``, ``reconnecting in 3 s (attempt 2)``."""
        s = self.state
        if s is LinkState.CONNECTED:
            if self.rtt_ms is None:
                return "connected"
            return f"connected · heartbeat {self.rtt_ms:.1f} ms"
        if s is LinkState.CONNECTING:
            return "connecting…"
        if s is LinkState.RECONNECTING:
            text = "reconnecting"
            if self.retry_at is not None and self.retry_at > now:
                text += f" in {_countdown(self.retry_at, now)}"
            elif self.retry_at is not None:
                text += " now"
            if self.attempt:
                text += f" (attempt {self.attempt})"
            if self.reason:
                text += f" · {self.reason}"
            return text
        return f"disconnected: {self.reason}" if self.reason else "disconnected"
