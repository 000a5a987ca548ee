"""ControllerBase: what the window talks to. Owns the open channels (one
:class:`~inspector.ui.open_channel.OpenChannel` per tab) and the connection status; subclasses
do the network work.

Widgets never see the network client: they call the intent methods here (connect, join, send,
...) and listen to the Qt signals. :class:`~inspector.ui.controller.InspectorController` is the
real subclass (asyncio client tasks on the qasync loop); tests drive the same window with a
fake subclass. Everything here runs on the GUI thread.

Times: rows carry wall-clock times (``wall_clock()``), statuses carry deadlines on the
monotonic ``clock()`` so they can count down.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final, Protocol

from PySide6.QtCore import QObject, Signal

from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.protocol.frames import typed_channel_name
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    PayloadFormat,
    Preferences,
    Profile,
    SendInfo,
    SendState,
    TabState,
    Transport,
    join_conflict,
    system_record,
    validate_key,
    validate_url,
)
from inspector.store.frames.frames import FrameLog
from inspector.store.presence.presence_roster import OwnState
from inspector.store.profiles.profiles import describe_token, normalize_url
from inspector.store.ring import ByteBudget
from inspector.store.timefmt import utc_iso

from .open_channel import OpenChannel, RepeatRequest, SendRequest

#: Words of a refused join that mean "not allowed" (the server's RLS texts, §9.3).
#: A send's outcomes: counted once in the tab's statistics (round trip, error, time-out).
_FINAL_STATES: Final = frozenset({SendState.OK, SendState.ERROR, SendState.TIMED_OUT})
_REFUSED = re.compile(r"unauthori[sz]ed|permission|not allowed|forbidden|403|401", re.IGNORECASE)
PRIVATE_HINT_ANON: Final = (
    "A private channel needs a user token (role authenticated, or another key such as "
    "service_role) that its rules let read: set the Access token in Profiles… (Ctrl+Shift+P), "
    "or use Update token (Ctrl+Shift+U)."
)
#: The longest template (event + payload characters) a sent row keeps next to what was sent.
TEMPLATE_KEPT = 64 * 1024

PRIVATE_HINT_TOKEN: Final = (
    "The rules of this private channel do not let the profile's token read it: use a token "
    "whose role may (Update token, Ctrl+Shift+U) or another key in Profiles… (Ctrl+Shift+P)."
)
_IDENTITY_HINT: Final = "do not let the identity"
#: the server's words for an expired token (§4.4) and the hint for an identity's tab.
_EXPIRED: Final = "Token has expired"
_EXPIRED_HINT: Final = "has an expired token"
#: What an unanswered send on a private channel means (issue #10 item 18).
SILENT_DROP_HINT: Final = (
    "no reply: the server drops writes it does not authorize without answering; "
    "this private channel is probably read-only for this key or token"
)


class ReplayHandle(Protocol):
    """A running replay, as the window controls it (the client's ``Replayer``)."""

    @property
    def paused(self) -> bool: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def cancel(self) -> None: ...


def _onoff(value: bool) -> str:
    return "on" if value else "off"


class ControllerBase(QObject):
    """The connection, the open channels, and the intents the window can ask for."""

    #: the connection changed: ``(ConnectionStatus)``.
    connection_changed = Signal(object)
    #: a heartbeat round trip was measured (ms); also reflected in ``connection``.
    channel_opened = Signal(str)
    channel_closed = Signal(str)
    #: ``(name, ChannelStatus)``.
    channel_status_changed = Signal(str, object)
    #: ``(name, ChannelOptions)`` after ack/self changed.
    channel_options_changed = Signal(str, object)
    #: ``(channel name or "", text)``: a one-line notice for people.
    notice = Signal(str, str)
    #: tab name, a repeat run's progress (``inspector.client.repeat.RepeatProgress``).
    repeat_progress = Signal(str, object)
    #: tab name, the run's ``SendSummary``, and an error text ("" when none) (issue #11 §3).
    repeat_finished = Signal(str, object, str)
    #: an identity's token or status changed (issue #13 §1): its id.
    identity_changed = Signal(str)

    def __init__(
        self,
        preferences: Preferences | None = None,
        *,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.preferences = preferences if preferences is not None else Preferences()
        self.wall_clock = wall_clock
        self.clock = clock
        self.connection = ConnectionStatus()
        self.profile: Profile | None = None
        self.channels: dict[str, OpenChannel] = {}
        #: the payload bytes all tabs keep together (Preferences.memory_mb; issue #10 item 11).
        self.message_budget = ByteBudget(self.preferences.clamped().memory_bytes)
        #: every websocket frame of the connection, in and out, for the Frames view (bounded).
        self.frames = FrameLog()
        #: the user token of the connection (or None), and its ``exp`` (epoch seconds) when it
        #: is a JWT that has one: the window warns before it passes (§7.4).
        self.access_token: str | None = None
        self.token_exp: float | None = None
        #: the client spec of an identity of the connected profile, by id, with its secrets
        #: (the window reads them from the keychain); raises an InspectorError (a missing
        #: secret) with words for people. None: identities cannot be used.
        self.identity_resolver: Callable[[str], IdentitySpec] | None = None
        #: when the socket was lost (wall clock, monotonic clock) until it is back.
        self._down_since: tuple[float, float] | None = None
        self._down_attempts = 0

    # ------------------------------------------------------------------------------ reading

    def channel(self, name: str) -> OpenChannel | None:
        return self.channels.get(name)

    def open_options(self) -> list[ChannelOptions]:
        return [s.options for s in self.channels.values()]

    @property
    def connected(self) -> bool:
        return self.connection.state is LinkState.CONNECTED

    @property
    def active(self) -> bool:
        """Whether a connection is up or being attempted (Connect means Disconnect now)."""
        return self.connection.state is not LinkState.DISCONNECTED

    # ------------------------------------------------------------------------------ identities

    def identity_name(self, identity_id: str) -> str:
        """The name of an identity of the connected profile ("" for the profile's own key)."""
        if not identity_id:
            return ""
        profile = self.profile
        identity = profile.identity(identity_id) if profile is not None else None
        return identity.name if identity is not None else "(deleted identity)"

    def _identity_kind(self, identity_id: str) -> str:
        profile = self.profile
        identity = profile.identity(identity_id) if profile is not None else None
        return identity.kind if identity is not None else ""

    def identity_session(self, identity_id: str) -> IdentitySession | None:
        """The live session of an identity in use (its token, expiry, status), else None."""
        return None

    def identity_status(self, identity_id: str) -> str:
        """One line on an identity in use: ``signed in as a@b, expires in 4 min``."""
        session = self.identity_session(identity_id)
        return session.status if session is not None else "not in use"

    # ------------------------------------------------------------------------------ intents

    def connect_to(
        self, profile: Profile, api_key: str, access_token: str | None = None
    ) -> str | None:
        """Connect with this profile; returns why it cannot (bad URL, empty key) or None.

        The URL is connected to as :func:`validate_url` judged it, normalized (a bare project
        ref becomes ``https://<ref>.supabase.co``, a pasted dashboard URL its origin), whether
        or not the Profiles dialog got to rewrite its field."""
        error = validate_url(profile.url) or validate_key(api_key)
        if error is not None:
            return error
        if self.active:
            self.close_connection()
        profile = replace(profile, url=normalize_url(profile.url))
        self.profile = profile
        token = (access_token or "").strip() or None
        self._remember_token(token)
        self._set_connection(ConnectionStatus(LinkState.CONNECTING))
        self._start_connect(profile, api_key.strip(), token)
        return None

    def _remember_token(self, token: str | None) -> None:
        self.access_token = token
        self.token_exp = describe_token(token).exp if token else None

    def reconnect_now(self) -> bool:
        """Skip the back-off wait: while reconnecting, try at once with the schedule started
        over (§7.2). False when there is nothing to skip (connected, or not connecting)."""
        if self.connection.state is not LinkState.RECONNECTING:
            return False
        return self._start_reconnect_now()

    def update_token(self, token: str) -> str | None:
        """Use a new user token: pushed as ``access_token`` to every joined channel (§7.4),
        used by later joins, and the tabs the server closed (an expired token) join again.
        Returns why it cannot, or None."""
        token = token.strip()
        if not token:
            return "The token is empty"
        if not self.active:
            return "Not connected: set the token in Profiles… and connect"
        info = describe_token(token)
        if info.kind == "jwt" and info.exp is not None and info.exp <= self.wall_clock():
            return "This token has already expired"
        self._remember_token(token)
        self._start_token_update(token)
        exp = {"exp_iso": utc_iso(info.exp)} if info.exp is not None else {}
        for channel in list(self.channels.values()):
            state = channel.status.state
            if state is TabState.LEFT or channel.options.identity:
                continue  # a tab joined as an identity keeps that identity's token
            self._add_system(channel.name, "token updated", {"role": info.role, **exp})
            if state in (TabState.CLOSED, TabState.ERRORED):
                self.rejoin(channel.name)
        return None

    def close_connection(self) -> None:
        """Disconnect on purpose (named so as not to shadow QObject.disconnect)."""
        if not self.active:
            return
        for name in list(self.channels):
            # a repeat run stops with its connection (its summary follows, with why)
            self.cancel_repeat(name, "disconnected")
        self._start_disconnect()
        self._set_connection(ConnectionStatus(LinkState.DISCONNECTED))
        for channel in self.channels.values():
            if channel.status.state is not TabState.LEFT:
                self._set_channel_status(channel.name, ChannelStatus(TabState.WAITING))

    def join(self, options: ChannelOptions) -> str | None:
        """Open a tab for ``options``; returns why it cannot be opened, or None. A name typed
        with the ``realtime:`` prefix means the channel without it (issue #10 item 13), on every
        path (the join dialog, restored tabs, the demo, scripts)."""
        name = typed_channel_name(options.name)[0]
        if name != options.name:
            options = replace(options, name=name)
        error = options.validate() or join_conflict(options, self.open_options())
        if error is not None:
            return error
        channel = OpenChannel(options, self.preferences.ring_capacity, self.message_budget)
        self.channels[options.name] = channel
        self.channel_opened.emit(options.name)
        if self.active:
            self._set_channel_status(options.name, ChannelStatus(TabState.JOINING))
            self._start_join(channel)
        return None

    def leave(self, name: str) -> None:
        channel = self.channels.get(name)
        if channel is None or channel.status.state is TabState.LEFT:
            return
        self.cancel_repeat(name, "the channel was left")
        if self.active:
            self._start_leave(channel)
        self._set_channel_status(name, ChannelStatus(TabState.LEFT))
        self._add_system(name, "left", {"channel": name})
        channel.presence.own.payload = None
        channel.presence.channel_left(self.wall_clock())

    def rejoin(self, name: str) -> None:
        channel = self.channels.get(name)
        if channel is None:
            return
        if not self.active:
            self._set_channel_status(name, ChannelStatus(TabState.WAITING))
            return
        self._set_channel_status(name, ChannelStatus(TabState.JOINING))
        self._start_join(channel)

    def close_channel(self, name: str) -> None:
        """Leave the channel and forget its tab."""
        channel = self.channels.get(name)
        if channel is None:
            return
        self.cancel_repeat(name, "the tab was closed")
        if self.active and channel.status.state is not TabState.LEFT:
            self._start_leave(channel)
        del self.channels[name]
        self.channel_closed.emit(name)

    def change_broadcast_options(self, name: str, *, ack: bool, broadcast_self: bool) -> None:
        """ack and self are join options (§4.1, §5.2): changing them rejoins the channel."""
        channel = self.channels.get(name)
        if channel is None:
            return
        old = channel.options
        if (old.ack, old.broadcast_self) == (ack, broadcast_self):
            return
        channel.options = old.with_broadcast(ack=ack, broadcast_self=broadcast_self)
        self.channel_options_changed.emit(name, channel.options)
        text = f"ack {_onoff(ack)}, self {_onoff(broadcast_self)}"
        if self.active and channel.status.state is not TabState.LEFT:
            self.notice.emit(
                name, f"Rejoining “{name}” with {text}: ack and self are options of the join."
            )
            self._start_leave(channel)
            self._set_channel_status(name, ChannelStatus(TabState.JOINING))
            self._start_join(channel)
        else:
            self.notice.emit(name, f"“{name}” will join with {text}.")

    def send(self, name: str, request: SendRequest) -> MessageRecord | None:
        """Add an outgoing row and start the send; its status updates in place."""
        channel = self.channels.get(name)
        if channel is None:
            return None
        info = SendInfo(request.transport, ack=channel.options.ack)
        if request.identity is not None and request.identity != channel.options.identity:
            info.sender = self.identity_name(request.identity) or "profile default"
        if request.template is not None and request.template.size <= TEMPLATE_KEPT:
            # the row holds what was sent; the detail pane also shows what was typed
            info.template_event = request.template.event
            info.template_payload = request.template.payload
        record = MessageRecord(
            time=self.wall_clock(),
            direction=Direction.OUT,
            event=request.event,
            payload=request.payload,
            format=PayloadFormat.BINARY if request.binary else PayloadFormat.JSON,
            send=info,
        )
        self._append_outgoing(channel, record)
        self._start_send(channel, record, request)
        return record

    def start_replay(
        self,
        name: str,
        items: Sequence[object],
        options: object,
        on_progress: Callable[[object], None],
    ) -> ReplayHandle | None:
        """Replay ``items`` (recorded broadcasts) into the live tab ``name`` with ``options``
        (:class:`inspector.client.replay.ReplayOptions`); each send is an outgoing row whose
        status updates in place. ``on_progress`` gets the engine's progress snapshots (the
        last one has ``finished``). None when the tab is not joined."""
        return None

    def _replay_row(
        self, name: str, event: str, payload: bytes, binary: bool, transport: Transport
    ) -> MessageRecord | None:
        """The outgoing row of one replayed send (pending until its outcome)."""
        channel = self.channels.get(name)
        if channel is None:
            return None
        ack = channel.options.ack and transport is Transport.WEBSOCKET
        record = MessageRecord(
            time=self.wall_clock(),
            direction=Direction.OUT,
            event=event,
            payload=payload,
            format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
            send=SendInfo(transport, ack=ack),
        )
        self._append_outgoing(channel, record)
        return record

    # ------------------------------------------------------------------------------ repeat

    def start_repeat(self, name: str, request: RepeatRequest) -> str | None:
        """Start a repeat run on a tab (issue #11 §3); None when it started, else why not
        (progress and the summary come through ``repeat_progress``/``repeat_finished``)."""
        channel = self.channels.get(name)
        if channel is None:
            return f"no tab “{name}”"
        if self.repeat_running(name):
            return "a repeat run is already going on this tab"
        if not self.connected:
            return "not connected"
        if request.transport is not Transport.REST and channel.status.state is not TabState.JOINED:
            return f"“{name}” is not joined"
        return self._start_repeat(channel, request)

    def cancel_repeat(self, name: str, reason: str = "") -> None:
        """Stop a tab's repeat run; its summary still comes, with ``reason`` as its error when
        the run was stopped for the user rather than by their Cancel ("the channel was left")."""

    def repeat_running(self, name: str) -> bool:
        return False

    def _repeat_row(
        self, channel: OpenChannel, event: str, payload: bytes, binary: bool, info: SendInfo
    ) -> MessageRecord:
        """One sent message of a repeat run as an outgoing row (the model batches the
        inserts, as for received floods)."""
        record = MessageRecord(
            time=self.wall_clock(),
            direction=Direction.OUT,
            event=event,
            payload=payload,
            format=PayloadFormat.BINARY if binary else PayloadFormat.JSON,
            send=info,
        )
        self._append_outgoing(channel, record)
        return record

    def _start_repeat(self, channel: OpenChannel, request: RepeatRequest) -> str | None:
        return "repeat runs need a live connection"

    def set_presence_listening(self, name: str, enabled: bool) -> None:
        """Join with presence on (see who is here; never tracks) or off; rejoins (§4.1)."""
        channel = self.channels.get(name)
        if channel is None or channel.options.presence_enabled == enabled:
            return
        channel.options = channel.options.with_presence(enabled)
        self.channel_options_changed.emit(name, channel.options)
        what = "presence on" if enabled else "presence off"
        if self.active and channel.status.state is not TabState.LEFT:
            self.notice.emit(name, f"Rejoining “{name}” with {what}: presence is a join option.")
            self._start_leave(channel)
            self._set_channel_status(name, ChannelStatus(TabState.JOINING))
            self._start_join(channel)
        else:
            self.notice.emit(name, f"“{name}” will join with {what}.")

    def track(self, name: str, payload: dict[str, object]) -> str | None:
        """Make the inspector present on this channel with ``payload`` (§8.1); or why not."""
        channel = self.channels.get(name)
        if channel is None:
            return "no such tab"
        if channel.status.state is not TabState.JOINED:
            return "the channel is not joined"
        channel.presence.track_requested(dict(payload), self.wall_clock())
        self._start_track(channel, dict(payload))
        return None

    def untrack(self, name: str) -> str | None:
        """Stop being present on this channel (§8.1); or why not."""
        channel = self.channels.get(name)
        if channel is None:
            return "no such tab"
        if channel.status.state is not TabState.JOINED:
            channel.presence.own.payload = None
            return "the channel is not joined"
        channel.presence.untrack_requested(self.wall_clock())
        self._start_untrack(channel)
        return None

    def set_preferences(self, preferences: Preferences) -> None:
        self.preferences = preferences.clamped()
        for channel in self.channels.values():
            channel.log.set_capacity(self.preferences.ring_capacity)
        self.message_budget.set_limit(self.preferences.memory_bytes)

    async def shutdown(self) -> None:
        """Close the connection for good (app exit)."""
        if self.active:
            self.close_connection()

    # ------------------------------------------------------------------------------ for subclasses

    def _set_connection(self, status: ConnectionStatus) -> None:
        previous = self.connection.state
        self.connection = status
        self._note_outage(previous, status)
        self.connection_changed.emit(status)

    def _note_outage(self, previous: LinkState, status: ConnectionStatus) -> None:
        """System rows in every open tab when the socket is lost and when it is back, so an
        outage shows in the table and in exports (issue #10 item 15)."""
        state = status.state
        if state is LinkState.RECONNECTING and status.attempt:
            self._down_attempts = status.attempt
        if state is LinkState.RECONNECTING and self._down_since is None:
            if previous is not LinkState.CONNECTED:
                return  # a first connection that never came up has nothing to interrupt
            self._down_since = (self.wall_clock(), self.clock())
            self._down_attempts = status.attempt
            retry = None if status.retry_at is None else max(0.0, status.retry_at - self.clock())
            details: dict[str, object] = {"reason": status.reason or "connection lost"}
            if retry is not None:
                details["next_attempt_in_s"] = round(retry, 1)
            self._add_system_all("disconnected", details)
        elif state is LinkState.CONNECTED and self._down_since is not None:
            wall, mono = self._down_since
            self._down_since = None
            after = max(0.0, self.clock() - mono)
            self._add_system_all(
                "reconnected",
                {
                    "after_s": round(after, 1),
                    "down_since": utc_iso(wall),
                    "attempts": self._down_attempts,
                },
            )
        elif state is LinkState.DISCONNECTED:
            self._down_since = None

    def _add_system_all(self, event: str, details: dict[str, object]) -> None:
        for channel in self.channels.values():
            if channel.status.state is not TabState.LEFT:
                self._add_system(channel.name, event, details)

    def _set_channel_status(self, name: str, status: ChannelStatus) -> None:
        channel = self.channels.get(name)
        if channel is None:
            return
        status = self._explained(channel, status)
        previous = channel.status.state
        channel.status = status
        self._presence_follow(channel, previous, status.state)
        self.channel_status_changed.emit(name, status)

    def _explained(self, channel: OpenChannel, status: ChannelStatus) -> ChannelStatus:
        """A refused join of a private channel says what would let it in (issue #10 item 18)."""
        reason = status.reason or ""
        if (
            channel.options.identity
            and status.state is TabState.CLOSED
            and "use Update token" in reason
        ):
            who = self.identity_name(channel.options.identity)
            return replace(
                status,
                reason=reason.replace(
                    "use Update token (Ctrl+Shift+U) to rejoin",
                    f"paste a new token for the identity “{who}” in Profiles… (Identities), "
                    "then Rejoin",
                ),
            )
        if (
            channel.options.identity
            and status.state is TabState.ERRORED
            and self._identity_kind(channel.options.identity) == "token"
            and _EXPIRED in reason
            and _EXPIRED_HINT not in reason
        ):
            # the general advice (Update token) changes the profile's token, not this one's
            who = self.identity_name(channel.options.identity)
            return replace(
                status,
                reason=f"{reason}. The identity “{who}” {_EXPIRED_HINT}: paste a new one (with "
                "its refresh token it refreshes itself) in Profiles… (Identities), then Rejoin",
            )
        if (
            status.state is not TabState.ERRORED
            or not channel.options.private
            or not _REFUSED.search(reason)
            or PRIVATE_HINT_ANON in reason
            or PRIVATE_HINT_TOKEN in reason
            or _IDENTITY_HINT in reason
        ):
            return status
        if channel.options.identity:
            who = self.identity_name(channel.options.identity)
            hint = (
                f"The rules of this private channel {_IDENTITY_HINT} “{who}” join it: "
                "join as another identity, or change its role or claims in Profiles…"
            )
            return replace(status, reason=f"{reason}. {hint}")
        hint = PRIVATE_HINT_TOKEN if self.access_token else PRIVATE_HINT_ANON
        return replace(status, reason=f"{reason}. {hint}")

    def _presence_follow(self, channel: OpenChannel, previous: TabState, state: TabState) -> None:
        """Keep the presence panel honest across joins: not live until the next state, and
        our own presence tracked again after a rejoin when the user asked for it (§8.3)."""
        roster = channel.presence
        if state is TabState.JOINED and previous is not TabState.JOINED:
            own = roster.own
            if own.payload is not None and own.state is not OwnState.PENDING:
                roster.track_requested(own.payload, self.wall_clock(), again=True)
                self._start_track(channel, own.payload)
        elif previous is TabState.JOINED and state not in (
            TabState.JOINED,
            TabState.LEFT,  # leave() says so itself
        ):
            if roster.own.state is not OwnState.OFF:
                roster.own.state = OwnState.OFF
                roster.own.since = None
            roster.channel_joining(self.wall_clock(), f"not joined ({state.value})")

    def refresh_filtered(self) -> None:
        """Bring each tab's count of refused broadcasts up to date (the live controller reads the
        client's counts; the client applies the tab's event filter)."""

    def _add_incoming(self, name: str, record: MessageRecord) -> bool:
        """Append a received broadcast (the client already applied the tab's event filter)."""
        channel = self.channels.get(name)
        if channel is None:
            return False
        now = self.clock()
        channel.rate.add(now)
        channel.log.append(record)
        channel.seq_incoming(record)
        stats = channel.stats
        if stats is not None:
            stats.incoming(record.event, len(record.payload), now)
        return True

    def _add_system(self, name: str, event: str, details: dict[str, object]) -> None:
        channel = self.channels.get(name)
        if channel is not None:
            record = system_record(self.wall_clock(), event, details)
            channel.log.append(record)
            if channel.stats is not None:
                channel.stats.system(record)

    def _send_updated(self, channel: OpenChannel, record: MessageRecord) -> None:
        channel.log.notify_updated(record)
        info = record.send
        if channel.stats is not None and info is not None and info.state in _FINAL_STATES:
            channel.stats.send_finished(info)

    def _append_outgoing(self, channel: OpenChannel, record: MessageRecord) -> None:
        """Add an outgoing row (and count it in the tab's statistics)."""
        channel.log.append(record)
        if channel.stats is not None:
            channel.stats.outgoing(record.event, len(record.payload), self.clock())

    def _start_connect(self, profile: Profile, api_key: str, access_token: str | None) -> None:
        raise NotImplementedError

    def _start_disconnect(self) -> None:
        raise NotImplementedError

    def _start_join(self, channel: OpenChannel) -> None:
        raise NotImplementedError

    def _start_leave(self, channel: OpenChannel) -> None:
        raise NotImplementedError

    def _start_send(
        self, channel: OpenChannel, record: MessageRecord, request: SendRequest
    ) -> None:
        raise NotImplementedError

    def _start_track(self, channel: OpenChannel, payload: dict[str, object]) -> None:
        raise NotImplementedError

    def _start_untrack(self, channel: OpenChannel) -> None:
        raise NotImplementedError

    def _start_reconnect_now(self) -> bool:
        return False

    def _start_token_update(self, token: str) -> None:
        """Push ``token`` to the connection (the live controller's client)."""
