"""Presence state and diff reconciliation for one channel, client role (docs/realtime-protocol.md §8).

The server sends one ``presence_state`` after each join and then ``presence_diff`` fan-out
messages (§8.3). Like realtime-js (§8.4) a :class:`Presence` holds back diffs until the state for
the channel's current join_ref has arrived, then applies them in order. Reconciliation follows
phoenix's algorithm: metas are identified by their ``phx_ref``; a state replaces the whole map
and is turned into the joins and leaves that explain the change; a diff adds joined metas (a
re-joined ``phx_ref`` replaces the old copy) and removes left metas, dropping keys left empty.

Peer input never raises: entries that are not ``{"metas": [object, ...]}``, and metas whose
``phx_ref`` or ``phx_ref_prev`` is neither a string nor null (a list or an object would break
the reconciliation, which compares refs as set members), are skipped, counted in
:attr:`Presence.malformed` and described in :attr:`Presence.problems`; the session reports
them as a :class:`~inspector.protocol.frames.FrameRejected` (issue #10 item 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

#: One presence meta as the server sent it (``phx_ref`` plus the tracked payload).
Meta: TypeAlias = Mapping[str, Any]
#: Presence key -> its metas, oldest first.
PresenceMap: TypeAlias = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class PresenceChange:
    """What one ``presence_state`` or ``presence_diff`` changed."""

    #: key -> the metas that joined (new ``phx_ref`` values) in this step.
    joins: Mapping[str, tuple[Meta, ...]] = field(default_factory=dict)
    #: key -> the metas that left in this step.
    leaves: Mapping[str, tuple[Meta, ...]] = field(default_factory=dict)


def _ref(meta: Mapping[str, Any]) -> object:
    return meta.get("phx_ref")


class Presence:
    """The presence map of one channel, with realtime-js's hold-back of early diffs (§8.4)."""

    __slots__ = ("_pending", "_synced_join_ref", "malformed", "problems", "state")

    def __init__(self) -> None:
        #: key -> metas; the current presence as the server described it.
        self.state: PresenceMap = {}
        #: how many malformed entries were skipped (peer input never raises).
        self.malformed = 0
        #: what the last :meth:`apply_state` / :meth:`apply_diff` skipped, in words.
        self.problems: list[str] = []
        self._pending: list[tuple[PresenceMap, PresenceMap]] = []
        self._synced_join_ref: str | None = None

    # ------------------------------------------------------------------ queries

    def in_pending_sync(self, join_ref: str | None) -> bool:
        """True until a state for ``join_ref`` (the channel's current join) has arrived."""
        return self._synced_join_ref is None or self._synced_join_ref != join_ref

    def snapshot(self) -> dict[str, tuple[Meta, ...]]:
        """An immutable-enough copy of the state for events (key -> metas)."""
        return {key: tuple(metas) for key, metas in self.state.items()}

    # ------------------------------------------------------------------ input

    def apply_state(self, payload: object, join_ref: str | None) -> list[PresenceChange]:
        """Apply a ``presence_state`` for channel join ``join_ref``, then any held-back diffs.

        Returns one change for the state and one per held-back diff, in order.
        """
        self.problems = []
        new_state = self._parse_map(payload, "the state")
        self._synced_join_ref = join_ref
        joins: PresenceMap = {}
        leaves: PresenceMap = {}
        for key, metas in self.state.items():
            if key not in new_state:
                leaves[key] = metas
        for key, new_metas in new_state.items():
            current = self.state.get(key)
            if current is None:
                joins[key] = new_metas
                continue
            new_refs = {_ref(m) for m in new_metas}
            cur_refs = {_ref(m) for m in current}
            joined = [m for m in new_metas if _ref(m) not in cur_refs]
            left = [m for m in current if _ref(m) not in new_refs]
            if joined:
                joins[key] = joined
            if left:
                leaves[key] = left
        changes = [self._sync_diff(joins, leaves)]
        pending, self._pending = self._pending, []
        for diff_joins, diff_leaves in pending:
            changes.append(self._sync_diff(diff_joins, diff_leaves))
        return changes

    def apply_diff(self, payload: object, join_ref: str | None) -> PresenceChange | None:
        """Apply a ``presence_diff``; None when it is held back until the state arrives (§8.4)."""
        self.problems = []
        if isinstance(payload, Mapping):
            joins = self._parse_map(payload.get("joins", {}), "joins")
            leaves = self._parse_map(payload.get("leaves", {}), "leaves")
        else:
            self._problem(f"the payload is {_kind(payload)}, not an object with joins and leaves")
            joins, leaves = {}, {}
        if self.in_pending_sync(join_ref):
            self._pending.append((joins, leaves))
            return None
        return self._sync_diff(joins, leaves)

    def reset(self) -> None:
        """Forget everything (the channel left or closed)."""
        self.state = {}
        self._pending = []
        self._synced_join_ref = None

    # ------------------------------------------------------------------ internals

    def _problem(self, text: str, count: int = 1) -> None:
        self.malformed += count
        if len(self.problems) < 3:
            self.problems.append(text)

    def _parse_map(self, raw: object, where: str) -> PresenceMap:
        out: PresenceMap = {}
        if raw is None:
            return out
        if not isinstance(raw, Mapping):
            self._problem(f"{where} is {_kind(raw)}, not an object")
            return out
        for key, entry in raw.items():
            metas = entry.get("metas") if isinstance(entry, Mapping) else None
            if not isinstance(key, str) or not isinstance(metas, list):
                self._problem(f'{where}: the entry of a key is not {{"metas": [...]}}')
                continue
            good = []
            for meta in metas:
                why = _meta_problem(meta)
                if why is None:
                    good.append(dict(meta))
                else:
                    self._problem(f"{where}: {why}")
            if good:  # a key with no usable meta is nobody
                out[key] = good
        return out

    def _sync_diff(self, joins: PresenceMap, leaves: PresenceMap) -> PresenceChange:
        state = self.state
        for key, new_metas in joins.items():
            current = state.get(key)
            merged = list(new_metas)
            if current:
                joined_refs = {_ref(m) for m in new_metas}
                merged = [m for m in current if _ref(m) not in joined_refs] + merged
            state[key] = merged
        for key, left_metas in leaves.items():
            current = state.get(key)
            if current is None:
                continue
            gone = {_ref(m) for m in left_metas}
            remaining = [m for m in current if _ref(m) not in gone]
            if remaining:
                state[key] = remaining
            else:
                del state[key]
        return PresenceChange(
            {k: tuple(v) for k, v in joins.items()}, {k: tuple(v) for k, v in leaves.items()}
        )


def _meta_problem(meta: object) -> str | None:
    """Why a meta cannot be used, or None."""
    if not isinstance(meta, Mapping):
        return f"a meta is {_kind(meta)}, not an object"
    for name in ("phx_ref", "phx_ref_prev"):
        ref = meta.get(name)
        if ref is not None and not isinstance(ref, str):
            return f"{name} must be a string, got {_kind(ref)}"
    return None


def _kind(value: object) -> str:
    """The JSON kind of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def js_view(
    state: Mapping[str, tuple[Meta, ...] | list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """The state as realtime-js's ``presenceState()`` shows it (§8.4).

    Each meta's ``phx_ref`` becomes ``presence_ref`` and ``phx_ref_prev`` is removed.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for key, metas in state.items():
        view = []
        for meta in metas:
            item = {k: v for k, v in meta.items() if k not in ("phx_ref", "phx_ref_prev")}
            item["presence_ref"] = meta.get("phx_ref")
            view.append(item)
        out[key] = view
    return out
