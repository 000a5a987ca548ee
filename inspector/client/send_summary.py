"""The summary of a run of sends (repeat and burst, replay, load): counts, rate and round trips.

One type for every sender (issue #11 items 3 and 4).

Round trips (websocket acks, REST answers) go into an HDR histogram at microsecond resolution
(1 µs to 1 hour, 3 significant digits), so p50/p95/p99/max stay exact to 0.1 % whatever the
number of sends, in constant memory. The CLI prints :meth:`SendSummary.format_table` on stderr
and :meth:`SendSummary.as_dict` with ``--json``; the window shows the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = ["SendSummary"]

#: The histogram's range in microseconds: 1 µs .. 1 hour (longer round trips are clamped).
_LOWEST_US = 1
_HIGHEST_US = 3_600_000_000
_DIGITS = 3


def _ms(us: float) -> float:
    return round(us / 1000, 3)


class SendSummary:
    """Counts (``sent``, ``ok``, ``error``, ``timed_out``), ``elapsed`` seconds, the achieved
    ``rate`` and the ack round trips (``histogram``, in microseconds; ``p50``/``p95``/``p99``/
    ``max`` in milliseconds, None without a round trip).

    ``sent`` counts every message handed to the socket or posted; ``ok``/``error``/
    ``timed_out`` count the outcomes that came back (a send without ``ack`` has none, so
    ``ok`` stays 0 and :attr:`unanswered` is ``sent``). ``cancelled`` says the run was cut short.
    """

    def __init__(self) -> None:
        self.sent = 0
        self.ok = 0
        self.error = 0
        self.timed_out = 0
        #: Seconds from the first send to the last outcome (or the cancel).
        self.elapsed = 0.0
        #: True when the run was cancelled before its count or duration.
        self.cancelled = False
        #: Round trips in microseconds.
        self.histogram = HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS)

    # ------------------------------------------------------------------ recording

    def record_sent(self) -> None:
        """One send went out (its outcome may follow)."""
        self.sent += 1

    def record_rtt(self, seconds: float) -> None:
        """One round trip, in seconds (clamped to the histogram's range)."""
        us = round(seconds * 1_000_000)
        self.histogram.record_value(min(max(us, _LOWEST_US), _HIGHEST_US))

    def record(self, status: str, rtt: float | None = None) -> None:
        """One outcome: ``ok``, ``error`` or ``timed_out`` (``sent`` and unknown words count
        nothing; ``dropped``, a push the client could not send, counts as an error); a round
        trip in seconds when one was measured.

        Only ``ok`` answers are round trips: an error answer (an ack with status error, a
        refused REST request) is counted as an error but not timed, so a refusal, which is
        quick, never pulls the percentiles down. One rule for ``send``, repeat and replay."""
        if status == "ok":
            self.ok += 1
            if rtt is not None:
                self.record_rtt(rtt)
        elif status == "timed_out":
            self.timed_out += 1
        elif status in ("error", "dropped"):
            self.error += 1

    # ------------------------------------------------------------------ reading

    @property
    def unanswered(self) -> int:
        """Sends without an outcome (no ``ack``, or still in flight when the run ended)."""
        return max(0, self.sent - self.ok - self.error - self.timed_out)

    @property
    def failed(self) -> int:
        return self.error + self.timed_out

    @property
    def rate(self) -> float:
        """Achieved messages per second over the run (0 before anything was sent)."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def rtt_count(self) -> int:
        return int(self.histogram.get_total_count())

    def percentile(self, q: float) -> float | None:
        """The round trip at percentile ``q`` (0..100) in milliseconds, or None."""
        if not self.rtt_count:
            return None
        return _ms(self.histogram.get_value_at_percentile(q))

    @property
    def p50(self) -> float | None:
        return self.percentile(50)

    @property
    def p95(self) -> float | None:
        return self.percentile(95)

    @property
    def p99(self) -> float | None:
        return self.percentile(99)

    @property
    def max(self) -> float | None:
        if not self.rtt_count:
            return None
        return _ms(self.histogram.get_max_value())

    def as_dict(self) -> dict[str, Any]:
        """One JSON object (``--json``): counts, ``elapsed_s``, ``rate`` and ``rtt_ms``."""
        return {
            "sent": self.sent,
            "ok": self.ok,
            "error": self.error,
            "timed_out": self.timed_out,
            "unanswered": self.unanswered,
            "cancelled": self.cancelled,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "rtt_ms": {
                "count": self.rtt_count,
                "p50": self.p50,
                "p95": self.p95,
                "p99": self.p99,
                "max": self.max,
            },
        }

    def format_table(self, title: str = "", extra: Mapping[str, object] | None = None) -> str:
        """The summary as aligned text lines for people (the CLI's stderr, the window's
        tooltips), no trailing newline; with a ``title`` line the rows are indented under it;
        ``extra`` rows (name -> value) are appended as they are."""

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f} ms"

        rows = [
            ("sent", f"{self.sent:,}"),
            ("ok", f"{self.ok:,}"),
            ("error", f"{self.error:,}"),
            ("timed out", f"{self.timed_out:,}"),
        ]
        if self.unanswered and (self.ok or self.error or self.timed_out):
            rows.append(("no answer", f"{self.unanswered:,}"))
        rows += [
            ("elapsed", f"{self.elapsed:.3f} s" + (" (cancelled)" if self.cancelled else "")),
            ("rate", f"{self.rate:,.1f} msg/s"),
        ]
        if self.rtt_count:
            rows += [
                ("round trip p50", ms(self.p50)),
                ("round trip p95", ms(self.p95)),
                ("round trip p99", ms(self.p99)),
                ("round trip max", ms(self.max)),
            ]
        else:
            rows.append(("round trip", "- (no acks: send with ack to measure)"))
        rows += [(str(k), str(v)) for k, v in (extra or {}).items()]
        width = max(len(name) for name, _ in rows)
        indent = "  " if title else ""
        lines = [title] if title else []
        lines += [f"{indent}{name.ljust(width)}  {value}" for name, value in rows]
        return "\n".join(lines)
