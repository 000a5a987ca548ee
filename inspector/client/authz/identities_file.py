"""``--identities FILE``: named identities for the authorization matrix (issue #13 §4).

A YAML (or JSON) mapping, name -> one identity, the shape check files use for ``identities``
(docs/checks.md) extended with sign-in and minted tokens::

    anon: {}                                    # the connection's API key, no user token
    admin: {key: "{{env.SERVICE_ROLE_KEY}}"}    # another API key (service_role, sb_secret_...)
    alice: {token: "{{env.ALICE_TOKEN}}"}       # a user's access token
    carol: {refresh_token: "{{env.CAROL_REFRESH}}"}       # refreshed into an access token
    dave: {email: dave@example.com, password: "{{env.DAVE_PASSWORD}}"}   # signs in (Auth)
    erin:                                       # a token minted with the project's JWT secret
      mint: {secret: "{{env.JWT_SECRET}}", role: authenticated, sub: erin-id,
             email: erin@example.com, claims: {aal: aal2}, lifetime_s: 3600}

Values may use ``{{env.NAME}}`` (the one expander, :mod:`inspector.protocol.template`); an unset
variable is an error naming it. Secrets are never part of an error message, a ``repr`` or output.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inspector.protocol import jwt
from inspector.protocol.template import TemplateError, Variables, expand_text

from ..auth import refresh_session, sign_in_with_password
from ..errors import InspectorError
from ..settings import ClientSettings

_KEYS = {"key", "token", "refresh_token", "email", "password", "mint"}
_MINT_KEYS = {"secret", "role", "sub", "email", "claims", "lifetime_s"}


class IdentitiesFileError(InspectorError, ValueError):
    """The identities file cannot be used; the message names the file and the identity."""


@dataclass(frozen=True)
class FileIdentity:
    """One identity of the file, its variables expanded."""

    name: str
    key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    mint: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """How the identity gets its token, in words (never a secret)."""
        if self.mint is not None:
            return f"minted ({self.mint.get('role', 'authenticated')})"
        if self.email:
            return f"sign-in as {self.email}"
        if self.refresh_token:
            return "refresh token"
        if self.token:
            return "access token"
        return "API key" if self.key else "the connection's key"

    async def settings(self, base: ClientSettings) -> ClientSettings:
        """``base`` with this identity's key and access token (signing in or minting first)."""
        key = self.key or base.api_key
        token = self.token
        if self.mint is not None:
            token = mint_token(self.mint)
        elif self.email:
            auth = dataclasses.replace(base, api_key=key).endpoints().auth_base
            if auth is None:
                raise IdentitiesFileError(f"identity {self.name}: sign-in needs a project URL")
            session = await sign_in_with_password(auth, key, self.email, self.password or "")
            token = session.access_token
        elif self.refresh_token:
            auth = dataclasses.replace(base, api_key=key).endpoints().auth_base
            if auth is None:
                raise IdentitiesFileError(f"identity {self.name}: a refresh needs a project URL")
            token = (await refresh_session(auth, key, self.refresh_token)).access_token
        return dataclasses.replace(base, api_key=key, access_token=token)


def mint_token(spec: Mapping[str, Any], now: float | None = None) -> str:
    """An HS256 access token as ``token mint`` makes it, from a ``mint`` entry."""
    at = int(time.time() if now is None else now)
    role = str(spec.get("role") or "authenticated")
    claims: dict[str, Any] = {
        "aud": "anon" if role == "anon" else "authenticated",
        "role": role,
        "iat": at,
        "exp": at + int(spec.get("lifetime_s", 3600)),
        "aal": "aal1",
        "is_anonymous": role == "anon",
    }
    if spec.get("sub"):
        claims["sub"] = str(spec["sub"])
    if spec.get("email"):
        claims["email"] = str(spec["email"])
    claims.update(dict(spec.get("claims") or {}))
    return jwt.sign(claims, str(spec["secret"]))


