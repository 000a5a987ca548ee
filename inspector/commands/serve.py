"""``realtime-inspector serve``: run the local Realtime-compatible server until Ctrl+C / SIGTERM.

Headless: imports asyncio and inspector.server only, never Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shlex
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspector.client import logfile
from inspector.client.log_filter import SafeLogFilter
from inspector.protocol.jwt import CLI_DEV_SECRET
from inspector.server import DEFAULT_PORT, RealtimeServer, RulesError, ServerConfig
from inspector.server.demo import DemoTraffic
from inspector.server.exposure import ExposureRefused, display, exposure_warning
from inspector.server.signing import ASYMMETRIC, SigningKey, SigningKeyError
from inspector.server.users import UsersError

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
    auth = p.add_argument_group(
        "sign-in and signing keys",
        "Supabase Auth's password sign-in, refresh and user endpoints for a users file, and "
        "asymmetric JWTs with a JWKS (docs/server.md, Sign-in and Signing keys)",
    )
    auth.add_argument(
        "--users",
        metavar="FILE",
        help="YAML or JSON users (email, password, role, metadata) who can sign in at "
        "/auth/v1/token with supabase.auth.signInWithPassword",
    )
    auth.add_argument(
        "--signing-key",
        choices=[*ASYMMETRIC, "HS256"],
        default=None,
        help="sign the printed keys and issued tokens with a new ES256 or RS256 key pair "
        "(kid in the header, public key at /auth/v1/.well-known/jwks.json) instead of the "
        "HS256 secret; HS256 tokens of the secret keep working",
    )
    auth.add_argument(
        "--signing-key-file",
        metavar="FILE",
        help='use this private key (PEM, or a JWK with "d") instead of generating one; its '
        "type gives the algorithm",
    )
    auth.add_argument(
        "--jwt-expiry",
        type=_count,
        default=3600,
        metavar="SECONDS",
        help="lifetime of access tokens issued at sign-in and refresh (3600)",
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
        "--print",
        dest="print_format",
        choices=["env", "json"],
        help="print the URLs and keys for programs once the server listens, on stdout (the "
        "banner goes to stderr): env = NAME=value lines (SUPABASE_URL, SUPABASE_ANON_KEY, ...) "
        "for eval or a .env file; json = one JSON object",
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
        users=args.users,
        signing_key=args.signing_key,
        jwt_expiry_s=args.jwt_expiry,
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


def load_signing_key(args: argparse.Namespace) -> SigningKey | str | None:
    """--signing-key-file read (its type must agree with --signing-key when both are given),
    else the algorithm to generate (None: HS256 with the secret)."""
    if args.signing_key_file is None:
        return args.signing_key
    if args.signing_key == "HS256":
        raise SigningKeyError(
            "--signing-key-file holds an asymmetric key; drop --signing-key HS256"
        )
    return SigningKey.from_file(args.signing_key_file, args.signing_key)


def banner(server: RealtimeServer, secret_source: str = "") -> str:
    """What to give clients. The keys are printed on purpose: the user needs them; the secret
    and private keys never are (only where they came from)."""
    bound = server.bound_address
    listening = display(bound, server.port or 0) if bound is not None else "?"
    lines = [
        "Realtime Inspector local server is running.",
        f"  Listening on:     {listening}",
        f"  JWT secret:       {secret_source or 'given in-process'} (not shown)",
    ]
    key = server.signing_key
    if key.asymmetric:
        lines.append(f"  Signing key:      {key.alg}, kid {key.kid}, {key.source}")
        lines.append(f"  JWKS:             {server.url}/auth/v1/.well-known/jwks.json")
    lines += [
        f"  Project URL:      {server.url}",
        f"  WebSocket URL:    {server.ws_url}",
        f"  REST broadcast:   {server.rest_url}",
    ]
    if server.users is not None:
        count = len(server.users)
        lines.append(
            f"  Auth (sign-in):   {server.url}/auth/v1 ({count} user{'s' if count != 1 else ''} "
            f"from {server.users.source})"
        )
    lines += [
        f"  anon key:         {server.anon_key}",
        f"  service_role key: {server.service_role_key}",
        "Press Ctrl+C to stop.",
    ]
    return "\n".join(lines)


def connection_info(server: RealtimeServer) -> dict[str, Any]:
    """What ``--print json`` prints: the URLs and the keys clients need (never the JWT secret
    or a private signing key)."""
    config = server.config
    info: dict[str, Any] = {
        "url": server.url,
        "websocket_url": server.ws_url,
        "rest_url": server.rest_url,
        "anon_key": server.anon_key,
        "service_role_key": server.service_role_key,
        "publishable_keys": list(config.publishable_keys),
        "secret_keys": list(config.secret_keys),
    }
    if server.signing_key.asymmetric:
        info["jwks_url"] = f"{server.url}/auth/v1/.well-known/jwks.json"
    return info


def env_lines(server: RealtimeServer) -> str:
    """What ``--print env`` prints: ``NAME=value`` lines for ``eval``, ``source`` or a
    ``.env`` file, named as the CLI and the Supabase client libraries read them."""
    info = connection_info(server)
    pairs = [
        ("SUPABASE_URL", info["url"]),
        ("SUPABASE_REALTIME_URL", info["websocket_url"]),
        ("SUPABASE_ANON_KEY", info["anon_key"]),
        ("SUPABASE_SERVICE_ROLE_KEY", info["service_role_key"]),
    ]
    if info["publishable_keys"]:
        pairs.append(("SUPABASE_PUBLISHABLE_KEY", info["publishable_keys"][0]))
    if info["secret_keys"]:
        pairs.append(("SUPABASE_SECRET_KEY", info["secret_keys"][0]))
    return "\n".join(f"{name}={shlex.quote(value)}" for name, value in pairs)


async def serve(
    config: ServerConfig,
    *,
    demo_traffic: bool = False,
    secret_source: str = "",
    print_format: str | None = None,
    stderr_level: int | None = None,
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
    shown = (
        stderr_level <= logging.WARNING
        if stderr_level is not None
        else logging.getLogger("inspector.server").isEnabledFor(logging.WARNING)
    )
    if warning is not None and not shown:  # the server logged it already unless the level hides it
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
    if print_format is None:
        _out(banner(server, secret_source))
    else:  # stdout is for programs: the banner goes to stderr for the people
        _out(
            env_lines(server)
            if print_format == "env"
            else json.dumps(connection_info(server), separators=(",", ":"))
        )
        sys.stderr.write(banner(server, secret_source) + "\n")
        sys.stderr.flush()
    try:
        await stop.wait()
    finally:
        await server.stop()
        (_out if print_format is None else _err)("Stopped.")
    return 0


def _log_to_stderr(level: int) -> None:
    """The server's log lines on stderr at ``level`` (``--log-level``, ``--debug``), redacted
    and escaped like every log line; the log file (set up by ``cli.main``) follows the level
    down, never up."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SafeLogFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    file_handler = logfile.installed()
    if file_handler is None:
        root.setLevel(level)
        return
    root.setLevel(min(level, logging.INFO))  # the file keeps INFO even when stderr is quieter
    if file_handler.level > level:
        file_handler.setLevel(level)


def run(args: argparse.Namespace) -> int:
    level = (
        logging.DEBUG if getattr(args, "debug", False) else getattr(logging, args.log_level.upper())
    )
    _log_to_stderr(level)
    try:
        _, secret_source = jwt_secret_from(args, os.environ)
        config = config_from_args(args)
        config.rules = config.load_rules()
        config.signing_key = load_signing_key(args)
        config.signing_key = config.load_signing_key()
        config.users = config.load_users()
    except (RulesError, SecretError, SigningKeyError, UsersError) as exc:
        _err(str(exc))
        return 2
    try:
        return asyncio.run(
            serve(
                config,
                demo_traffic=args.demo_traffic,
                secret_source=secret_source,
                print_format=args.print_format,
                stderr_level=level,
            )
        )
    except KeyboardInterrupt:  # a second Ctrl+C during shutdown
        return 130
