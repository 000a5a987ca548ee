"""What a load run measured: the :class:`LoadRecorder` protocol and :class:`LoadStats`.

A VU reports every connection, join, send and delivery to a :class:`LoadRecorder`. The
in-process one, :class:`LoadStats`, keeps counters, HDR histograms (the ``hdrhistogram``
package) of end-to-end latency, ack latency, connect and join times, and per
``(receiver, channel, sender)`` sequence tracking. Its :meth:`LoadStats.to_dict` carries the
histograms encoded (HdrHistogram's compressed base64 form), so :meth:`LoadStats.from_dict` and
:meth:`LoadStats.merge` combine the results of many processes or machines exactly: counts add,
histograms add bucket by bucket, percentiles of the merge are those of one histogram that saw
every value.

Lost messages (decided once the run has drained, see docs/load.md): each send that succeeded
(acknowledged with ``ack``, else handed to the socket or answered 2xx by REST) expects
:attr:`~inspector.client.load.workloads.ChannelSlot.receivers` deliveries in its channel (the
channel's members, the sender included when it receives its own broadcasts); per channel,
``lost = max(0, expected - delivered)`` where ``delivered`` counts distinct
``(receiver, sender, seq)``. Duplicates are a ``seq`` a receiver already had from that sender
in that channel; out-of-order is one that arrives after a higher ``seq`` from the same sender.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Protocol

from hdrh.histogram import HdrHistogram

from .workloads import ChannelSlot

#: Histograms hold microseconds from 1 µs to one hour, three significant digits.
_LOWEST: Final = 1
_HIGHEST: Final = 3_600_000_000
_DIGITS: Final = 3
#: Holes (missing seqs) remembered per stream; a jump over more is not tracked for order.
_MAX_HOLES: Final = 100_000
FORMAT: Final = "realtime-inspector-load/1"


def new_histogram() -> HdrHistogram:
    return HdrHistogram(_LOWEST, _HIGHEST, _DIGITS)


def _us(ms: float) -> int:
    return min(max(int(ms * 1000.0), _LOWEST), _HIGHEST)


class LoadRecorder(Protocol):
    """Where a VU reports; times in milliseconds. Calls come from the event loop's thread."""

    def planned(self, slot: ChannelSlot) -> None:
        """A VU is about to join ``slot`` (tells the recorder its expected receivers)."""

    def connected(self, ok: bool, ms: float, reason: str = "") -> None:
        """A websocket opened (``ok``) or failed after ``ms``."""

    def disconnected(self, reason: str = "") -> None:
        """An open websocket was lost or closed (concurrent users go down by one)."""

    def joined(self, channel: str, ok: bool, ms: float, reason: str = "") -> None:
        """A join was answered (``ok``), refused or timed out after ``ms``."""

    def sent(
        self, channel: str, ok: bool, ack_ms: float | None, nbytes: int, reason: str = ""
    ) -> None:
        """One message was sent (``ack_ms`` with ``ack`` or REST: the reply's round trip)."""

    def delivered(
        self,
        channel: str,
        sender: str,
        seq: int,
        latency_ms: float,
        nbytes: int,
        receiver: int = -1,
    ) -> None:
        """A VU (``receiver``) received message ``seq`` of ``sender`` in ``channel``."""

    def error(self, reason: str) -> None:
        """Anything else that went wrong, by reason (one line, no secrets)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Live figures for progress lines and charts; rates over the last interval."""

    #: Seconds since the run started.
    elapsed: float
    #: ``connecting``, ``sending``, ``draining`` or ``done``.
    phase: str
    #: VUs of this run (or of this process's range).
    vus: int
    #: Open websockets now.
    connected: int
    #: Successful joins so far.
    joined: int
    sent: int
    delivered: int
    sent_rate: float
    delivered_rate: float
    #: End-to-end latency so far, milliseconds (None before any delivery).
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    #: Payload bytes per second sent and message bytes per second received.
    tx_rate: float = 0.0
    rx_rate: float = 0.0
    #: Seconds of sending planned, and done so far.
    duration: float = 0.0
    sending_elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(**{k: data[k] for k in cls.__slots__ if k in data})

    @staticmethod
    def combine(parts: list[Snapshot]) -> Snapshot:
        """Several processes' snapshots as one: sums; the worst latency percentiles (the exact
        merge comes with the final result)."""
        if not parts:
            raise ValueError("nothing to combine")
        phases = [p.phase for p in parts]
        order = ["connecting", "sending", "draining", "done"]
        phase = min(phases, key=order.index) if all(p in order for p in phases) else phases[0]
        p50 = [p.p50_ms for p in parts if p.p50_ms is not None]
        p99 = [p.p99_ms for p in parts if p.p99_ms is not None]
        return Snapshot(
            elapsed=max(p.elapsed for p in parts),
            phase=phase,
            vus=sum(p.vus for p in parts),
            connected=sum(p.connected for p in parts),
            joined=sum(p.joined for p in parts),
            sent=sum(p.sent for p in parts),
            delivered=sum(p.delivered for p in parts),
            sent_rate=sum(p.sent_rate for p in parts),
            delivered_rate=sum(p.delivered_rate for p in parts),
            p50_ms=max(p50) if p50 else None,
            p99_ms=max(p99) if p99 else None,
            errors=sum(p.errors for p in parts),
            tx_rate=sum(p.tx_rate for p in parts),
            rx_rate=sum(p.rx_rate for p in parts),
            duration=max(p.duration for p in parts),
            sending_elapsed=max(p.sending_elapsed for p in parts),
        )


