"""Preferences shared by the GUI and the CLI: pure defaults, clamped values (flag > env > saved)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Final

from inspector.store.messages.log import (
    DEFAULT_CAPACITY,
    DEFAULT_MEMORY_MB,
    MAX_CAPACITY,
    MAX_MEMORY_MB,
    MIN_CAPACITY,
    MIN_MEMORY_MB,
)

#: Coalescing interval of table inserts, milliseconds (the issue's "every ~30-50 ms").
DEFAULT_COALESCE_MS: Final = 40


@dataclass(frozen=True, slots=True)
class Preferences:
    #: rows kept per tab before the oldest are evicted.
    ring_capacity: int = DEFAULT_CAPACITY
    #: how long table inserts are batched, milliseconds.
    coalesce_ms: int = DEFAULT_COALESCE_MS
    #: how long to wait for an ack or a REST answer, seconds (§5.4: the SDKs use 10 s).
    push_timeout_s: float = 10.0
    #: seconds between heartbeats; a missed reply reconnects (§7.1: realtime-js uses 25 s).
    heartbeat_s: float = 25.0
    #: payload bytes all tabs keep together, in MB (shared: the tab holding the most gives up
    #: its oldest rows first).
    memory_mb: int = DEFAULT_MEMORY_MB

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024

    def clamped(self) -> Preferences:
        return replace(
            self,
            ring_capacity=min(MAX_CAPACITY, max(MIN_CAPACITY, int(self.ring_capacity))),
            coalesce_ms=min(250, max(10, int(self.coalesce_ms))),
            push_timeout_s=min(120.0, max(0.5, float(self.push_timeout_s))),
            heartbeat_s=min(120.0, max(1.0, float(self.heartbeat_s))),
            memory_mb=min(MAX_MEMORY_MB, max(MIN_MEMORY_MB, int(self.memory_mb))),
        )

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any) -> Preferences:
        """Read saved values; anything missing or malformed keeps its default."""
        base = cls()
        if not isinstance(data, dict):
            return base
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = data.get(f.name)
            default = getattr(base, f.name)
            try:
                if raw is not None and not isinstance(raw, bool):
                    values[f.name] = type(default)(raw)
            except (TypeError, ValueError):
                continue
        return replace(base, **values).clamped()
