"""An expected authorization matrix, saved as a file (issue #13 §4); pure apart from file I/O.

YAML (``.yaml``/``.yml``, or any other name) or JSON (``.json``); one row per identity and
channel, one key per capability::

    version: 1
    matrix:
      - identity: anon
        channel: room-1
        private: true
        join: denied
        receive: denied
        send_ws: denied
        send_rest: denied
        send_rest_batch: denied
        track: denied
        see_presence: denied

A value is ``allowed``, ``denied``, ``unknown`` or ``any`` (does not matter); a capability left
out is not compared. Keys this version does not know (at the top, in a row) are kept when the
file is saved again, so a newer version's or a person's additions survive.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inspector.protocol.authz_probe import CAPABILITIES, Capability, Verdict

from .matrix import ANY, CellKey, ChannelRef, Matrix

VERSION = 1
_VALUES = {v.value for v in Verdict} | {ANY}
_ROW_KEYS = {"identity", "channel", "private"}


class ExpectationError(ValueError):
    """The file cannot be used; the message names the file and the place."""


@dataclass
class ExpectedRow:
    identity: str
    channel: ChannelRef
    verdicts: dict[Capability, str] = field(default_factory=dict)
    #: Keys of the row this version does not know, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "identity": self.identity,
            "channel": self.channel.name,
            "private": self.channel.private,
        }
        for cap in CAPABILITIES:
            if cap in self.verdicts:
                out[cap.value] = self.verdicts[cap]
        out.update(self.extra)
        return out


@dataclass
class Expectation:
    rows: list[ExpectedRow] = field(default_factory=list)
    version: int = VERSION
    #: Top-level keys this version does not know, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict)

    def cells(self) -> dict[CellKey, str]:
        """Every expected cell: (identity, channel, capability) -> verdict or ``any``."""
        out: dict[CellKey, str] = {}
        for row in self.rows:
            for cap, value in row.verdicts.items():
                out[(row.identity, row.channel, cap)] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version}
        out.update({k: v for k, v in self.extra.items() if k not in ("version", "matrix")})
        out["matrix"] = [row.to_dict() for row in self.rows]
        return out

    @classmethod
    def from_matrix(cls, matrix: Matrix, previous: Expectation | None = None) -> Expectation:
        """The measured verdicts as an expectation; ``previous`` gives the unknown keys to keep."""
        old = {(r.identity, r.channel): r for r in previous.rows} if previous else {}
        rows: list[ExpectedRow] = []
        for channel in matrix.channels:
            for identity in matrix.identities:
                verdicts = {
                    cap: cell.verdict.value
                    for cap in matrix.capabilities
                    if (cell := matrix.get(identity, channel, cap)) is not None
                }
                if not verdicts:
                    continue
                before = old.get((identity, channel))
                rows.append(
                    ExpectedRow(identity, channel, verdicts, dict(before.extra) if before else {})
                )
        extra = dict(previous.extra) if previous else {}
        return cls(rows, VERSION, extra)

    # ------------------------------------------------------------------ files

    @classmethod
    def from_data(cls, data: Any, source: str = "expectation") -> Expectation:
        if not isinstance(data, Mapping):
            raise ExpectationError(f"{source}: the top level must be a mapping with 'matrix'")
        version = data.get("version", VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ExpectationError(f"{source}: 'version' must be a whole number, 1 or more")
        if version > VERSION:
            raise ExpectationError(
                f"{source}: version {version} was written by a newer Realtime Inspector "
                f"(this one reads version {VERSION})"
            )
        raw_rows = data.get("matrix", [])
        if not isinstance(raw_rows, list):
            raise ExpectationError(f"{source}: 'matrix' must be a list of rows")
        rows = [_row(raw, f"{source}: matrix row {i}") for i, raw in enumerate(raw_rows, 1)]
        seen: set[tuple[str, ChannelRef]] = set()
        for i, row in enumerate(rows, 1):
            if (row.identity, row.channel) in seen:
                raise ExpectationError(
                    f"{source}: matrix row {i} repeats {row.identity} on {row.channel.label}"
                )
            seen.add((row.identity, row.channel))
        extra = {k: v for k, v in data.items() if k not in ("version", "matrix")}
        return cls(rows, version, extra)

    @classmethod
    def load(cls, path: Path) -> Expectation:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ExpectationError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ExpectationError(f"{path}: not UTF-8 text") from None
        try:
            data = json.loads(text) if _is_json(path) else yaml.safe_load(text)
        except json.JSONDecodeError as exc:
            raise ExpectationError(f"{path}:{exc.lineno}:{exc.colno}: {exc.msg}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise ExpectationError(f"{where}: {problem}") from None
        return cls.from_data(data, str(path))

    def dumps(self, path: Path | None = None) -> str:
        data = self.to_dict()
        if path is not None and _is_json(path):
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def save(self, path: Path) -> None:
        """Write the file atomically (a half-written expectation never replaces a good one)."""
        text = self.dumps(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _row(raw: Any, where: str) -> ExpectedRow:
    if not isinstance(raw, Mapping):
        raise ExpectationError(f"{where} must be a mapping")
    identity, channel = raw.get("identity"), raw.get("channel")
    if not isinstance(identity, str) or not identity:
        raise ExpectationError(f"{where}: 'identity' must be a name")
    if not isinstance(channel, str) or not channel:
        raise ExpectationError(f"{where}: 'channel' must be a channel name")
    private = raw.get("private", False)
    if not isinstance(private, bool):
        raise ExpectationError(f"{where}: 'private' must be true or false")
    verdicts: dict[Capability, str] = {}
    extra: dict[str, Any] = {}
    names = {c.value: c for c in CAPABILITIES}
    for key, value in raw.items():
        if key in _ROW_KEYS:
            continue
        cap = names.get(str(key))
        if cap is None:
            extra[str(key)] = value
            continue
        if not isinstance(value, str) or value not in _VALUES:
            raise ExpectationError(
                f"{where}: {key} must be one of {', '.join(sorted(_VALUES))}, got {value!r}"
            )
        verdicts[cap] = value
    return ExpectedRow(identity, ChannelRef(channel, private), verdicts, extra)
