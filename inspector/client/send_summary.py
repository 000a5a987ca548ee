"""SendSummary: the counts and ack round trips of a run of sends (replay, repeat, load).

One type for every sender (issue #11 items 3 and 4): counts ``sent`` / ``ok`` / ``error`` /
``timed_out``, the elapsed time and the send rate, and the round trips of answered sends
(acks over the websocket, the HTTP answer over REST) in an HDR histogram (``hdrhistogram``,
microsecond resolution, 3 significant digits, 1 us .. 60 s; longer values count as 60 s) with
p50 / p95 / p99 / max. :meth:`SendSummary.as_dict` is what ``--json`` prints,
:meth:`SendSummary.format_table` the table on stderr. No clock is read here: the caller
passes the times in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hdrh.histogram import HdrHistogram

#: Histogram range in microseconds: 1 us to 60 s, 3 significant digits.
_LOWEST_US: Final = 1
_HIGHEST_US: Final = 60_000_000
_DIGITS: Final = 3
#: The percentiles the summary reports.
PERCENTILES: Final = (50.0, 95.0, 99.0)


class SendSummary:
    """Counts and round trips of a run of sends; see the module docstring."""

    def __init__(self) -> None:
        self.sent = 0
        self.ok = 0
        self.error = 0
        self.timed_out = 0
        #: seconds from the first send to the end of the run (set by the caller).
        self.elapsed = 0.0
        self._rtt = HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS)

    # ---------------------------------------------------------------------------- recording

    def record_sent(self) -> None:
        """One send went out (its outcome may follow)."""
        self.sent += 1

    def record_ok(self, rtt: float | None = None) -> None:
        """An answered send (``rtt`` in seconds, when measured)."""
        self.ok += 1
        if rtt is not None:
            self.record_rtt(rtt)

    def record_error(self, rtt: float | None = None) -> None:
        """A refused or failed send (a refusal still has a round trip)."""
        self.error += 1
        if rtt is not None:
            self.record_rtt(rtt)

    def record_timed_out(self) -> None:
        self.timed_out += 1

    def record_rtt(self, seconds: float) -> None:
        micros = round(seconds * 1_000_000)
        self._rtt.record_value(min(max(micros, _LOWEST_US), _HIGHEST_US))

    # ---------------------------------------------------------------------------- reading

    @property
    def failed(self) -> int:
        return self.error + self.timed_out

    @property
    def answered(self) -> int:
        """Round trips measured."""
        return int(self._rtt.get_total_count())

    @property
    def rate(self) -> float:
        """Sends per second over :attr:`elapsed` (0 before any time passed)."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    def rtt_ms(self, percentile: float) -> float | None:
        """The round trip at ``percentile`` (0..100) in ms, None without round trips."""
        if not self.answered:
            return None
        return float(self._rtt.get_value_at_percentile(percentile)) / 1000.0

    def rtt_max_ms(self) -> float | None:
        if not self.answered:
            return None
        return float(self._rtt.get_max_value()) / 1000.0

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: counts, elapsed seconds, rate, and ``rtt_ms`` p50/p95/p99/max (None
        each without round trips)."""

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "sent": self.sent,
            "ok": self.ok,
            "error": self.error,
            "timed_out": self.timed_out,
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(self.rate, 1),
            "rtt_ms": {
                "count": self.answered,
                "p50": ms(self.rtt_ms(50)),
                "p95": ms(self.rtt_ms(95)),
                "p99": ms(self.rtt_ms(99)),
                "max": ms(self.rtt_max_ms()),
            },
        }

    def format_table(self, title: str = "", extra: Mapping[str, object] | None = None) -> str:
        """A small aligned table for people (stderr, the window's summary); ``extra`` rows are
        appended as they are."""

        def ms(value: float | None) -> str:
            return "—" if value is None else f"{value:.3f} ms"

        rows: list[tuple[str, str]] = [
            ("sent", f"{self.sent:,}"),
            ("ok", f"{self.ok:,}"),
            ("error", f"{self.error:,}"),
            ("timed out", f"{self.timed_out:,}"),
            ("elapsed", f"{self.elapsed:.3f} s"),
            ("rate", f"{self.rate:,.1f} msg/s"),
            ("ack p50", ms(self.rtt_ms(50))),
            ("ack p95", ms(self.rtt_ms(95))),
            ("ack p99", ms(self.rtt_ms(99))),
            ("ack max", ms(self.rtt_max_ms())),
        ]
        rows += [(str(k), str(v)) for k, v in (extra or {}).items()]
        width = max(len(k) for k, _ in rows)
        lines = [title] if title else []
        lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        return "\n".join(lines)
