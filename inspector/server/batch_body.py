"""Reading a REST batch body without holding the loop (issue #10 item 7).

A batch body may be up to 5 MB of JSON: parsed in one go, ~95,000 small messages cost hundreds
of milliseconds during which no socket is served, even when the batch is then refused for its
size. :func:`read_batch` parses the ``messages`` array one element at a time, lets the loop run
every :data:`SLICE` elements, and stops as soon as there are more than ``cap`` of them.

The answer is the one :func:`inspector.protocol.server_json.loads` gives (the same value, the
same :class:`JsonRejected` reasons): every element and every other top-level value is checked
with the same ``rejection``, and any body whose shape is not the plain ``{"messages": [...]}``
object (or whose JSON is bad) is handed to ``loads`` whole, which then gives the exact error.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

from inspector.protocol.server_json import JsonRejected, loads, rejection

#: Bodies smaller than this are parsed in one go (they cost at most a few milliseconds).
INCREMENTAL_FROM: Final = 256 * 1024
#: Elements parsed between two turns of the loop (a few milliseconds).
SLICE: Final = 1000

_DECODER: Final = json.JSONDecoder()
_BLANK: Final = " \t\n\r"


class TooManyMessages(Exception):
    """The ``messages`` array has more than the cap (parsing stopped there)."""


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _BLANK:
        i += 1
    return i


def _checked(text: str, i: int, depth: int) -> tuple[Any, int]:
    """One JSON value at ``i``, ``depth`` containers down, refused as ``loads`` would refuse
    it (its nesting counted from the top of the body)."""
    value, end = _DECODER.raw_decode(text, i)
    piece, wrapped = text[i:end], value
    for _ in range(depth):
        wrapped = [wrapped]
    why = rejection("[" * depth + piece + "]" * depth, wrapped)
    if why is not None:
        raise JsonRejected(why)
    return value, end


class _Fallback(Exception):
    """Not the plain shape (or bad JSON): let ``loads`` read the whole body."""


async def read_batch(raw: bytes, cap: int, *, incremental_from: int = INCREMENTAL_FROM) -> Any:
    """The parsed body, as ``loads(raw)``; raises :class:`JsonRejected` like it, and
    :class:`TooManyMessages` once ``messages`` holds more than ``cap`` elements."""
    if len(raw) < incremental_from or json.detect_encoding(raw) != "utf-8":
        return loads(raw)
    try:
        text = raw.decode("utf-8")
        return await _incremental(text, cap)
    except (_Fallback, UnicodeDecodeError, ValueError, IndexError, RecursionError) as exc:
        if isinstance(exc, JsonRejected):
            raise
        return loads(raw)


async def _incremental(text: str, cap: int) -> dict[str, Any]:
    i = _skip(text, 0)
    if text[i] != "{":
        raise _Fallback
    body: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] == "}":
        i += 1
    else:
        while True:
            if text[i] != '"':
                raise _Fallback
            key, i = _checked(text, i, 1)
            i = _skip(text, i)
            if text[i] != ":":
                raise _Fallback
            i = _skip(text, i + 1)
            if key == "messages" and text[i] == "[":
                value, i = await _array(text, i, cap)
            else:
                value, i = _checked(text, i, 1)
            body[key] = value
            i = _skip(text, i)
            if text[i] == ",":
                i = _skip(text, i + 1)
            elif text[i] == "}":
                i += 1
                break
            else:
                raise _Fallback
    if _skip(text, i) != len(text):
        raise _Fallback
    return body


async def _array(text: str, i: int, cap: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return items, i + 1
    while True:
        value, i = _checked(text, i, 2)
        items.append(value)
        if len(items) > cap:
            raise TooManyMessages
        if len(items) % SLICE == 0:
            await asyncio.sleep(0)  # other sockets get their turn
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
        elif text[i] == "]":
            return items, i + 1
        else:
            raise _Fallback
