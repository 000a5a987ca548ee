"""REST broadcast over httpx: the batch and the single endpoint (docs/realtime-protocol.md §6).

Each call yields a :class:`RestResult` with the HTTP status, the body, the latency and, for
anything but 2xx, the server's message in plain words. Transport failures (unreachable host,
TLS, timeout) also come back as a result, with ``status`` None and the translated error, so a
batch of sends can be counted without exceptions.

Nothing is paid for REST until it is used: the httpx client of a :class:`RestClient` is made on
its first request, and every one of them in the process shares one TLS context
(:func:`shared_ssl_context`), so a client that never sends over REST costs no certificate
bundle (issue #14 §3: loading it took 20 ms and about 850 KB per client).
"""

from __future__ import annotations

import os
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from inspector.protocol.serializer import dumps

from .errors import ClientStateError, InspectorError, InvalidPayload, server_text, translate

#: What realtime-js says when the single endpoint is missing (§6.3).
SINGLE_404 = "the server has no single-message REST endpoint (Realtime v2.97.0 or newer is needed)"


@dataclass(frozen=True, slots=True)
class RestMessage:
    """One message of a batch (§6.2); ``topic`` is the bare channel name."""

    topic: str
    event: str
    payload: Any
    private: bool = False
    #: Optional message id; receivers then get ``meta.id`` (§2.5).
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RestResult:
    """The outcome of one REST call."""

    #: 'batch' or 'single'.
    endpoint: str
    #: The HTTP status, or None when no answer came (see ``error``).
    status: int | None
    #: The response body as received.
    body: bytes = field(repr=False)
    #: Seconds from sending the request to the complete answer (or the failure).
    latency: float
    #: None on 2xx; else the server's message or the transport error, in plain words.
    error: str | None
    #: The typed error for transport failures, None otherwise.
    exception: InspectorError | None = field(default=None, repr=False)
    #: True when no answer came within the timeout.
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True for a 2xx answer (the server answers 202 Accepted)."""
        return self.status is not None and 200 <= self.status < 300


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def _answer_text(response: httpx.Response) -> str:
    """The server's message on one line: a JSON ``message``/``error``, the title of an HTML
    page (a proxy's "413 Request Entity Too Large"), else the text with its white space
    collapsed."""
    body = response.content
    if "html" in response.headers.get("content-type", "").lower():
        title = _TITLE.search(body)
        body = title.group(1) if title else response.reason_phrase.encode()
    return " ".join(server_text(body).split())


_ssl_lock = threading.Lock()
_ssl_contexts: dict[tuple[str, str], ssl.SSLContext] = {}


def shared_ssl_context() -> ssl.SSLContext:
    """The process's one TLS context for REST, made on first use: httpx's default (certifi's
    bundle, or ``$SSL_CERT_FILE`` / ``$SSL_CERT_DIR`` when set). A context is safe to share
    across clients, event loops and threads; it is made again only if those variables change."""
    key = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    ctx = _ssl_contexts.get(key)
    if ctx is None:
        with _ssl_lock:
            ctx = _ssl_contexts.get(key)
            if ctx is None:
                ctx = _ssl_contexts[key] = httpx.create_ssl_context(trust_env=True)
    return ctx


def _segment(name: str) -> str:
    """One URL path segment; ``.`` and ``..`` escaped too, which URL libraries would resolve."""
    if name in (".", ".."):
        return name.replace(".", "%2E")
    return urllib.parse.quote(name, safe="")


class RestClient:
    """Posts broadcasts to ``<rest_base>/broadcast…`` with the key and token headers (§6.1)."""

    def __init__(
        self,
        rest_base: str,
        api_key: str,
        access_token: str | None,
        timeout: float,
    ) -> None:
        self.rest_base = rest_base.rstrip("/")
        self._api_key = api_key
        self.access_token = access_token
        self._timeout = timeout
        #: Made on the first request (see the module docstring).
        self._http: httpx.AsyncClient | None = None
        self._closed = False

    def _client(self) -> httpx.AsyncClient:
        http = self._http
        if http is None:
            if self._closed:
                raise ClientStateError("the REST client was closed")
            http = self._http = httpx.AsyncClient(
                timeout=self._timeout, trust_env=True, verify=shared_ssl_context()
            )
        return http

    def _headers(self, content_type: str) -> dict[str, str]:
        # The server reads Authorization first, then apikey (§6.1); realtime-js sends both.
        token = self.access_token or self._api_key
        return {
            "apikey": self._api_key,
            "Authorization": f"Bearer {token}",
            "Content-Type": content_type,
        }

    async def broadcast_batch(self, messages: Sequence[RestMessage]) -> RestResult:
        """``POST /api/broadcast`` with ``{"messages": [...]}`` (§6.2)."""
        items = []
        for m in messages:
            item: dict[str, Any] = {
                "topic": m.topic,
                "event": m.event,
                "payload": m.payload,
                "private": m.private,
            }
            if m.id is not None:
                item["id"] = m.id
            items.append(item)
        try:
            body = dumps({"messages": items}).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidPayload(f"the payload is not JSON: {exc}") from exc
        url = f"{self.rest_base}/broadcast"
        return await self._post("batch", url, body, self._headers("application/json"))

    async def broadcast_single(
        self,
        topic: str,
        event: str,
        payload: Any,
        *,
        binary: bool = False,
        private: bool = False,
    ) -> RestResult:
        """``POST /api/broadcast/<topic>/events/<event>``: JSON or octet-stream body (§6.2).

        Both names go into the path, so an empty one is refused here (:class:`InvalidPayload`):
        the request would miss the route and its 404 would read like a missing endpoint.
        """
        if not topic:
            raise InvalidPayload("a channel needs a name")
        if not event:
            raise InvalidPayload("a broadcast needs an event name")
        if binary:
            if not isinstance(payload, bytes | bytearray | memoryview):
                raise InvalidPayload("a binary payload must be bytes")
            body, ctype = bytes(payload), "application/octet-stream"
        else:
            try:
                body, ctype = dumps(payload).encode(), "application/json"
            except (TypeError, ValueError) as exc:
                raise InvalidPayload(f"the payload is not JSON: {exc}") from exc
        url = f"{self.rest_base}/broadcast/{_segment(topic)}/events/{_segment(event)}"
        if private:
            url += "?private=true"
        return await self._post("single", url, body, self._headers(ctype))

    async def _post(
        self, endpoint: str, url: str, body: bytes, headers: dict[str, str]
    ) -> RestResult:
        start = time.perf_counter()
        try:
            response = await self._client().post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            host = urllib.parse.urlsplit(url).netloc.rpartition("@")[2]
            err = translate(exc, what=f"the REST endpoint at {host}")
            timed_out = isinstance(exc, httpx.TimeoutException)
            latency = time.perf_counter() - start
            return RestResult(endpoint, None, b"", latency, err.message, err, timed_out)
        latency = time.perf_counter() - start
        status = response.status_code
        error = None
        if not 200 <= status < 300:
            text = _answer_text(response)
            if status == 404 and endpoint == "single":
                error = SINGLE_404
            else:
                error = f"HTTP {status}: {text}" if text else f"HTTP {status}"
        return RestResult(endpoint, status, response.content, latency, error)

    async def aclose(self) -> None:
        self._closed = True
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
