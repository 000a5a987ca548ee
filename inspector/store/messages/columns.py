"""Custom table columns (issue #15 item 5): the value at a JSONPath in each row's payload.

A column is a JSONPath (python-jsonpath, RFC 9535: ``$.user.name``, ``$.items[0].qty``,
``$["a b"]``), usually set by *Show as column* on a field of the detail pane's tree. A cell
shows the first value the path selects: a string as itself, anything else as compact JSON; no
value (the key is missing, a binary payload, a payload that is not JSON) shows nothing. At most
:data:`MAX_COLUMNS` per tab.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

import jsonpath

from inspector.store.messages.records import MessageRecord, PayloadFormat

__all__ = ["MAX_COLUMNS", "NO_JSON", "ColumnError", "ColumnPath", "parse_payload"]

#: Custom columns one tab may have.
MAX_COLUMNS: Final = 20
#: Longest cell text (the tooltip has the value up to :data:`TIP_CHARS`).
CELL_CHARS: Final = 200
TIP_CHARS: Final = 2000
#: :func:`parse_payload`'s answer for a payload without JSON.
NO_JSON: Final = object()


class ColumnError(ValueError):
    """A column path that python-jsonpath does not accept (its message)."""


def parse_payload(record: MessageRecord) -> Any:
    """The payload as JSON, or :data:`NO_JSON` (binary, not JSON); never raises."""
    if record.format is PayloadFormat.BINARY:
        return NO_JSON
    try:
        return json.loads(record.payload)
    except (ValueError, RecursionError):
        return NO_JSON


@dataclass(frozen=True, slots=True)
class ColumnPath:
    """One custom column: its path and the compiled query."""

    path: str
    query: Any = field(compare=False, repr=False)

    @classmethod
    def parse(cls, path: str) -> ColumnPath:
        path = path.strip()
        if not path:
            raise ColumnError("a column needs a JSONPath such as $.user.name")
        try:
            return cls(path, jsonpath.compile(path))
        # re.error: a `=~ /…/` literal that re refuses (python-jsonpath lets it through)
        except (jsonpath.JSONPathError, re.error, RecursionError, ValueError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ColumnError(f"invalid JSONPath {path}: {first}") from None

    def value(self, parsed: Any) -> Any:
        """The first value selected in ``parsed`` (a payload from :func:`parse_payload`), or
        :data:`NO_JSON` when there is none."""
        if parsed is NO_JSON:
            return NO_JSON
        try:
            match = self.query.match(parsed)
        except (jsonpath.JSONPathError, RecursionError, TypeError, ValueError):
            return NO_JSON
        return NO_JSON if match is None else match.obj

    def text(self, parsed: Any, limit: int = CELL_CHARS) -> str:
        """The cell's text: a string as itself, other values as compact JSON, "" for none."""
        value = self.value(parsed)
        if value is NO_JSON:
            return ""
        if isinstance(value, str):
            text = value
        else:
            try:
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            except (TypeError, ValueError, RecursionError):
                text = repr(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
