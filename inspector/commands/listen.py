"""``realtime-inspector listen``: join channels and print one JSON line per event (headless).

Each line has ``time`` (UTC, ms), ``channel``, ``event``, ``payload``, ``meta`` and ``kind``:
``broadcast``, ``presence``, ``system`` (server system messages, connection changes, other
channel events), ``join`` (channel state changes) or ``error``. Binary payloads print as
``{"$binary": "<base64>"}`` with ``"binary": true``. Runs until Ctrl+C, until ``--count``
broadcasts arrived or ``--timeout`` seconds passed (connecting and joining included), until the
server closed every channel (exit 1), or until the reader of stdout went away (exit 0).
Payloads are redacted as values, never as text, so every line stays JSON; binary payloads
have secret-shaped runs masked in place before they are base64-encoded (``--show-secrets``
prints them as received; the session's own key and token are hidden either way).

``--track-seq PATH`` watches an integer counter in each broadcast's payload (a JSONPath such as
``$.seq``; the rules are :mod:`inspector.store.messages.seq_tracker`'s, shared with the window)
per channel and, at exit, adds its counters: one line per channel on stderr (``summary: room-1
$.seq: received 9, missing 1 (gap 5), duplicates 0, out of order 0, no counter 0``) and one
``kind: "summary"`` line per channel on stdout (event ``seq_summary``) with the counts, the
gaps (from, to, first seen) and each run's counts. The exit code does not change.

``--replay-since TIME [--replay-limit N]`` (with ``--private``) asks for Broadcast Replay:
the server first sends the channel's recent database messages, printed with ``meta.replayed``
and ``meta.id`` (docs/client.md "Broadcast Replay").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import time
from typing import Any

from inspector.client import (
    BroadcastReceived,
    ChannelCause,
    ChannelConfig,
    ChannelMessage,
    ChannelStateChanged,
    ClientEvent,
    ConnectionStateChanged,
    ErrorOccurred,
    FrameRejected,
    InspectorError,
    PresenceChanged,
    RealtimeClient,
    SystemMessage,
)
from inspector.protocol.frames import channel_name
from inspector.protocol.redact import redact_bytes
from inspector.store.channels.channels import (
    ReplaySinceError,
    parse_replay_since,
    replay_limit_problem,
    replay_since_in_future,
)
from inspector.store.messages.seq_tracker import SeqPathError, SeqTracker, compile_path

from .client_args import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_TIMEOUT,
    Output,
    Stop,
    UsageError,
    add_connection_options,
    channel_names,
    count_arg,
    keep_token_fresh,
    run_main,
    seconds_arg,
    stop_on_signals,
)
from .saved_profiles import add_profile_options, connection

HELP = "join channels and print one JSON line per event until Ctrl+C"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "listen", help=HELP, description=HELP + ".", epilog=EXIT_CODES_HELP
    )
    add_connection_options(p)
    add_profile_options(p)
    p.add_argument(
        "--event",
        action="append",
        metavar="E",
        help="only broadcasts with this event (repeatable; case-insensitive; * and ? are "
        "wildcards, a backslash makes the next character literal; * = all)",
    )
    p.add_argument(
        "--presence-key",
        metavar="K",
        help="enable presence with this key (prints presence state and diffs)",
    )
    p.add_argument("--count", type=count_arg, metavar="N", help="stop after N broadcasts (N >= 1)")
    p.add_argument(
        "--timeout",
        type=seconds_arg,
        metavar="S",
        help="stop after S seconds, connecting and joining included",
    )
    p.add_argument(
        "--track-seq",
        type=seq_path_arg,
        metavar="PATH",
        help="watch an integer counter in each payload (JSONPath, e.g. $.seq): at exit, print "
        "received, missing (with the gaps), duplicates, out of order and no counter per "
        "channel; a drop to 1 starts a new run",
    )
    p.add_argument(
        "--replay-since",
        type=replay_since_arg,
        metavar="TIME",
        help="Broadcast Replay (with --private): ask the server to replay the messages sent "
        "from the database since TIME: ms since 1970, a duration before now (15m, 2h, 1d) or "
        "an ISO-8601 time; replayed lines have meta.replayed true and meta.id",
    )
    p.add_argument(
        "--replay-limit",
        type=replay_limit_arg,
        metavar="N",
        help="at most N replayed messages (1..25; the server uses 25 without it)",
    )
    p.add_argument(
        "--show-secrets",
        action="store_true",
        help="print payloads exactly as received instead of redacting secret-looking values "
        "(the session's own key and token stay hidden)",
    )
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    return run_main("listen", _listen, args)


def replay_since_arg(text: str) -> int:
    """``--replay-since``: ms since the epoch (durations count back from now)."""
    try:
        return parse_replay_since(text, time.time())
    except ReplaySinceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def replay_limit_arg(text: str) -> int:
    """``--replay-limit``: 1..25."""
    value = count_arg(text)
    problem = replay_limit_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def seq_path_arg(text: str) -> str:
    """``--track-seq``: a JSONPath the tracker can use (checked before connecting, exit 2)."""
    try:
        compile_path(text)
    except SeqPathError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


class _Printer:
    """Turns client events into output lines and counts broadcasts."""

    def __init__(
        self,
        out: Output,
        count: int | None,
        loop: asyncio.AbstractEventLoop,
        topics: list[str],
        track_seq: str | None = None,
    ) -> None:
        self.out = out
        self.count = count
        self.broadcasts = 0
        self.done = asyncio.Event()
        #: Set once the server closed every channel (phx_close, §4.6: no rejoin follows).
        self.all_closed = asyncio.Event()
        #: The last "<topic> was closed by the server: <reason>".
        self.closed_reason = ""
        self._open_topics = set(topics)
        self._loop = loop
        self._flush_scheduled = False
        # Event times are loop times; convert to wall clock once.
        self._offset = time.time() - loop.time()
        #: one sequence tracker per channel topic (--track-seq), in the order given.
        self.trackers = {t: SeqTracker(track_seq) for t in topics} if track_seq else {}

    def _time(self, at: float) -> str:
        stamp = dt.datetime.fromtimestamp(at + self._offset, dt.UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _line(
        self,
        at: float,
        kind: str,
        topic: str | None,
        event: str,
        payload: Any,
        meta: Any = None,
        **extra: Any,
    ) -> None:
        line = {
            "time": self._time(at),
            "channel": channel_name(topic) if topic else None,
            "event": event,
            "payload": payload,
            "meta": meta,
            "kind": kind,
        }
        line.update(extra)
        self.out.line(line)

    def __call__(self, e: ClientEvent) -> None:
        """The client's ``on_event``: print, then flush once the burst is over."""
        self.handle(e, self._loop.time())
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self.out.flush()

    def seq_summary(self) -> None:
        """At exit (--track-seq): each channel's counters, on stderr for people and as one
        ``summary`` line on stdout."""
        now = self._loop.time()
        for topic, tracker in self.trackers.items():
            payload = tracker.to_dict(lambda wall: self._time(wall - self._offset))
            self._line(now, "summary", topic, "seq_summary", payload)
            name = channel_name(topic)  # Output escapes hidden characters on stderr
            self.out.error(f"summary: {name} {tracker.path}: {tracker.summary_text()}")

    def handle(self, e: ClientEvent, now: float) -> None:
        if isinstance(e, BroadcastReceived):
            if self.count is not None and self.broadcasts >= self.count:
                return
            self.broadcasts += 1
            extra = {"binary": True} if e.binary else {}
            payload = e.display_payload()
            if e.binary and self.out.redact:  # base64 hides nothing: mask the bytes themselves
                payload = {"$binary": base64.b64encode(redact_bytes(e.payload_bytes())).decode()}
            tracker = self.trackers.get(e.topic)
            if tracker is not None:
                if e.binary:
                    tracker.feed_nothing()
                else:
                    tracker.feed_value(payload, e.received_at + self._offset)
            self._line(e.received_at, "broadcast", e.topic, e.event, payload, e.meta(), **extra)
            if self.count is not None and self.broadcasts >= self.count:
                self.done.set()
        elif isinstance(e, PresenceChanged):
            payload = {"joins": e.joins, "leaves": e.leaves, "state": e.state}
            self._line(e.at, "presence", e.topic, f"presence_{e.kind}", payload)
        elif isinstance(e, SystemMessage):
            self._line(e.at, "system", e.topic, "system", e.payload)
        elif isinstance(e, ChannelMessage):
            self._line(e.at, "system", e.topic, e.event, e.payload)
        elif isinstance(e, ChannelStateChanged):
            if e.cause is ChannelCause.SERVER_CLOSE and e.topic in self._open_topics:
                self._open_topics.discard(e.topic)
                self.closed_reason = f"{e.topic} was closed by the server: {e.reason}"
                if not self._open_topics:
                    self.all_closed.set()
            payload = {
                "state": e.state.value,
                "cause": e.cause.value,
                "reason": e.reason,
                "retry_in": e.retry_in,
            }
            self._line(e.at, "join", e.topic, e.state.value, payload)
        elif isinstance(e, ConnectionStateChanged):
            payload = {
                "state": e.state.value,
                "attempt": e.attempt,
                "retry_in": e.retry_in,
                "reason": e.reason,
            }
            self._line(e.at, "system", None, "connection", payload)
        elif isinstance(e, ErrorOccurred):
            topic = getattr(e.error, "topic", None)
            self._line(e.at, "error", topic, type(e.error).__name__, {"message": e.error.message})
        elif isinstance(e, FrameRejected):
            self._line(now, "error", None, "frame_rejected", {"reason": e.reason})