@dataclass(slots=True)
class ChannelCounts:
    """Per channel: deliveries expected and made, duplicates, out-of-order."""

    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    out_of_order: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.delivered)


class _Stream:
    """Sequence numbers one receiver got from one sender in one channel."""

    __slots__ = ("high", "holes")

    def __init__(self) -> None:
        self.high = 0
        self.holes: set[int] | None = None


@dataclass
class LoadStats:
    """The in-process :class:`LoadRecorder`: counts, histograms, sequences; mergeable."""

    vus: int = 0
    workload: dict[str, Any] = field(default_factory=dict)
    connects_ok: int = 0
    connects_failed: int = 0
    disconnects: int = 0
    #: Highest number of open websockets at once (summed over merged processes).
    peak_connected: int = 0
    joins_ok: int = 0
    joins_failed: int = 0
    sends_ok: int = 0
    sends_failed: int = 0
    delivered_count: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    negative_latency: int = 0
    #: Broadcasts received without a load header (another program's messages).
    foreign: int = 0
    tx_bytes: int = 0
    rx_bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    channels: dict[str, ChannelCounts] = field(default_factory=dict)
    #: Wall-clock marks (Unix seconds): first/last connect, first/last join, send start/stop.
    marks: dict[str, float] = field(default_factory=dict)
    latency: HdrHistogram = field(default_factory=new_histogram)
    ack: HdrHistogram = field(default_factory=new_histogram)
    connect: HdrHistogram = field(default_factory=new_histogram)
    join: HdrHistogram = field(default_factory=new_histogram)
    #: How many processes' results are in this one.
    processes: int = 1
    _receivers: dict[str, int] = field(default_factory=dict, repr=False)
    _streams: dict[tuple[int, str, str], _Stream] = field(default_factory=dict, repr=False)
    _connected_now: int = field(default=0, repr=False)
    _last: tuple[float, int, int, int, int] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ recorder

    def planned(self, slot: ChannelSlot) -> None:
        self._receivers[slot.name] = slot.receivers
        if slot.name not in self.channels:
            self.channels[slot.name] = ChannelCounts()

    def _mark_span(self, first: str, last: str, ms: float) -> None:
        # The span runs from the *start* of the first attempt (now - its duration) to the end
        # of the last: with every VU connecting at once, first and last completions can be a
        # millisecond apart, and a rate over that alone reads tens of thousands per second.
        # Measured this way, the span is at least the slowest single connect (or join).
        now = time.time()
        marks = self.marks
        start = now - max(ms, 0.0) / 1000
        if first not in marks or start < marks[first]:
            marks[first] = start
        if last not in marks or now > marks[last]:
            marks[last] = now

    def connected(self, ok: bool, ms: float, reason: str = "") -> None:
        if ok:
            self.connects_ok += 1
            self._connected_now += 1
            if self._connected_now > self.peak_connected:
                self.peak_connected = self._connected_now
            self.connect.record_value(_us(ms))
            self._mark_span("first_connect", "last_connect", ms)
        else:
            self.connects_failed += 1
            self.errors[f"connect: {reason or 'failed'}"] += 1

    def disconnected(self, reason: str = "") -> None:
        self.disconnects += 1
        self._connected_now = max(0, self._connected_now - 1)
        if reason:
            self.errors[f"disconnected: {reason}"] += 1

    def joined(self, channel: str, ok: bool, ms: float, reason: str = "") -> None:
        if ok:
            self.joins_ok += 1
            self.join.record_value(_us(ms))
            self._mark_span("first_join", "last_join", ms)
        else:
            self.joins_failed += 1
            self.errors[f"join: {reason or 'failed'}"] += 1

    def sent(
        self, channel: str, ok: bool, ack_ms: float | None, nbytes: int, reason: str = ""
    ) -> None:
        if ok:
            self.sends_ok += 1
            self.tx_bytes += nbytes
            counts = self.channels.get(channel)
            if counts is None:
                counts = self.channels[channel] = ChannelCounts()
            counts.expected += self._receivers.get(channel, 1)
            if ack_ms is not None:
                self.ack.record_value(_us(ack_ms))
        else:
            self.sends_failed += 1
            self.errors[f"send: {reason or 'failed'}"] += 1

    def delivered(
        self,
        channel: str,
        sender: str,
        seq: int,
        latency_ms: float,
        nbytes: int,
        receiver: int = -1,
    ) -> None:
        self.rx_bytes += nbytes
        counts = self.channels.get(channel)
        if counts is None:
            counts = self.channels[channel] = ChannelCounts()
        key = (receiver, channel, sender)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
        high = stream.high
        if seq == high + 1:
            stream.high = seq
        elif seq > high:
            gap = seq - high - 1
            if gap <= _MAX_HOLES:
                holes = stream.holes
                if holes is None:
                    holes = stream.holes = set()
                holes.update(range(high + 1, seq))
            stream.high = seq
        else:
            holes = stream.holes
            if holes is not None and seq in holes:
                holes.discard(seq)
                self.out_of_order += 1
                counts.out_of_order += 1
            else:
                self.duplicated += 1
                counts.duplicated += 1
                return
        self.delivered_count += 1
        counts.delivered += 1
        if latency_ms < 0:
            self.negative_latency += 1
        self.latency.record_value(_us(latency_ms))

    def foreign_message(self) -> None:
        """A broadcast without a load header arrived (counted, not measured)."""
        self.foreign += 1

    def error(self, reason: str) -> None:
        self.errors[reason or "error"] += 1

    def mark(self, name: str, at: float | None = None) -> None:
        """Record a phase time (``send_start``, ``send_stop``, ``start``, ``end``)."""
        self.marks[name] = time.time() if at is None else at

    # ------------------------------------------------------------------ live figures

    @property
    def connected_now(self) -> int:
        return self._connected_now

    def snapshot(
        self,
        elapsed: float,
        phase: str,
        *,
        now: float | None = None,
        duration: float = 0.0,
        sending_elapsed: float = 0.0,
    ) -> Snapshot:
        """Live figures; rates over the time since the previous call (``now``: a monotonic
        clock, default ``time.monotonic()``)."""
        t = time.monotonic() if now is None else now
        current = (t, self.sends_ok, self.delivered_count, self.tx_bytes, self.rx_bytes)
        last, self._last = self._last, current
        rates = [0.0, 0.0, 0.0, 0.0]
        if last is not None and t > last[0]:
            span = t - last[0]
            rates = [(current[i] - last[i]) / span for i in range(1, 5)]
        hist = self.latency
        has = hist.get_total_count() > 0
        return Snapshot(
            elapsed=elapsed,
            phase=phase,
            vus=self.vus,
            connected=self._connected_now,
            joined=self.joins_ok,
            sent=self.sends_ok,
            delivered=self.delivered_count,
            sent_rate=rates[0],
            delivered_rate=rates[1],
            p50_ms=hist.get_value_at_percentile(50) / 1000 if has else None,
            p99_ms=hist.get_value_at_percentile(99) / 1000 if has else None,
            errors=sum(self.errors.values()),
            tx_rate=rates[2],
            rx_rate=rates[3],
            duration=duration,
            sending_elapsed=sending_elapsed,
        )

    def all_delivered(self) -> bool:
        """Every expected delivery has arrived (the drain can stop early)."""
        return all(c.delivered >= c.expected for c in self.channels.values())

    # ------------------------------------------------------------------ results

    @property
    def expected(self) -> int:
        return sum(c.expected for c in self.channels.values())

    @property
    def lost(self) -> int:
        return sum(c.lost for c in self.channels.values())

    def _span(self, first: str, last: str) -> float | None:
        if first in self.marks and last in self.marks:
            return max(self.marks[last] - self.marks[first], 0.0)
        return None

    def summary(self) -> dict[str, float | int | None]:
        """Every figure by its metric name (the names thresholds use; docs/load.md)."""
        send_s = self._span("send_start", "send_stop")
        connect_s = self._span("first_connect", "last_connect")
        join_s = self._span("first_join", "last_join")

        def rate(count: int, span: float | None) -> float | None:
            if span is None:
                return None
            return count / span if span > 0 else float(count)

        def pct(ok: int, bad: int) -> float | None:
            return 100.0 * ok / (ok + bad) if ok + bad else None

        def ms(hist: HdrHistogram, p: float | None) -> float | None:
            if hist.get_total_count() == 0:
                return None
            value = hist.get_max_value() if p is None else hist.get_value_at_percentile(p)
            return float(value) / 1000

        out: dict[str, float | int | None] = {
            "vus": self.vus,
            "concurrent_users": self.peak_connected,
            "connections": self.connects_ok,
            "connection_failures": self.connects_failed,
            "connection_success": pct(self.connects_ok, self.connects_failed),
            "connect_rate": rate(self.connects_ok, connect_s),
            "connect_p50": ms(self.connect, 50),
            "connect_p99": ms(self.connect, 99),
            "connect_max": ms(self.connect, None),
            "joins": self.joins_ok,
            "join_failures": self.joins_failed,
            "join_success": pct(self.joins_ok, self.joins_failed),
            "join_rate": rate(self.joins_ok, join_s),
            "join_p50": ms(self.join, 50),
            "join_p99": ms(self.join, 99),
            "join_max": ms(self.join, None),
            "sent": self.sends_ok,
            "send_failures": self.sends_failed,
            "sent_rate": rate(self.sends_ok, send_s),
            "expected": self.expected,
            "delivered": self.delivered_count,
            "delivered_rate": rate(self.delivered_count, send_s),
            "p50": ms(self.latency, 50),
            "p95": ms(self.latency, 95),
            "p99": ms(self.latency, 99),
            "max": ms(self.latency, None),
            "mean": self.latency.get_mean_value() / 1000 if self.delivered_count else None,
            "ack_p50": ms(self.ack, 50),
            "ack_p95": ms(self.ack, 95),
            "ack_p99": ms(self.ack, 99),
            "ack_max": ms(self.ack, None),
            "lost": self.lost,
            "lost_percent": 100.0 * self.lost / self.expected if self.expected else 0.0,
            "duplicated": self.duplicated,
            "out_of_order": self.out_of_order,
            "negative_latency": self.negative_latency,
            "tx_bytes": self.tx_bytes,
            "rx_bytes": self.rx_bytes,
            "tx_rate": rate(self.tx_bytes, send_s),
            "rx_rate": rate(self.rx_bytes, send_s),
            "errors": sum(self.errors.values()),
            "duration": send_s,
        }
        return out

    def channel_problems(self, limit: int = 50) -> list[dict[str, Any]]:
        """Channels with lost, duplicated or out-of-order messages, worst first."""
        rows: list[dict[str, Any]] = [
            {
                "channel": name,
                "expected": c.expected,
                "delivered": c.delivered,
                "lost": c.lost,
                "duplicated": c.duplicated,
                "out_of_order": c.out_of_order,
            }
            for name, c in self.channels.items()
            if c.lost or c.duplicated or c.out_of_order
        ]
        rows.sort(key=lambda r: (-r["lost"], -r["duplicated"], -r["out_of_order"], r["channel"]))
        return rows[:limit]

    # ------------------------------------------------------------------ merging

    _COUNTERS: ClassVar[tuple[str, ...]] = (
        "vus",
        "connects_ok",
        "connects_failed",
        "disconnects",
        "peak_connected",
        "joins_ok",
        "joins_failed",
        "sends_ok",
        "sends_failed",
        "delivered_count",
        "duplicated",
        "out_of_order",
        "negative_latency",
        "foreign",
        "tx_bytes",
        "rx_bytes",
        "processes",
    )
    _HISTOGRAMS: ClassVar[tuple[str, ...]] = ("latency", "ack", "connect", "join")
    _FIRST_MARKS: ClassVar[tuple[str, ...]] = ("first_connect", "first_join", "send_start", "start")

    def merge(self, other: LoadStats) -> LoadStats:
        """Add ``other``'s results to these (exact: counts add, histograms add)."""
        for name in self._COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.update(other.errors)
        for name, c in other.channels.items():
            mine = self.channels.get(name)
            if mine is None:
                mine = self.channels[name] = ChannelCounts()
            mine.expected += c.expected
            mine.delivered += c.delivered
            mine.duplicated += c.duplicated
            mine.out_of_order += c.out_of_order
        for name in self._HISTOGRAMS:
            getattr(self, name).add(getattr(other, name))
        for key, value in other.marks.items():
            if key not in self.marks:
                self.marks[key] = value
            elif key in self._FIRST_MARKS:
                self.marks[key] = min(self.marks[key], value)
            else:
                self.marks[key] = max(self.marks[key], value)
        if not self.workload:
            self.workload = dict(other.workload)
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; histograms as HdrHistogram's compressed base64 (lossless)."""
        out: dict[str, Any] = {"format": FORMAT}
        for name in self._COUNTERS:
            out[name] = getattr(self, name)
        out["workload"] = self.workload
        out["errors"] = dict(self.errors)
        out["marks"] = dict(self.marks)
        out["channels"] = {
            name: [c.expected, c.delivered, c.duplicated, c.out_of_order]
            for name, c in self.channels.items()
        }
        out["histograms"] = {
            name: getattr(self, name).encode().decode("ascii")
            for name in self._HISTOGRAMS
            if getattr(self, name).get_total_count()
        }
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadStats:
        """The inverse of :meth:`to_dict`; ``ValueError`` for anything that is not one."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a load result (format {FORMAT!r} expected)")
        stats = cls()
        try:
            for name in cls._COUNTERS:
                value = data.get(name, 0)
                if type(value) is not int:
                    raise ValueError(f"{name} must be an integer")
                setattr(stats, name, value)
            stats.workload = dict(data.get("workload") or {})
            stats.errors = Counter({str(k): int(v) for k, v in data.get("errors", {}).items()})
            stats.marks = {str(k): float(v) for k, v in data.get("marks", {}).items()}
            for name, row in data.get("channels", {}).items():
                expected, delivered, dup, ooo = (int(x) for x in row)
                stats.channels[str(name)] = ChannelCounts(expected, delivered, dup, ooo)
            for name, text in data.get("histograms", {}).items():
                if name not in cls._HISTOGRAMS:
                    continue
                try:
                    decoded = HdrHistogram.decode(text.encode("ascii"))
                except Exception as exc:  # hdrh raises its own types for damaged input
                    raise ValueError(f"histogram {name} cannot be decoded: {exc}") from exc
                if decoded is None:
                    raise ValueError(f"histogram {name} cannot be decoded")
                getattr(stats, name).add(decoded)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not a load result: {exc}") from exc
        return stats


def finite(value: float | int | None) -> float | int | None:
    """``value`` unless it is NaN or infinite (JSON reports hold only finite numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
