"""Issue #10 item 6: huge and odd numbers in the ``exp``/``iat`` of a correctly signed token.

The real server reads claims with Jason (integers have no size limit) and checks ``exp`` with
``is_number(exp) and exp > now`` and ``iat`` with ``is_number`` (supabase/realtime:
lib/realtime_web/channels/auth/jwt_verification.ex); its channel re-checks the token at
min(5 min, exp - now) (realtime_channel.ex ``confirm_token``). So ``exp`` = 10**400 is a token
that never expires, ``exp`` = -10**400 expired 10**400 + now seconds ago, and ``1e400`` or
``NaN`` (JSON Jason refuses) make the token "not a valid JWT". Each case is checked on the four
paths a token takes: the websocket handshake, REST, a join's ``access_token`` and an
``access_token`` refresh. Before the fix the big integers raised OverflowError: HTTP 500 with a
traceback, no join reply, a refresh silently lost.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest
from server_helpers import TIMEOUT, field, token
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from inspector.protocol.jwt import b64url_encode
from inspector.server import RealtimeServer

NOT_JWT = "The token provided is not a valid JWT"
FAR = 4_000_000_000


def signed_raw(claims_json: str, secret: str) -> str:
    """An HS256 token whose claims segment is exactly ``claims_json`` (JSON Python's encoder
    would never write, such as ``1e400``)."""
    head = b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = b64url_encode(claims_json.encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url_encode(sig)}"


BIG = "1" + "0" * 400  # 10**400

#: claims JSON -> None (accepted, as the real server does) or the kind of refusal.
CASES = {
    "exp 10**400": (f'{{"role":"anon","exp":{BIG}}}', None),
    "iat 10**400": (f'{{"role":"anon","exp":{FAR},"iat":{BIG}}}', None),
    "exp 1.5e308": ('{"role":"anon","exp":1.5e308}', None),
    "iat -10**400": (f'{{"role":"anon","exp":{FAR},"iat":-{BIG}}}', None),
    "exp -10**400": (f'{{"role":"anon","exp":-{BIG}}}', "expired"),
    "exp 1e400": ('{"role":"anon","exp":1e400}', "malformed"),
    "exp -1e400": ('{"role":"anon","exp":-1e400}', "malformed"),
    "iat NaN": (f'{{"role":"anon","exp":{FAR},"iat":NaN}}', "malformed"),
    "exp Infinity": ('{"role":"anon","exp":Infinity}', "malformed"),
}


def _expired_seconds(text: str, before: int) -> int:
    seconds = int(text.removesuffix(" seconds ago").rsplit(" ", 1)[1])
    assert 10**400 + before <= seconds <= 10**400 + int(time.time()) + 1
    return seconds


@pytest.mark.parametrize("case", list(CASES))
async def test_handshake(server: RealtimeServer, case: str) -> None:
    claims, refusal = CASES[case]
    tok = signed_raw(claims, server.config.jwt_secret)
    url = f"{server.ws_url}?apikey={tok}&vsn=2.0.0"
    if refusal is None:
        async with connect(url, open_timeout=TIMEOUT) as ws:
            await ws.send('[null,"1","phoenix","heartbeat",{}]')
            assert '"ok"' in await ws.recv()
        return
    with pytest.raises(InvalidStatus) as caught:
        await connect(url, open_timeout=TIMEOUT)
    response = caught.value.response
    assert response.status_code == 401
    text = "Token has expired" if refusal == "expired" else NOT_JWT
    assert response.body == f'{{"error":"{text}"}}'.encode()


@pytest.mark.parametrize("case", list(CASES))
async def test_rest(server: RealtimeServer, case: str) -> None:
    claims, refusal = CASES[case]
    tok = signed_raw(claims, server.config.jwt_secret)
    body = {"messages": [{"topic": "room", "event": "e", "payload": {}}]}
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        r = await http.post(server.rest_url, json=body, headers={"Authorization": f"Bearer {tok}"})
    if refusal is None:
        assert r.status_code == 202
    else:
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize("case", list(CASES))
async def test_join_access_token(server: RealtimeServer, connect_client, case: str) -> None:
    claims, refusal = CASES[case]
    tok = signed_raw(claims, server.config.jwt_secret)
    c = await connect_client()
    before = int(time.time())
    payload = field(await c.join("room", access_token=tok), "payload")
    if refusal is None:
        assert payload == {"status": "ok", "response": {"postgres_changes": []}}
    elif refusal == "expired":
        assert payload["status"] == "error"
        reason = payload["response"]["reason"]
        assert reason.startswith("InvalidJWTToken: Token has expired ")
        _expired_seconds(reason, before)
    else:
        assert payload == {"status": "error", "response": {"reason": f"MalformedJWT: {NOT_JWT}"}}


@pytest.mark.parametrize("case", list(CASES))
async def test_access_token_refresh(server: RealtimeServer, connect_client, case: str) -> None:
    claims, refusal = CASES[case]
    tok = signed_raw(claims, server.config.jwt_secret)
    c = await connect_client()
    assert field(await c.join("room", access_token=token(server)), "payload")["status"] == "ok"
    before = int(time.time())
    await c.push("room", "access_token", {"access_token": tok})
    seen = await c.barrier()
    if refusal is None:  # taken: the channel stays, and carries on with the new token
        assert seen == []
        assert server.topics(server.sockets[0].id) == ["realtime:room"]
        sub = server.hub.get(server.sockets[0].id, "realtime:room")
        assert sub is not None
        assert sub.identity.token == tok
        return
    assert [field(f, "event") for f in seen] == ["system", "phx_close"]
    system = field(seen[0], "payload")
    assert system["status"] == "error"
    if refusal == "expired":
        _expired_seconds(system["message"], before)
    else:
        assert system["message"] == NOT_JWT
