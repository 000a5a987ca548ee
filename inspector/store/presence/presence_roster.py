"""One tab's presence: who is here (roster), what changed (timeline) and our own tracking.

The client applies ``presence_state`` and ``presence_diff`` (docs/realtime-protocol.md §8.3,
§8.4) and reports each step with the joins, the leaves and the whole map. This module turns
those steps into what people read, and says in plain words what the SDK events mean, because
they confuse users (anchors §2, supabase/supabase#41175, supabase/realtime#1167):

- a ``presence_state`` is the server's full list, sent once after each join. realtime-js
  answers it with a ``sync`` and a ``join`` for every key already present: nobody arrived;
- an update of a tracked payload travels as a leave of the old meta plus a join of the new
  one (the new meta names the old in ``phx_ref_prev``): one person changed, nobody left;
- one key can hold several metas (one per connection or tab): a join or leave of one of
  them is not the key arriving or leaving.

Our own presence is off unless the user tracks (issue #5 §3); :class:`OwnPresence` keeps the
payload asked for, so the tab can track again after a rejoin (the server drops a channel's
presence when it leaves, §8.3). Pure: times are passed in; listeners are called synchronously.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, TypeAlias

Meta: TypeAlias = Mapping[str, Any]
MetaMap: TypeAlias = Mapping[str, "tuple[Meta, ...] | list[Meta]"]

#: Timeline entries kept per tab (older ones are dropped and counted).
TIMELINE_LIMIT: Final = 2_000
#: Keys hidden from a meta's payload display (server bookkeeping, §8.3).
SERVER_KEYS: Final = ("phx_ref", "phx_ref_prev")


class TimelineKind(Enum):
    """What a timeline entry is about."""

    #: a ``presence_state`` arrived: the full list after a join.
    SYNC = "sync"
    #: a key (or one more connection of it) joined.
    JOIN = "join"
    #: a key (or one of its connections) left.
    LEAVE = "leave"
    #: a key changed its tracked payload (leave + join of the same presence).
    UPDATE = "update"
    #: our own tracking: requests and results.
    OWN = "you"
    #: the tab left or rejoined: the roster is not live.
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the presence timeline."""

    time: float
    kind: TimelineKind
    #: the presence key concerned, or "" for whole-list entries.
    key: str
    #: what happened, one line.
    summary: str
    #: why it looks the way it does, in plain words ("" when obvious).
    explanation: str = ""
    #: ``presence_state``, ``presence_diff`` or "" for our own entries.
    source: str = ""


@dataclass(slots=True)
class RosterEntry:
    """One presence key: its metas (one per connection) and when we first saw it."""

    key: str
    metas: tuple[Meta, ...]
    #: wall time we first saw the key.
    since: float
    #: True when the key came in the list that followed our join: it was here before that.
    listed_at_join: bool


def meta_payload(meta: Meta) -> dict[str, Any]:
    """A meta without the server's bookkeeping keys: what the client tracked."""
    return {k: v for k, v in meta.items() if k not in SERVER_KEYS}


