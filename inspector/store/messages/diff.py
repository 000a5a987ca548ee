"""Diff of two table rows (pure): their payloads path by path when both are JSON, line by line
(difflib) otherwise, and their metadata and row fields.

JSON rules (:func:`diff_json`): objects are compared key by key (``added``: only in the second,
``removed``: only in the first); arrays position by position (extra items at the end are added
or removed); any other two values differ when they are not equal as JSON (``1`` equals ``1.0``,
``true`` is not ``1``). A value whose JSON type changes (``"5"`` -> ``5``, an object -> an
array) is one ``type`` change at that path, not a cascade. Paths are JSONPath, the way the JSON
tree's *Copy path* writes them: ``$.items[0].qty``, ``$["a b"]``.

Text rules: a JSON payload is compared as its pretty-printed text (so the text view of a JSON
diff lines up with the tree), a text payload as its lines, a binary payload as its hexdump (16
bytes a line); :func:`diff_records` always gives the unified text diff, and the path changes
when both payloads are JSON. Both are bounded (:data:`MAX_CHANGES`, :data:`MAX_TEXT_LINES`,
:data:`TEXT_DIFF_LINES`): a bigger diff says it was cut.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from inspector.store.messages.records import MessageRecord, PayloadFormat
from inspector.store.timefmt import utc_iso

__all__ = [
    "MAX_CHANGES",
    "MAX_TEXT_LINES",
    "TEXT_DIFF_LINES",
    "Change",
    "RecordDiff",
    "diff_json",
    "diff_records",
    "json_type",
    "text_lines",
]

ChangeKind = Literal["added", "removed", "changed", "type"]

#: Path changes kept per diff (the rest are counted).
MAX_CHANGES: Final = 5000
#: Lines of each side given to difflib (a larger payload is compared up to here).
MAX_TEXT_LINES: Final = 20_000
#: difflib is quadratic on lines that half match (two 10,000-line payloads with every other
#: line changed: seconds on the UI thread). When the line counts' product exceeds this
#: squared, both sides are compared up to this line and the text diff ends with a note.
TEXT_DIFF_LINES: Final = 3000
#: Nesting below which two values are compared whole (a peer can nest deeper than is useful).
MAX_DEPTH: Final = 200
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Change:
    """One difference at ``path``: ``old`` is the first row's value, ``new`` the second's
    (``None`` for the side an ``added``/``removed`` change does not have)."""

    kind: ChangeKind
    path: str
    old: Any = None
    new: Any = None

    def text(self, limit: int = 120) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {short_json(self.new, limit)}"
        if self.kind == "removed":
            return f"- {self.path}: {short_json(self.old, limit)}"
        note = f" ({json_type(self.old)} -> {json_type(self.new)})" if self.kind == "type" else ""
        return (
            f"~ {self.path}: {short_json(self.old, limit)} -> {short_json(self.new, limit)}{note}"
        )


def short_json(value: Any, limit: int = 120) -> str:
    """``value`` as compact JSON on one line, cut at ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type(value: Any) -> str:
    """The JSON type's name: object, array, string, number, boolean, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return (
        f"{path}.{key}"
        if _NAME.fullmatch(key)
        else f"{path}[{json.dumps(key, ensure_ascii=False)}]"
    )


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except RecursionError:
        return False


def diff_json(old: Any, new: Any, path: str = "$") -> tuple[list[Change], int]:
    """The changes from ``old`` to ``new`` (at most :data:`MAX_CHANGES`) and how many there
    were in all. Iterative: deep nesting never overflows the stack."""
    changes: list[Change] = []
    total = 0
    stack: list[tuple[Any, Any, str, int]] = [(old, new, path, 0)]

    def add(change: Change) -> None:
        nonlocal total
        total += 1
        if len(changes) < MAX_CHANGES:
            changes.append(change)

    while stack:
        a, b, where, depth = stack.pop()
        ta, tb = json_type(a), json_type(b)
        if ta != tb:
            add(Change("type", where, a, b))
            continue
        if depth >= MAX_DEPTH:
            if not _equal(a, b):
                add(Change("changed", where, a, b))
            continue
        if ta == "object":
            pending: list[tuple[Any, Any, str, int]] = []
            for key, value in a.items():
                at = child_path(where, str(key))
                other = b.get(key, _MISSING)
                if other is _MISSING:
                    add(Change("removed", at, value, None))
                else:
                    pending.append((value, other, at, depth + 1))
            for key, value in b.items():
                if key not in a:
                    add(Change("added", child_path(where, str(key)), None, value))
            stack.extend(reversed(pending))
        elif ta == "array":
            common = min(len(a), len(b))
            for i in range(common, len(a)):
                add(Change("removed", child_path(where, i), a[i], None))
            for i in range(common, len(b)):
                add(Change("added", child_path(where, i), None, b[i]))
            stack.extend(
                (a[i], b[i], child_path(where, i), depth + 1) for i in reversed(range(common))
            )
        elif not _equal(a, b):
            add(Change("changed", where, a, b))
    changes.sort(key=_path_key)
    return changes, total


_SEGMENT: Final = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _path_key(change: Change) -> list[tuple[int, int, str]]:
    """Segment by segment: indexes in numeric order ([2] before [10]), names in text order
    (``$["a b"]`` sorts as ``a b``)."""
    key: list[tuple[int, int, str]] = []
    for name, index, quoted in _SEGMENT.findall(change.path):
        if index:
            key.append((0, int(index), ""))
        else:
            key.append((1, 0, name or json.loads(quoted)))
    return key


def text_lines(record: MessageRecord) -> list[str]:
    """The lines a row's payload is compared as: pretty JSON, text lines or a hexdump."""
    data = record.payload
    if record.format is PayloadFormat.BINARY:
        lines = []
        for offset in range(0, min(len(data), MAX_TEXT_LINES * 16), 16):
            chunk = data[offset : offset + 16]
            shown = "".join(chr(c) if 32 <= c < 127 else "." for c in chunk)
            lines.append(f"{offset:08x}  {chunk.hex(' '):<47}  {shown}")
        return lines
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return data.decode("utf-8", "replace").splitlines()[:MAX_TEXT_LINES]
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    except (ValueError, RecursionError):
        text = data.decode("utf-8", "replace")
    return text.splitlines()[:MAX_TEXT_LINES]