async def _listen(args: argparse.Namespace, out: Output) -> int:
    if args.replay_limit is not None and args.replay_since is None:
        raise UsageError("--replay-limit needs --replay-since")
    if args.replay_since is not None and not args.private:
        raise UsageError(
            "--replay-since needs --private: Realtime replays only on private channels (it "
            "refuses the join of a public one, and realtime-js refuses to send it)"
        )
    if args.replay_since is not None:
        future = replay_since_in_future(args.replay_since, time.time())
        if future:
            out.note(future)
    args.channel = channel_names(args.channel, out)
    try:
        settings, session = await connection(args, out)  # flags, --email, --profile/--identity
    except InspectorError as exc:
        out.error(exc.message)
        return EXIT_FAILURE
    out.redact = not args.show_secrets
    loop = asyncio.get_running_loop()
    configs = [
        ChannelConfig(
            name,
            broadcast_self=args.self_,
            presence_key=args.presence_key or "",
            presence_enabled=args.presence_key is not None,
            private=args.private,
            events=tuple(args.event or ("*",)),
            replay_since=args.replay_since,
            replay_limit=args.replay_limit,
        )
        for name in args.channel
    ]
    topics = [cfg.topic for cfg in configs]
    printer = _Printer(out, args.count, loop, topics, args.track_seq)
    client = RealtimeClient(settings, on_event=printer)
    stop = Stop()
    out.on_closed = stop.set
    deadline = None if args.timeout is None else loop.time() + args.timeout
    listening = False  # connected and joined: the --track-seq summary is printed at exit
    refresher: asyncio.Task[None] | None = None  # with --email: refreshes the user's token
    try:
        with stop_on_signals(stop):
            setup = loop.create_task(_connect_and_join(client, configs))
            await _first(loop, deadline, setup, stop.wait())
            if not setup.done():  # a signal, a closed stdout or the deadline came first
                setup.cancel()
                await asyncio.gather(setup, return_exceptions=True)
                if stop.is_set():
                    return _stopped(args, out, stop, printer)
                out.error(f"not connected and joined within --timeout {args.timeout:g} s")
                return EXIT_FAILURE
            try:
                setup.result()
            except InspectorError as exc:
                out.error(exc.message)
                return EXIT_FAILURE
            listening = True
            if session is not None and session.spec.refreshable:
                refresher = loop.create_task(keep_token_fresh(client, session, out))
            await _first(
                loop, deadline, stop.wait(), printer.done.wait(), printer.all_closed.wait()
            )
    finally:
        if refresher is not None:
            refresher.cancel()
            await asyncio.gather(refresher, return_exceptions=True)
        await client.close()
        if listening:
            printer.seq_summary()
        out.flush()
    if stop.is_set():
        return _stopped(args, out, stop, printer)
    if printer.all_closed.is_set() and not printer.done.is_set():
        out.error(printer.closed_reason)
        return EXIT_FAILURE
    if args.count is not None and printer.broadcasts < args.count:
        out.error(
            f"timed out after {args.timeout:g} s with {printer.broadcasts} of "
            f"{args.count} broadcasts"
        )
        return EXIT_TIMEOUT
    return EXIT_OK


