"""Variables in saved messages, repeat runs, replays and checks: the one expander.

Syntax: ``{{name}}`` (spaces inside the braces are allowed) in payloads and event names.
``{{{{`` writes a literal ``{{``. The names are a closed set; nothing is evaluated, so a shared
library or check file cannot run code:

=====================  ==============================================================
``{{seq}}``             1, 2, 3, ... (per repeat run, or per send in the window)
``{{now}}``             ISO-8601 UTC with milliseconds, ``2026-12-05T02:30:00.123Z``
``{{now_ms}}``          integer Unix milliseconds
``{{uuid}}``            a random UUID (version 4)
``{{random_int:A:B}}``  an integer from A to B, both included
``{{env.NAME}}``        the environment variable NAME; an unset one is an error
``{{claims.X}}``        claim X of the current identity's token (``sub``, ``role``, ...)
``{{NAME}}``            a value given by the caller (a check's ``vars`` and captures)
=====================  ==============================================================

JSON-aware (:func:`expand_json`): a JSON string that is exactly one placeholder takes the
value's JSON type (``"{{seq}}"`` becomes the number ``3``); inside a longer string the value is
interpolated as text (JSON-escaped); a placeholder outside any string (``{"n": {{seq}}}``) is
replaced by the value's JSON. Object keys are always text. The result must be valid JSON.

Every problem is a :class:`TemplateError` with the line and column of the placeholder in the
template, raised before anything is sent. This module is pure: the clock, the environment and
the claims come in through :class:`Variables`.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "BUILTIN_NAMES",
    "TemplateError",
    "Variables",
    "expand_json",
    "expand_json_text",
    "expand_text",
    "has_placeholders",
    "placeholder_names",
]

BUILTIN_NAMES: Final = frozenset({"seq", "now", "now_ms", "uuid", "random_int", "env", "claims"})

# {{ name }}: a name, dotted parts (env.NAME, claims.sub) or random_int:A:B.
_PLACEHOLDER: Final = re.compile(
    r"\{\{\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)*"
    r"|random_int:\s*-?\d+\s*:\s*-?\d+)\s*\}\}"
)
_RANDOM: Final = re.compile(r"random_int:\s*(-?\d+)\s*:\s*(-?\d+)")
_OPEN: Final = "{{"
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NEXT: Final = re.compile(r'"|\{\{')  # the next string or placeholder outside strings
_ESCAPED_OPEN: Final = "{{{{"


class TemplateError(ValueError):
    """A template that cannot be expanded; ``line``/``column`` are 1-based, in the template."""

    def __init__(self, message: str, *, text: str = "", offset: int | None = None) -> None:
        self.offset = offset
        self.line: int | None = None
        self.column: int | None = None
        if offset is not None:
            self.line = text.count("\n", 0, offset) + 1
            self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
            message = f"line {self.line}, column {self.column}: {message}"
        super().__init__(message)


def _uuid4() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Variables:
    """What the placeholders stand for in one expansion (one send).

    ``now`` is the send's time (aware, any zone; shown in UTC). ``claims`` is ``None`` when the
    sender has no user token. ``values`` are caller-defined names (check ``vars``, captures).
    """

    seq: int = 1
    now: datetime = field(default_factory=lambda: datetime(1970, 1, 1, tzinfo=UTC))
    env: Mapping[str, str] = field(default_factory=dict)
    claims: Mapping[str, Any] | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    new_uuid: Callable[[], str] = _uuid4
    rng: random.Random = field(default_factory=random.Random)

    def next(self, *, now: datetime | None = None) -> Variables:
        """The variables of the following send: ``seq`` + 1 and, if given, a new time."""
        return replace(self, seq=self.seq + 1, now=self.now if now is None else now)

    def with_values(self, **values: Any) -> Variables:
        return replace(self, values={**self.values, **values})

    def lookup(self, name: str) -> Any:
        """The value of one placeholder name; :class:`KeyError` with a readable message."""
        if name == "seq":
            return self.seq
        if name == "now":
            utc = self.now.astimezone(UTC)
            return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
        if name == "now_ms":
            return int(self.now.timestamp() * 1000)
        if name == "uuid":
            return self.new_uuid()
        if name.startswith("random_int"):
            m = _RANDOM.fullmatch(name)
            if m is None:
                raise KeyError("random_int needs two bounds: {{random_int:A:B}}")
            low, high = int(m.group(1)), int(m.group(2))
            if low > high:
                raise KeyError(f"random_int:{low}:{high}: the first bound is above the second")
            return self.rng.randint(low, high)
        head, _, rest = name.partition(".")
        if head == "env":
            if not rest:
                raise KeyError("env needs a variable name: {{env.NAME}}")
            if rest not in self.env:
                raise KeyError(f"the environment variable {rest} is not set")
            return self.env[rest]
        if head == "claims":
            if not rest:
                raise KeyError("claims needs a claim name: {{claims.sub}}")
            if self.claims is None:
                raise KeyError(f"{{{{claims.{rest}}}}} needs an identity with a user token")
            if rest not in self.claims:
                raise KeyError(f"the identity's token has no claim {rest!r}")
            return self.claims[rest]
        if name in self.values:
            return self.values[name]
        if head in self.values and rest:
            value: Any = self.values[head]
            for part in rest.split("."):
                if not isinstance(value, Mapping) or part not in value:
                    raise KeyError(f"unknown variable {name!r}")
                value = value[part]
            return value
        raise KeyError(f"unknown variable {name!r}")


def has_placeholders(text: str) -> bool:
    """Whether expanding ``text`` could change it (cheap; no validation)."""
    return _OPEN in text


def placeholder_names(text: str) -> list[str]:
    """The names used in ``text``, in order, escapes skipped; malformed ones raise."""
    return [name for _, _, name in _scan(text)]


def _scan(text: str, pos: int = 0, stop: int | None = None) -> Iterator[tuple[int, int, str]]:
    """``(start, end, name)`` of every placeholder in ``text[pos:stop]``; ``name`` is ``""`` for
    an escaped ``{{``. Offsets are in ``text``, so errors point into the whole template."""
    stop = len(text) if stop is None else stop
    while (start := text.find(_OPEN, pos, stop)) >= 0:
        if text.startswith(_ESCAPED_OPEN, start, stop):
            yield start, start + len(_ESCAPED_OPEN), ""
            pos = start + len(_ESCAPED_OPEN)
            continue
        m = _PLACEHOLDER.match(text, start, stop)
        if m is None:
            end = text.find("}}", start)
            shown = text[start : end + 2] if 0 <= end < start + 60 else text[start : start + 20]
            raise TemplateError(
                f"not a variable: {shown!r} (names are like {{{{seq}}}}; write {{{{{{{{ for a "
                "literal {{)",
                text=text,
                offset=start,
            )
        yield start, m.end(), re.sub(r"\s+", "", m.group("name"))
        pos = m.end()


def _value(variables: Variables, name: str, text: str, offset: int) -> Any:
    try:
        return variables.lookup(name)
    except KeyError as exc:
        raise TemplateError(str(exc.args[0]), text=text, offset=offset) from None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# A template is parsed once into segments, then filled per send (a repeat run expands the same
# template thousands of times a second). A segment is (kind, literal or name, template offset).
_LIT: Final = 0  # literal text
_VALUE: Final = 1  # the value's JSON (a whole-string placeholder or one outside strings)
_TEXT: Final = 2  # the value as text (inside a string: JSON-escaped when in JSON)
_Segment = tuple[int, str, int]
#: Templates up to this size are kept parsed (bounded memory: 256 of them at most).
_CACHE_MAX_CHARS: Final = 64 * 1024


def _cached(parse: Callable[[str], tuple[_Segment, ...]]) -> Callable[[str], tuple[_Segment, ...]]:
    cached = lru_cache(maxsize=256)(parse)

    def segments(text: str) -> tuple[_Segment, ...]:
        return cached(text) if len(text) <= _CACHE_MAX_CHARS else parse(text)

    return segments


@_cached
def _text_segments(text: str) -> tuple[_Segment, ...]:
    segs: list[_Segment] = []
    pos = 0
    for start, end, name in _scan(text):
        if start > pos:
            segs.append((_LIT, text[pos:start], pos))
        segs.append((_LIT, _OPEN, start) if not name else (_TEXT, name, start))
        pos = end
    if pos < len(text):
        segs.append((_LIT, text[pos:], pos))
    return tuple(segs)


def expand_text(text: str, variables: Variables) -> str:
    """Plain-text expansion (event names, binary payloads typed as text, URLs)."""
    if _OPEN not in text:
        return text
    out: list[str] = []
    for kind, part, offset in _text_segments(text):
        out.append(part if kind == _LIT else _as_text(_value(variables, part, text, offset)))
    return "".join(out)


def _json_string_end(text: str, start: int) -> int:
    """The index just past the JSON string starting at the quote ``text[start]``, or -1."""
    m = _STRING.match(text, start)
    return -1 if m is None else m.end()


def _is_key(text: str, end: int) -> bool:
    """Whether the JSON string ending at ``end`` is an object key (a ``:`` follows)."""
    i = end
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i < len(text) and text[i] == ":"


def expand_json_text(text: str, variables: Variables) -> str:
    """The expanded JSON text, formatting kept; raises :class:`TemplateError` if not valid JSON.

    The errors of the result are reported at the template's line and column.
    """
    return _expand_json(text, variables)[0]


def expand_json(text: str, variables: Variables) -> Any:
    """The expanded payload as a JSON value (what the client sends)."""
    return _expand_json(text, variables)[1]


@_cached
def _json_segments(text: str) -> tuple[_Segment, ...]:
    segs: list[_Segment] = []
    pos = 0
    i = 0
    while (found := _NEXT.search(text, i)) is not None:
        i = found.start()
        if text[i] == '"':
            end = _json_string_end(text, i)
            if end < 0:
                break  # unterminated: json.loads reports it
            if text.find(_OPEN, i + 1, end - 1) >= 0:
                if i > pos:
                    segs.append((_LIT, text[pos:i], pos))
                whole = _PLACEHOLDER.fullmatch(text, i + 1, end - 1)
                if whole is not None and not _is_key(text, end):
                    segs.append((_VALUE, re.sub(r"\s+", "", whole.group("name")), i + 1))
                else:
                    segs.append((_LIT, '"', i))
                    at = i + 1
                    for start, stop, name in _scan(text, i + 1, end - 1):
                        if start > at:
                            segs.append((_LIT, text[at:start], at))
                        segs.append((_LIT, _OPEN, start) if not name else (_TEXT, name, start))
                        at = stop
                    segs.append((_LIT, text[at : end - 1] + '"', at))
                pos = end
            i = end
            continue
        if i > pos:
            segs.append((_LIT, text[pos:i], pos))
        start, stop, name = next(_scan(text, i))
        # {{{{ outside a string stays {{: invalid JSON, reported when loaded
        segs.append((_LIT, _OPEN, start) if not name else (_VALUE, name, start))
        pos = i = stop
    if pos < len(text):
        segs.append((_LIT, text[pos:], pos))
    return tuple(segs)


def _fill(
    text: str, segs: tuple[_Segment, ...], variables: Variables, marks: list[tuple[int, int]] | None
) -> str:
    out: list[str] = []
    length = 0
    for kind, part, offset in segs:
        if kind == _LIT:
            piece = part
        elif kind == _VALUE:
            piece = _dumps(_value(variables, part, text, offset), text, offset)
        else:
            value = _value(variables, part, text, offset)
            piece = json.dumps(_as_text(value), ensure_ascii=False)[1:-1]
        if marks is not None:
            marks.append((length, offset))
            length += len(piece)
        out.append(piece)
    return "".join(out)


def _expand_json(text: str, variables: Variables) -> tuple[str, Any]:
    if _OPEN not in text:
        return text, _loads(text, text, [(0, 0)])
    segs = _json_segments(text)
    result = _fill(text, segs, variables, None)
    try:
        return result, json.loads(result)
    except (ValueError, RecursionError):
        pass
    # Again, noting where each piece came from, to report the error at the template's position.
    # (The same variables: uuid/random are drawn again, which does not matter for the error.)
    marks: list[tuple[int, int]] = [(0, 0)]
    result = _fill(text, segs, variables, marks)
    return result, _loads(result, text, marks)


def _loads(result: str, text: str, marks: list[tuple[int, int]]) -> Any:
    try:
        return json.loads(result)
    except json.JSONDecodeError as exc:
        source = _source_offset(marks, exc.pos)
        raise TemplateError(f"not valid JSON: {exc.msg}", text=text, offset=source) from None
    except RecursionError:
        raise TemplateError("not valid JSON: nested too deeply", text=text) from None


def _source_offset(marks: list[tuple[int, int]], pos: int) -> int:
    best = (0, 0)
    for out_at, src_at in marks:
        if out_at <= pos:
            best = (out_at, src_at)
        else:
            break
    return best[1] + (pos - best[0])


def _dumps(value: Any, text: str, offset: int) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"the value is not JSON: {exc}", text=text, offset=offset) from None
