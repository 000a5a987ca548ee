"""Sequence-gap tracking: which numbers of a counter in incoming payloads went missing.

A :class:`SeqTracker` reads one integer from each payload with a JSONPath (RFC 9535, compiled
once by the python-jsonpath library; ``$.seq``, ``$.data.n``, ``seq``) and keeps, in bounded
memory, what a tester asks after a run: how many numbers were received, how many are missing
(and where: the gaps, from-to, with the time each was first seen), how many came twice, how
many arrived after a higher number (out of order), and how many payloads had no integer there.
The window (a tab's "Track this field") and ``listen --track-seq`` share it. Pure: the caller
passes the time (wall-clock seconds, used only to say when a gap was first seen).

The rules, precisely (docs/gui.md "Sequence gaps" says the same for users):

- **A run** starts with the first number the tracker sees (tracking may start in the middle of
  a run: the numbers before it are not missing). A number above the highest so far opens a gap
  when it skips numbers: ``1, 2, 5`` has the gap 3-4 (2 missing), first seen when 5 arrived.
- **Late arrival**: a number inside a gap fills it: missing goes down by one and out of order
  up by one; the gap shrinks or splits, and its pieces keep the time it was first seen. A
  number below the run's first number arrived late too (out of order) but opens no gap: it
  is from before tracking started.
- **Duplicate**: a number already received in the run. It counts in ``duplicates`` only (not
  in out of order).
- **Restart**: a drop to ``1`` (a 1 that is not above the run's highest number) starts a new
  run (a repeat sender's ``{{seq}}`` counts 1, 2, 3, ... per run, so back-to-back runs are told
  apart; a counter that starts at 0 still reads 0, 1, 2 as one run). The counters
  are totals over all runs; :meth:`SeqTracker.runs` has them per run, and gaps say their run.
  The price: a run's own first message (its 1) arriving after its 2 looks like a new run.
- **Far jump**: a number that would leave more than :data:`MAX_JUMP` (1,000,000) numbers
  missing above the run's highest, or as many below its first, starts a new run instead of
  opening a gap of that size: one outlier
  (``{"seq": 99999999999999999999}`` among 1, 2, 3) or a sender that switched counters is
  not "99,999,999,999,999,999,996 missing". After an outlier the old numbers come back as
  one more run (``1, 2, 3, 10**20, 4, 5`` is three runs, nothing missing).
- **No counter**: the path found nothing, or found a value that is not an integer (a string,
  ``3.5``, ``3.0``, ``true``, ``null``), or the payload is binary or not JSON. When the path
  selects several values (``$..seq``), the first is the counter.
- ``received`` counts every payload that had a counter, duplicates included.
- **Bounded**: a run keeps the numbers it saw as intervals (a run without loss is one
  interval), so memory follows the number of gaps, not of messages. At most ``max_gaps`` gaps
  are remembered in all (the current run's and those of earlier runs); past that the oldest
  are dropped and counted in ``gaps_dropped``. Their numbers stay counted as missing, and a
  number that arrives later inside a dropped gap of the current run can no longer be told
  from a duplicate: it counts as out of order, missing unchanged. At most ``max_runs``
  earlier runs keep their own counts.

Numbers from several senders on one channel share one counter here (they interleave as
duplicates and out-of-order arrivals); telling senders apart is not part of this tracker.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import jsonpath

#: Gaps remembered in all (current run and earlier runs).
DEFAULT_MAX_GAPS: Final = 1000
#: Earlier runs whose counts are kept.
DEFAULT_MAX_RUNS: Final = 100
#: The number a repeat run starts at: seeing it again starts a new run.
RESTART_AT: Final = 1
#: A number that would skip more than this many numbers past the current run (above its
#: highest, below its first) starts a new run instead of opening a gap (an outlier, or
#: another counter).
MAX_JUMP: Final = 1_000_000


class SeqPathError(ValueError):
    """The text is not a JSONPath the tracker can use; ``str()`` is a sentence for people."""


def compile_path(text: str) -> Any:
    """The compiled JSONPath for ``text`` (surrounding spaces ignored), or :class:`SeqPathError`."""
    path = text.strip()
    if not path:
        raise SeqPathError("Type a JSON path to the counter, such as $.seq")
    try:
        return jsonpath.compile(path)
    except re.error as exc:  # a =~ /regex/ literal the library hands to re unchecked
        raise SeqPathError(f"“{path}” has an invalid regular expression: {exc}") from None
    except jsonpath.JSONPathError as exc:
        reason = str(exc.args[0]) if exc.args else "not a JSON path"
        token = getattr(exc, "token", None)
        index = getattr(token, "index", -1)
        where = f" at character {index + 1}" if isinstance(index, int) and index >= 0 else ""
        raise SeqPathError(f"“{path}” is not a JSON path: {reason}{where}") from None


@dataclass(frozen=True, slots=True)
class Gap:
    """Numbers ``first``..``last`` (inclusive) of run ``run`` that have not arrived."""

    run: int
    first: int
    last: int
    #: when the gap was first seen (the caller's time of the message that opened it).
    seen_at: float

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def text(self) -> str:
        """``5`` or ``5-9``."""
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True, slots=True)
class SeqCounts:
    """A snapshot of the counters (totals over all runs, or one run's)."""

    received: int = 0
    missing: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    #: payloads without an integer at the path (totals only; 0 in a run's counts).
    no_counter: int = 0
    #: runs seen (1 once a number arrived; 0 in a run's counts).
    runs: int = 0
    #: gaps open now (those remembered).
    gaps: int = 0
    #: gaps forgotten to keep memory bounded (their numbers stay in ``missing``).
    gaps_dropped: int = 0
    #: the (current) run's first and highest number (None before any).
    first: int | None = None
    highest: int | None = None
    #: the run's number, from 1 (0 in the totals).
    run: int = 0

    def to_dict(self) -> dict[str, int | None]:
        """JSON-ready: the totals' fields, or a run's (``run``, ``first``, ``highest``)."""
        out: dict[str, int | None] = {"run": self.run} if self.run else {}
        out |= {
            "received": self.received,
            "missing": self.missing,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
        }
        if self.run:
            return out | {"open_gaps": self.gaps, "first": self.first, "highest": self.highest}
        return out | {
            "no_counter": self.no_counter,
            "runs": self.runs,
            "open_gaps": self.gaps,
            "gaps_dropped": self.gaps_dropped,
        }


class _Run:
    """One run: intervals of the numbers received (sorted, disjoint, not adjacent)."""

    __slots__ = (
        "dup",
        "floor",
        "his",
        "index",
        "los",
        "missing",
        "ooo",
        "opened",
        "received",
        "start",
    )

    def __init__(self, index: int, value: int) -> None:
        self.index = index
        self.start = value
        self.los = [value]
        self.his = [value]
        #: ``opened[i]``: when the gap after interval ``i`` was first seen (last one unused).
        self.opened = [0.0]
        #: numbers at or below this are beyond memory (dropped gaps); None while nothing is.
        self.floor: int | None = None
        self.received = 1
        self.missing = 0
        self.dup = 0
        self.ooo = 0

    def counts(self) -> SeqCounts:
        return SeqCounts(
            received=self.received,
            missing=self.missing,
            duplicates=self.dup,
            out_of_order=self.ooo,
            gaps=len(self.los) - 1,
            first=self.start,
            highest=self.his[-1],
            run=self.index,
        )

    def gaps(self) -> Iterator[Gap]:
        los, his, opened = self.los, self.his, self.opened
        for i in range(len(los) - 1):
            yield Gap(self.index, his[i] + 1, los[i + 1] - 1, opened[i])


class SeqTracker:
    """Counters and gaps of one integer counter read from payloads; see the module docstring."""

    def __init__(
        self,
        path: str,
        *,
        max_gaps: int = DEFAULT_MAX_GAPS,
        max_runs: int = DEFAULT_MAX_RUNS,
        restart_at: int | None = RESTART_AT,
    ) -> None:
        if max_gaps < 1 or max_runs < 0:
            raise ValueError("max_gaps must be at least 1 and max_runs at least 0")
        #: the path as the user typed it (spaces around removed).
        self.path = path.strip()
        self._query = compile_path(path)
        self._max_gaps = max_gaps
        self._max_runs = max_runs
        self._restart_at = restart_at
        #: grows by one on every change (a display redraws only when it moved).
        self.version = 0
        self._clear()

    def _clear(self) -> None:
        self._run: _Run | None = None
        self._runs: deque[SeqCounts] = deque(maxlen=self._max_runs)
        self._runs_total = 0
        #: gaps of earlier runs, oldest first.
        self._old_gaps: deque[Gap] = deque()
        self._dropped = 0
        # Totals over all runs.
        self._received = 0
        self._missing = 0
        self._dup = 0
        self._ooo = 0
        self._no_counter = 0

    # ------------------------------------------------------------------------------ feeding

    def feed_bytes(self, payload: bytes, now: float) -> int | None:
        """Read the counter from UTF-8 JSON ``payload``; see :meth:`feed_value`."""
        try:
            value = json.loads(payload)
        except (ValueError, RecursionError):
            self.feed_nothing()
            return None
        return self.feed_value(value, now)

    def feed_value(self, value: Any, now: float) -> int | None:
        """Read the counter from a parsed payload and count it; returns the number, or None
        when there was none (counted in ``no_counter``)."""
        number = self.read(value)
        if number is None:
            self.feed_nothing()
        else:
            self.feed_number(number, now)
        return number

    def read(self, value: Any) -> int | None:
        """The counter in a parsed payload: the first value the path selects, when it is an
        integer (not a boolean, not a float); else None."""
        try:
            found = self._query.findall(value)  # faster than finditer for one value
        except (jsonpath.JSONPathError, RecursionError, TypeError, ValueError):
            return None  # a filter over odd data must not stop the receive path
        if not found:
            return None
        number = found[0]
        if type(number) is not int:
            return None
        return number

    def feed_nothing(self) -> None:
        """A payload without a counter (binary, not JSON, or nothing at the path)."""
        self._no_counter += 1
        self.version += 1

    def feed_number(self, value: int, now: float) -> None:
        """Count one received number (the core of the rules in the module docstring)."""
        self.version += 1
        self._received += 1
        run = self._run
        if run is None:
            self._new_run(value)
            return
        los, his = run.los, run.his
        top = his[-1]
        if value == self._restart_at and value <= top:  # a drop to 1: a new run
            self._new_run(value)
            return
        if value - top - 1 > MAX_JUMP or run.start - value - 1 > MAX_JUMP:  # a far jump: a new run
            self._new_run(value)
            return
        run.received += 1
        if value > top:
            if value == top + 1:
                his[-1] = value
                return
            skipped = value - top - 1
            run.missing += skipped
            self._missing += skipped
            run.opened[-1] = now
            los.append(value)
            his.append(value)
            run.opened.append(0.0)
            self._bound()
            return
        if value < run.start or (run.floor is not None and value <= run.floor):
            run.ooo += 1  # from before tracking started, or inside a gap no longer remembered
            self._ooo += 1
            return
        i = bisect_right(los, value) - 1
        if value <= his[i]:
            run.dup += 1
            self._dup += 1
            return
        # Inside the gap after interval i: a late arrival fills it.
        run.ooo += 1
        self._ooo += 1
        run.missing -= 1
        self._missing -= 1
        after = i + 1
        if value == his[i] + 1 and value == los[after] - 1:  # the gap is closed
            his[i] = his[after]
            run.opened[i] = run.opened[after]
            del los[after], his[after], run.opened[after]
        elif value == his[i] + 1:
            his[i] = value
        elif value == los[after] - 1:
            los[after] = value
        else:  # the gap splits; both pieces keep the time it was first seen
            los.insert(after, value)
            his.insert(after, value)
            run.opened.insert(after, run.opened[i])
            self._bound()

    def _new_run(self, value: int) -> None:
        old = self._run
        if old is not None:
            self._runs.append(old.counts())
            self._old_gaps.extend(old.gaps())
        self._runs_total += 1
        self._run = _Run(self._runs_total, value)
        self._bound()

    def _bound(self) -> None:
        """Forget the oldest gaps past ``max_gaps`` (earlier runs' first)."""
        run = self._run
        current = 0 if run is None else len(run.los) - 1
        while self._old_gaps and len(self._old_gaps) + current > self._max_gaps:
            self._old_gaps.popleft()
            self._dropped += 1
        while run is not None and len(run.los) - 1 > self._max_gaps:
            # Merge the first two intervals: the lowest gap is forgotten, its numbers stay
            # missing, and numbers up to the merged interval's end are beyond memory.
            run.his[0] = run.his[1]
            run.opened[0] = run.opened[1]
            del run.los[1], run.his[1], run.opened[1]
            run.floor = run.his[0]
            self._dropped += 1

    # ------------------------------------------------------------------------------ reading

    def counts(self) -> SeqCounts:
        """The totals over all runs (cheap: no walk over gaps)."""
        run = self._run
        open_gaps = len(self._old_gaps) + (0 if run is None else len(run.los) - 1)
        return SeqCounts(
            received=self._received,
            missing=self._missing,
            duplicates=self._dup,
            out_of_order=self._ooo,
            no_counter=self._no_counter,
            runs=self._runs_total,
            gaps=open_gaps,
            gaps_dropped=self._dropped,
            first=None if run is None else run.start,
            highest=None if run is None else run.his[-1],
        )

    def gaps(self) -> list[Gap]:
        """The gaps remembered, oldest run first, lowest number first within a run."""
        out = list(self._old_gaps)
        if self._run is not None:
            out.extend(self._run.gaps())
        return out

    def runs(self) -> list[SeqCounts]:
        """Each run's counts (at most ``max_runs`` earlier runs, then the current one)."""
        out = list(self._runs)
        if self._run is not None:
            out.append(self._run.counts())
        return out

    def to_dict(self, time_text: Callable[[float], str]) -> dict[str, Any]:
        """Everything as JSON-ready data (``listen --track-seq``'s summary line): the path, the
        totals, the gaps (``time_text`` writes when each was first seen) and each run's counts."""
        gaps = [
            {
                "run": g.run,
                "from": g.first,
                "to": g.last,
                "missing": g.size,
                "first_seen": time_text(g.seen_at),
            }
            for g in self.gaps()
        ]
        runs = [r.to_dict() for r in self.runs()]
        return {"path": self.path, **self.counts().to_dict(), "gaps": gaps, "per_run": runs}

    @property
    def runs_dropped(self) -> int:
        """Earlier runs whose own counts were forgotten (their numbers stay in the totals)."""
        return self._runs_total - len(self.runs())

    def memory_items(self) -> int:
        """Numbers the tracker holds (intervals, gaps and runs): bounded by the limits."""
        run = self._run
        held = 0 if run is None else 3 * len(run.los)
        return held + len(self._old_gaps) + len(self._runs)

    def reset(self) -> None:
        """Start over with the same path."""
        self._clear()
        self.version += 1

    def summary_text(self, gap_limit: int = 5) -> str:
        """One line for people: ``received 9, missing 1 (gap 5), duplicates 0, ...``."""
        c = self.counts()
        parts = [f"received {c.received:,}", f"missing {c.missing:,}"]
        gaps = self.gaps()
        if gaps:
            shown = ", ".join(_gap_label(g, c.runs) for g in gaps[:gap_limit])
            more = max(0, len(gaps) - gap_limit) + c.gaps_dropped
            if more > 0:
                shown += f" and {more:,} more"
            parts[-1] += f" ({'gap' if len(gaps) == 1 and not more else 'gaps'} {shown})"
        elif c.gaps_dropped:
            parts[-1] += f" ({c.gaps_dropped:,} gaps)"
        parts += [
            f"duplicates {c.duplicates:,}",
            f"out of order {c.out_of_order:,}",
            f"no counter {c.no_counter:,}",
        ]
        if c.runs > 1:
            parts.append(f"runs {c.runs:,}")
        return ", ".join(parts)


def _gap_label(gap: Gap, runs: int) -> str:
    return f"run {gap.run}: {gap.text()}" if runs > 1 else gap.text()
