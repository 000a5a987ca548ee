"""The authorization matrix engine: identities x channels x capabilities, measured with real
traffic (issue #13 §4).

For each channel, one *round*: every identity (and the observer, when one is given) opens its
own websocket and joins the channel (``private`` as asked, presence on, ``self`` and ``ack``
on); then, all at once, each joined identity sends a broadcast probe over the websocket and
tracks a presence probe, each identity sends a probe over REST single and REST batch, and the
observer sends a control broadcast and tracks a control presence. Every probe carries a unique
marker (:mod:`inspector.protocol.authz_probe`, event ``inspector.authz.probe``). The round then
waits (``wait`` seconds, less when every probe has reached every joined participant) and judges
each cell from what arrived where:

- **join**: the join reply (refused: the server's reason); a refused connection is a denial
  with the server's text, a time-out or network failure is unknown.
- **send** (websocket, REST single, REST batch) and **track**: allowed when anyone received
  the probe; denied when the server answered an error (HTTP status and message, an error
  reply), or when it stayed silent while a *confirmed* receiver (one that received some
  probe in this round) was listening; unknown when no one could have seen it.
- **receive broadcast** and **see presence**: allowed when the identity received a probe;
  denied when a probe reached someone else but not it (silence, with the wait used); unknown
  when no probe reached anyone.

Without a join an identity cannot send over the websocket, track or receive: those cells are
denied with the join's reason (unknown when the join itself was unknown). Probes clean up
after themselves: untrack, leave, close the socket, whatever happened. Channels run
concurrently (``concurrency`` at a time) and the whole run is bounded by ``timeout``; a cell a
run could not finish is unknown and says so. :meth:`AuthzEngine.run_cell` re-runs the round of
one channel and returns one cell.

The observer is anything that implements :class:`Observer` (:class:`ClientObserver` wraps a
service-role :class:`~inspector.client.settings.ClientSettings`; the interop tests use a
realtime-js process).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from inspector.protocol.authz_probe import (
    CAPABILITIES,
    PROBE_EVENT,
    Capability,
    Verdict,
    probe_marker,
    probe_payload,
)
from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    BroadcastReceived,
    ConnectionState,
    ConnectionStateChanged,
    PresenceChanged,
    PushResult,
    PushStatus,
)
from inspector.protocol.frames import topic_for

from ..client import RealtimeClient
from ..errors import (
    AuthRejected,
    ChannelClosed,
    HandshakeRejected,
    InspectorError,
    JoinRefused,
    JoinTimedOut,
)
from ..events import ClientEvent
from ..rest import RestResult
from ..settings import ClientSettings

log = logging.getLogger(__name__)

#: Seconds a round waits for probes to arrive after the last send was answered.
DEFAULT_WAIT = 2.0
#: Seconds the whole run may take (cleanup aside).
DEFAULT_TIMEOUT = 60.0
#: Channels measured at the same time.
DEFAULT_CONCURRENCY = 4
#: Seconds cleanup of one participant may take.
CLEANUP_TIMEOUT = 5.0

#: ``kind`` is ``"broadcast"`` or ``"presence"``.
SeenCallback = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class ProbeChannel:
    """A channel to measure: its name (no ``realtime:``) and whether it is private."""

    name: str
    private: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (private)" if self.private else self.name


@dataclass(frozen=True, slots=True)
class ProbeIdentity:
    """An identity to measure: a name and the settings it connects with (key and token)."""

    name: str
    settings: ClientSettings = field(repr=False)


@dataclass(frozen=True, slots=True)
class ProbeCell:
    """One measured cell."""

    identity: str
    channel: ProbeChannel
    capability: Capability
    verdict: Verdict
    reason: str = ""
    #: Seconds waited for the observation that decided; None when an answer decided.
    waited_s: float | None = None


class Observer(Protocol):
    """An independent observer of a channel (a service-role client, a realtime-js process)."""

    name: str

    async def watch(self, channel: ProbeChannel, seen: SeenCallback) -> str | None:
        """Join ``channel`` (presence on, own broadcasts received) and report every probe
        marker that arrives via ``seen``; return None when joined, else the refusal."""
        ...

    async def control(self, channel: ProbeChannel, marker: str) -> None:
        """Send a broadcast probe and track a presence probe, both with ``marker``."""
        ...

    async def unwatch(self, channel: ProbeChannel) -> None:
        """Untrack and leave ``channel``."""
        ...

    async def close(self) -> None: ...


# ====================================================================== one participant


class _Participant:
    """One identity (or the observer) on one channel: its own websocket."""

    def __init__(
        self, name: str, settings: ClientSettings, channel: ProbeChannel, seen: SeenCallback
    ) -> None:
        self.name = name
        self.channel = channel
        self._seen = seen
        self.client = RealtimeClient(settings, on_event=self._on_event)
        self.joined = False
        #: True: refused by the server (a denial); False: could not tell (unknown).
        self.refused = False
        self.join_reason = ""
        self.tracked = False
        #: set when the websocket dropped after the join: its silence proves nothing.
        self.lost = asyncio.Event()
        self.lost_reason = ""

    def _on_event(self, event: ClientEvent) -> None:
        try:
            if isinstance(event, ConnectionStateChanged):
                if (
                    self.joined
                    and event.state is ConnectionState.RECONNECT_WAIT
                    and not self.lost.is_set()
                ):
                    self.lost_reason = event.reason or "the connection was lost"
                    self.lost.set()
            elif isinstance(event, BroadcastReceived):
                if event.event != PROBE_EVENT or event.binary:
                    return
                marker = probe_marker(event.display_payload())
                if marker is not None:
                    self._seen("broadcast", marker)
            elif isinstance(event, PresenceChanged):
                for metas in event.joins.values():
                    for meta in metas:
                        marker = probe_marker(meta)
                        if marker is not None:
                            self._seen("presence", marker)
        except Exception:  # peer input never raises out of a receive path
            log.warning("an authz probe could not read a message", exc_info=True)

    async def join(self, timeout: float) -> None:
        cfg = ChannelConfig(
            self.channel.name,
            broadcast_self=True,
            broadcast_ack=True,
            presence_key=f"authz:{self.name}",
            presence_enabled=True,
            private=self.channel.private,
        )
        try:
            async with asyncio.timeout(timeout):
                await self.client.connect()
                await self.client.join(cfg)
            self.joined = True
            self.join_reason = "joined"
        except AuthRejected as exc:
            self.refused = True
            self.join_reason = exc.message
        except HandshakeRejected as exc:
            self.join_reason = exc.message
        except (JoinRefused, ChannelClosed) as exc:
            self.refused = True
            self.join_reason = exc.reason or exc.message
        except (TimeoutError, JoinTimedOut):
            self.join_reason = f"no answer to the join within {_secs(timeout)}"
        except InspectorError as exc:
            self.join_reason = exc.message
        if not self.joined:
            await self._quiet_leave()

    async def _quiet_leave(self) -> None:
        if topic_for(self.channel.name) in self.client.channels:
            with contextlib.suppress(InspectorError, TimeoutError):
                await self.client.leave(self.channel.name, timeout=2.0)

    async def send_ws(self, marker: str, via: str, timeout: float) -> PushResult:
        payload = probe_payload(marker, self.name, via)
        return await self.client.send(self.channel.name, PROBE_EVENT, payload, timeout=timeout)

    async def track(self, marker: str, via: str, timeout: float) -> PushResult | None:
        """The track's reply, or None when none came within ``timeout``."""
        meta = probe_payload(marker, self.name, via)
        try:
            result = await asyncio.wait_for(self.client.track(self.channel.name, meta), timeout)
        except TimeoutError:
            return None
        self.tracked = result.status is PushStatus.OK
        return result

    async def rest(self, marker: str, *, batch: bool) -> RestResult:
        via = Capability.SEND_REST_BATCH if batch else Capability.SEND_REST
        return await self.client.rest_send(
            self.channel.name,
            PROBE_EVENT,
            probe_payload(marker, self.name, via),
            private=self.channel.private,
            batch=batch,
        )

    async def cleanup(self) -> None:
        try:
            with contextlib.suppress(InspectorError, TimeoutError):
                async with asyncio.timeout(CLEANUP_TIMEOUT):
                    if self.tracked:
                        await self.client.untrack(self.channel.name)
                        self.tracked = False
                    if self.joined:
                        await self.client.leave(self.channel.name, timeout=2.0)
                        self.joined = False
        finally:
            await self.client.close()


