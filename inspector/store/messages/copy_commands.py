""" "Copy as CLI command" and "Copy as curl": a row turned into a command that sends it again.

The CLI command uses the real flags of ``realtime-inspector send`` (inspector/commands/send.py)
and the curl command posts to the REST single endpoint ``/api/broadcast/<topic>/events/<event>``
(docs/realtime-protocol.md §6.2), JSON or ``application/octet-stream``.

Secrets never appear in the text: the key is read from ``$SUPABASE_PUBLISHABLE_KEY`` (the CLI
does it by itself, curl gets it in double-quoted headers), a user token from ``$SUPABASE_USER_TOKEN``,
the URL loses any query (``?apikey=…``), fragment and user:password part, and the payload, the
event and the channel are redacted like exports (:mod:`inspector.protocol.redact`: a payload that
carried a token is sent again with ``[redacted]`` in its place). Payloads too long
for a command line, and all binary payloads, are piped in with ``printf`` (a shell builtin, so
no argument-length limit) and ``base64 -d``. The commands are for bash/zsh/sh.
"""

from __future__ import annotations

import base64
import json
import shlex
import urllib.parse
from dataclasses import dataclass
from typing import Final

from inspector.protocol.client_url import endpoints
from inspector.protocol.redact import redact_bytes, redact_text, redact_value

#: The program name of the CLI (the console script).
PROGRAM: Final = "realtime-inspector"
#: Where the commands read the API key (the CLI's own default, commands/client_args.py).
KEY_ENV: Final = "SUPABASE_PUBLISHABLE_KEY"
#: Where the commands read a user access token, when the profile has one.
#: Not ``SUPABASE_ACCESS_TOKEN``: that is the Supabase CLI's personal access token.
TOKEN_ENV: Final = "SUPABASE_USER_TOKEN"
#: Payloads longer than this (characters) are piped in instead of inlined.
INLINE_LIMIT: Final = 8 * 1024
#: Wrap commands longer than this onto continuation lines.
WRAP_WIDTH: Final = 100


@dataclass(frozen=True, slots=True)
class CommandTarget:
    """Where a command sends: the profile's URL and protocol, the tab's channel and options."""

    url: str
    channel: str
    vsn: str = "2.0.0"
    private: bool = False
    ack: bool = False
    broadcast_self: bool = False
    #: whether the profile has a user access token (then ``$SUPABASE_USER_TOKEN`` is used).
    has_token: bool = False


def public_url(url: str) -> str:
    """The URL without query, fragment or user info: nothing secret can ride along."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def rest_single_url(target: CommandTarget, event: str) -> str:
    """``<base>/api/broadcast/<channel>/events/<event>[?private=true]`` (§6.2)."""
    base = endpoints(public_url(target.url), "key-not-used", target.vsn).rest_base
    quote = urllib.parse.quote
    channel, event = redact_text(target.channel), redact_text(event)
    url = f"{base}/broadcast/{quote(channel, safe='')}/events/{quote(event, safe='')}"
    return url + "?private=true" if target.private else url


def _compact_json(payload: bytes) -> str:
    """The payload text, compacted when it is JSON (what the composer sends, §2.2), with
    secrets redacted."""
    text = payload.decode("utf-8", "replace")
    try:
        value = redact_value(json.loads(text))
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, RecursionError):
        return redact_text(text)


def _b64(payload: bytes) -> str:
    return base64.b64encode(redact_bytes(payload)).decode("ascii")


def _opt(flag: str, value: str) -> list[str]:
    """``[flag, quoted value]``; ``flag=value`` when the value starts with ``-`` (argparse)."""
    if value.startswith("-"):
        return [f"{flag}={shlex.quote(value)}"]
    return [flag, shlex.quote(value)]


def _pipe(payload: bytes, *, binary: bool, text: str) -> str:
    """``printf '%s' '…' | `` (plus ``base64 -d | `` for bytes) feeding the command's stdin."""
    if binary:
        return f"printf '%s' {_b64(payload)} | base64 -d | "
    return f"printf '%s' {shlex.quote(text)} | "


def cli_command(
    target: CommandTarget, event: str, payload: bytes, *, binary: bool, rest: bool = False
) -> str:
    """``realtime-inspector send …`` that sends this payload again (key from the environment).

    Binary needs protocol 2.0.0 over the websocket (§2.4); on a 1.0.0 profile a binary
    payload goes over REST instead.
    """
    q = shlex.quote
    v1 = target.vsn.startswith("1")
    if binary and v1:
        rest = True
    words = [PROGRAM, "send", "--url", q(public_url(target.url))]
    if v1:
        words += ["--vsn", "1"]
    if target.has_token:
        words += ["--token", f'"${TOKEN_ENV}"']
    words += _opt("--channel", redact_text(target.channel)) + _opt("--event", redact_text(event))
    if target.private:
        words.append("--private")
    if rest:
        words.append("--rest")
    else:
        if target.ack:
            words.append("--ack")
        if target.broadcast_self:
            words.append("--self")
    prefix = ""
    if binary:
        if "{{" in event:
            words.append("--no-vars")  # send expands {{…}} (issue #11): this row is literal
        prefix = _pipe(payload, binary=True, text="")
        words += ["--binary", "@/dev/stdin"]
    else:
        text = _compact_json(payload)
        if "{{" in event or "{{" in text:
            words.append("--no-vars")  # send expands {{…}} (issue #11): this row is literal
        if len(text) > INLINE_LIMIT or "\n" in text:
            prefix = _pipe(payload, binary=False, text=text)
            words += ["--payload", "@/dev/stdin"]
        else:
            words += _opt("--payload", text)
    return _join(words, prefix)


def curl_command(target: CommandTarget, event: str, payload: bytes, *, binary: bool) -> str:
    """``curl`` to the REST single endpoint; prints ``HTTP <status>`` (202 means accepted)."""
    q = shlex.quote
    bearer = TOKEN_ENV if target.has_token else KEY_ENV
    ctype = "application/octet-stream" if binary else "application/json"
    words = [
        "curl",
        "-sS",
        "-w",
        q("HTTP %{http_code}\\n"),
        "-X",
        "POST",
        q(rest_single_url(target, event)),
        "-H",
        f'"apikey: ${KEY_ENV}"',
        "-H",
        f'"Authorization: Bearer ${bearer}"',
        "-H",
        q(f"Content-Type: {ctype}"),
    ]
    prefix = ""
    if binary:
        prefix = _pipe(payload, binary=True, text="")
        words += ["--data-binary", "@-"]
    else:
        text = _compact_json(payload)
        if len(text) > INLINE_LIMIT:
            prefix = _pipe(payload, binary=False, text=text)
            words += ["--data-binary", "@-"]
        else:
            words += ["--data-binary", q(text)]
    return _join(words, prefix)


def _join(words: list[str], prefix: str) -> str:
    """Quoted words on one line, or wrapped with ``\\`` so an option and its value share a
    line."""
    groups: list[str] = [words[0]]
    i = 1
    while i < len(words):
        word = words[i]
        if word.startswith("-") and i + 1 < len(words) and not words[i + 1].startswith("-"):
            groups.append(f"{word} {words[i + 1]}")
            i += 2
        else:
            groups.append(word)
            i += 1
    line = prefix + " ".join(groups)
    if len(line) <= WRAP_WIDTH:
        return line
    return " \\\n  ".join([prefix + groups[0] + " " + groups[1], *groups[2:]])
