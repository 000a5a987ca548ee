"""The users of ``serve --users FILE``: who can sign in with a password (docs/server.md, "Sign-in").

The file is YAML (a JSON file is read the same way: JSON is YAML)::

    users:
      - email: alice@example.com
        password: alice-secret          # required; never logged or printed
        role: authenticated             # the JWT role claim (default "authenticated")
        id: 0b4a…                       # optional UUID; default derived from the email, stable
        phone: "15551234567"            # optional
        user_metadata: {name: Alice}    # optional, a mapping
        app_metadata: {plan: pro}       # optional, merged over {"provider": "email", …}
        email_confirmed: true           # optional; false makes sign-in fail "Email not confirmed"

It is read with PyYAML's safe loader (no tags, no code). A bad file raises :class:`UsersError`
whose message names the file and the line; nothing here raises anything else for file content.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inspector.protocol.invisible import printable

#: the namespace of the ids derived from e-mail addresses (fixed: the same email, the same id).
_ID_NAMESPACE = uuid.UUID("6b1f3c2e-5a7d-4e2b-9f3a-1c8d2e4f5a6b")
_KEYS = frozenset(
    {"email", "password", "role", "id", "phone", "user_metadata", "app_metadata", "email_confirmed"}
)


class UsersError(ValueError):
    """The users file cannot be used; the message says where and why (never a password)."""


@dataclass(frozen=True)
class User:
    """One user of the file. The password is kept only as a salted hash."""

    id: str
    email: str
    role: str
    phone: str = ""
    user_metadata: dict[str, Any] = field(default_factory=dict)
    app_metadata: dict[str, Any] = field(default_factory=dict)
    email_confirmed: bool = True
    _salt: bytes = field(default=b"", repr=False)
    _hash: bytes = field(default=b"", repr=False)

    def password_ok(self, password: str) -> bool:
        """Whether ``password`` is this user's (constant-time compare)."""
        return hmac.compare_digest(_digest(self._salt, password), self._hash)


def _digest(salt: bytes, password: str) -> bytes:
    return hashlib.sha256(salt + password.encode("utf-8", "surrogatepass")).digest()


class _LineLoader(yaml.SafeLoader):
    """The safe loader, remembering the line where each mapping starts."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = _Mapping({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.line = node.start_mark.line + 1
    return mapping


class _Mapping(dict[str, Any]):
    line = 0


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Users:
    """The users of a file, found by e-mail (case-insensitive), phone or id."""

    def __init__(self, users: list[User] | None = None, source: str = "users") -> None:
        self.users: tuple[User, ...] = tuple(users or ())
        self.source = source
        self._by_email = {u.email: u for u in self.users}
        self._by_phone = {u.phone: u for u in self.users if u.phone}
        self._by_id = {u.id: u for u in self.users}

    def __repr__(self) -> str:
        return f"Users({len(self.users)} from {self.source})"

    def __len__(self) -> int:
        return len(self.users)

    def by_email(self, email: str) -> User | None:
        return self._by_email.get(email.strip().lower())

    def by_phone(self, phone: str) -> User | None:
        return self._by_phone.get(_phone(phone))

    def by_id(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    @classmethod
    def from_file(cls, path: str | Path) -> Users:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsersError(f"cannot read users file {p}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UsersError(f"{p}: not UTF-8 text") from None
        return cls.from_text(text, str(p))

    @classmethod
    def from_text(cls, text: str, source: str = "users") -> Users:
        try:
            data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{source}, line {mark.line + 1}" if mark is not None else source
            raise UsersError(f"{where}: not valid YAML or JSON: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise UsersError(f"{source}: not valid YAML or JSON: {exc}") from None
        except RecursionError:
            raise UsersError(f"{source}: nested too deeply") from None
        if not isinstance(data, dict) or set(data) != {"users"}:
            raise UsersError(f'{source}: the file must hold one key, "users": a list of users')
        entries = data["users"]
        if not isinstance(entries, list):
            raise UsersError(f'{source}: "users" must be a list')
        users: list[User] = []
        for i, entry in enumerate(entries, 1):
            users.append(_user(entry, i, source))
        _no_duplicates(users, entries, source)
        return cls(users, source)


def _phone(text: str) -> str:
    """A phone number as Supabase Auth stores it: digits only (no "+", spaces or dashes)."""
    return "".join(ch for ch in text if ch.isdigit())


def _user(entry: object, index: int, source: str) -> User:
    line = getattr(entry, "line", 0)
    where = f"{source}, line {line}: user {index}" if line else f"{source}: user {index}"
    if not isinstance(entry, dict):
        raise UsersError(f"{where} must be a mapping with email and password")
    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        names = ", ".join(printable(k) for k in unknown)
        raise UsersError(f"{where}: unknown key(s) {names} (use {', '.join(sorted(_KEYS))})")

    def text(key: str, *, required: bool = False, default: str = "") -> str:
        value = entry.get(key, default)
        if value is None and not required:
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            raise UsersError(f"{where}: {key!r} must be a non-empty string")
        return value

    def mapping(key: str) -> dict[str, Any]:
        value = entry.get(key) or {}
        if not isinstance(value, dict):
            raise UsersError(f"{where}: {key!r} must be a mapping")
        return dict(value)

    email = text("email", required=True).strip().lower()
    if "@" not in email:
        raise UsersError(f"{where}: 'email' {printable(email)} is not an e-mail address")
    password = entry.get("password")
    if not isinstance(password, str) or not password:
        raise UsersError(f"{where} ({printable(email)}): 'password' must be a non-empty string")
    role = text("role", default="authenticated").strip() or "authenticated"
    given_id = entry.get("id")
    if given_id is None:
        user_id = str(uuid.uuid5(_ID_NAMESPACE, email))
    else:
        try:
            user_id = str(uuid.UUID(str(given_id)))
        except ValueError:
            raise UsersError(f"{where}: 'id' must be a UUID (the sub claim is one)") from None
    confirmed = entry.get("email_confirmed", True)
    if not isinstance(confirmed, bool):
        raise UsersError(f"{where}: 'email_confirmed' must be true or false")
    phone = entry.get("phone", "")
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    if not isinstance(phone, str):
        raise UsersError(f"{where}: 'phone' must be a string")
    app = {"provider": "email", "providers": ["email"]}
    app.update(mapping("app_metadata"))
    salt = os.urandom(16)
    return User(
        id=user_id,
        email=email,
        role=role,
        phone=_phone(phone),
        user_metadata=mapping("user_metadata"),
        app_metadata=app,
        email_confirmed=confirmed,
        _salt=salt,
        _hash=_digest(salt, password),
    )


def _no_duplicates(users: list[User], entries: list[Any], source: str) -> None:
    seen: dict[str, int] = {}
    for what in ("email", "id", "phone"):
        seen.clear()
        for i, (user, entry) in enumerate(zip(users, entries, strict=True), 1):
            value = getattr(user, what)
            if not value:
                continue
            if value in seen:
                line = getattr(entry, "line", 0)
                at = f", line {line}" if line else ""
                raise UsersError(
                    f"{source}{at}: user {i} has the same {what} as user {seen[value]} "
                    f"({printable(value)})"
                )
            seen[value] = i