class ClientObserver:
    """An :class:`Observer` made of this package's client with given (service-role) settings."""

    def __init__(self, name: str, settings: ClientSettings, join_timeout: float = 10.0) -> None:
        self.name = name
        self._settings = settings
        self._join_timeout = join_timeout
        self._parts: dict[ProbeChannel, _Participant] = {}

    async def watch(self, channel: ProbeChannel, seen: SeenCallback) -> str | None:
        part = _Participant(self.name, self._settings, channel, seen)
        self._parts[channel] = part
        await part.join(self._join_timeout)
        return None if part.joined else part.join_reason

    async def control(self, channel: ProbeChannel, marker: str) -> None:
        part = self._parts.get(channel)
        if part is None or not part.joined:
            return
        with contextlib.suppress(InspectorError, TimeoutError):
            await asyncio.gather(
                part.send_ws(marker, "control", self._join_timeout),
                part.track(marker, "control", self._join_timeout),
            )

    def lost(self, channel: ProbeChannel) -> str:
        """Why the observer's connection on ``channel`` dropped during the round ("": it
        did not)."""
        part = self._parts.get(channel)
        return part.lost_reason if part is not None and part.lost.is_set() else ""

    async def unwatch(self, channel: ProbeChannel) -> None:
        part = self._parts.pop(channel, None)
        if part is not None:
            await part.cleanup()

    async def close(self) -> None:
        parts, self._parts = list(self._parts.values()), {}
        await asyncio.gather(*(p.cleanup() for p in parts), return_exceptions=True)


