"""Copy as CLI command / curl: the real flags, the key never inline, payloads piped when needed.

The commands are run for real against the local server in tests/ui/test_payloads_live.py;
these tests check their text.
"""

from __future__ import annotations

import argparse
import base64
import shlex

from inspector.commands import send, send_saved
from inspector.store.messages.copy_commands import (
    CommandTarget,
    cli_command,
    curl_command,
    public_url,
    rest_single_url,
)

KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"


def _send_args(command: str) -> argparse.Namespace:
    """Parse a copied CLI command with the real ``send`` argument parser."""
    words = shlex.split(command.replace("\\\n", " ").split("| ")[-1])
    assert words[:2] == ["realtime-inspector", "send"]
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    send.add_parser(sub)
    args = parser.parse_args(words[1:])
    send_saved.apply_saved(args)  # flags not given resolve as the command resolves them
    return args


def test_url_loses_query_fragment_and_user_info() -> None:
    assert public_url(f"https://u:p@abc.supabase.co/?apikey={KEY}#x") == "https://abc.supabase.co/"
    target = CommandTarget(f"http://127.0.0.1:54321?apikey={KEY}", "room 1/2", private=True)
    assert rest_single_url(target, "a b") == (
        "http://127.0.0.1:54321/realtime/v1/api/broadcast/room%201%2F2/events/a%20b?private=true"
    )


def test_cli_command_sends_braces_literally() -> None:
    """A row whose payload or event holds ``{{`` is copied with --no-vars (issue #11)."""
    target = CommandTarget("http://127.0.0.1:54321/", "room-1")
    args = _send_args(cli_command(target, "e{{x", b'{"t": "{{seq}}"}', binary=False))
    assert args.no_vars
    assert args.payload == '{"t":"{{seq}}"}'
    assert not _send_args(cli_command(target, "e", b'{"t": 1}', binary=False)).no_vars


def test_cli_command_uses_the_real_flags() -> None:
    target = CommandTarget(
        f"http://127.0.0.1:54321/?apikey={KEY}", "room-1", ack=True, broadcast_self=True
    )
    text = cli_command(target, "ping", b'{"n": 1, "s": "it\'s"}', binary=False)
    assert KEY not in text
    args = _send_args(text)
    assert (args.url, args.channel, args.event) == ("http://127.0.0.1:54321/", ["room-1"], "ping")
    assert (args.ack, args.self_, args.rest, args.private, args.vsn) == (
        True,
        True,
        False,
        False,
        "2",
    )
    assert args.payload == '{"n":1,"s":"it\'s"}'
    assert args.key is None  # read from $SUPABASE_PUBLISHABLE_KEY by the CLI itself


def test_cli_command_for_rest_v1_tokens_and_odd_names() -> None:
    target = CommandTarget("https://abc.supabase.co", "-odd", vsn="1.0.0", has_token=True)
    text = cli_command(target, "--ev", b"{}", binary=False, rest=True)
    words = shlex.split(text.replace("\\\n", " "))
    assert "--rest" in words
    assert "--ack" not in words
    assert words[words.index("--vsn") + 1] == "1"
    assert '"$SUPABASE_USER_TOKEN"' in text
    args = _send_args(text)
    assert (args.channel, args.event) == (["-odd"], "--ev")


def test_binary_and_long_payloads_are_piped_in() -> None:
    target = CommandTarget("http://127.0.0.1:54321", "r")
    data = bytes(range(256))
    text = cli_command(target, "blob", data, binary=True)
    head, _, tail = text.partition(" | base64 -d | ")
    assert base64.b64decode(shlex.split(head)[2]) == data
    assert _send_args(tail).binary == "@/dev/stdin"
    # A 1.0.0 profile cannot carry bytes on the socket (§2.4): the command uses REST.
    assert "--rest" in cli_command(
        CommandTarget("http://h", "r", vsn="1.0.0"), "b", data, binary=True
    )
    long = b'{"k":"' + b"x" * 20_000 + b'"}'
    piped = cli_command(target, "big", long, binary=False)
    assert piped.startswith("printf '%s' ")
    assert _send_args(piped).payload == "@/dev/stdin"


def test_curl_command_posts_to_the_single_endpoint_with_env_headers() -> None:
    target = CommandTarget(f"http://127.0.0.1:54321?apikey={KEY}", "room-1", private=True)
    text = curl_command(target, "ping", b'{"n": 1}', binary=False)
    assert KEY not in text
    words = shlex.split(text.replace("\\\n", " "))
    assert words[0] == "curl"
    assert (
        "http://127.0.0.1:54321/realtime/v1/api/broadcast/room-1/events/ping?private=true" in words
    )
    assert '"apikey: $SUPABASE_PUBLISHABLE_KEY"' in text
    assert '"Authorization: Bearer $SUPABASE_PUBLISHABLE_KEY"' in text
    assert words[words.index("--data-binary") + 1] == '{"n":1}'
    assert "Content-Type: application/json" in words
    with_token = curl_command(
        CommandTarget("http://h", "r", has_token=True), "e", b"\x01", binary=True
    )
    assert '"Authorization: Bearer $SUPABASE_USER_TOKEN"' in with_token
    assert "Content-Type: application/octet-stream" in with_token
    assert with_token.startswith("printf '%s' AQ== | base64 -d | curl ")
