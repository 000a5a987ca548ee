"""Connection settings and URL forms (docs/realtime-protocol.md §1.1, §1.2, §6)."""

from __future__ import annotations

import pytest

from inspector.client import ClientSettings, InvalidSettings, endpoints, redact_url
from inspector.protocol.jwt import demo_key

KEY = demo_key("anon")


@pytest.mark.parametrize(
    ("url", "ws", "rest"),
    [
        (
            "https://abc.supabase.co",
            "wss://abc.supabase.co/realtime/v1/websocket?apikey=K&vsn=2.0.0",
            "https://abc.supabase.co/realtime/v1/api",
        ),
        (
            "http://127.0.0.1:54321/",
            "ws://127.0.0.1:54321/realtime/v1/websocket?apikey=K&vsn=2.0.0",
            "http://127.0.0.1:54321/realtime/v1/api",
        ),
        (
            "https://abc.supabase.co/realtime/v1",
            "wss://abc.supabase.co/realtime/v1/websocket?apikey=K&vsn=2.0.0",
            "https://abc.supabase.co/realtime/v1/api",
        ),
        (
            "wss://abc.supabase.co/realtime/v1/websocket?apikey=OLD&vsn=1.0.0",
            "wss://abc.supabase.co/realtime/v1/websocket?apikey=K&vsn=2.0.0",
            "https://abc.supabase.co/realtime/v1/api",
        ),
        (
            "ws://localhost:4000/socket",
            "ws://localhost:4000/socket/websocket?apikey=K&vsn=2.0.0",
            "http://localhost:4000/api",
        ),
        (
            "ws://localhost:4000/socket/websocket",
            "ws://localhost:4000/socket/websocket?apikey=K&vsn=2.0.0",
            "http://localhost:4000/api",
        ),
    ],
)
def test_url_forms(url: str, ws: str, rest: str) -> None:
    ep = endpoints(url, "K")
    assert ep.websocket == ws
    assert ep.rest_base == rest


def test_query_order_is_apikey_log_level_vsn_like_realtime_js() -> None:
    ep = endpoints("https://abc.supabase.co", "KEY", "1", "info")
    assert ep.websocket.endswith("/websocket?apikey=KEY&log_level=info&vsn=1.0.0")


def test_key_can_come_from_the_url() -> None:
    assert endpoints("ws://h/socket/websocket?apikey=FROMURL", "").api_key == "FROMURL"


@pytest.mark.parametrize(
    ("url", "key", "vsn", "reason"),
    [
        ("", KEY, "2", "the URL is empty"),
        ("ftp://x.supabase.co", KEY, "2", "must start with http://"),
        ("abc.supabase.co", KEY, "2", "must start with http://"),
        ("https://", KEY, "2", "no host"),
        ("http://localhost:99999", KEY, "2", "invalid port"),
        ("https://abc.supabase.co", "", "2", "the API key is empty"),
        ("https://abc.supabase.co", "   ", "2", "the API key is empty"),
        ("https://abc.supabase.co", "a b", "2", "spaces"),
        ("https://abc.supabase.co", KEY, "3.0.0", "unsupported protocol version"),
    ],
)
def test_invalid_settings_are_refused_with_one_line(
    url: str, key: str, vsn: str, reason: str
) -> None:
    with pytest.raises(InvalidSettings) as info:
        ClientSettings(url, key, vsn=vsn)
    assert reason in info.value.message
    assert "\n" not in info.value.message
    leaked = KEY in info.value.message  # a bool: a failure never prints the secret
    assert not leaked


def test_bad_log_level_and_empty_token_are_refused() -> None:
    with pytest.raises(InvalidSettings, match="log level"):
        ClientSettings("https://a.supabase.co", KEY, log_level="loud")
    with pytest.raises(InvalidSettings, match="access token is empty"):
        ClientSettings("https://a.supabase.co", KEY, access_token=" ")


def test_vsn_shorthands_and_repr_hides_secrets() -> None:
    s = ClientSettings("https://a.supabase.co", KEY, vsn="1", access_token="tok-secret")
    assert s.vsn == "1.0.0"
    assert ClientSettings("https://a.supabase.co", KEY, vsn="2").vsn == "2.0.0"
    text = repr(s) + repr(s.endpoints())
    leaked = KEY in text  # a bool: a failure never prints the secret
    assert not leaked
    assert "tok-secret" not in text


def test_redact_url() -> None:
    assert redact_url("ws://h/websocket?apikey=SECRET&vsn=2.0.0") == (
        "ws://h/websocket?apikey=[redacted]&vsn=2.0.0"
    )