# ====================================================================== one round


@dataclass
class _Sent:
    """One probe: who sent it, how, and the server's immediate answer."""

    marker: str
    sender: str
    capability: Capability | None  # None: the observer's control probe
    kind: str  # "broadcast" or "presence"
    #: None: no answer decides (sent, 202, ok); else the denial text from the server.
    refused: str | None = None
    #: An answer that says nothing (a time-out, a network error): text for an unknown cell.
    failed: str | None = None
    #: No reply came (a websocket send without its ack, a track without its reply).
    no_reply: bool = False
    #: Loop time from which the probe was surely out: a websocket send's departure, else the
    #: server's answer. Its observation window (``wait``) starts here.
    at: float | None = None


_OBSERVER = "\x00observer"  # a participant key no identity name can take


class _Round:
    def __init__(
        self,
        engine: AuthzEngine,
        channel: ProbeChannel,
        identities: Sequence[ProbeIdentity],
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.identities = identities
        self.prefix = f"{engine.run_id}-{secrets.token_hex(3)}"
        self._ids = itertools.count(1)
        self.sent: list[_Sent] = []
        #: marker -> receivers (participant keys).
        self.seen: dict[str, dict[str, set[str]]] = {"broadcast": {}, "presence": {}}
        self.parts: dict[str, _Participant] = {}
        self.observer_joined = False
        self.observer_reason = ""
        self._changed = asyncio.Event()
        self._acks: list[asyncio.Task[None]] = []

    def _marker(self) -> str:
        return f"{self.prefix}-{next(self._ids)}"

    def _seen_by(self, who: str, kind: str, marker: str) -> None:
        if not marker.startswith(self.prefix + "-"):
            return  # another round's or another tool's probe
        self.seen[kind].setdefault(marker, set()).add(who)
        self._changed.set()

    # ------------------------------------------------------------------ steps

    async def run(self) -> list[ProbeCell]:
        eng = self.engine
        observer = eng.observer
        try:
            for ident in self.identities:
                self.parts[ident.name] = _Participant(
                    ident.name,
                    ident.settings,
                    self.channel,
                    partial(self._seen_by, ident.name),
                )
            joins: list[Awaitable[Any]] = [p.join(eng.join_timeout) for p in self.parts.values()]
            if observer is not None:
                joins.append(self._watch(observer))
            await asyncio.gather(*joins)
            fast, self._acks = self._sends()
            await asyncio.gather(*fast)  # REST answers, track replies, websocket sends out
            waited = await self._settle()
            await asyncio.gather(*self._acks)  # acks (or their time-outs, at most ``wait``)
            return self._unsure_if_lost(self._judge(waited))
        finally:
            await self._cleanup()

    async def _watch(self, observer: Observer) -> None:
        try:
            async with asyncio.timeout(self.engine.join_timeout):
                reason = await observer.watch(
                    self.channel,
                    partial(self._seen_by, _OBSERVER),
                )
        except TimeoutError:
            reason = f"no answer to the join within {_secs(self.engine.join_timeout)}"
        except Exception as exc:  # an observer of any make: its failure is a note, not a crash
            reason = str(exc) or type(exc).__name__
        self.observer_joined = reason is None
        self.observer_reason = reason or ""

    def _sends(self) -> tuple[list[Awaitable[None]], list[asyncio.Task[None]]]:
        """Every probe of the round, started: the awaitables that end once their probe is
        out (answered), and the websocket sends' ack waits, which may end later."""
        fast: list[Awaitable[None]] = []
        acks: list[asyncio.Task[None]] = []
        observer = self.engine.observer
        if observer is not None and self.observer_joined:
            marker = self._marker()
            both = (
                _Sent(marker, _OBSERVER, None, "broadcast"),
                _Sent(marker, _OBSERVER, None, "presence"),
            )
            self.sent += both
            fast.append(self._control(observer, both))
        loop = asyncio.get_running_loop()
        for part in self.parts.values():
            if part.joined:
                sent = self._new(part.name, Capability.SEND_WS, "broadcast")
                acks.append(loop.create_task(self._send_ws(part, sent)))
                fast.append(self._track(part))
            fast.append(self._rest(part, batch=False))
            fast.append(self._rest(part, batch=True))
        return fast, acks

    async def _control(self, observer: Observer, sent: tuple[_Sent, ...]) -> None:
        try:
            async with asyncio.timeout(self.engine.wait + self.engine.join_timeout):
                await observer.control(self.channel, sent[0].marker)
        except Exception as exc:  # an observer of any make: its failure is a note
            log.warning("the observer's control probe failed: %s", exc)
        now = asyncio.get_running_loop().time()
        for one in sent:
            one.at = now

    def _new(self, sender: str, cap: Capability, kind: str) -> _Sent:
        sent = _Sent(self._marker(), sender, cap, kind)
        self.sent.append(sent)
        return sent

    async def _send_ws(self, part: _Participant, sent: _Sent) -> None:
        sent.at = asyncio.get_running_loop().time()
        try:
            result = await part.send_ws(sent.marker, Capability.SEND_WS.value, self.engine.wait)
        except InspectorError as exc:
            sent.failed = exc.message
            return
        if result.status is PushStatus.ERROR:
            sent.refused = f"the server answered the broadcast with an error: {result.error_text()}"
        sent.no_reply = result.status is PushStatus.TIMED_OUT

    async def _track(self, part: _Participant) -> None:
        sent = self._new(part.name, Capability.TRACK, "presence")
        try:
            result = await part.track(sent.marker, Capability.TRACK.value, self.engine.wait)
        except InspectorError as exc:
            sent.failed = exc.message
            return
        finally:
            sent.at = asyncio.get_running_loop().time()
        if result is None or result.status is PushStatus.TIMED_OUT:
            sent.no_reply = True  # silence: the observers decide
        elif result.status is PushStatus.ERROR:
            text = result.error_text()
            sent.refused = "the server refused the track" + (
                f": {text}" if text not in ("{}", "null", "") else " (an error reply, no reason)"
            )

    async def _rest(self, part: _Participant, *, batch: bool) -> None:
        cap = Capability.SEND_REST_BATCH if batch else Capability.SEND_REST
        sent = self._new(part.name, cap, "broadcast")
        try:
            result = await part.rest(sent.marker, batch=batch)
        except InspectorError as exc:
            sent.failed = exc.message
            return
        finally:
            sent.at = asyncio.get_running_loop().time()
        if result.status is None:
            sent.failed = result.error or "no answer"
        elif not result.ok:
            # RestClient's error already starts "HTTP <status>" when it has the server's words
            status = f"HTTP {result.status}"
            error = result.error or status
            sent.refused = error if error.startswith(status) else f"{status}: {error}"

    async def _settle(self) -> float:
        """Wait until every probe reached every joined participant, at most ``wait`` after
        the last probe was out; returns the seconds waited since then."""
        loop = asyncio.get_running_loop()
        start = max((s.at for s in self.sent if s.at is not None), default=loop.time())
        listeners = {k for k, p in self.parts.items() if p.joined}
        if self.observer_joined:
            listeners.add(_OBSERVER)

        def complete() -> bool:
            for sent in self.sent:
                if sent.refused or sent.failed:
                    continue
                if not listeners <= self.seen[sent.kind].get(sent.marker, set()):
                    return False
            return True

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(start + self.engine.wait):
                while not complete():
                    self._changed.clear()
                    await self._changed.wait()
        return round(loop.time() - start, 3)

    # ------------------------------------------------------------------ judging

    def _unsure_if_lost(self, cells: list[ProbeCell]) -> list[ProbeCell]:
        """A listener whose connection dropped during the round may have missed probes: a
        denial read from silence is then unknown (QA: the server stopped mid-run and every
        silent probe was "denied"). Answers and received probes keep their verdicts."""
        lost = {k: p.lost_reason for k, p in self.parts.items() if p.joined and p.lost.is_set()}
        observer = self.engine.observer
        lost_of = getattr(observer, "lost", None)
        if self.observer_joined and callable(lost_of):
            why = lost_of(self.channel)
            if isinstance(why, str) and why:
                lost[_OBSERVER] = why
        if not lost:
            return cells
        first = next(iter(lost.values()))
        note = f"the connection of {self._names(lost)} dropped during the round ({first})"
        return [
            ProbeCell(
                c.identity,
                c.channel,
                c.capability,
                Verdict.UNKNOWN,
                f"{note}, so this silence proves nothing: {c.reason}",
                c.waited_s,
            )
            if c.verdict is Verdict.DENIED and c.reason.startswith("silence:")
            else c
            for c in cells
        ]

    def _names(self, who: Iterable[str]) -> str:
        obs = self.engine.observer
        names = sorted(
            (obs.name + " (observer)" if k == _OBSERVER and obs is not None else k) for k in who
        )
        return ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:4])} and others"

    def _judge(self, waited: float) -> list[ProbeCell]:
        b_seen, p_seen = self.seen["broadcast"], self.seen["presence"]
        b_receivers = set().union(*b_seen.values()) if b_seen else set()
        p_receivers = set().union(*p_seen.values()) if p_seen else set()
        wait_text = _secs(self.engine.wait)
        by_sender = {(s.sender, s.capability): s for s in self.sent if s.capability}
        sender_of = {s.marker: s.sender for s in self.sent}
        cells: list[ProbeCell] = []

        for ident in self.identities:
            name = ident.name
            part = self.parts[name]

            def cell(
                cap: Capability,
                verdict: Verdict,
                reason: str,
                waited_s: float | None = None,
                name: str = name,
            ) -> None:
                cells.append(ProbeCell(name, self.channel, cap, verdict, reason, waited_s))

            if part.joined:
                cell(Capability.JOIN, Verdict.ALLOWED, "joined")
            else:
                cell(
                    Capability.JOIN,
                    Verdict.DENIED if part.refused else Verdict.UNKNOWN,
                    part.join_reason,
                )
            not_joined = (
                (Verdict.DENIED if part.refused else Verdict.UNKNOWN),
                f"not joined: {part.join_reason}",
            )

            # receive broadcast
            if not part.joined:
                cell(Capability.RECEIVE, *not_joined)
            elif name in b_receivers:
                senders = {
                    sender_of[m] for m, who in b_seen.items() if name in who and m in sender_of
                }
                cell(
                    Capability.RECEIVE,
                    Verdict.ALLOWED,
                    f"received probes of {self._names(senders)}",
                )
            else:
                others = b_receivers - {name}
                if others:
                    cell(
                        Capability.RECEIVE,
                        Verdict.DENIED,
                        f"silence: probes reached {self._names(others)} but not this identity "
                        f"within {wait_text}",
                        waited,
                    )
                else:
                    cell(
                        Capability.RECEIVE,
                        Verdict.UNKNOWN,
                        f"no broadcast probe reached anyone on this channel within {wait_text}",
                        waited,
                    )

            # the three sends and track
            for cap in (
                Capability.SEND_WS,
                Capability.SEND_REST,
                Capability.SEND_REST_BATCH,
                Capability.TRACK,
            ):
                kind = "presence" if cap is Capability.TRACK else "broadcast"
                receivers = p_receivers if kind == "presence" else b_receivers
                sent = by_sender.get((name, cap))
                if sent is None:  # not sent: only websocket sends and track need the join
                    cell(cap, *not_joined)
                    continue
                got = self.seen[kind].get(sent.marker, set())
                what = "presence" if kind == "presence" else "probe"
                if got:
                    cell(cap, Verdict.ALLOWED, f"{what} received by {self._names(got)}")
                elif sent.refused:
                    cell(cap, Verdict.DENIED, sent.refused)
                elif sent.failed:
                    cell(cap, Verdict.UNKNOWN, sent.failed)
                elif receivers:
                    quiet = (
                        ("no ack, and " if cap is Capability.SEND_WS else "no reply, and ")
                        if sent.no_reply
                        else ""
                    )
                    answer = (
                        "accepted (HTTP 202), but " if cap.value.startswith("send_rest") else ""
                    )
                    cell(
                        cap,
                        Verdict.DENIED,
                        f"silence: {answer}{quiet}none of {self._names(receivers)} received "
                        f"the {what} within {wait_text}",
                        waited,
                    )
                else:
                    cell(
                        cap,
                        Verdict.UNKNOWN,
                        f"no one could observe the channel ({what}s reached no one within "
                        f"{wait_text})",
                        waited,
                    )

            # see presence
            if not part.joined:
                cell(Capability.SEE_PRESENCE, *not_joined)
            elif name in p_receivers:
                senders = {
                    sender_of[m] for m, who in p_seen.items() if name in who and m in sender_of
                }
                cell(
                    Capability.SEE_PRESENCE,
                    Verdict.ALLOWED,
                    f"saw the presence of {self._names(senders)}",
                )
            else:
                others = p_receivers - {name}
                if others:
                    cell(
                        Capability.SEE_PRESENCE,
                        Verdict.DENIED,
                        f"silence: presence probes reached {self._names(others)} but not this "
                        f"identity within {wait_text}",
                        waited,
                    )
                else:
                    cell(
                        Capability.SEE_PRESENCE,
                        Verdict.UNKNOWN,
                        f"no presence probe reached anyone on this channel within {wait_text}",
                        waited,
                    )
        return cells

    async def _cleanup(self) -> None:
        for task in self._acks:  # a round cut short (time limit, cancel) leaves none behind
            task.cancel()
        await asyncio.gather(*self._acks, return_exceptions=True)
        tasks: list[Awaitable[Any]] = [p.cleanup() for p in self.parts.values()]
        observer = self.engine.observer
        if observer is not None:
            tasks.append(_bounded(observer.unwatch(self.channel)))
        await asyncio.gather(*tasks, return_exceptions=True)


