"""Run one check on the asyncio client: one websocket per identity, steps in order, results.

API (used by ``realtime-inspector check`` and the window's Checks panel)::

    from inspector.client.checks import CheckRun, run_check, load_file

    checks = load_file("examples/checks/order_confirmed.yaml").checks
    result = await run_check(checks[0], env=os.environ, on_event=print)   # CheckResult

    run = CheckRun(checks[0], on_event=callback,   # or iterate: async for ev in run.events()
                   url=profile_url, key=profile_key)   # when the file has no connect.url/key
    task = asyncio.create_task(run.run())          # -> CheckResult, once
    run.cancel()                                   # the running step fails "cancelled",
                                                   # the rest are skipped, cleanup still runs

Events, in order (frozen dataclasses, see :data:`RunEvent`): :class:`CheckStarted`, then per
step :class:`StepStarted` and :class:`StepFinished` (with its :class:`StepResult`); while the
check runs, :class:`MessageRecorded` for every broadcast and presence change seen on a joined
channel; finally :class:`CheckFinished` with the :class:`CheckResult`. Callbacks run inside
the client's pump: keep them quick. ``events()`` is an async iterator over the same events
that ends after :class:`CheckFinished` (call it before ``run()`` starts to see them all).

A :class:`StepResult` has ``status`` (passed / failed / skipped), ``started`` (seconds since the
check started), ``duration``, ``reason`` (one line, why it failed), ``server_reason`` (the
server's text on refusals and errors), ``matched`` (the messages that satisfied an expect,
each a :class:`ReceivedMessage`: identity, channel, event, payload, presence key, ``message_id``
(``meta.id`` when the sender set one), loop time ``received_at``, wall time ``received_wall``,
``seq`` (arrival order in the run) and ``size``), ``near_misses`` (same event, payload differed:
:class:`NearMiss` with the differing JSONPaths) and ``captured`` variables.

Timing (docs/checks.md, "Timing"): every joined channel keeps what it receives from the join
on, with arrival times, so listening never starts late. An ``expect`` window starts at the
previous step's *mark*: for ``join``, ``leave``, ``send``, ``track`` and ``untrack`` the moment
its message left (before any reply, ack or HTTP answer), for ``wait`` and the expect steps
their end; ``from: start_of_check`` starts it
at the check's start. ``within`` counts from the window start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Any, Literal, TypeAlias

from inspector.protocol import jwt
from inspector.protocol.channel import ChannelConfig
from inspector.protocol.events import (
    BroadcastReceived,
    PresenceChanged,
    PushResult,
    PushStatus,
)
from inspector.protocol.frames import topic_for
from inspector.protocol.template import TemplateError, Variables, expand_json, expand_text

from ..client import RealtimeClient
from ..errors import ChannelClosed, InspectorError, JoinRefused, JoinTimedOut
from ..events import ClientEvent, ErrorOccurred
from ..settings import ClientSettings, key_from_env
from . import model as m
from .match import (
    Difference,
    JsonPathError,
    capture_value,
    compile_path,
    describe,
    differences,
    glob_matches,
    where_failures,
)

log = logging.getLogger(__name__)

__all__ = [
    "CheckFinished",
    "CheckResult",
    "CheckRun",
    "CheckStarted",
    "CheckStatus",
    "ClientFactory",
    "MessageRecorded",
    "NearMiss",
    "ReceivedMessage",
    "RunEvent",
    "StepFinished",
    "StepResult",
    "StepStarted",
    "StepStatus",
    "run_check",
]

#: Most near-misses kept per step.
MAX_NEAR_MISSES = 3
#: Seconds cleanup (untrack, leave, close) may take per check.
CLEANUP_TIMEOUT = 5.0
#: Messages kept per joined channel (the oldest are dropped past it; a check is short).
MAX_BUFFERED = 50_000


class StepStatus(Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


class CheckStatus(Enum):
    #: Every step passed.
    PASSED = "passed"
    #: A step failed (the rest were skipped).
    FAILED = "failed"
    #: The check could not start: no URL or key, a bad variable in ``vars`` or an identity.
    ERROR = "error"
    #: :meth:`CheckRun.cancel` stopped it.
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One broadcast, or one presence join/leave of one key, seen on a joined channel."""

    #: Arrival order within the run (all identities and channels), from 1.
    seq: int
    identity: str
    #: The channel name (no ``realtime:``).
    channel: str
    #: ``broadcast`` or ``presence``.
    kind: Literal["broadcast", "presence"]
    #: The broadcast event, or ``join``/``leave`` for presence.
    event: str
    #: The payload as JSON (binary: ``{"$binary": base64}``), or the presence metadata.
    payload: Any
    #: The presence key (None for broadcasts).
    key: str | None
    #: ``meta.id`` of the broadcast when the sender gave one (REST ``id``), else None.
    message_id: str | None
    #: Loop (monotonic) time of arrival, and wall time (Unix seconds).
    received_at: float
    received_wall: float
    #: Seconds since the check started.
    offset: float
    #: Bytes of the websocket message (0 for presence).
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "identity": self.identity,
            "channel": self.channel,
            "kind": self.kind,
            "event": self.event,
            "payload": self.payload,
            "at": round(self.offset, 4),
            "received": datetime.fromtimestamp(self.received_wall, UTC).isoformat(
                timespec="milliseconds"
            ),
        }
        if self.key is not None:
            out["key"] = self.key
        if self.message_id is not None:
            out["message_id"] = self.message_id
        return out


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A message with the expected event whose payload did not match."""

    message: ReceivedMessage
    differences: tuple[Difference, ...]

    def text(self) -> str:
        m_ = self.message
        who = f" key {m_.key}" if m_.key is not None else ""
        return f"{m_.event}{who} at +{m_.offset:.3f} s: {describe(self.differences)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message.to_dict(),
            "differences": [d.to_dict() for d in self.differences],
        }


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one step did."""

    step: m.Step
    status: StepStatus
    #: Seconds since the check started, and how long the step took (0 when skipped).
    started: float = 0.0
    duration: float = 0.0
    #: Why it failed (or was skipped), one line; "" when it passed.
    reason: str = ""
    #: The server's text on a refused join, an error reply or a REST error.
    server_reason: str | None = None
    matched: tuple[ReceivedMessage, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()
    captured: Mapping[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> int:
        return self.step.index

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.step.index + 1,
            "kind": self.step.kind,
            "title": self.step.title,
            "line": self.step.line,
            "status": self.status.value,
            "started": round(self.started, 4),
            "duration": round(self.duration, 4),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.server_reason is not None:
            out["server_reason"] = self.server_reason
        if self.matched:
            out["matched"] = [x.to_dict() for x in self.matched]
        if self.near_misses:
            out["near_misses"] = [x.to_dict() for x in self.near_misses]
        if self.captured:
            out["captured"] = dict(self.captured)
        return out


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: m.Check
    status: CheckStatus
    steps: tuple[StepResult, ...]
    duration: float
    #: Why it could not start (status ERROR), else "".
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.PASSED

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status is StepStatus.FAILED), None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check.name,
            "file": str(self.check.file) if self.check.file else None,
            "status": self.status.value,
            "duration": round(self.duration, 4),
            "steps": [s.to_dict() for s in self.steps],
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class CheckStarted:
    check: m.Check


@dataclass(frozen=True, slots=True)
class StepStarted:
    check: m.Check
    index: int
    step: m.Step
    #: Seconds since the check started.
    started: float


@dataclass(frozen=True, slots=True)
class StepFinished:
    check: m.Check
    index: int
    result: StepResult


@dataclass(frozen=True, slots=True)
class MessageRecorded:
    check: m.Check
    message: ReceivedMessage


@dataclass(frozen=True, slots=True)
class CheckFinished:
    result: CheckResult


RunEvent: TypeAlias = CheckStarted | StepStarted | StepFinished | MessageRecorded | CheckFinished
#: Makes the client of one identity (the window can add its frame tap); the runner sets
#: ``on_event`` (chaining one the factory set).
ClientFactory: TypeAlias = Callable[[str, ClientSettings], RealtimeClient]


class _Failed(Exception):
    def __init__(
        self,
        reason: str,
        *,
        server_reason: str | None = None,
        matched: Sequence[ReceivedMessage] = (),
        near: Sequence[NearMiss] = (),
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.server_reason = server_reason
        self.matched = tuple(matched)
        self.near = tuple(near)


class _SetupError(Exception):
    pass


@dataclass
class _Outcome:
    server_reason: str | None = None
    matched: tuple[ReceivedMessage, ...] = ()
    captured: dict[str, Any] = field(default_factory=dict)
    #: The window start for the next step (None: the step's end).
    mark: float | None = None


class _Record:
    """What one identity received on one channel, oldest first, bounded.

    Positions are absolute (they survive trimming), so an expect that is reading it never skips
    or rereads a message when the oldest are dropped.
    """

    __slots__ = ("base", "items")

    def __init__(self) -> None:
        self.items: list[ReceivedMessage] = []
        #: How many were dropped from the front.
        self.base = 0

    def append(self, msg: ReceivedMessage) -> None:
        self.items.append(msg)
        if len(self.items) > MAX_BUFFERED:
            drop = len(self.items) - MAX_BUFFERED // 2
            del self.items[:drop]
            self.base += drop

    def since(self, position: int) -> tuple[list[ReceivedMessage], int]:
        """The messages from absolute ``position`` on, and the position after them."""
        start = max(position - self.base, 0)
        return self.items[start:], self.base + len(self.items)


class _Identity:
    def __init__(self, name: str, settings: ClientSettings, claims: Mapping[str, Any] | None):
        self.name = name
        self.settings = settings
        self.claims = claims
        self.client: RealtimeClient | None = None
        self.connected = False
        self.joined: dict[str, ChannelConfig] = {}
        self.tracked: set[str] = set()
        #: (loop time, message) of connection and channel errors the client reported.
        self.errors: list[tuple[float, str]] = []


class CheckRun:
    """One run of one check (see the module docstring). Not reusable."""

    def __init__(
        self,
        check: m.Check,
        *,
        env: Mapping[str, str] | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        client_factory: ClientFactory | None = None,
        url: str | None = None,
        key: str | None = None,
    ) -> None:
        self.check = check
        #: Used when the file gives no ``connect.url``/``connect.key``, before the environment
        #: (the window passes its current profile's).
        self.default_url = url
        self.default_key = key
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.on_event = on_event
        self._factory = client_factory
        self.result: CheckResult | None = None
        self._queues: list[asyncio.Queue[RunEvent | None]] = []
        self._identities: dict[str, _Identity] = {}
        self._buffers: dict[tuple[str, str], _Record] = {}
        self._arrived = asyncio.Event()
        self._values: dict[str, Any] = {}
        self._seq = 0
        self._msg_seq = 0
        self._start = 0.0
        self._wall_start = 0.0
        self._steps_task: asyncio.Task[None] | None = None
        self._cancelled = False
        self._started = False
        self._results: list[StepResult] = []

    # ------------------------------------------------------------------ public

    def events(self) -> AsyncIterator[RunEvent]:
        """The run's events, ending after :class:`CheckFinished`."""
        queue: asyncio.Queue[RunEvent | None] = asyncio.Queue()
        self._queues.append(queue)
        return self._iterate(queue)

    async def _iterate(self, queue: asyncio.Queue[RunEvent | None]) -> AsyncIterator[RunEvent]:
        while (event := await queue.get()) is not None:
            yield event

    def cancel(self) -> None:
        """Stop the run: the running step fails ("cancelled"), the rest are skipped."""
        self._cancelled = True
        if self._steps_task is not None:
            self._steps_task.cancel()

    async def run(self) -> CheckResult:
        """Run the check once and return its result (also in :class:`CheckFinished`)."""
        if self._started:
            raise RuntimeError("a CheckRun runs once; make a new one")
        self._started = True
        loop = asyncio.get_running_loop()
        self._start = loop.time()
        self._wall_start = time.time()
        self._emit(CheckStarted(self.check))
        status = CheckStatus.PASSED
        error = ""
        try:
            try:
                self._prepare()
            except _SetupError as exc:
                status, error = CheckStatus.ERROR, str(exc)
            else:
                if not self._cancelled:
                    self._steps_task = loop.create_task(self._run_steps(), name="check-steps")
                    try:
                        await asyncio.shield(self._steps_task)
                    except asyncio.CancelledError:
                        # the caller's task was cancelled: stop the steps, clean up, re-raise
                        self._steps_task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await self._steps_task
                        raise
                if self._cancelled:
                    status = CheckStatus.CANCELLED
                elif any(r.status is StepStatus.FAILED for r in self._results):
                    status = CheckStatus.FAILED
        finally:
            await self._cleanup()
            done = {r.step.index for r in self._results}
            why = "the check could not start" if status is CheckStatus.ERROR else "not run"
            for step in self.check.steps:
                if step.index not in done:
                    self._results.append(StepResult(step, StepStatus.SKIPPED, reason=why))
            self._results.sort(key=lambda r: r.step.index)
            result = CheckResult(
                self.check, status, tuple(self._results), loop.time() - self._start, error
            )
            self.result = result
            self._emit(CheckFinished(result))
            for queue in self._queues:
                queue.put_nowait(None)
        return result

    # ------------------------------------------------------------------ setup

    def _variables(self, identity: str | None = None) -> Variables:
        claims = None
        if identity is not None and identity in self._identities:
            claims = self._identities[identity].claims
        return Variables(
            seq=self._seq or 1,
            now=datetime.now(UTC),
            env=self.env,
            claims=claims,
            values=self._values,
        )

    def _prepare(self) -> None:
        check = self.check
        base = Variables(env=self.env, now=datetime.now(UTC))
        try:
            for name, value in check.vars.items():
                self._values[name] = expand_json(
                    json.dumps(value), base.with_values(**self._values)
                )
        except TemplateError as exc:
            raise _SetupError(f"vars.{name}: {exc}") from None
        conn = check.connect
        try:
            url = (
                expand_text(conn.url, base)
                if conn.url
                else self.default_url or self.env.get("SUPABASE_URL", "")
            )
            default_key = (
                expand_text(conn.key, base)
                if conn.key
                else self.default_key or key_from_env(self.env)
            )
        except TemplateError as exc:
            raise _SetupError(f"connect: {exc}") from None
        if not url:
            raise _SetupError("no URL: set SUPABASE_URL or give connect.url")
        used = {s.identity for s in check.steps if not isinstance(s, m.Wait)}
        for name in sorted(used):
            spec = check.identities.get(name, m.Identity(name))
            try:
                key = expand_text(spec.key, base) if spec.key else default_key
                token = expand_text(spec.token, base) if spec.token else None
            except TemplateError as exc:
                raise _SetupError(f"identity {name}: {exc}") from None
            if token is not None and not token.strip():
                raise _SetupError(f"identity {name}: the token is empty")
            if not key:
                raise _SetupError(
                    "no API key: set SUPABASE_PUBLISHABLE_KEY (or SUPABASE_ANON_KEY) or give "
                    "connect.key"
                )
            try:
                settings = ClientSettings(
                    url, key, vsn=conn.vsn, access_token=token or None, redact_frames=True
                )
            except InspectorError as exc:
                raise _SetupError(f"identity {name}: {exc.message}") from None
            peeked = jwt.peek(token) if token else None
            self._identities[name] = _Identity(name, settings, peeked.claims if peeked else None)

    # ------------------------------------------------------------------ steps

    async def _run_steps(self) -> None:
        loop = asyncio.get_running_loop()
        mark = self._start
        current: tuple[m.Step, float] | None = None
        try:
            async with asyncio.timeout(self.check.timeout):
                for step in self.check.steps:
                    t0 = loop.time()
                    current = (step, t0)
                    self._emit(StepStarted(self.check, step.index, step, t0 - self._start))
                    try:
                        outcome = await self._do(step, mark)
                    except _Failed as failed:
                        self._finish(
                            step,
                            t0,
                            StepStatus.FAILED,
                            failed.reason,
                            server_reason=failed.server_reason,
                            matched=failed.matched,
                            near=failed.near,
                        )
                        current = None
                        return
                    self._values.update(outcome.captured)
                    self._finish(
                        step,
                        t0,
                        StepStatus.PASSED,
                        "",
                        server_reason=outcome.server_reason,
                        matched=outcome.matched,
                        captured=outcome.captured,
                    )
                    current = None
                    mark = outcome.mark if outcome.mark is not None else loop.time()
        except TimeoutError:
            if current is not None:
                self._finish(
                    current[0],
                    current[1],
                    StepStatus.FAILED,
                    f"the check's timeout ({m.format_duration(self.check.timeout)}) ran out during "
                    "this step",
                )
        except asyncio.CancelledError:
            if current is not None:
                self._finish(current[0], current[1], StepStatus.FAILED, "cancelled")
            if not self._cancelled:
                raise

    def _finish(
        self,
        step: m.Step,
        t0: float,
        status: StepStatus,
        reason: str,
        *,
        server_reason: str | None = None,
        matched: Sequence[ReceivedMessage] = (),
        near: Sequence[NearMiss] = (),
        captured: Mapping[str, Any] | None = None,
    ) -> None:
        now = asyncio.get_running_loop().time()
        result = StepResult(
            step,
            status,
            t0 - self._start,
            now - t0,
            reason,
            server_reason,
            tuple(matched),
            tuple(near),
            dict(captured or {}),
        )
        self._results.append(result)
        self._emit(StepFinished(self.check, step.index, result))

    async def _do(self, step: m.Step, mark: float) -> _Outcome:
        try:
            if isinstance(step, m.Wait):
                await asyncio.sleep(step.seconds)
                return _Outcome()
            if isinstance(step, m.Join):
                return await self._join(step)
            if isinstance(step, m.Leave):
                return await self._leave(step)
            if isinstance(step, m.Send):
                return await self._send(step)
            if isinstance(step, m.Track | m.Untrack):
                return await self._track(step)
            if isinstance(step, m.Expect | m.ExpectPresence):
                return await self._expect(step, mark)
            return await self._expect_none(step, mark)
        except TemplateError as exc:
            raise _Failed(f"variables: {exc}") from None
        except JsonPathError as exc:
            raise _Failed(f"JSONPath: {str(exc).splitlines()[0]}") from None
        except InspectorError as exc:
            raise _Failed(exc.message) from None

    async def _client(self, name: str, *, connect: bool = True) -> tuple[_Identity, RealtimeClient]:
        ident = self._identities[name]
        if ident.client is None:
            client = (
                self._factory(name, ident.settings)
                if self._factory is not None
                else RealtimeClient(ident.settings)
            )
            previous = client.on_event
            client.on_event = partial(self._on_client_event, name, previous)
            ident.client = client
        if connect and not ident.connected:
            await ident.client.connect()
            ident.connected = True
        return ident, ident.client

    def _text(self, text: str, identity: str) -> str:
        return expand_text(text, self._variables(identity))

    async def _join(self, step: m.Join) -> _Outcome:
        channel = self._text(step.channel, step.identity)
        ident, client = await self._client(step.identity)
        cfg = ChannelConfig(
            channel,
            broadcast_self=step.self_,
            broadcast_ack=step.ack,
            presence_key=self._text(step.presence_key, step.identity),
            presence_enabled=step.presence,
            private=step.private,
        )
        self._buffers.setdefault((step.identity, channel), _Record())  # listening starts now
        ident.joined[channel] = cfg
        mark = asyncio.get_running_loop().time()
        try:
            await client.join(cfg, timeout=step.timeout)
        except (JoinRefused, ChannelClosed) as exc:
            await self._quiet_leave(ident, client, channel)  # no rejoins after a refusal
            if step.expect == "refused":
                pattern = self._text(step.reason, step.identity) if step.reason else None
                if pattern is not None and not glob_matches(exc.reason, pattern):
                    raise _Failed(
                        f"refused, but the reason {exc.reason!r} does not match {pattern!r}",
                        server_reason=exc.reason,
                    ) from None
                return _Outcome(server_reason=exc.reason, mark=mark)
            raise _Failed(
                f"the server refused the join: {exc.reason}", server_reason=exc.reason
            ) from None
        except (TimeoutError, JoinTimedOut):
            await self._quiet_leave(ident, client, channel)
            raise _Failed(
                f"no reply to the join within {m.format_duration(step.timeout)}"
            ) from None
        if step.expect == "refused":
            raise _Failed("the server accepted the join (expected a refusal)")
        return _Outcome(mark=mark)

    async def _quiet_leave(self, ident: _Identity, client: RealtimeClient, channel: str) -> None:
        ident.joined.pop(channel, None)
        if topic_for(channel) in client.channels:
            with contextlib.suppress(InspectorError, TimeoutError):
                await client.leave(channel, timeout=2.0)

    async def _leave(self, step: m.Leave) -> _Outcome:
        channel = self._text(step.channel, step.identity)
        ident, client = await self._client(step.identity)
        if channel not in ident.joined:
            raise _Failed(f"identity {step.identity} has not joined {channel}")
        ident.joined.pop(channel, None)
        ident.tracked.discard(channel)
        mark = asyncio.get_running_loop().time()
        try:
            await client.leave(channel, timeout=10.0)
        except TimeoutError:
            raise _Failed("no reply to the leave within 10 s") from None
        return _Outcome(mark=mark)

    async def _send(self, step: m.Send) -> _Outcome:
        loop = asyncio.get_running_loop()
        self._seq += 1
        variables = self._variables(step.identity)
        channel = expand_text(step.channel, variables)
        event = expand_text(step.event, variables)
        payload = expand_json(json.dumps({} if step.payload is None else step.payload), variables)
        want_error = step.expect == "error"
        pattern = expand_text(step.reason, variables) if step.reason else None
        if step.via == "rest":
            _, rest_client = await self._client(step.identity, connect=False)  # no socket
            mark = loop.time()
            res = await rest_client.rest_send(channel, event, payload, private=step.private)
            if res.status is None:
                raise _Failed(f"no answer from the REST endpoint: {res.error}")
            ok, text = res.ok, (res.error or "")
            what = f"HTTP {res.status}"
        else:
            ident, client = await self._client(step.identity)
            if channel not in ident.joined:
                raise _Failed(f"identity {step.identity} has not joined {channel}; join it first")
            mark = loop.time()
            result: PushResult = await client.send(channel, event, payload)
            if result.status is PushStatus.TIMED_OUT:
                raise _Failed("no ack from the server within the push timeout (10 s)")
            if result.status is PushStatus.DROPPED:
                raise _Failed("dropped from the full send buffer before it could be sent")
            ok = result.status in (PushStatus.OK, PushStatus.SENT)
            text = "" if ok else result.error_text()
            what = result.status.value
        if ok and want_error:
            raise _Failed(f"the server accepted it ({what}); expected an error")
        if not ok and not want_error:
            raise _Failed(f"the server refused it ({what}): {text}", server_reason=text)
        if not ok and pattern is not None and not glob_matches(text, pattern):
            raise _Failed(f"the error {text!r} does not match {pattern!r}", server_reason=text)
        return _Outcome(server_reason=text or None, mark=mark)

    async def _track(self, step: m.Track | m.Untrack) -> _Outcome:
        loop = asyncio.get_running_loop()
        variables = self._variables(step.identity)
        channel = expand_text(step.channel, variables)
        ident, client = await self._client(step.identity)
        if channel not in ident.joined:
            raise _Failed(f"identity {step.identity} has not joined {channel}; join it first")
        mark = loop.time()
        if isinstance(step, m.Track):
            meta = expand_json(json.dumps({} if step.payload is None else step.payload), variables)
            result = await client.track(channel, meta)
            ident.tracked.add(channel)
        else:
            result = await client.untrack(channel)
            ident.tracked.discard(channel)
        if result.status not in (PushStatus.OK, PushStatus.SENT):
            text = result.error_text()
            raise _Failed(
                f"the server refused it ({result.status.value}): {text}", server_reason=text
            )
        return _Outcome(mark=mark)

    # ------------------------------------------------------------------ expects

    def _buffer(self, identity: str, channel: str) -> _Record:
        buf = self._buffers.get((identity, channel))
        ident = self._identities[identity]
        if buf is None or channel not in ident.joined:
            raise _Failed(f"identity {identity} has not joined {channel}; join it first")
        return buf

    def _matcher(
        self, step: m.Expect | m.ExpectNone | m.ExpectPresence
    ) -> Callable[[ReceivedMessage], tuple[bool, tuple[Difference, ...] | None]]:
        """``(matches, differences)``: differences is None when the event/key differs."""
        variables = self._variables(step.identity)
        expected = expand_json(json.dumps(step.payload), variables) if step.has_payload else None
        where = tuple(expand_text(q, variables) for q in step.where)
        for q in where:  # a bad query fails the step, not every message
            compile_path(q)
        kind: str = "broadcast"
        key = "*"
        if isinstance(step, m.ExpectPresence):
            kind, event, key = "presence", str(step.event), expand_text(step.key, variables)
        else:
            event = expand_text(step.event, variables)

        def match(msg: ReceivedMessage) -> tuple[bool, tuple[Difference, ...] | None]:
            if msg.kind != kind:
                return False, None
            if kind == "presence":
                if msg.event != event or not glob_matches(msg.key or "", key):
                    return False, None
            elif not glob_matches(msg.event, event):
                return False, None
            diffs: list[Difference] = []
            if step.has_payload:
                diffs = differences(expected, msg.payload)
            if where:
                diffs += where_failures(where, msg.payload)
            return not diffs, tuple(diffs)

        return match

    async def _expect(self, step: m.Expect | m.ExpectPresence, mark: float) -> _Outcome:
        loop = asyncio.get_running_loop()
        channel = self._text(step.channel, step.identity)
        buf = self._buffer(step.identity, channel)
        match = self._matcher(step)
        start = self._start if step.from_ == "start_of_check" else mark
        deadline = start + step.within
        matched: list[ReceivedMessage] = []
        near: list[NearMiss] = []
        others: list[ReceivedMessage] = []
        position = 0
        while True:
            fresh, position = buf.since(position)
            for msg in fresh:
                if msg.received_at < start or msg.received_at > deadline:
                    continue
                ok, diffs = match(msg)
                if ok:
                    matched.append(msg)
                    if len(matched) >= step.count:
                        return _Outcome(
                            matched=tuple(matched), captured=self._capture(step, matched[0])
                        )
                elif diffs is not None:
                    near.append(NearMiss(msg, diffs))
                else:
                    others.append(msg)
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        near.sort(key=lambda n: len(n.differences))
        what = "presence " + step.event if isinstance(step, m.ExpectPresence) else "message"
        window = f"within {m.format_duration(step.within)}" + (
            " of the check's start" if step.from_ == "start_of_check" else ""
        )
        if matched:
            reason = f"{len(matched)} of {step.count} matching {what}s arrived {window}"
        else:
            reason = f"no matching {what} {window}"
        if near:
            reason += f"; closest: {near[0].text()}"
        elif others:
            seen = sorted({f"{o.event} {o.key}" if o.key is not None else o.event for o in others})
            reason += f"; seen instead: {', '.join(seen[:5])}"
        else:
            reason += "; nothing arrived on the channel"
        for at, text in self._identities[step.identity].errors:
            if at >= start:  # say why nothing came: the socket or channel had trouble
                reason += f"; meanwhile, at +{at - self._start:.3f} s: {text}"
                break
        raise _Failed(reason, matched=matched, near=near[:MAX_NEAR_MISSES])

    def _capture(self, step: m.Expect | m.ExpectPresence, msg: ReceivedMessage) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, query in step.capture.items():
            found, value = capture_value(query, msg.payload)
            if not found:
                raise _Failed(
                    f"capture {name}: {query} selects nothing in the matched message",
                    matched=(msg,),
                )
            out[name] = value
        return out

    async def _expect_none(self, step: m.ExpectNone, mark: float) -> _Outcome:
        loop = asyncio.get_running_loop()
        channel = self._text(step.channel, step.identity)
        buf = self._buffer(step.identity, channel)
        match = self._matcher(step)
        start = self._start if step.from_ == "start_of_check" else mark
        deadline = start + step.within
        position = 0
        while True:
            fresh, position = buf.since(position)
            for msg in fresh:
                if msg.received_at < start or msg.received_at > deadline:
                    continue
                if match(msg)[0]:
                    raise _Failed(
                        f"{msg.event} arrived at +{msg.offset:.3f} s; expected nothing matching "
                        f"within {m.format_duration(step.within)}",
                        matched=(msg,),
                    )
            remaining = deadline - loop.time()
            if remaining <= 0:
                return _Outcome()
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    # ------------------------------------------------------------------ receiving

    def _on_client_event(
        self, identity: str, previous: Callable[[ClientEvent], None] | None, event: ClientEvent
    ) -> None:
        if previous is not None:
            previous(event)
        try:
            if isinstance(event, BroadcastReceived):
                self._record_broadcast(identity, event)
            elif isinstance(event, PresenceChanged):
                self._record_presence(identity, event)
            elif isinstance(event, ErrorOccurred):
                errors = self._identities[identity].errors
                errors.append((event.at, event.error.message))
                del errors[:-20]
        except Exception:  # peer input never raises out of a receive path
            log.warning("a check could not record a message", exc_info=True)

    def _add(self, identity: str, channel: str, make: Callable[[int], ReceivedMessage]) -> None:
        buf = self._buffers.get((identity, channel))
        if buf is None:
            return
        self._msg_seq += 1
        msg = make(self._msg_seq)
        buf.append(msg)
        self._arrived.set()
        self._emit(MessageRecorded(self.check, msg))

    def _record_broadcast(self, identity: str, event: BroadcastReceived) -> None:
        channel = event.topic.removeprefix("realtime:")
        meta = event.meta()
        mid = meta.get("id") if isinstance(meta, dict) else None
        wall = self._wall_start + (event.received_at - self._start)
        self._add(
            identity,
            channel,
            lambda seq: ReceivedMessage(
                seq,
                identity,
                channel,
                "broadcast",
                event.event,
                event.display_payload(),
                None,
                str(mid) if mid is not None else None,
                event.received_at,
                wall,
                event.received_at - self._start,
                event.size,
            ),
        )

    def _record_presence(self, identity: str, event: PresenceChanged) -> None:
        channel = event.topic.removeprefix("realtime:")
        wall = self._wall_start + (event.at - self._start)
        for what, entries in (("join", event.joins), ("leave", event.leaves)):
            for key, metas in entries.items():
                for meta in metas:
                    make = partial(
                        self._presence_message, identity, channel, what, dict(meta), str(key)
                    )
                    self._add(identity, channel, partial(make, at=event.at, wall=wall))

    def _presence_message(
        self,
        identity: str,
        channel: str,
        what: str,
        meta: dict[str, Any],
        key: str,
        seq: int,
        *,
        at: float,
        wall: float,
    ) -> ReceivedMessage:
        return ReceivedMessage(
            seq, identity, channel, "presence", what, meta, key, None, at, wall, at - self._start
        )

    def _emit(self, event: RunEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("the check's on_event callback failed")
        for queue in self._queues:
            queue.put_nowait(event)

    # ------------------------------------------------------------------ cleanup

    async def _cleanup(self) -> None:
        async def one(ident: _Identity) -> None:
            client = ident.client
            if client is None:
                return
            try:
                if ident.connected:
                    with contextlib.suppress(InspectorError, TimeoutError):
                        async with asyncio.timeout(CLEANUP_TIMEOUT / 2):
                            for channel in list(ident.tracked):
                                await client.untrack(channel)
                            await asyncio.gather(
                                *(client.leave(ch, timeout=2.0) for ch in ident.joined),
                                return_exceptions=True,
                            )
            finally:
                ident.tracked.clear()
                ident.joined.clear()
                await client.close()

        await asyncio.gather(*(one(i) for i in self._identities.values()), return_exceptions=True)


async def run_check(
    check: m.Check,
    *,
    env: Mapping[str, str] | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    client_factory: ClientFactory | None = None,
    url: str | None = None,
    key: str | None = None,
) -> CheckResult:
    """Run ``check`` once (see :class:`CheckRun` for events, cancelling, ``url``/``key``)."""
    run = CheckRun(
        check, env=env, on_event=on_event, client_factory=client_factory, url=url, key=key
    )
    return await run.run()
