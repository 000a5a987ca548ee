"""From a message as typed (event and payload text with variables) to what is sent.

The window's composer (preview and send) and ``realtime-inspector send`` both call
:func:`prepare_send`, so a template means the same thing everywhere; the expansion itself is
:mod:`inspector.protocol.template` (the one expander).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inspector.protocol import jwt
from inspector.protocol.template import (
    TemplateError,
    Variables,
    expand_json,
    expand_text,
    has_placeholders,
)
from inspector.store.messages.payload_views import parse_base64, parse_hex


@dataclass(frozen=True, slots=True)
class PreparedSend:
    """One send, expanded."""

    event: str
    #: compact UTF-8 JSON text, or the raw bytes of a binary message.
    payload: bytes
    binary: bool
    #: the JSON value (None for binary).
    value: Any
    #: whether any variable was expanded (the template differs from what is sent).
    expanded: bool


_HEX_LIKE = re.compile(r"(?:0x)?[0-9a-fA-F]{2}(?:[\s,:]+(?:0x)?[0-9a-fA-F]{1,2})*\s*")


def parse_bytes(text: str, encoding: str) -> bytes:
    """The bytes of a saved binary message's text in ``encoding`` (``hex`` or ``base64``);
    ValueError names the encoding that was expected.

    Base64 may be wrapped over lines, but a space or tab inside a line is refused: base64 has
    none, and ``"zz not hex"`` read as the base64 ``zznothex`` sent bytes nobody wrote (QA).
    Text that looks like hex (``de ad 01``) says to set ``"encoding": "hex"``."""
    if encoding == "hex":
        try:
            return parse_hex(text)
        except ValueError as exc:
            raise ValueError(f'not hex ("encoding": "hex"): {exc}') from None
    hint = ""
    if _HEX_LIKE.fullmatch(text.strip()):
        hint = ' (it looks like hex: set "encoding": "hex")'
    if any(" " in line.strip() or "\t" in line.strip() for line in text.splitlines()):
        raise ValueError('not base64 ("encoding" is "base64"): a space inside a line' + hint)
    try:
        return parse_base64(text)
    except ValueError as exc:
        detail = str(exc).removeprefix("not base64: ")
        raise ValueError(f'not base64 ("encoding" is "base64"): {detail}{hint}') from None


def claims_of(token: str | None) -> Mapping[str, Any] | None:
    """The claims of a user access token (decoded, not verified), or None without one."""
    if not token:
        return None
    peeked = jwt.peek(jwt.normalize(token))
    return None if peeked is None else peeked.claims


def prepare_send(
    event: str,
    payload: str,
    variables: Variables,
    *,
    binary: bool = False,
    encoding: str = "base64",
    expand: bool = True,
) -> PreparedSend:
    """Expand ``event`` and ``payload`` with ``variables`` (unless ``expand`` is False).

    An empty JSON payload is ``{}``. Raises :class:`TemplateError` (line and column in the
    payload; an event error says "event name") or :class:`ValueError` for bytes that are not
    hex/base64.
    """
    expanded = False
    if expand and has_placeholders(event):
        try:
            new_event = expand_text(event, variables)
        except TemplateError as exc:
            raise TemplateError(f"event name: {exc}") from None
        expanded = new_event != event
        event = new_event
    if binary:
        text = payload
        if expand and has_placeholders(text):
            text = expand_text(text, variables)
            expanded = expanded or text != payload
        data = parse_bytes(text, encoding)
        return PreparedSend(event, data, True, None, expanded)
    if not payload.strip():
        return PreparedSend(event, b"{}", False, {}, expanded)
    if expand and has_placeholders(payload):
        value = expand_json(payload, variables)
        expanded = True
    else:
        try:
            value = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise TemplateError(
                f"not valid JSON: {exc.msg}", text=payload, offset=exc.pos
            ) from None
        except RecursionError:
            raise TemplateError("not valid JSON: nested too deeply") from None
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return PreparedSend(event, data, False, value, expanded)
