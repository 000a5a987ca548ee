"""Server-side presence of one channel: who tracks what, and the diffs to fan out (§8).

Each owner (a joined channel instance, or a demo participant) tracks at most one meta under
its presence key. Keys can hold several metas (several owners with one key, §8.3). Metas carry
a ``phx_ref``; an update produces a join of the new meta (with ``phx_ref_prev``) and a leave of
the old one (§8.3).
"""

from __future__ import annotations

import base64
import itertools
import os
from typing import Any

_counter = itertools.count(1)
_node = os.urandom(3)


def new_phx_ref() -> str:
    """A unique opaque presence ref, shaped like the base64 refs Phoenix sends."""
    n = next(_counter)
    return base64.urlsafe_b64encode(_node + n.to_bytes(6, "big")).decode().rstrip("=")


def _user_part(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k not in ("phx_ref", "phx_ref_prev")}


def _one(key: str, meta: dict[str, Any]) -> dict[str, Any]:
    return {key: {"metas": [meta]}}


class PresenceTopic:
    """Presence entries of one channel (public or private)."""

    def __init__(self) -> None:
        self._by_owner: dict[object, tuple[str, dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self._by_owner)

    def track(self, owner: object, key: str, meta: dict[str, Any]) -> dict[str, Any] | None:
        """Track or update; the ``presence_diff`` payload, or None when nothing changed."""
        old = self._by_owner.get(owner)
        if old is not None and old[0] == key and _user_part(old[1]) == meta:
            return None  # an unchanged track is a no-op (§8.2)
        new_meta = {**meta, "phx_ref": new_phx_ref()}
        leaves: dict[str, Any] = {}
        if old is not None:
            if old[0] == key:
                new_meta["phx_ref_prev"] = old[1]["phx_ref"]
            leaves = _one(old[0], old[1])
        self._by_owner[owner] = (key, new_meta)
        return {"joins": _one(key, new_meta), "leaves": leaves}

    def untrack(self, owner: object) -> dict[str, Any] | None:
        """Stop tracking; the diff with the leave, or None when the owner tracked nothing."""
        old = self._by_owner.pop(owner, None)
        if old is None:
            return None
        return {"joins": {}, "leaves": _one(old[0], old[1])}

    def state(self) -> dict[str, Any]:
        """The ``presence_state`` payload: ``{key: {"metas": [...]}}`` (§8.3)."""
        out: dict[str, Any] = {}
        for key, meta in self._by_owner.values():
            out.setdefault(key, {"metas": []})["metas"].append(meta)
        return out
