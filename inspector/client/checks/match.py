"""Payload matching for checks: a JSON subset and JSONPath predicates (python-jsonpath).

Subset rules (:func:`differences`): an expected object matches an object that has every one of
its keys with a matching value (more keys are fine); an expected array matches an array of the
same length whose items match one by one (use a ``where`` JSONPath filter for "contains");
anything else must be equal as JSON (``1`` equals ``1.0``; ``true`` is not ``1``; strings are
compared exactly). Each mismatch is a :class:`Difference` with the JSONPath of the place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonpath

from inspector.protocol.event_filter import event_matches

__all__ = [
    "Difference",
    "JsonPathError",
    "capture_value",
    "compile_path",
    "differences",
    "glob_matches",
    "where_failures",
]

JsonPathError = jsonpath.JSONPathError
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where a payload differs from the expected subset (or a failed predicate)."""

    #: JSONPath of the place (``$.items[0].qty``) or the predicate.
    path: str
    #: What was expected there (a JSON value), or a description.
    expected: Any
    #: What was there (a JSON value), or None with ``missing``.
    actual: Any
    #: True when the key or index is not there at all.
    missing: bool = False

    def text(self) -> str:
        if self.missing:
            return f"{self.path}: missing (expected {_short(self.expected)})"
        return f"{self.path}: expected {_short(self.expected)}, got {_short(self.actual)}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "expected": self.expected}
        if self.missing:
            out["missing"] = True
        else:
            out["actual"] = self.actual
        return out


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _NAME.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def differences(expected: Any, actual: Any, path: str = "$") -> list[Difference]:
    """Where ``actual`` fails to contain ``expected`` (empty: it matches)."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [Difference(path, expected, actual)]
        out: list[Difference] = []
        for key, want in expected.items():
            where = _child(path, str(key))
            if key not in actual:
                out.append(Difference(where, want, None, missing=True))
            else:
                out.extend(differences(want, actual[key], where))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Difference(path, expected, actual)]
        out = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            out.extend(differences(want, got, f"{path}[{i}]"))
        return out
    if _type(expected) != _type(actual) or expected != actual:
        return [Difference(path, expected, actual)]
    return []


def compile_path(query: str) -> Any:
    """A compiled JSONPath; raises :class:`JsonPathError` with the library's message (also for
    an invalid ``=~ /regex/`` literal, which the library hands to :mod:`re` unchecked)."""
    try:
        return jsonpath.compile(query)
    except re.error as exc:
        raise JsonPathError(f"invalid regular expression: {exc}") from None


def where_failures(queries: Iterable[str], value: Any) -> list[Difference]:
    """The predicates that select nothing in ``value`` (each a :class:`Difference`)."""
    out = []
    for query in queries:
        try:
            found = compile_path(query).findall(value)
        except JsonPathError as exc:
            out.append(Difference(query, "a valid JSONPath", str(exc).splitlines()[0]))
            continue
        if not found:
            out.append(Difference(query, "at least one match", "none"))
    return out


def capture_value(query: str, value: Any) -> tuple[bool, Any]:
    """``(True, first match)`` of ``query`` in ``value``, or ``(False, None)``."""
    found = compile_path(query).findall(value)
    return (True, found[0]) if found else (False, None)


def glob_matches(text: str, pattern: str) -> bool:
    """The event-filter glob (``*``, ``?``, backslash escapes; case-insensitive)."""
    return event_matches(text, (pattern,))


def describe(diffs: Sequence[Difference], limit: int = 3) -> str:
    """``$.id: expected "a", got "b"; …`` for a one-line reason."""
    parts = [d.text() for d in diffs[:limit]]
    if len(diffs) > limit:
        parts.append(f"{len(diffs) - limit} more")
    return "; ".join(parts)
