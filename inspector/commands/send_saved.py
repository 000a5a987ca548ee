"""``send --saved NAME [--library FILE]`` and variables in ``send`` (issue #11 items 1-2).

Two pieces, kept out of ``send.py``'s loop:

- :func:`apply_saved` fills the send arguments from a saved message; every flag given on the
  command line wins (the flags default to ``None``, so "given" and "not given" differ).
- :class:`MessageSource` gives the event and payload of send ``i`` (1-based): variables
  (``{{seq}}`` = ``i``, ``{{now}}``, ``{{env.X}}``, ``{{claims.X}}`` from ``--token``, ...) are
  expanded per message by :func:`inspector.store.library.prepare_send`. The first message is
  expanded before anything is sent, so a bad template exits 2 with its line and column.
  ``--no-vars`` sends ``{{`` literally (as before variables existed).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.client.repeat import RepeatMessage
from inspector.protocol.invisible import printable
from inspector.protocol.template import TemplateError, Variables, has_placeholders
from inspector.store import Transport
from inspector.store.library import (
    Library,
    LibraryError,
    claims_of,
    default_library_path,
    load_library,
    prepare_send,
)

from .client_args import UsageError, read_stdin_text

NO_VARS_HINT = "use --no-vars to send {{ literally"


def add_saved_options(p: argparse.ArgumentParser) -> None:
    """``--saved``, ``--library``, ``--no-vars`` and the ``--no-*`` opposites of the flags a
    saved message sets (``--no-ack``, ``--no-self``, ``--websocket``)."""
    p.add_argument(
        "--saved",
        metavar="NAME",
        help="send a saved message from the library (NAME or FOLDER/NAME); flags given here "
        "override its fields",
    )
    p.add_argument(
        "--library",
        metavar="FILE",
        help="the library file for --saved (default: $RI_LIBRARY, else library.json in the "
        "user data directory)",
    )
    p.add_argument(
        "--no-vars",
        action="store_true",
        help="do not expand {{variables}} in the event and payload",
    )
    p.add_argument("--no-ack", dest="ack", action="store_false", help="override a saved ack")
    p.add_argument("--no-self", dest="self_", action="store_false", help="override a saved self")
    p.add_argument(
        "--websocket", dest="rest", action="store_false", help="override a saved REST via"
    )
    # None = not given: a saved message's value applies, else False.
    p.set_defaults(ack=None, self_=None, rest=None)


def _library(args: argparse.Namespace) -> Library:
    path = Path(args.library).expanduser() if args.library else default_library_path()
    try:
        return load_library(path, missing_ok=False)
    except LibraryError as exc:
        raise UsageError(f"library {exc}") from exc


def apply_saved(args: argparse.Namespace) -> None:
    """Fill ``args`` from ``--saved`` (overridden by given flags) and settle the defaults.

    Sets ``args.template`` (payload text with variables, or None when ``--payload``/``--binary``
    are used) and ``args.encoding`` (``hex``/``base64`` for a saved binary message)."""
    args.template = None
    args.encoding = "base64"
    if args.saved is None:
        if args.library is not None:
            raise UsageError("--library needs --saved")
        if args.event is None:
            raise UsageError("send needs --event (or --saved NAME)")
        if args.payload is None and args.binary is None:
            raise UsageError("send needs --payload or --binary (or --saved NAME)")
        if not args.channel:
            raise UsageError("send needs --channel (or --saved NAME with a channel)")
    else:
        saved = _find(args)
        if args.event is None:
            if not saved.event:
                # as `--event ''` is refused (QA: `"event": ""` in a file was sent)
                raise UsageError(
                    f"--saved: {printable(saved.ref)!r} has an empty event: an event name cannot be empty "
                    "(fix it in the library or pass --event)"
                )
            args.event = saved.event
        if args.payload is None and args.binary is None:
            args.template = saved.payload
            args.saved_binary = saved.binary
            args.encoding = saved.encoding
        if args.ack is None:
            args.ack = saved.ack
        if args.self_ is None:
            args.self_ = saved.self_
        if args.rest is None:
            args.rest = saved.via is Transport.REST
        if not args.channel:
            if not saved.channel:
                raise UsageError(f"{saved.ref!r} has no channel: pass --channel")
            args.channel = [saved.channel]
    args.ack = bool(args.ack)
    args.self_ = bool(args.self_)
    args.rest = bool(args.rest)


def _find(args: argparse.Namespace) -> Any:
    library = _library(args)
    try:
        return library.find(args.saved)
    except LibraryError as exc:
        raise UsageError(f"--saved: {exc} in {library.path}") from exc


def read_text_payload(args: argparse.Namespace) -> tuple[str, str] | None:
    """``(text, where)`` of a JSON ``--payload`` (``@file`` read once: it may be a pipe such
    as ``@/dev/stdin``; ``@-`` is standard input); None for ``--binary`` or without
    ``--payload``."""
    if args.binary is not None or args.payload is None:
        return None
    text: str = args.payload
    where = "--payload"
    if text == "@-":  # issue #15 item 8: the payload from standard input
        return read_stdin_text("payload"), "standard input"
    if text.startswith("@"):
        where = text[1:]
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}"
            ) from exc
    return text, where


def _parsed(text: str, where: str) -> tuple[Any, bool]:
    """A payload without variables, parsed as ``send`` always did (same message)."""
    try:
        return json.loads(text), False
    except ValueError as exc:
        raise UsageError(f"the payload in {where} is not valid JSON: {exc}") from exc


#: How :func:`prepare_send` marks an error in the event name.
EVENT_PREFIX = "event name: "


class MessageSource:
    """The event and payload of send ``i``; fixed ones are computed once."""

    def __init__(
        self,
        event: str,
        text: str,
        *,
        binary: bool = False,
        encoding: str = "base64",
        expand: bool = True,
        where: str = "--payload",
        env: Mapping[str, str] | None = None,
        token: str | None = None,
        raw: tuple[Any, bool] | None = None,
    ) -> None:
        self._event = event
        self._text = text
        self._binary = binary
        self._encoding = encoding
        self._where = where
        #: a payload read as before (``--binary @FILE``, ``--no-vars``): only the event expands.
        self._raw = raw
        self._expand = expand and (
            has_placeholders(event) or (raw is None and has_placeholders(text))
        )
        self._variables = Variables(
            env=dict(os.environ if env is None else env), claims=claims_of(token)
        )
        first = self._prepare(1, expand=expand)
        self.binary = raw[1] if raw is not None else first.binary
        self._fixed = None if self._expand else self._result(first)

    def _prepare(self, i: int, *, expand: bool = True) -> Any:
        variables = self._variables
        if self._expand:
            variables = Variables(
                seq=i,
                now=datetime.now(UTC),
                env=variables.env,
                claims=variables.claims,
                rng=variables.rng,
            )
        text = "" if self._raw is not None else self._text
        try:
            prepared = prepare_send(
                self._event,
                text,
                variables,
                binary=self._binary and self._raw is None,
                encoding=self._encoding,
                expand=expand,
            )
        except TemplateError as exc:
            hint = f" ({NO_VARS_HINT})" if has_placeholders(text + self._event) else ""
            detail = str(exc)
            if detail.startswith(EVENT_PREFIX):
                what = "the event name cannot be expanded"
                detail = detail[len(EVENT_PREFIX) :]
            else:
                what = f"the payload in {self._where} cannot be expanded"
            raise UsageError(f"{what}: {detail}{hint}") from exc
        except ValueError as exc:
            raise UsageError(f"{self._where}: {exc}") from exc
        if not prepared.event:
            raise UsageError(
                f"the event name {printable(self._event)!r} expands to nothing: "
                "an event name cannot be empty"
            )
        return prepared

    def _result(self, prepared: Any) -> tuple[str, Any]:
        if self._raw is not None:
            return prepared.event, self._raw[0]
        return prepared.event, prepared.payload if prepared.binary else prepared.value

    def repeat_message(self, seq: int) -> RepeatMessage:
        """``make(seq)`` for the client's repeat engine."""
        event, payload = self.at(seq)
        return RepeatMessage(event, payload, self.binary)

    def at(self, i: int) -> tuple[str, Any]:
        """``(event, payload)`` of send ``i`` (1-based): a JSON value, or bytes when binary."""
        if self._fixed is not None:
            return self._fixed
        return self._result(self._prepare(i))


def message_source(
    args: argparse.Namespace, token: str | None, read_payload: Callable[[], tuple[Any, bool]]
) -> MessageSource:
    """The per-message source of this ``send``; ``read_payload`` reads ``--payload`` /
    ``--binary`` as before variables existed (used for ``--binary`` and ``--no-vars``)."""
    expand = not args.no_vars
    if args.template is not None:
        return MessageSource(
            args.event,
            args.template,
            binary=getattr(args, "saved_binary", False),
            encoding=args.encoding,
            expand=expand,
            where=f"saved message {args.saved!r}",
            token=token,
        )
    found = read_text_payload(args)
    if found is None:
        raw = read_payload()  # --binary @FILE
    else:
        text, where = found
        if expand and has_placeholders(text):
            return MessageSource(args.event, text, expand=True, where=where, token=token)
        raw = _parsed(text, where)
    return MessageSource(args.event, "", expand=expand, where="--event", token=token, raw=raw)