def meta_text(meta: Meta, limit: int = 200) -> str:
    """A meta's tracked payload on one line, cut at ``limit`` characters."""
    try:
        text = json.dumps(meta_payload(meta), ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = str(meta_payload(meta))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class OwnState(Enum):
    OFF = "not tracking"
    PENDING = "track sent"
    TRACKED = "tracking"
    UNTRACKING = "untrack sent"
    ERROR = "error"


@dataclass(slots=True)
class OwnPresence:
    """The inspector's own presence on this channel; off unless the user tracks."""

    state: OwnState = OwnState.OFF
    #: the payload the user asked to track (kept to track again after a rejoin), or None.
    payload: dict[str, Any] | None = None
    #: round trip of the last track/untrack reply, ms.
    round_trip_ms: float | None = None
    #: the server's error text of the last failed call.
    error: str = ""
    #: wall time the current tracking was confirmed.
    since: float | None = None
    #: our presence key as seen in the roster (found by our payload when the server made the
    #: key up), or None.
    key: str | None = None

    @property
    def wanted(self) -> bool:
        """Whether the user wants to be tracked (track again after a rejoin)."""
        return self.payload is not None


class PresenceRoster:
    """The roster, the timeline and our own presence of one tab; see the module docstring."""

    def __init__(self, timeline_limit: int = TIMELINE_LIMIT) -> None:
        self._entries: dict[str, RosterEntry] = {}
        self.timeline: deque[TimelineEntry] = deque(maxlen=timeline_limit)
        #: timeline entries dropped by the bound.
        self.timeline_dropped = 0
        self.own = OwnPresence()
        #: presence_state messages received (each is one realtime-js "sync").
        self.syncs = 0
        #: presence_diff messages received.
        self.diffs = 0
        #: whether a presence_state arrived since the last join (the roster is live).
        self.live = False
        self._listeners: list[Callable[[], None]] = []
        #: no presence_state since the tab opened or left: the next one lists who was here.
        self._fresh = True

    # ------------------------------------------------------------------------------ reading

    def entries(self) -> list[RosterEntry]:
        """Keys in the order they were first seen."""
        return list(self._entries.values())

    def get(self, key: str) -> RosterEntry | None:
        return self._entries.get(key)

    def keys(self) -> list[str]:
        return list(self._entries)

    def counts(self) -> tuple[int, int]:
        """(keys, metas): people and their connections."""
        return len(self._entries), sum(len(e.metas) for e in self._entries.values())

    # ------------------------------------------------------------------------------ listeners

    def add_listener(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _add(self, entry: TimelineEntry) -> None:
        if len(self.timeline) == self.timeline.maxlen:
            self.timeline_dropped += 1
        self.timeline.append(entry)

    # ------------------------------------------------------------------------------ server input

    def apply(
        self,
        kind: str,
        joins: MetaMap,
        leaves: MetaMap,
        state: MetaMap,
        time: float,
    ) -> list[TimelineEntry]:
        """Apply one step reported by the client (``kind`` 'state' or 'diff'); returns the new
        timeline entries."""
        before = {k: len(e.metas) for k, e in self._entries.items()}
        is_state = kind == "state"
        first_state = is_state and self._fresh
        added: list[TimelineEntry] = []
        if is_state:
            self.syncs += 1
            self.live = True
            self._fresh = False
            n_keys = len(state)
            n_metas = sum(len(m) for m in state.values())
            added.append(
                TimelineEntry(
                    time,
                    TimelineKind.SYNC,
                    "",
                    f"presence_state: the full list, {_people(n_keys, n_metas)}",
                    "Sent once after each join. realtime-js turns it into a 'sync' and a 'join' "
                    "for every key already here: nobody arrived because of it.",
                    "presence_state",
                )
            )
        else:
            self.diffs += 1
        source = "presence_state" if is_state else "presence_diff"
        added += self._explain(joins, leaves, state, before, source, time, first_state)
        self._rebuild(state, time, listed=first_state)
        self._find_own_key(joins)
        for entry in added:
            self._add(entry)
        self._changed()
        return added

    def _explain(
        self,
        joins: MetaMap,
        leaves: MetaMap,
        state: MetaMap,
        before: Mapping[str, int],
        source: str,
        time: float,
        first_state: bool,
    ) -> list[TimelineEntry]:
        out: list[TimelineEntry] = []
        for key in sorted(set(joins) | set(leaves)):
            joined = tuple(joins.get(key, ()))
            left = tuple(leaves.get(key, ()))
            now = len(state.get(key, ()))
            left_refs = {m.get("phx_ref") for m in left}
            updated = [m for m in joined if m.get("phx_ref_prev") in left_refs and left_refs]
            if updated and source == "presence_diff":
                payload = meta_text(updated[-1])
                out.append(
                    TimelineEntry(
                        time,
                        TimelineKind.UPDATE,
                        key,
                        f"{key} updated its presence: {payload}",
                        "An update travels as a leave of the old meta and a join of the new one "
                        "(phx_ref_prev names the old). realtime-js fires both 'leave' and "
                        "'join' for it; one presence changed, nobody left.",
                        source,
                    )
                )
                joined = tuple(m for m in joined if m not in updated)
                prev = {m.get("phx_ref_prev") for m in updated}
                left = tuple(m for m in left if m.get("phx_ref") not in prev)
            if joined:
                out.append(
                    self._join_entry(
                        key, joined, before.get(key, 0), now, source, time, first_state
                    )
                )
            if left:
                out.append(self._leave_entry(key, left, now, source, time))
        return out

    @staticmethod
    def _join_entry(
        key: str,
        joined: tuple[Meta, ...],
        had: int,
        now: int,
        source: str,
        time: float,
        first_state: bool,
    ) -> TimelineEntry:
        payload = meta_text(joined[-1])
        if source == "presence_state" and first_state:
            return TimelineEntry(
                time,
                TimelineKind.JOIN,
                key,
                f"{key} was already here: {payload}",
                "Listed in the full list after our join, not a new arrival (realtime-js still "
                "fires 'join' for it).",
                source,
            )
        if source == "presence_state":
            return TimelineEntry(
                time,
                TimelineKind.JOIN,
                key,
                f"{key} joined while we were not listening: {payload}",
                "Found in the new full list after a rejoin; it was not in the previous one.",
                source,
            )
        if had:
            return TimelineEntry(
                time,
                TimelineKind.JOIN,
                key,
                f"{key} opened another connection ({now} now): {payload}",
                "One key can be present several times (several tabs or devices). realtime-js "
                "fires 'join' for the key although it was already here.",
                source,
            )
        extra = f" ({len(joined)} connections)" if len(joined) > 1 else ""
        return TimelineEntry(
            time, TimelineKind.JOIN, key, f"{key} joined{extra}: {payload}", "", source
        )

    @staticmethod
    def _leave_entry(
        key: str, left: tuple[Meta, ...], now: int, source: str, time: float
    ) -> TimelineEntry:
        if source == "presence_state":
            return TimelineEntry(
                time,
                TimelineKind.LEAVE,
                key,
                f"{key} left while we were not listening",
                "Missing from the new full list after a rejoin.",
                source,
            )
        if now:
            return TimelineEntry(
                time,
                TimelineKind.LEAVE,
                key,
                f"{key} closed one connection ({now} left)",
                "The key is still here on its other connections; realtime-js fires 'leave' "
                "for it anyway.",
                source,
            )
        extra = f" ({len(left)} connections)" if len(left) > 1 else ""
        return TimelineEntry(time, TimelineKind.LEAVE, key, f"{key} left{extra}", "", source)

    def _find_own_key(self, joins: MetaMap) -> None:
        """Spot our own presence among the joins by the payload we tracked (the server makes
        the key up when the tab has none, §8.3)."""
        own = self.own
        if own.payload is None or own.state not in (OwnState.PENDING, OwnState.TRACKED):
            return
        if own.key is not None and own.key in self._entries:
            return
        for key, metas in joins.items():
            if any(meta_payload(m) == own.payload for m in metas):
                own.key = key
                return

    def _rebuild(self, state: MetaMap, time: float, *, listed: bool) -> None:
        old = self._entries
        new: dict[str, RosterEntry] = {}
        for key, metas in state.items():
            if not metas:  # a malformed diff can leave a key with no connection: nobody
                continue
            entry = old.get(key)
            if entry is None:
                entry = RosterEntry(key, tuple(metas), time, listed)
            else:
                entry.metas = tuple(metas)
            new[key] = entry
        self._entries = new

    # ------------------------------------------------------------------------------ channel

    def channel_joining(self, time: float, reason: str) -> None:
        """The tab (re)joins: the roster stays on screen but is not live until the next state."""
        if self.live:
            self.live = False
            self._add(TimelineEntry(time, TimelineKind.CHANNEL, "", reason))
            self._changed()

    def channel_left(self, time: float, reason: str = "we left the channel") -> None:
        """The tab left: nobody is listed any more, and our own presence ended (§8.3)."""
        self._fresh = True
        self.live = False
        self._entries = {}
        if self.own.state is not OwnState.OFF:
            self.own.state = OwnState.OFF
            self.own.since = None
        self.own.key = None
        self._add(TimelineEntry(time, TimelineKind.CHANNEL, "", reason))
        self._changed()

    # ------------------------------------------------------------------------------ our own

    def track_requested(self, payload: dict[str, Any], time: float, again: bool = False) -> None:
        self.own.payload = payload
        self.own.state = OwnState.PENDING
        self.own.error = ""
        what = "track again after the rejoin" if again else "track"
        self._add(
            TimelineEntry(
                time,
                TimelineKind.OWN,
                "",
                f"{what}: {meta_text(payload)}",
                "Others now see this inspector in the channel's presence."
                if not again
                else "The server drops our presence when the channel leaves, so it is sent again.",
            )
        )
        self._changed()

    def untrack_requested(self, time: float) -> None:
        self.own.payload = None
        self.own.state = OwnState.UNTRACKING
        self.own.error = ""
        self._add(TimelineEntry(time, TimelineKind.OWN, "", "untrack"))
        self._changed()

    def own_result(
        self, ok: bool, time: float, round_trip_ms: float | None = None, error: str = ""
    ) -> None:
        """The reply to our last track or untrack (§8.2)."""
        own = self.own
        own.round_trip_ms = round_trip_ms
        untrack = own.state is OwnState.UNTRACKING
        if ok:
            own.state = OwnState.OFF if untrack else OwnState.TRACKED
            own.since = None if untrack else time
            if untrack:
                own.key = None
            own.error = ""
            summary = ("untrack" if untrack else "track") + " ok"
        else:
            own.state = OwnState.ERROR
            own.error = error or "error"
            summary = ("untrack" if untrack else "track") + f" failed: {own.error}"
        self._add(TimelineEntry(time, TimelineKind.OWN, "", summary))
        self._changed()


def _people(keys: int, metas: int) -> str:
    text = f"{keys} key{'s' if keys != 1 else ''}"
    if metas != keys:
        text += f" on {metas} connections"
    return text


__all__ = [
    "TIMELINE_LIMIT",
    "OwnPresence",
    "OwnState",
    "PresenceRoster",
    "RosterEntry",
    "TimelineEntry",
    "TimelineKind",
    "meta_payload",
    "meta_text",
]