def parse_identities(
    data: Any, source: str, env: Mapping[str, str] | None = None
) -> dict[str, FileIdentity]:
    """The identities of a parsed file; :class:`IdentitiesFileError` for anything wrong."""
    if not isinstance(data, Mapping) or not data:
        raise IdentitiesFileError(f"{source}: expected a mapping of identity name -> identity")
    variables = Variables(env=dict(os.environ if env is None else env))
    out: dict[str, FileIdentity] = {}
    for name, raw in data.items():
        where = f"{source}: identity {name!r}"
        if not isinstance(name, str) or not name.strip():
            raise IdentitiesFileError(f"{source}: an identity name must be text")
        raw = {} if raw is None else raw
        if not isinstance(raw, Mapping):
            raise IdentitiesFileError(f"{where} must be a mapping (e.g. {{token: ...}})")
        unknown = set(raw) - _KEYS
        if unknown:
            raise IdentitiesFileError(
                f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))} "
                f"(allowed: {', '.join(sorted(_KEYS))})"
            )
        values = {k: _text(raw[k], k, where, variables) for k in raw if k != "mint"}
        if "email" in values and not values.get("password"):
            raise IdentitiesFileError(f"{where}: 'email' needs 'password' (use {{{{env.NAME}}}})")
        if "password" in values and "email" not in values:
            raise IdentitiesFileError(f"{where}: 'password' needs 'email'")
        ways = [k for k in ("token", "refresh_token", "email", "mint") if k in raw]
        if len(ways) > 1:
            raise IdentitiesFileError(f"{where}: give one of {', '.join(ways)}, not several")
        mint = _mint(raw["mint"], where, variables) if "mint" in raw else None
        out[name] = FileIdentity(
            name,
            values.get("key"),
            values.get("token"),
            values.get("refresh_token"),
            values.get("email"),
            values.get("password"),
            mint,
        )
    return out


def load_identities(path: Path, env: Mapping[str, str] | None = None) -> dict[str, FileIdentity]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IdentitiesFileError(
            f"cannot read the identities file {path}: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise IdentitiesFileError(f"{path}: not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise IdentitiesFileError(
            f"{where}: {getattr(exc, 'problem', None) or 'not valid YAML'}"
        ) from None
    return parse_identities(data, str(path), env)


def _text(value: Any, key: str, where: str, variables: Variables) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IdentitiesFileError(f"{where}: '{key}' must be non-empty text")
    try:
        out = expand_text(value, variables)
    except TemplateError as exc:
        raise IdentitiesFileError(f"{where}: '{key}': {exc}") from None
    if not out.strip():
        raise IdentitiesFileError(f"{where}: '{key}' is empty once expanded")
    return out.strip()


def _mint(raw: Any, where: str, variables: Variables) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise IdentitiesFileError(f"{where}: 'mint' must be a mapping with 'secret'")
    unknown = set(raw) - _MINT_KEYS
    if unknown:
        raise IdentitiesFileError(
            f"{where}: unknown mint field(s) {', '.join(sorted(map(str, unknown)))} "
            f"(allowed: {', '.join(sorted(_MINT_KEYS))})"
        )
    if "secret" not in raw:
        raise IdentitiesFileError(f"{where}: 'mint' needs 'secret' (use {{{{env.NAME}}}})")
    out: dict[str, Any] = {}
    for k in ("secret", "role", "sub", "email"):
        if k in raw:
            out[k] = _text(raw[k], f"mint.{k}", where, variables)
    claims = raw.get("claims", {})
    if not isinstance(claims, Mapping):
        raise IdentitiesFileError(f"{where}: 'mint.claims' must be a mapping")
    out["claims"] = dict(claims)
    lifetime = raw.get("lifetime_s", 3600)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        raise IdentitiesFileError(f"{where}: 'mint.lifetime_s' must be a whole number above 0")
    out["lifetime_s"] = lifetime
    return out
