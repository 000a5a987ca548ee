"""``realtime-inspector serve``: run the local Realtime-compatible server until Ctrl+C / SIGTERM.

Headless: imports asyncio and inspector.server only, never Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspector.protocol.jwt import CLI_DEV_SECRET
from inspector.server import DEFAULT_PORT, RealtimeServer, RulesError, ServerConfig
from inspector.server.demo import DemoTraffic
from inspector.server.exposure import ExposureRefused, display, exposure_warning

#: The environment variable that can hold the JWT secret (never printed).
SECRET_ENV = "REALTIME_INSPECTOR_JWT_SECRET"

HELP = "run a local Supabase Realtime-compatible server (websocket + REST on one port)"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(f"realtime-inspector serve: {text}\n")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help=HELP,
        description=HELP
        + ". Programs written for `supabase start` work unchanged: the default port, secret "
        "and keys are the Supabase CLI's. See docs/server.md.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host with the default (public) JWT secret; anyone on the "
        "network can then mint service_role tokens",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also serve browser pages from this origin (e.g. http://myapp.test:3000; '*' "
        "any, as the real server); loopback origins are always served (repeatable)",
    )
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to bind; 0 picks a free one (default: {DEFAULT_PORT})",
    )
    p.add_argument(
        "--jwt-secret",
        default=None,
        metavar="S",
        help="HS256 secret for every token (default: the Supabase CLI's public dev secret); "
        f"other users can read a command line: prefer --jwt-secret-file or ${SECRET_ENV}",
    )
    p.add_argument(
        "--jwt-secret-file",
        default=None,
        metavar="FILE",
        help="read the JWT secret from FILE (surrounding whitespace ignored)",
    )
    p.add_argument(
        "--rules",
        metavar="FILE",
        help="TOML or JSON rules for private channels (which roles may read/write/presence)",
    )
    p.add_argument(
        "--demo-traffic",
        action="store_true",
        help="publish synthetic chat, cursor, presence and binary traffic on demo-* channels",
    )
    p.add_argument(
        "--publishable-key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept this sb_publishable_… string as the anon role (repeatable)",
    )
    p.add_argument(
        "--secret-key",
        action="append",
        default=[],
        metavar="KEY",
        help="accept this sb_secret_… string as the service_role role (repeatable)",
    )
    p.add_argument(
        "--connect-error-delay-ms",
        type=int,
        default=0,
        metavar="MS",
        help="hold handshake errors back (the real server: 2000; default 0)",
    )
    p.add_argument(
        "--channel-error-delay-ms",
        type=int,
        default=0,
        metavar="MS",
        help="hold join error replies back (the real server: 5000; default 0)",
    )
    p.add_argument("--max-channels", type=int, default=100, help="channels per socket (100)")
    p.add_argument(
        "--max-payload-kb", type=int, default=3000, help="broadcast payload limit in KB (3000)"
    )
    p.add_argument(
        "--max-events-per-second",
        type=int,
        default=None,
        metavar="N",
        help="server-wide events per second limit (default: none)",
    )
    p.add_argument(
        "--max-batch-messages",
        type=int,
        default=10_000,
        metavar="N",
        help="messages per REST batch; more get 429 (10,000; the real server refuses a batch "
        "over the events-per-second limit)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="close sockets that send nothing for this long; 0 disables (60)",
    )
    limits = p.add_argument_group(
        "resource limits",
        "caps that keep one misbehaving client from taking the server's memory or file "
        "descriptors (docs/server.md, Resource limits); MB are 1,000,000 bytes",
    )
    limits.add_argument(
        "--max-connections",
        type=_count,
        default=None,
        metavar="N",
        help="open TCP connections; at the cap the oldest one still waiting for its request is "
        "closed, else the new one gets 503 (default: the fd limit minus a tenth)",
    )
    limits.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close connections that send no complete request for this long; 0 disables (10)",
    )
    limits.add_argument(
        "--max-socket-buffer-mb",
        type=_mb_above_zero,
        default=16.0,
        metavar="MB",
        help="drop a client whose unsent output grows past this (slow consumer) (16)",
    )
    limits.add_argument(
        "--max-total-buffer-mb",
        type=_positive_mb,
        default=128.0,
        metavar="MB",
        help="unsent output of all clients together; over it the slowest is dropped; "
        "0 disables (128)",
    )
    limits.add_argument(
        "--max-presence-mb-per-socket",
        type=_positive_mb,
        default=10.0,
        metavar="MB",
        help="presence metas one client may hold across its channels; 0 disables (10)",
    )
    limits.add_argument(
        "--max-presence-mb",
        type=_positive_mb,
        default=50.0,
        metavar="MB",
        help="presence metas all clients together may hold; 0 disables (50)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="server log level (default: info)",
    )
    p.set_defaults(run=run)
    return p


def _positive_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of MB: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of MB, 0 or more: {text!r}")
    return value


def _mb_above_zero(text: str) -> float:
    value = _positive_mb(text)
    if value * 1_000_000 < 1:
        raise argparse.ArgumentTypeError(f"must be more than 0 MB: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def _mb(value: float) -> int | None:
    """MB (1,000,000 bytes) as bytes; 0 means no cap."""
    return int(value * 1_000_000) or None


class SecretError(Exception):
    """The JWT secret cannot be had as asked (the message never holds the secret)."""


def jwt_secret_from(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str, str]:
    """The JWT secret and where it came from: --jwt-secret, --jwt-secret-file, then
    $REALTIME_INSPECTOR_JWT_SECRET, then the CLI's public default."""
    if args.jwt_secret is not None and args.jwt_secret_file is not None:
        raise SecretError("give --jwt-secret or --jwt-secret-file, not both")
    if args.jwt_secret_file is not None:
        try:
            secret = Path(args.jwt_secret_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise SecretError(
                f"cannot read --jwt-secret-file {args.jwt_secret_file}: {why}"
            ) from None
        if not secret:
            raise SecretError(f"--jwt-secret-file {args.jwt_secret_file} is empty")
        return secret, f"from {args.jwt_secret_file}"
    if args.jwt_secret is not None:
        if not args.jwt_secret:
            raise SecretError("--jwt-secret is empty")
        return args.jwt_secret, "from --jwt-secret"
    if SECRET_ENV in environ:
        secret = environ[SECRET_ENV].strip()
        if not secret:
            raise SecretError(f"{SECRET_ENV} is set but empty")
        return secret, f"from ${SECRET_ENV}"
    return CLI_DEV_SECRET, "the Supabase CLI's public default"


def config_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> ServerConfig:
    secret, _ = jwt_secret_from(args, os.environ if environ is None else environ)
    return ServerConfig(
        host=args.host,
        allow_remote=args.allow_remote,
        allowed_origins=tuple(args.allow_origin),
        port=args.port,
        jwt_secret=secret,
        rules=args.rules,
        publishable_keys=tuple(args.publishable_key),
        secret_keys=tuple(args.secret_key),
        connect_error_delay_ms=args.connect_error_delay_ms,
        channel_error_delay_ms=args.channel_error_delay_ms,
        max_channels_per_socket=args.max_channels,
        max_payload_kb=args.max_payload_kb,
        max_events_per_second=args.max_events_per_second,
        max_batch_messages=args.max_batch_messages,
        idle_timeout_s=args.idle_timeout or None,
        max_connections=args.max_connections,
        header_timeout_s=args.header_timeout or None,
        max_write_buffer_bytes=int(args.max_socket_buffer_mb * 1_000_000),
        max_total_write_buffer_bytes=_mb(args.max_total_buffer_mb),
        max_presence_bytes_per_socket=_mb(args.max_presence_mb_per_socket),
        max_presence_bytes=_mb(args.max_presence_mb),
        event_log_size=0,
    )


def banner(server: RealtimeServer, secret_source: str = "") -> str:
    """What to give clients. The keys are printed on purpose: the user needs them; the secret
    never is (only where it came from)."""
    bound = server.bound_address
    listening = display(bound, server.port or 0) if bound is not None else "?"
    return "\n".join(
        (
            "Realtime Inspector local server is running.",
            f"  Listening on:     {listening}",
            f"  JWT secret:       {secret_source or 'given in-process'} (not shown)",
            f"  Project URL:      {server.url}",
            f"  WebSocket URL:    {server.ws_url}",
            f"  REST broadcast:   {server.rest_url}",
            f"  anon key:         {server.anon_key}",
            f"  service_role key: {server.service_role_key}",
            "Press Ctrl+C to stop.",
        )
    )


async def serve(
    config: ServerConfig, *, demo_traffic: bool = False, secret_source: str = ""
) -> int:
    server = RealtimeServer(config)
    try:
        await server.start()
    except ExposureRefused as exc:
        _err(str(exc))
        return 2
    except OSError as exc:
        _err(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")
        return 1
    bound = server.bound_address
    warning = exposure_warning(bound, server.port or 0, config.jwt_secret) if bound else None
    if warning is not None and not logging.getLogger("inspector.server").isEnabledFor(
        logging.WARNING
    ):  # the server logged it already unless the log level hides warnings
        _err(f"WARNING: {warning}")
    if demo_traffic:  # started once the server listens, stopped before it stops
        demo = DemoTraffic(server)
        demo.start()
        server.on_stop(demo.stop)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / not Unix
            pass
    _out(banner(server, secret_source))
    try:
        await stop.wait()
    finally:
        await server.stop()
        _out("Stopped.")
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        _, secret_source = jwt_secret_from(args, os.environ)
        config = config_from_args(args)
        config.rules = config.load_rules()
    except (RulesError, SecretError) as exc:
        _err(str(exc))
        return 2
    try:
        return asyncio.run(
            serve(config, demo_traffic=args.demo_traffic, secret_source=secret_source)
        )
    except KeyboardInterrupt:  # a second Ctrl+C during shutdown
        return 130
