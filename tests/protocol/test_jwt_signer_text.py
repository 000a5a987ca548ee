"""The signer texts with a ``kid`` (supabase/realtime ``user_socket.ex`` / ``realtime_channel.ex``
write it with Elixir's ``inspect``), and ``check_claims`` kept identical to ``verify``'s checks."""

from __future__ import annotations

from inspector.protocol.jwt import (
    CLI_DEV_SECRET,
    JwtError,
    JwtErrorCode,
    check_claims,
    handshake_text,
    join_reason,
    sign,
    system_text,
    verify,
)

TAIL = "check your JWT secret or JWKS configuration"


def test_signer_texts_with_and_without_kid() -> None:
    plain = JwtError(JwtErrorCode.SIGNER)
    assert handshake_text(plain) == f"Failed to generate JWT signer, {TAIL}"
    keyed = JwtError(JwtErrorCode.SIGNER, kid="key-1")
    expected = f'Failed to generate JWT signer for key ID (kid) "key-1", {TAIL}'
    assert handshake_text(keyed) == expected
    assert system_text(keyed) == expected
    assert join_reason(keyed) == f"JwtSignerError: {expected}"
    quoted = JwtError(JwtErrorCode.SIGNER, kid='a"b\\c')
    assert '(kid) "a\\"b\\\\c",' in handshake_text(quoted)


def test_check_claims_is_what_verify_checks() -> None:
    now = 1_000_000.0
    for claims in (
        {"role": "anon", "exp": now + 10},
        {"role": "anon", "exp": now - 3},
        {"role": "anon", "exp": "soon"},
        {"role": "anon", "exp": now + 10, "iat": "x"},
        {"exp": now + 10},
        {"role": "anon"},
    ):
        token = sign(claims, CLI_DEV_SECRET)
        assert verify(token, CLI_DEV_SECRET, now) == check_claims(claims, now)