def _find(identities: Sequence[ProbeIdentity], name: str) -> ProbeIdentity:
    return next(i for i in identities if i.name == name)


async def _bounded(aw: Awaitable[Any]) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLEANUP_TIMEOUT):
            await aw


def _secs(seconds: float) -> str:
    return f"{seconds:g} s"


# ====================================================================== the engine


class AuthzEngine:
    """Measures the matrix of ``identities`` x ``channels`` x every :class:`Capability`."""

    def __init__(
        self,
        identities: Sequence[ProbeIdentity],
        channels: Sequence[ProbeChannel],
        *,
        observer: Observer | None = None,
        wait: float = DEFAULT_WAIT,
        timeout: float = DEFAULT_TIMEOUT,
        join_timeout: float = 10.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_cell: Callable[[ProbeCell], None] | None = None,
    ) -> None:
        names = [i.name for i in identities]
        if not names:
            raise ValueError("give at least one identity")
        if len(set(names)) != len(names):
            raise ValueError("identity names must be unique")
        if not channels:
            raise ValueError("give at least one channel")
        if wait <= 0 or timeout <= 0 or join_timeout <= 0 or concurrency < 1:
            raise ValueError("wait, timeouts and concurrency must be positive")
        self.identities = list(identities)
        self.channels = list(dict.fromkeys(channels))
        self.observer = observer
        self.wait = wait
        self.timeout = timeout
        self.join_timeout = min(join_timeout, timeout)
        self.concurrency = concurrency
        self.on_cell = on_cell
        #: A short random id at the start of every marker of this run.
        self.run_id = secrets.token_hex(4)

    async def run(self) -> list[ProbeCell]:
        """Measure every cell; cells of a channel arrive (``on_cell``) when its round ends."""
        gate = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout

        async def one(channel: ProbeChannel) -> list[ProbeCell]:
            async with gate:
                return await self._round(channel, self.identities, deadline)

        results = await asyncio.gather(*(one(ch) for ch in self.channels))
        return [cell for cells in results for cell in cells]

    async def run_cell(
        self, identity: str, channel: ProbeChannel, capability: Capability
    ) -> ProbeCell:
        """Measure one cell again: the channel's round with every identity (they are its
        observers when no observer is given); the other cells of the round are not reported."""
        _find(self.identities, identity)  # StopIteration for an unknown name is a bug
        deadline = asyncio.get_running_loop().time() + self.timeout
        cells = await self._round(channel, self.identities, deadline, report=False)
        cell = next(c for c in cells if c.identity == identity and c.capability is capability)
        self._report(cell)
        return cell

    async def _round(
        self,
        channel: ProbeChannel,
        identities: Sequence[ProbeIdentity],
        deadline: float,
        *,
        report: bool = True,
    ) -> list[ProbeCell]:
        left = deadline - asyncio.get_running_loop().time()
        try:
            if left <= 0:
                raise TimeoutError
            async with asyncio.timeout(left):
                cells = await _Round(self, channel, identities).run()
        except TimeoutError:
            text = f"the run's time limit ({_secs(self.timeout)}) ran out before this channel"
            cells = [
                ProbeCell(i.name, channel, cap, Verdict.UNKNOWN, text)
                for i in identities
                for cap in CAPABILITIES
            ]
        if report:
            for cell in cells:
                self._report(cell)
        return cells

    def _report(self, cell: ProbeCell) -> None:
        if self.on_cell is not None:
            try:
                self.on_cell(cell)
            except Exception:
                log.exception("the authz on_cell callback failed")


def identities_from(settings: Mapping[str, ClientSettings]) -> list[ProbeIdentity]:
    """``name -> settings`` as probe identities, in the mapping's order."""
    return [ProbeIdentity(name, s) for name, s in settings.items()]