async def _connect_and_join(client: RealtimeClient, configs: list[ChannelConfig]) -> None:
    await client.connect()
    for cfg in configs:
        await client.join(cfg)


async def _first(loop: asyncio.AbstractEventLoop, deadline: float | None, *waits: Any) -> bool:
    """Wait until the first of ``waits`` (tasks or coroutines) finishes: True, or False when
    ``deadline`` passed first. Coroutines are wrapped in tasks and cancelled afterwards; tasks
    passed in are left to the caller."""
    made = [loop.create_task(w) for w in waits if not isinstance(w, asyncio.Task)]
    tasks = [w for w in waits if isinstance(w, asyncio.Task)] + made
    timeout = None if deadline is None else max(0.0, deadline - loop.time())
    done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in made:
        task.cancel()
    return bool(done)


def _stopped(args: argparse.Namespace, out: Output, stop: Stop, printer: _Printer) -> int:
    """Exit code after Ctrl+C, SIGTERM or a closed stdout.

    A signal is listen's normal end (0) unless ``--count`` was still short (130 / 143); a reader
    that went away (``| head -1``) has what it wanted (0).
    """
    if out.closed or stop.signal is None:
        return EXIT_OK
    if args.count is not None and printer.broadcasts < args.count:
        out.error(f"interrupted with {printer.broadcasts} of {args.count} broadcasts")
        return stop.exit_code()
    return EXIT_OK
