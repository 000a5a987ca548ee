"""Options and output helpers shared by the ``listen`` and ``send`` subcommands (headless, no Qt).

``--url`` and ``--key`` fall back to ``SUPABASE_URL`` and the first of
``SUPABASE_PUBLISHABLE_KEY``, ``SUPABASE_ANON_KEY``, ``SUPABASE_KEY`` that is set
(:data:`~inspector.client.settings.KEY_ENV_NAMES`); ``--key`` and ``--token`` also accept
``@file``, and ``@-`` for standard input. Exit codes are the same for
both commands: 0 success, 1 connection, auth, join or send failure (also: every channel closed
by the server, stdout closed before every send was made), 2 invalid arguments, settings or
payload, 3 ``--count`` not reached before ``--timeout``, 128 + the signal (130 Ctrl+C, 143
SIGTERM) when a signal cut the work short. Every line on stdout is strict JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from inspector.client import ClientSettings, InspectorError, InvalidSettings, RealtimeClient
from inspector.client.identity import IdentitySession, IdentitySpec
from inspector.client.log_filter import SafeLogFilter
from inspector.client.settings import key_from_env
from inspector.protocol.frames import typed_channel_name
from inspector.protocol.invisible import reveal
from inspector.protocol.redact import may_hold_secret, redact_text, redact_value
from inspector.protocol.serializer import escape_surrogates

from .pipe_writer import STDOUT_LIMIT, PipeWriter

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
#: Ctrl+C (SIGINT); a SIGTERM gives 143 (128 + the signal number).
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "exit codes: 0 success; 1 connection, auth, join or send failure (also every channel closed "
    "by the server, or stdout closed before every send was made); 2 invalid arguments, settings "
    "or payload; 3 --count not reached before --timeout; 130 (Ctrl+C) or 143 (SIGTERM) when a "
    "signal cut the work short. --url defaults to $SUPABASE_URL, --key to the first of "
    "$SUPABASE_PUBLISHABLE_KEY, $SUPABASE_ANON_KEY, $SUPABASE_KEY that is set; --key and "
    "--token accept @file (@- reads standard input)."
)


#: Where ``--email`` reads the password (never from the command line: the process list shows it).
PASSWORD_ENV = "SUPABASE_PASSWORD"


class _Default(str):
    """A default value that can be told from the same value typed (``--vsn 2``)."""

    __slots__ = ()


#: ``--vsn`` when not given: 2, or the saved profile's with ``--profile`` (issue #13 §1).
DEFAULT_VSN = _Default("2")


def given(value: object) -> bool:
    """Whether an option with a :class:`_Default` default was typed."""
    return not isinstance(value, _Default)


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""


def add_connection_options(
    p: argparse.ArgumentParser, *, channel_required: bool = True, channel_options: bool = True
) -> None:
    """The options every client subcommand takes (``send --saved`` may name no channel;
    ``load`` names none: ``channel_options=False`` leaves out --channel, --private, --self)."""
    p.add_argument(
        "--url",
        help="project URL (https://<ref>.supabase.co, http://127.0.0.1:54321) "
        "or a ws(s)://…/realtime/v1 or …/socket URL [$SUPABASE_URL]",
    )
    p.add_argument(
        "--key",
        help="API key (publishable/anon) "
        "[$SUPABASE_PUBLISHABLE_KEY, $SUPABASE_ANON_KEY, $SUPABASE_KEY, first set wins]",
    )
    p.add_argument("--token", metavar="JWT", help="user access token sent in joins (not the key)")
    p.add_argument(
        "--email",
        metavar="EMAIL",
        help=f"sign in as this user with the password in ${PASSWORD_ENV} (the project's Auth, "
        "/auth/v1) and use the user's access token; not with --token",
    )
    p.add_argument(
        "--vsn",
        default=DEFAULT_VSN,
        choices=["1", "2", "1.0.0", "2.0.0"],
        help="protocol version: 2 (default, like realtime-js) or 1 (like realtime-py)",
    )
    if not channel_options:
        return
    p.add_argument(
        "--channel",
        action="append",
        required=channel_required,
        type=name_arg("a channel name"),
        metavar="NAME",
        help="channel name; a leading 'realtime:' is the topic prefix and is removed, with a "
        "note on stderr (repeatable for listen)",
    )
    p.add_argument("--private", action="store_true", help="join private channels (RLS, §9.3)")
    p.add_argument(
        "--self",
        dest="self_",
        action="store_true",
        help="config.broadcast.self: receive our own broadcasts",
    )


def channel_names(names: list[str], out: Output) -> list[str]:
    """``--channel`` values with a typed ``realtime:`` prefix removed, each removal noted on
    stderr (issue #10 item 13); UsageError when only the prefix is left."""
    result = []
    for typed in names:
        name, note = typed_channel_name(typed)
        if not name:
            raise UsageError(f"--channel {typed!r} has no channel name after the prefix")
        if note:
            out.note(note)
        result.append(name)
    return result


def read_stdin_text(what: str) -> str:
    """All of standard input as text (``@-``); UsageError when it cannot be read as UTF-8."""
    try:
        return sys.stdin.buffer.read().decode("utf-8")
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(f"cannot read the {what} from standard input: {exc}") from exc


def _secret(value: str | None, what: str) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    if value == "@-":
        text = read_stdin_text(what).strip()
        where = "standard input"
    else:
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
        where = f"the {what} file {path}"
    if not text:  # an empty one must not fall back to the environment's without a word (QA)
        raise UsageError(f"the {what} from {where} is empty")
    return text


def check_one_stdin_reader(args: argparse.Namespace) -> None:
    """UsageError when two flags want standard input (``--key @-`` and ``--payload @-`` or
    ``--stdin``): the first would take all of it and the second would see nothing."""
    readers = [
        f"{flag} @-"
        for flag, name in (("--key", "key"), ("--token", "token"), ("--payload", "payload"))
        if getattr(args, name, None) == "@-"
    ]
    if getattr(args, "stdin", False) is True:
        readers.append("--stdin")
    if len(readers) > 1:
        raise UsageError(
            f"only one of {', '.join(readers)} can read standard input; "
            "give the others as @file or in the environment"
        )


def settings_from(args: argparse.Namespace, **extra: Any) -> ClientSettings:
    """Client settings from flags and the environment (flag > environment); UsageError if bad."""
    check_one_stdin_reader(args)
    url = args.url or os.environ.get("SUPABASE_URL")
    key = _secret(args.key, "key") or key_from_env(os.environ)
    if not url:
        raise UsageError("no URL: pass --url or set SUPABASE_URL")
    if not key:
        raise UsageError(
            "no API key: pass --key or set SUPABASE_PUBLISHABLE_KEY (or SUPABASE_ANON_KEY, "
            "SUPABASE_KEY)"
        )
    try:
        return ClientSettings(
            url, key, vsn=args.vsn, access_token=_secret(args.token, "token"), **extra
        )
    except InvalidSettings as exc:
        raise UsageError(exc.message) from exc


async def signed_in(
    args: argparse.Namespace, settings: ClientSettings
) -> tuple[ClientSettings, IdentitySession | None]:
    """With ``--email``: sign in (password from ``$SUPABASE_PASSWORD``) and return the settings
    with the user's access token, and the identity's session (for refreshing); else the
    settings as they are. UsageError for a missing password or an URL without Auth;
    ``SignInFailed`` (exit 1) with the server's reason when Auth refuses."""
    email = getattr(args, "email", None)
    if not email:
        return settings, None
    if settings.access_token:
        raise UsageError("--email and --token both give the user's token: pass one of them")
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise UsageError(f"--email needs the user's password in ${PASSWORD_ENV}")
    if settings.endpoints().auth_base is None:
        raise UsageError(
            "--email needs a project URL (Auth lives at /auth/v1 beside /realtime/v1), "
            "not a Realtime server's /socket URL"
        )
    try:
        session = IdentitySession(IdentitySpec(email, email=email, password=password))
    except InvalidSettings as exc:
        raise UsageError(exc.message) from exc
    return await session.start(settings), session


async def keep_token_fresh(client: RealtimeClient, session: IdentitySession, out: Output) -> None:
    """Refresh the identity's token before it expires (a fifth of its lifetime, at most a
    minute, early; :meth:`IdentitySession.keep_fresh`) and push each new access token to every
    joined channel (§4.4, as realtime-js does after supabase-js refreshes); a failed refresh
    is a note and is tried again."""

    async def push(token: str) -> None:
        out.hide(token)
        await client.set_access_token(token)
        expires = session.expires_at
        if expires is None:
            out.note("access token refreshed")
            return
        when = dt.datetime.fromtimestamp(expires, dt.UTC).strftime("%H:%M:%S UTC")
        out.note(f"access token refreshed; it expires at {when}")

    def failed(exc: InspectorError, retry_in: float) -> None:
        out.note(
            f"the access token could not be refreshed: {exc.message}; retrying in {retry_in:g} s"
        )

    unsubscribe = (session.on_token(push), session.on_error(failed))
    try:
        await session.keep_fresh()
    finally:
        for undo in unsubscribe:
            undo()
        await session.close()


def _strict(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _printable(value: Any) -> Any:
    """``value`` if strict JSON can carry it, else a marker saying why it cannot."""
    try:
        _strict(value)
        return value
    except (ValueError, RecursionError):  # NaN or an infinity somewhere, or too deep
        pass
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (ValueError, RecursionError):
        text = "(nested too deeply to print)"
    return {"$invalid_json": text}


def dump(obj: Any) -> str:
    """One compact line of strict JSON (RFC 8259) that encodes to UTF-8; never raises.

    Unknown values become strings; lone surrogates stay ``\\udXXX`` escapes, and so do control,
    bidi and zero-width characters (:func:`~inspector.protocol.invisible.reveal`); a top-level
    value with NaN or an infinity (which JSON cannot carry) becomes ``{"$invalid_json": text}``.
    """
    try:
        text = _strict(obj)
    except (ValueError, RecursionError):
        if isinstance(obj, dict):
            text = _strict({k: _printable(v) for k, v in obj.items()})
        else:
            text = _strict(_printable(obj))
    # JSON escapes C0 controls itself; DEL, C1 controls (0x9b is a CSI on some terminals), bidi
    # and zero-width characters are written as \uXXXX too (the same string to a JSON reader),
    # so a peer cannot drive or mislead the terminal a line is printed on (issue #10 item 1).
    return reveal(escape_surrogates(text), multiline=False)


class Output:
    """Line-oriented stdout, flushed in batches; error lines to stderr with the command name.

    Secrets are redacted in every line without touching its JSON structure: the session's own
    key and token (:meth:`hide`) always, and with ``redact`` (the default) whatever
    :func:`inspector.protocol.redact.redact_value` recognises. When the reader of stdout goes away
    (``listen | head -1``), ``closed`` turns true, ``on_closed`` is called once, and every
    later line is dropped quietly.

    Inside the event loop, stdout is written by a :class:`~.pipe_writer.PipeWriter` thread, so
    a reader that stops reading never blocks the loop (signals and ``--timeout`` keep working,
    issue #10 item 8). Past :data:`~.pipe_writer.STDOUT_LIMIT` unwritten bytes, lines are
    dropped and counted: stderr says so once, and a ``stdout_overflow`` line with the count
    goes out when the reader catches up. :meth:`drain` at the end waits while the reader
    makes progress.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self._lines: list[str] = []
        self._secrets: tuple[str, ...] = ()
        #: Redact secret-shaped values in lines (``--show-secrets`` turns it off).
        self.redact = True
        #: True once stdout is a closed pipe.
        self.closed = False
        #: Called once when stdout turns out to be a closed pipe.
        self.on_closed: Callable[[], None] | None = None
        #: Lines dropped because stdout was not read (not yet reported on stdout).
        self.dropped = 0
        #: Lines dropped in all.
        self.dropped_total = 0
        self._writer: PipeWriter | None = None
        self._no_writer = False

    def hide(self, *secrets: str | None) -> None:
        """Never print these exact strings (the session's key and tokens); adds to those
        given before (a signed-in session's tokens come later, one per refresh)."""
        self._secrets = tuple(dict.fromkeys((*self._secrets, *(s for s in secrets if s))))

    def line(self, obj: Any) -> None:
        if self.closed:
            return
        text = dump(obj)
        if may_hold_secret(text, self._secrets, patterns=self.redact):
            try:
                text = dump(redact_value(obj, self._secrets, patterns=self.redact))
            except RecursionError:
                text = dump({"$redacted": "nested too deeply to check for secrets"})
        self._lines.append(text)

    @property
    def buffered(self) -> int:
        """Lines waiting for :meth:`flush`."""
        return len(self._lines)

    def table(self, title: str, text: str) -> None:
        """A block for people on stderr (a summary table): a title line with the command
        name, then ``text`` as it is, each line escaped like any other stderr line."""
        self.flush()
        if self._writer is not None:
            self._writer.wait_idle(0.2)
        self._stderr(f"{title}:")
        try:
            for row in text.splitlines():
                sys.stderr.write("  " + reveal(redact_text(row), multiline=False) + "\n")
            sys.stderr.flush()
        except BrokenPipeError:
            _to_devnull(sys.stderr)

    def flush(self) -> None:
        if self.closed:
            return
        writer = self._writer or self._start_writer()
        if writer is None:
            self._flush_blocking()
            return
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        data = ("\n".join(lines) + "\n").encode()
        if writer.pending + len(data) > STDOUT_LIMIT:
            if not self.dropped_total:
                self._stderr(
                    "note: stdout is not being read: lines are dropped while more than "
                    f"{STDOUT_LIMIT // 2**20} MiB wait to be written (a stdout_overflow line "
                    "gives the count when the reader catches up)"
                )
            self.dropped += len(lines)
            self.dropped_total += len(lines)
            return
        if self.dropped:
            data = (dump(self._overflow_line(self.dropped)) + "\n").encode() + data
            self.dropped = 0
        writer.write(data)

    def _overflow_line(self, count: int) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {
            "time": now,
            "channel": None,
            "event": "stdout_overflow",
            "payload": {"dropped": count, "reason": "stdout was not read fast enough"},
            "meta": None,
            "kind": "error",
        }

    def _start_writer(self) -> PipeWriter | None:
        """The writer thread, started inside the running loop on a real stdout, else None."""
        if self._no_writer:
            return None
        try:
            loop = asyncio.get_running_loop()
            sys.stdout.flush()
            fd = sys.stdout.fileno()
        except (RuntimeError, OSError, ValueError, AttributeError):
            return None  # no loop (before or after the command), or stdout is not a file
        self._writer = PipeWriter(fd, loop, self._stdout_closed)
        return self._writer

    def _flush_blocking(self) -> None:
        try:
            if self._lines:
                sys.stdout.write("\n".join(self._lines) + "\n")
                self._lines.clear()
            sys.stdout.flush()
        except BrokenPipeError:
            self._stdout_closed()

    async def drain(self, stall: float | None = None) -> None:
        """Write what is left while the reader takes it; stop, saying so, once it took nothing
        for ``stall`` seconds (default :data:`~.pipe_writer.STALL_SECONDS`: a reader that is
        not reading)."""
        self.flush()
        writer = self._writer
        if writer is None or self.closed:
            return
        if self.dropped:  # the overflow count goes out even when no more lines come
            writer.write((dump(self._overflow_line(self.dropped)) + "\n").encode())
            self.dropped = 0
        if not await writer.drain(stall):
            self._no_writer = True  # later lines (and Python's exit) must not wait either
            self._writer = None
            self.closed = True
            self._stderr(
                f"stdout is not being read: {writer.pending} bytes of output were not written"
                + (f", {self.dropped_total} lines dropped" if self.dropped_total else "")
            )
        elif self.dropped_total:
            self._stderr(f"{self.dropped_total} lines were dropped: stdout was not read in time")

    def _stdout_closed(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._lines.clear()
        _to_devnull(sys.stdout)
        if self.on_closed is not None:
            self.on_closed()

    def note(self, text: str) -> None:
        """A line for people on stderr that is not an error."""
        self.error(f"note: {text}")

    def error(self, text: str) -> None:
        self.flush()
        if self._writer is not None:  # stdout lines first, but never wait long for a reader
            self._writer.wait_idle(0.2)
        self._stderr(text)

    def _stderr(self, text: str) -> None:
        try:
            line = reveal(redact_text(text), multiline=False)  # peer text: one line, escaped
            sys.stderr.write(f"realtime-inspector {self.command}: {line}\n")
            sys.stderr.flush()
        except BrokenPipeError:
            _to_devnull(sys.stderr)


def _to_devnull(stream: Any) -> None:
    """Point a stream whose pipe closed at /dev/null, so that what is still buffered (and
    Python's own flush at exit) goes nowhere instead of raising BrokenPipeError again."""
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class Stop:
    """Why a command should stop early: Ctrl+C / SIGTERM (``signal``) or a closed stdout."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        #: The signal number that asked to stop, or None.
        self.signal: int | None = None

    def is_set(self) -> bool:
        return self.event.is_set()

    async def wait(self) -> None:
        await self.event.wait()

    def set(self, signum: int | None = None) -> None:
        if signum is not None and self.signal is None:
            self.signal = signum
        self.event.set()

    def exit_code(self) -> int:
        """128 + the signal number, the shell's convention (130 for Ctrl+C, 143 for SIGTERM)."""
        return 128 + (self.signal or signal.SIGINT)


async def unless_stopped(work: Coroutine[Any, Any, None], stop: Stop) -> bool:
    """Run ``work``; True when it finished, False when ``stop`` came first (it is cancelled).

    Exceptions of ``work`` propagate. Lets Ctrl+C end a connect that hangs (a server that
    accepts TCP and never answers the handshake).
    """
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopper), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return False
    task.result()
    return True


@contextlib.contextmanager
def stop_on_signals(stop: Stop) -> Iterator[None]:
    """Stop on Ctrl+C / SIGTERM while inside (where the loop supports it)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set, int(sig))
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _log_to_stderr(command: str, debug: bool = False) -> None:
    """Warnings and errors that the client logs (everything with ``--debug``) go to stderr
    like the command's own lines: redacted, with hidden characters escaped (they may quote a
    peer), instead of Python's unfiltered last-resort handler. Once per process; the log file
    (:mod:`inspector.client.logfile`, set up by ``cli.main``) is not a stderr handler."""
    root = logging.getLogger()
    if any(type(h) is logging.StreamHandler for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    handler.setFormatter(
        logging.Formatter(f"realtime-inspector {command}: %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(SafeLogFilter())
    root.addHandler(handler)
    if debug:
        root.setLevel(logging.DEBUG)


def run_main(
    command: str, main: Callable[[argparse.Namespace, Output], Any], args: argparse.Namespace
) -> int:
    """Run an async command body; usage errors exit 2, Ctrl+C before the loop exits 130."""
    out = Output(command)
    _log_to_stderr(command, bool(getattr(args, "debug", False)))

    async def body() -> int:
        try:
            return int(await main(args, out))
        finally:
            await out.drain()

    try:
        return int(asyncio.run(body()))
    except UsageError as exc:
        out.error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        out.flush()
        return EXIT_INTERRUPTED


# ------------------------------------------------------------------ argument types (exit 2)


def count_arg(text: str) -> int:
    """``--count``: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seconds_arg(text: str) -> float:
    """``--timeout``: a finite number of seconds above 0."""
    return _positive(text, "seconds")


def rate_arg(text: str) -> float:
    """``--rate``: a finite number of sends per second above 0."""
    return _positive(text, "sends per second")


def _positive(text: str, unit: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of {unit}, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of {unit} above 0, got {text!r}")
    return value


def name_arg(what: str) -> Callable[[str], str]:
    """A non-empty name (``--channel``, ``send --event``)."""

    def check(text: str) -> str:
        if not text:
            raise argparse.ArgumentTypeError(f"{what} cannot be empty")
        return text

    check.__name__ = what  # argparse names the type in some messages
    return check
