"""``--identities FILE``: named identities for the authorization matrix (issue #13 §4).

A YAML (or JSON) mapping, name -> one identity, the shape check files use for ``identities``
(docs/checks.md) extended with sign-in and minted tokens::

    anon: {}                                    # the connection's API key, no user token
    admin: {key: "{{env.SERVICE_ROLE_KEY}}"}    # another API key (service_role, sb_secret_...)
    alice: {token: "{{env.ALICE_TOKEN}}"}       # a user's access token
    carol: {token: "{{env.CAROL_TOKEN}}", refresh_token: "{{env.CAROL_REFRESH}}"}
    dave: {email: dave@example.com, password: "{{env.DAVE_PASSWORD}}"}   # signs in (Auth)
    erin:                                       # a token minted with the project's JWT secret
      mint: {secret: "{{env.JWT_SECRET}}", role: authenticated, sub: erin-id,
             email: erin@example.com, claims: {aal: aal2}, lifetime_s: 3600}

Values may use ``{{env.NAME}}`` (the one expander, :mod:`inspector.protocol.template`); an unset
variable is an error naming it. Each identity becomes an
:class:`~inspector.client.identity.IdentitySpec` (``refresh_token`` goes with ``token``); an
:class:`~inspector.client.identity.IdentitySession` turns it into settings. Secrets are never
part of an error message, a ``repr`` or output.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from inspector.protocol.template import TemplateError, Variables, expand_text

from ..errors import InspectorError
from ..identity import IdentitySpec, InvalidIdentity, MintSpec

_KEYS = {"key", "token", "refresh_token", "email", "password", "mint"}
_MINT_KEYS = {"secret", "role", "sub", "email", "claims", "lifetime_s"}


class IdentitiesFileError(InspectorError, ValueError):
    """The identities file cannot be used; the message names the file and the identity."""


class _Unexpanded(IdentitiesFileError):
    """A value whose variables cannot be expanded (an unset ``{{env.NAME}}``): an error only
    for an identity that is asked for."""


def parse_identities(
    data: Any,
    source: str,
    env: Mapping[str, str] | None = None,
    only: Collection[str] | None = None,
) -> dict[str, IdentitySpec]:
    """The identities of a parsed file; :class:`IdentitiesFileError` for anything wrong.

    With ``only``, an identity not named there whose values cannot be expanded (a variable
    not set on this machine) is left out instead of failing the whole file; the file's shape
    is still checked everywhere."""
    if not isinstance(data, Mapping) or not data:
        raise IdentitiesFileError(f"{source}: expected a mapping of identity name -> identity")
    variables = Variables(env=dict(os.environ if env is None else env))
    out: dict[str, IdentitySpec] = {}
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
        unexpanded: _Unexpanded | None = None
        values: dict[str, str] = {}
        for k in raw:
            if k == "mint":
                continue
            try:
                values[k] = _text(raw[k], k, where, variables)
            except _Unexpanded as exc:
                unexpanded = unexpanded or exc
        try:
            mint = _mint(raw["mint"], where, variables) if "mint" in raw else None
        except _Unexpanded as exc:
            unexpanded, mint = unexpanded or exc, None
        if unexpanded is not None:
            if only is not None and name not in only:
                continue
            raise unexpanded
        try:
            out[name] = IdentitySpec(
                name,
                key=values.get("key"),
                token=values.get("token"),
                refresh_token=values.get("refresh_token"),
                email=values.get("email"),
                password=values.get("password"),
                mint=mint,
            )
        except InvalidIdentity as exc:
            raise IdentitiesFileError(f"{source}: {exc.message}") from None
    return out


def load_identities(
    path: Path, env: Mapping[str, str] | None = None, only: Collection[str] | None = None
) -> dict[str, IdentitySpec]:
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
    return parse_identities(data, str(path), env, only)


def _text(value: Any, key: str, where: str, variables: Variables) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IdentitiesFileError(f"{where}: '{key}' must be non-empty text")
    try:
        out = expand_text(value, variables)
    except TemplateError as exc:
        # a place in a one-line value read as a place in the file ("line 1, column 1")
        text = str(exc)
        if exc.line == 1 and "\n" not in value:
            text = text.removeprefix(f"line 1, column {exc.column}: ")
        raise _Unexpanded(f"{where}: '{key}': {text}") from None
    if not out.strip():
        raise _Unexpanded(f"{where}: '{key}' is empty once expanded")
    return out.strip()


def _mint(raw: Any, where: str, variables: Variables) -> MintSpec:
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
    try:
        return MintSpec(**out)
    except InvalidIdentity as exc:
        raise IdentitiesFileError(f"{where}: {exc.message}") from None