def _payload_json(record: MessageRecord) -> Any:
    if record.format is PayloadFormat.BINARY:
        return _MISSING
    try:
        return json.loads(record.payload)
    except (ValueError, RecursionError):
        return _MISSING


@dataclass(frozen=True, slots=True)
class RecordDiff:
    """The diff of row ``a`` (first) to row ``b`` (second)."""

    #: "json" (both payloads JSON), "text" (both text, not both JSON), "binary" (both binary),
    #: or "mixed" (one binary, one not).
    kind: Literal["json", "text", "binary", "mixed"]
    #: path changes of the payload (kind "json" only), sorted by path.
    payload: tuple[Change, ...]
    #: all payload changes, also those beyond :data:`MAX_CHANGES`.
    payload_total: int
    #: path changes of the broadcast metadata (``meta``: id, replayed), as JSON paths.
    meta: tuple[Change, ...]
    #: row fields that differ: event, direction, size, format, status (``$.event`` ...).
    fields: tuple[Change, ...]
    #: the unified diff of the payloads' text (pretty JSON, text lines or hexdump).
    text: tuple[str, ...]
    #: seconds from the first row to the second.
    time_delta: float
    #: the byte offset of the first difference of two binary payloads (None otherwise, or equal).
    first_byte: int | None = None

    @property
    def same_payload(self) -> bool:
        return self.payload_total == 0 and not self.text

    def summary(self) -> str:
        """One line: how many paths were added, removed and changed."""
        if self.kind != "json":
            if self.same_payload:
                return "payloads are identical"
            extra = (
                "" if self.first_byte is None else f", first difference at byte {self.first_byte}"
            )
            return f"{self.kind} payloads differ{extra}"
        if not self.payload_total:
            return "payloads are identical"
        kinds = {"added": 0, "removed": 0, "changed": 0, "type": 0}
        for change in self.payload:
            kinds[change.kind] += 1
        words = {"added": "added", "removed": "removed", "changed": "changed", "type": "retyped"}
        parts = [f"{n} {words[k]}" for k, n in kinds.items() if n]
        cut = "" if self.payload_total == len(self.payload) else f" (of {self.payload_total})"
        return ", ".join(parts) + cut


def _fields(record: MessageRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event": record.event,
        "direction": record.direction.label,
        "format": "binary" if record.format is PayloadFormat.BINARY else "json",
        "size": record.size,
    }
    if record.send is not None:
        out["status"] = record.send.status_text()
    return out


def diff_records(a: MessageRecord, b: MessageRecord) -> RecordDiff:
    """Compare row ``a`` with row ``b``: payload, metadata and row fields (never raises for
    what a peer sent)."""
    ja, jb = _payload_json(a), _payload_json(b)
    binary = (a.format is PayloadFormat.BINARY, b.format is PayloadFormat.BINARY)
    changes: list[Change] = []
    total = 0
    kind: Literal["json", "text", "binary", "mixed"]
    if ja is not _MISSING and jb is not _MISSING:
        kind = "json"
        changes, total = diff_json(ja, jb)
    elif all(binary):
        kind = "binary"
    elif any(binary):
        kind = "mixed"
    else:
        kind = "text"
    first_byte: int | None = None
    if kind == "binary" and a.payload != b.payload:
        first_byte = next(
            (i for i, (x, y) in enumerate(zip(a.payload, b.payload, strict=False)) if x != y),
            min(len(a.payload), len(b.payload)),
        )
    if kind == "json" and not total:
        text: list[str] = []
    elif a.payload == b.payload and a.format is b.format:
        text = []
    else:
        lines_a, lines_b = text_lines(a), text_lines(b)
        cut = len(lines_a) * len(lines_b) > TEXT_DIFF_LINES**2
        if cut:
            lines_a, lines_b = lines_a[:TEXT_DIFF_LINES], lines_b[:TEXT_DIFF_LINES]
        text = list(
            difflib.unified_diff(
                lines_a,
                lines_b,
                fromfile=f"first: {a.event} {utc_iso(a.time)}",
                tofile=f"second: {b.event} {utc_iso(b.time)}",
                lineterm="",
                n=2,
            )
        )
        if cut:
            where = "; the Changes tab lists every path" if kind == "json" else ""
            text.append(f"… the text diff stops at line {TEXT_DIFF_LINES:,} of each payload{where}")
    meta_a, meta_b = a.meta_json(), b.meta_json()
    meta, _ = diff_json({} if meta_a is None else meta_a, {} if meta_b is None else meta_b)
    fa, fb = _fields(a), _fields(b)
    fields, _ = diff_json(fa, fb)
    return RecordDiff(
        kind=kind,
        payload=tuple(changes),
        payload_total=total,
        meta=tuple(meta),
        fields=tuple(fields),
        text=tuple(text),
        time_delta=b.time - a.time,
        first_byte=first_byte,
    )
