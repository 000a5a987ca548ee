"""Profiles: no secrets in their data, URL/key validation, decoded claims and warnings."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol import jwt
from inspector.protocol.client_url import endpoints
from inspector.store import Profile, ProfileBook, describe_token, validate_key, validate_url
from inspector.store.profiles.profiles import format_duration, normalize_url


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://abc.supabase.co", None),
        ("http://127.0.0.1:54321", None),
        ("abcdefghijklmnopqrst", None),
        ("", "Project URL is required"),
        ("abc.supabase.co", "must start with https://"),
        ("ftp://x", "must start with https://"),
        ("http://", "no host name"),
        ("http://host:99999", "invalid port"),
        ("https://a b.co", "spaces"),
        # urlsplit raises ValueError for these: a saved profile holding one must not crash.
        ("http://[::1", "not a valid URL"),
        ("http://[zz]:80", "not a valid URL"),
        ("http://[::1]:port", "invalid port"),
    ],
)
def test_validate_url(url: str, error: str | None) -> None:
    result = validate_url(url)
    if error is None:
        assert result is None
    else:
        assert result is not None
        assert error in result


def test_normalize_url() -> None:
    assert normalize_url(" abcdefghijklmnopqrst ") == "https://abcdefghijklmnopqrst.supabase.co"
    assert normalize_url("HTTPS://x.supabase.co/") == "https://x.supabase.co"
    assert normalize_url("https://x.supabase.co/realtime/v1") == "https://x.supabase.co"
    assert normalize_url("https://supabase.com/dashboard/project/abc") == "https://supabase.com"
    assert normalize_url("http://h:4000/base/") == "http://h:4000/base"
    assert normalize_url(" http://[::1 ") == "http://[::1"  # not a URL: trimmed, no exception


@settings(max_examples=300, deadline=None)
@given(st.text() | st.from_regex(r"\A(https?|wss?)://[\[\]:0-9a-z./\-]{0,24}\Z"))
def test_url_checks_never_raise_and_what_passes_can_connect(text: str) -> None:
    """Whatever a person types: no exception, and a URL that passes gives endpoints."""
    normalized = normalize_url(text)
    error = validate_url(text)
    if error is None:
        endpoints(normalized, "key")  # raises ValueError if validation let a bad URL through


def test_validate_key() -> None:
    assert validate_key("") == "API key is required"
    assert validate_key("  ") == "API key is required"
    assert validate_key("abc def") is not None
    assert validate_key("sb_publishable_x") is None


def test_describe_jwt_claims_and_expiry() -> None:
    token = jwt.sign({"role": "anon", "ref": "abcd", "exp": 2000, "iss": "supabase"}, "s" * 32)
    info = describe_token(token)
    assert (info.kind, info.role, info.ref, info.exp, info.alg) == (
        "jwt",
        "anon",
        "abcd",
        2000,
        "HS256",
    )
    assert info.warning(now=1000) is None
    assert "expires in 16 min 40 s" in info.describe(now=1000)
    assert info.warning(now=2100) == "Expired 1 min 40 s ago"
    assert "expired 1 min 40 s ago" in info.describe(now=2100)
    # The token never appears in what is shown.
    assert token not in repr(info)
    assert token not in info.describe(1000)


def test_describe_other_keys() -> None:
    assert describe_token("").kind == "empty"
    assert describe_token("").describe(0) == "(none)"
    pub = describe_token("sb_publishable_abc")
    assert pub.kind == "publishable"
    assert pub.warning(0) is None
    assert "accepted as is" in pub.describe(0)
    sec = describe_token("sb_secret_abc")
    assert sec.kind == "secret"
    assert sec.warning(0) is not None
    opaque = describe_token("hello")
    assert opaque.kind == "opaque"
    assert "Not a JWT" in (opaque.warning(0) or "")
    no_claims = describe_token(jwt.sign({"sub": "u"}, "k" * 32))
    assert "role" in (no_claims.warning(0) or "")
    assert "no expiry" in no_claims.describe(0)


def test_format_duration() -> None:
    assert format_duration(5) == "5 s"
    assert format_duration(3 * 3600 + 120) == "3 h 2 min"
    assert format_duration(2 * 86400 + 3600) == "2 d 1 h"
    assert format_duration(-4) == "0 s"


def test_profile_book_operations_and_data_has_no_secrets() -> None:
    book = ProfileBook()
    a = book.add(Profile(Profile.new_id(), "Local", "http://127.0.0.1:54321"))
    b = book.add(Profile(Profile.new_id(), "Local", "http://127.0.0.1:54321"))
    assert b.name == "Local (2)"
    c = book.duplicate(a.id)
    assert c.name == "Local copy"
    assert book.index_of(c.id) == 1
    book.update(Profile(a.id, "Renamed", a.url, "1.0.0", has_token=True))
    assert book.get(a.id) is not None
    assert book.get(a.id).name == "Renamed"
    book.remove(b.id)
    assert [p.name for p in book] == ["Renamed", "Local copy"]
    data = book.to_data()
    assert set(data[0]) == {"id", "name", "url", "vsn", "has_token"}
    again = ProfileBook.from_data(json.loads(json.dumps(data)))
    assert [p.to_dict() for p in again] == data
    with pytest.raises(KeyError):
        book.update(Profile("missing", "x", "y"))
    with pytest.raises(KeyError):
        book.duplicate("missing")
    with pytest.raises(ValueError):
        book.add(book[0])
    assert book.add(Profile(Profile.new_id(), "  ", "u")).name == "Untitled"


def test_profile_from_dict_ignores_secrets_and_junk() -> None:
    p = Profile.from_dict(
        {"id": "1", "name": "n", "url": "u", "vsn": "9", "apikey": "secret", "has_token": "yes"}
    )
    assert p == Profile("1", "n", "u", "2.0.0", False)
    assert Profile.from_dict({"id": "", "name": "n", "url": "u"}) is None
    assert Profile.from_dict([]) is None
    assert len(ProfileBook.from_data([{"id": "1", "name": "a", "url": "u"}, "junk", None])) == 1
    assert len(ProfileBook.from_data("junk")) == 0
