"""Options and output helpers shared by the ``listen`` and ``send`` subcommands (headless, no Qt).

``--url`` and ``--key`` fall back to ``SUPABASE_URL`` and ``SUPABASE_ANON_KEY`` /
``SUPABASE_KEY``; ``--key`` and ``--token`` also accept ``@file``. Exit codes are the same for
both commands: 0 success, 1 connection, auth, join or send failure, 2 invalid arguments,
settings or payload, 3 ``--count`` not reached before ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from inspector.client import ClientSettings, InvalidSettings, redact_text

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3

EXIT_CODES_HELP = (
    "exit codes: 0 success; 1 connection, auth, join or send failure; 2 invalid arguments, "
    "settings or payload; 3 --count not reached before --timeout. --url and --key default to "
    "$SUPABASE_URL and $SUPABASE_ANON_KEY (or $SUPABASE_KEY); --key and --token accept @file."
)


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""


def add_connection_options(p: argparse.ArgumentParser) -> None:
    """The options every client subcommand takes."""
    p.add_argument(
        "--url",
        help="project URL (https://<ref>.supabase.co, http://127.0.0.1:54321) "
        "or a ws(s)://…/realtime/v1 or …/socket URL [$SUPABASE_URL]",
    )
    p.add_argument("--key", help="API key (anon/publishable) [$SUPABASE_ANON_KEY, $SUPABASE_KEY]")
    p.add_argument("--token", metavar="JWT", help="user access token sent in joins (not the key)")
    p.add_argument(
        "--vsn",
        default="2",
        choices=["1", "2", "1.0.0", "2.0.0"],
        help="protocol version: 2 (default, like realtime-js) or 1 (like realtime-py)",
    )
    p.add_argument(
        "--channel",
        action="append",
        required=True,
        metavar="NAME",
        help="channel name without 'realtime:' (repeatable for listen)",
    )
    p.add_argument("--private", action="store_true", help="join private channels (RLS, §9.3)")
    p.add_argument(
        "--self",
        dest="self_",
        action="store_true",
        help="config.broadcast.self: receive our own broadcasts",
    )


def _secret(value: str | None, what: str) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc


def settings_from(args: argparse.Namespace, **extra: Any) -> ClientSettings:
    """Client settings from flags and the environment (flag > environment); UsageError if bad."""
    url = args.url or os.environ.get("SUPABASE_URL")
    key = (
        _secret(args.key, "key")
        or os.environ.get("SUPABASE_ANON_KEY")
        or os.environ.get("SUPABASE_KEY")
    )
    if not url:
        raise UsageError("no URL: pass --url or set SUPABASE_URL")
    if not key:
        raise UsageError("no API key: pass --key or set SUPABASE_ANON_KEY (or SUPABASE_KEY)")
    try:
        return ClientSettings(
            url, key, vsn=args.vsn, access_token=_secret(args.token, "token"), **extra
        )
    except InvalidSettings as exc:
        raise UsageError(exc.message) from exc


def dump(obj: Any) -> str:
    """One compact JSON line; never raises (unknown values become strings)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


class Output:
    """Line-oriented stdout, flushed in batches; error lines to stderr with the command name."""

    def __init__(self, command: str) -> None:
        self.command = command
        self._lines: list[str] = []

    def line(self, obj: Any) -> None:
        self._lines.append(redact_text(dump(obj)))

    def flush(self) -> None:
        if self._lines:
            sys.stdout.write("\n".join(self._lines) + "\n")
            self._lines.clear()
        sys.stdout.flush()

    def error(self, text: str) -> None:
        self.flush()
        sys.stderr.write(f"realtime-inspector {self.command}: {redact_text(text)}\n")
        sys.stderr.flush()


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on Ctrl+C / SIGTERM while inside (where the loop supports it)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run_main(
    command: str, main: Callable[[argparse.Namespace, Output], Any], args: argparse.Namespace
) -> int:
    """Run an async command body; usage errors exit 2, Ctrl+C before the loop exits 0."""
    out = Output(command)
    try:
        return int(asyncio.run(main(args, out)))
    except UsageError as exc:
        out.error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        out.flush()
        return EXIT_OK
