"""The authorization matrix: identities x channels x capabilities, and its comparison with an
expectation (issue #13 §4); pure.

A :class:`Cell` is one measurement: the :class:`Verdict`, the server's reason or the silence that
was observed, and the wait the engine used. :func:`compare` lists the cells whose verdict is not
the expected one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict

#: An expectation may say that a cell does not matter.
ANY = "any"


@dataclass(frozen=True, slots=True, order=True)
class ChannelRef:
    """A channel as the matrix knows it: the name (no ``realtime:``) and public/private."""

    name: str
    private: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (private)" if self.private else self.name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "private": self.private}


CellKey = tuple[str, ChannelRef, Capability]


@dataclass(frozen=True, slots=True)
class Cell:
    """One measured cell."""

    identity: str
    channel: ChannelRef
    capability: Capability
    verdict: Verdict
    #: The server's reason, what was observed, or why nothing could tell.
    reason: str = ""
    #: Seconds the engine waited for the observation that decided (None: an answer came).
    waited_s: float | None = None

    @property
    def key(self) -> CellKey:
        return (self.identity, self.channel, self.capability)

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "channel": self.channel.name,
            "private": self.channel.private,
            "capability": self.capability.value,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "waited_s": self.waited_s,
        }

    @classmethod
    def of(cls, probe: Any) -> Cell:
        """A cell from anything with the engine's cell attributes (``identity``, ``channel``
        with ``name``/``private``, ``capability``, ``verdict``, ``reason``, ``waited_s``)."""
        return cls(
            str(probe.identity),
            ChannelRef(str(probe.channel.name), bool(probe.channel.private)),
            Capability(probe.capability),
            Verdict(probe.verdict),
            str(probe.reason),
            probe.waited_s,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        waited = data.get("waited_s")
        return cls(
            str(data["identity"]),
            ChannelRef(str(data["channel"]), bool(data.get("private", False))),
            Capability(data["capability"]),
            Verdict(data["verdict"]),
            str(data.get("reason") or ""),
            float(waited) if isinstance(waited, int | float) else None,
        )


@dataclass
class Matrix:
    """The cells of one run, in the order identities, channels and capabilities were given."""

    identities: list[str] = field(default_factory=list)
    channels: list[ChannelRef] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=lambda: list(CAPABILITIES))
    cells: dict[CellKey, Cell] = field(default_factory=dict)
    #: The observer's name, or None when the identities observed each other.
    observer: str | None = None

    def set(self, cell: Cell) -> None:
        """Add or replace a cell (a re-run replaces one)."""
        if cell.identity not in self.identities:
            self.identities.append(cell.identity)
        if cell.channel not in self.channels:
            self.channels.append(cell.channel)
        if cell.capability not in self.capabilities:
            self.capabilities.append(cell.capability)
        self.cells[cell.key] = cell

    def get(self, identity: str, channel: ChannelRef, capability: Capability) -> Cell | None:
        return self.cells.get((identity, channel, capability))

    def __iter__(self) -> Iterator[Cell]:
        """Cells in display order: channel, identity, capability."""
        for channel in self.channels:
            for identity in self.identities:
                for cap in self.capabilities:
                    cell = self.cells.get((identity, channel, cap))
                    if cell is not None:
                        yield cell

    def __len__(self) -> int:
        return len(self.cells)

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for cell in self.cells.values():
            out[cell.verdict.value] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "identities": list(self.identities),
            "channels": [c.to_dict() for c in self.channels],
            "capabilities": [c.value for c in self.capabilities],
            "observer": self.observer,
            "cells": [c.to_dict() for c in self],
        }

    @classmethod
    def from_cells(cls, cells: Iterable[Cell], observer: str | None = None) -> Matrix:
        matrix = cls(capabilities=[], observer=observer)
        for cell in cells:
            matrix.set(cell)
        matrix.capabilities.sort(key=CAPABILITIES.index)
        return matrix


@dataclass(frozen=True, slots=True)
class Difference:
    """A cell whose verdict is not the expected one (or that was expected and not measured)."""

    identity: str
    channel: ChannelRef
    capability: Capability
    expected: str
    actual: str
    reason: str = ""

    @property
    def key(self) -> CellKey:
        return (self.identity, self.channel, self.capability)

    def text(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return (
            f"{self.identity} / {self.channel.label} / {self.capability.label}: expected "
            f"{self.expected}, got {self.actual}{why}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "channel": self.channel.name,
            "private": self.channel.private,
            "capability": self.capability.value,
            "expected": self.expected,
            "actual": self.actual,
            "reason": self.reason,
        }


def compare(expected: Mapping[CellKey, str], matrix: Matrix) -> list[Difference]:
    """The differences between expected verdicts (``allowed``/``denied``/``unknown``/``any``)
    and the measured matrix, in the matrix's order; an expected cell that was not measured is
    a difference (``not measured``). Measured cells the expectation does not mention are not."""
    out: list[Difference] = []
    for cell in matrix:
        want = expected.get(cell.key)
        if want is None or want == ANY or want == cell.verdict.value:
            continue
        out.append(
            Difference(
                cell.identity,
                cell.channel,
                cell.capability,
                want,
                cell.verdict.value,
                cell.reason,
            )
        )
    for key, want in expected.items():
        if key not in matrix.cells and want != ANY:
            out.append(Difference(key[0], key[1], key[2], want, "not measured"))
    return out


def with_reason(cell: Cell, reason: str) -> Cell:
    """The cell with another reason (used when a reason needs redacting)."""
    return replace(cell, reason=reason)
