"""REST broadcast endpoints (§6): batch ``POST …/api/broadcast`` and single
``POST …/api/broadcast/{topic}/events/{event}``, with the statuses and bodies of the real server.

Query parameters other than ``private`` are ignored: realtime-js copies the websocket's
``apikey``, ``vsn`` and ``log_level`` into the URL (§6.3).

:class:`RestApi` is built from its collaborators: the hub it publishes to, the authenticator,
the rules, the tenant limits it shares with the websocket path, and the journal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from inspector.protocol.frames import BROADCAST, ENCODING_BINARY, ENCODING_JSON
from inspector.protocol.invisible import printable
from inspector.protocol.jwt import JwtError
from inspector.protocol.serializer import dumps
from inspector.protocol.server_fanout import Fanout
from inspector.protocol.server_json import TOO_DEEP, JsonRejected, loads

from .auth import bearer_token
from .batch_body import TooManyMessages, read_batch
from .notes import RestBroadcast
from .wsframe import ws_frame

if TYPE_CHECKING:
    from .auth import Authenticator, Identity
    from .hub import Hub
    from .limits import TenantLimits
    from .recorder import Journal
    from .rules import Rules

log = logging.getLogger("inspector.server")

_JSON = "application/json"
_BINARY = "application/octet-stream"
SIZE_EXCEEDED = "Payload size exceeds tenant limit"
#: 429 for a batch over the rate limit or over this server's batch cap (§6.2).
TOO_MANY_MESSAGES = "Too many messages to broadcast, please reduce the batch size"
BLANK = "can't be blank"
INVALID = "is invalid"

#: Work (messages + deliveries) a batch does before it lets the loop serve others: about 5 ms.
BATCH_SLICE = 1000

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "authorization, apikey, content-type, x-client-info",
    "Access-Control-Max-Age": "86400",
}


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


class RestApi:
    """The REST handlers of one server."""

    def __init__(
        self,
        *,
        hub: Hub[Any],
        auth: Authenticator,
        rules: Rules,
        limits: TenantLimits,
        journal: Journal,
        max_batch_messages: int = 10_000,
    ) -> None:
        self.hub = hub
        self.max_batch_messages = max_batch_messages
        self.auth = auth
        self.rules = rules
        self.limits = limits
        self.journal = journal

    # ------------------------------------------------------------------------------ helpers

    def _response(self, status: int, body: Any = None) -> web.Response:
        headers = dict(CORS_HEADERS)
        rate = self.limits.rate
        if rate is not None:  # the rate-limit plug's headers (§6.1)
            rolling = rate.rate(time.time())
            headers["x-rate-rolling"] = f"{rolling:.1f}"
            headers["x-rate-limit"] = str(rate.limit)
            headers["x-rate-limit-remaining"] = str(max(0, int(rate.limit - rolling)))
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, text=dumps(body), content_type=_JSON, headers=headers)

    def _authorize(self, request: web.Request) -> tuple[Identity | None, web.Response | None]:
        token = bearer_token(request.headers.get("Authorization"), request.headers.get("apikey"))
        identity = self.auth.authenticate(token, time.time())
        if isinstance(identity, JwtError):
            return None, self._response(401, {"message": "Unauthorized"})
        if self.limits.over(time.time()):
            return None, self._response(429, {"message": "You have exceeded your rate limit"})
        return identity, None

    def _may_write(self, identity: Identity | None, name: str) -> bool:
        """Broadcast write on the private channel ``name`` (§9.3), by role and user."""
        if identity is None:
            return False
        return self.rules.permissions(identity.role, name, identity.claims).write

    def _record(self, request: web.Request, status: int, messages: int, deliveries: int) -> None:
        note = RestBroadcast(
            request.path, tuple(request.query.keys()), status, messages, deliveries
        )
        self.journal.note(None, note)

    def _malformed(self, request: web.Request, exc: JsonRejected) -> web.Response:
        """400 for a body Plug's JSON parser (Jason) refuses: bad grammar, NaN, 1e999, lone
        surrogates, not UTF-8 (§6.2, server_json); deeper than this server's nesting limit too."""
        log.info("REST %s: body refused: %s", printable(request.path), printable(str(exc)))
        self._record(request, 400, 0, 0)
        if str(exc) == TOO_DEEP:
            return self._response(400, {"message": f"JSON body {TOO_DEEP}"})
        return self._response(400, {"message": "Malformed JSON body"})

    def _publish(self, private: bool, name: str, fanout: Fanout[Any]) -> int:
        delivered = self.hub.publish((private, name), fanout)
        self.limits.count(1 + delivered, time.time())
        return delivered

    async def options(self, request: web.Request) -> web.Response:
        """CORS preflight: CORS is open (§6.1)."""
        return web.Response(status=204, headers=CORS_HEADERS)

    # ------------------------------------------------------------------------------ batch

    def _validate(self, msg: object, max_payload: int) -> dict[str, list[str]]:
        if not isinstance(msg, dict):
            return {"message": [INVALID]}
        errors: dict[str, list[str]] = {}
        for field in ("topic", "event"):
            value = msg.get(field)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[field] = [BLANK]
            elif not isinstance(value, str):
                errors[field] = [INVALID]
        payload = msg.get("payload")
        if payload is None:
            errors["payload"] = [BLANK]
        elif not isinstance(payload, dict):
            errors["payload"] = [INVALID]
        elif _size(payload) > max_payload:
            errors["payload"] = [SIZE_EXCEEDED]
        private = msg.get("private")
        if private is not None and not isinstance(private, bool):
            errors["private"] = [INVALID]
        return errors

    def _too_many(self, request: web.Request) -> web.Response:
        log.info(
            "REST batch refused: more than %d messages (max_batch_messages)",
            self.max_batch_messages,
        )
        self._record(request, 429, 0, 0)
        return self._response(429, {"message": TOO_MANY_MESSAGES})

    async def batch(self, request: web.Request) -> web.Response:
        """``POST /api/broadcast``: 202, or 401/422/429 (§6.2)."""
        identity, refused = self._authorize(request)
        if refused is not None:
            self._record(request, refused.status, 0, 0)
            return refused
        try:  # parsed in slices; stops past the cap (batch_body.py)
            body = await read_batch(await request.read() or b"{}", self.max_batch_messages)
        except JsonRejected as exc:
            return self._malformed(request, exc)
        except TooManyMessages:
            return self._too_many(request)
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            self._record(request, 422, 0, 0)
            return self._response(
                422, {"errors": {"messages": [BLANK if not messages else INVALID]}}
            )
        if len(messages) > self.max_batch_messages:  # this server's cap, checked first
            return self._too_many(request)
        max_payload = self.limits.max_payload
        errors = []
        for index, msg in enumerate(messages):
            if index and index % BATCH_SLICE == 0:
                await asyncio.sleep(0)  # other sockets get their turn
            errors.append(self._validate(msg, max_payload))
        if any(errors):
            self._record(request, 422, 0, 0)
            return self._response(422, {"errors": {"messages": errors}})
        rate = self.limits.rate
        if rate is not None and len(messages) + rate.rate(time.time()) > rate.limit:
            self._record(request, 429, 0, 0)  # the real check_rate_limit, after validation
            return self._response(429, {"message": TOO_MANY_MESSAGES})
        sent = deliveries = work = 0
        for msg in messages:
            if work >= BATCH_SLICE:  # other sockets get their turn (the batch keeps its order)
                work = 0
                await asyncio.sleep(0)
            name, event, private = msg["topic"], msg["event"], bool(msg.get("private", False))
            if private and not self._may_write(identity, name):
                continue  # dropped silently, still 202 (§6.2)
            payload: dict[str, Any] = {"type": BROADCAST, "event": event, "payload": msg["payload"]}
            if msg.get("id") is not None:
                payload["meta"] = {"id": msg["id"]}
            delivered = self._publish(private, name, Fanout.text(BROADCAST, payload, ws_frame))
            deliveries += delivered
            work += 1 + delivered
            sent += 1
        self._record(request, 202, sent, deliveries)
        return self._response(202)

    # ------------------------------------------------------------------------------ single

    async def single(self, request: web.Request) -> web.Response:
        """``POST /api/broadcast/{topic}/events/{event}``: 202, or 401/403/415/422 (§6.2)."""
        identity, refused = self._authorize(request)
        if refused is not None:
            self._record(request, refused.status, 0, 0)
            return refused
        name = request.match_info["topic"]
        event = request.match_info["event"]
        private = request.query.get("private", "").lower() == "true"
        raw_type = request.headers.get("Content-Type")
        ctype = raw_type.split(";")[0].strip().lower() if raw_type else _JSON
        if ctype not in (_JSON, _BINARY):
            self._record(request, 415, 0, 0)
            return self._response(
                415,
                {
                    "error": "Unsupported Media Type. Use application/json or application/octet-stream"
                },
            )
        if private and not self._may_write(identity, name):
            self._record(request, 403, 0, 0)  # unlike batch, single refuses (§6.2)
            return self._response(403, {"message": "Unauthorized"})
        body = await request.read()
        if not body:
            self._record(request, 422, 0, 0)
            return self._response(422, {"errors": {"payload": [BLANK]}})
        if ctype == _BINARY:
            data, encoding = body, ENCODING_BINARY
        else:
            try:
                value = loads(body)
            except JsonRejected as exc:
                return self._malformed(request, exc)
            if not isinstance(value, dict):  # Plug wraps non-objects (§6.2)
                value = {"_json": value}
            data, encoding = dumps(value).encode(), ENCODING_JSON
        if len(data) > self.limits.max_payload:
            self._record(request, 422, 0, 0)
            return self._response(422, {"errors": {"payload": [SIZE_EXCEEDED]}})
        fanout = Fanout.user_broadcast(event, data, encoding, wrap=ws_frame)
        deliveries = self._publish(private, name, fanout)
        self._record(request, 202, 1, deliveries)
        return self._response(202)
