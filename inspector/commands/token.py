"""``realtime-inspector token mint``: a user token for a project whose JWT secret you hold.

For local (``supabase start``), self-hosted and ``realtime-inspector serve`` projects: the HS256
secret is read from an environment variable named by ``--secret-env`` (never from the command
line, where other users of the machine see it in the process list), and the token is printed on
stdout, on purpose: printing it is what the command is for. With ``--json`` the line is a JSON
object with the token and its claims. Claims follow Supabase Auth's access tokens: ``sub``,
``role``, ``aud`` (``authenticated``), ``iat``, ``exp``, ``email``, ``aal``, ``session_id``,
``is_anonymous``; ``--claim k=v`` adds or replaces any (a JSON value, or text).

Exit codes: 0 printed, 2 bad arguments (an unset secret variable, a bad duration or claim).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from typing import Any, Final

from inspector.client.identity import mint_claims
from inspector.protocol import jwt

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
#: Claims the command computes; ``--claim`` may still replace them.
DEFAULT_LIFETIME: Final = "1h"


def parse_duration(text: str) -> float:
    """``90`` / ``90s`` / ``15m`` / ``1h`` / ``7d`` -> seconds; ``ValueError`` otherwise."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 1h, 7d)")
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


#: registered claims that are NumericDate (RFC 7519 §4.1): a number, or no server accepts the token.
_TIME_CLAIMS = ("exp", "iat", "nbf")


def parse_claim(text: str) -> tuple[str, Any]:
    """``k=v``: ``v`` as JSON if it reads as JSON (``n=3``, ``x={"a":1}``), else as text."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"a claim is NAME=VALUE, not {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return name.strip(), value


def build_claims(args: argparse.Namespace, now: float) -> dict[str, Any]:
    if not args.role.strip():
        raise ValueError("--role cannot be empty (e.g. authenticated, anon, service_role)")
    extra: dict[str, Any] = {}
    if args.iss is not None:
        extra["iss"] = args.iss
    for item in args.claim:
        name, value = parse_claim(item)
        if name in _TIME_CLAIMS and (isinstance(value, bool) or not isinstance(value, int | float)):
            # a token no server accepts; say so instead of printing it (QA)
            raise ValueError(
                f"--claim {name}={value!r}: {name} is a time, in seconds since 1970"
                + (" (the lifetime is --exp, e.g. --exp 1h)" if name == "exp" else "")
            )
        extra[name] = value
    return mint_claims(
        role=args.role,
        now=now,
        lifetime_s=parse_duration(args.exp),
        sub=args.sub,
        email=args.email,
        extra=extra,
    )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "token",
        help="mint a user token (HS256) for a project whose JWT secret you hold",
        description="Tokens for local, self-hosted and `realtime-inspector serve` projects.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    m = actions.add_parser(
        "mint",
        help="print a signed access token",
        description="Print an HS256 access token signed with the secret in $SECRET_ENV. "
        "exit codes: 0 printed; 2 bad arguments or an unset secret variable.",
    )
    m.add_argument("--role", default="authenticated", help="role claim (default authenticated)")
    m.add_argument("--sub", help="subject: the user id (auth.uid() in policies)")
    m.add_argument("--email", help="email claim")
    m.add_argument("--iss", help="issuer claim, e.g. http://127.0.0.1:54321/auth/v1")
    m.add_argument(
        "--secret-env",
        required=True,
        metavar="NAME",
        help="environment variable holding the JWT secret (never pass the secret itself)",
    )
    m.add_argument(
        "--exp", default=DEFAULT_LIFETIME, metavar="DURATION", help="lifetime: 90s, 15m, 1h, 7d"
    )
    m.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='add or replace a claim; VALUE is JSON if it parses (n=3, meta={"a":1}) else text',
    )
    m.add_argument("--json", action="store_true", help="print {token, header, claims} as JSON")
    m.set_defaults(run=run)


def _fail(text: str) -> int:
    sys.stderr.write(f"realtime-inspector token mint: {text}\n")
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    secret = os.environ.get(args.secret_env)
    if not secret:
        return _fail(f"the environment variable {args.secret_env} is not set or empty")
    try:
        claims = build_claims(args, time.time())
    except ValueError as exc:
        return _fail(str(exc))
    token = jwt.sign(claims, secret)
    if args.json:
        out = {"token": token, "header": {"alg": "HS256", "typ": "JWT"}, "claims": claims}
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(token + "\n")
    return EXIT_OK
