"""Errors explained: the one table of every refusal, error reply, close reason and system message
of the spec (docs/realtime-protocol.md §1.4, §4.4-§4.6, §5.2, §6.1, §6.2, §7.3, §7.4, §8.2,
§8.5, §10), of the local server and of the client itself, each in plain words with its likely
cause and what to do (issue #15 item 6).

:func:`explain` finds the entry for a raw text as it is shown (a join refusal, a close reason,
``HTTP 401: Token has expired``, ``socket closed: 1006``, a system message): an entry's
``text`` is the spec's text, ``<name>``-style placeholders match any text and ``…`` any rest,
and the entry whose fixed words are longest wins (so ``InvalidJWTToken: Token has expired 5
seconds ago`` is the join refusal, not the handshake's ``Token has expired``).
:func:`explain_close` does the same for a websocket close code (§7.3).

Pure: the window (status area, tooltips, detail pane) and the CLI read it; nothing here is
evaluated from peer text but the search. ``tests/protocol/test_explain.py`` parses the spec
and fails when it lists a reason this table lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final


@dataclass(frozen=True, slots=True)
class Explanation:
    """One reason: the raw ``text`` (with placeholders) and three plain-words answers."""

    #: the text as the server (or the client) writes it; ``<x>`` and ``…`` are placeholders.
    text: str
    #: what it means, in plain words.
    meaning: str
    #: the likely cause.
    cause: str
    #: what to do about it.
    action: str
    #: where it comes from: ``handshake``, ``join``, ``system``, ``reply``, ``rest``,
    #: ``close``, ``client``, ``local server``.
    source: str
    #: the websocket close code this entry explains (§7.3), if it is one.
    close_code: int | None = None
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _weight: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces = re.split(r"(<[^<>]*>|…)", self.text)
        pattern = "".join(
            ".+?" if p.startswith("<") and p.endswith(">") else ".*" if p == "…" else re.escape(p)
            for p in pieces
            if p
        )
        object.__setattr__(self, "_regex", re.compile(pattern, re.DOTALL))
        fixed = sum(len(p) for p in pieces if p and p != "…" and not p.startswith("<"))
        object.__setattr__(self, "_weight", fixed)

    def matches(self, raw: str) -> bool:
        return self._regex.search(raw) is not None

    def as_text(self) -> str:
        """Three lines for a tooltip or the detail pane."""
        return f"{self.meaning}\nLikely cause: {self.cause}\nWhat to do: {self.action}"


def _e(
    text: str, meaning: str, cause: str, action: str, source: str, code: int | None = None
) -> Explanation:
    return Explanation(text, meaning, cause, action, source, code)


_TOKEN_EXPIRED = (
    "The access token's expiry time (exp) has passed.",
    "A user token that was not refreshed, or the clock of the machine that made it is off.",
    "Sign in again or refresh the session and use Update token (Ctrl+Shift+U); for the "
    "CLI, pass a fresh --token or use --email.",
)
_NOT_A_JWT = (
    "The token is not a JWT (three base64url parts separated by dots).",
    "A key or token copied incompletely, with quotes or spaces, or an opaque key where a "
    "JWT is needed.",
    "Copy the key or token again in full; use the project's anon/publishable key or a user's "
    "access token.",
)
_ROLE_EXP = (
    "The token lacks the role or exp claim, which Realtime requires.",
    "A JWT minted by hand or by another service without role/exp.",
    "Mint the token with role (e.g. authenticated) and exp, or use a Supabase Auth token.",
)
_BAD_SIGNATURE = (
    "The token's signature does not verify with the project's JWT secret or keys.",
    "A token from another project, a rotated JWT secret, or a token signed with a different key.",
    "Use a key or token of this project; after a secret rotation, get new keys.",
)
_SIGNER = (
    "The server cannot verify tokens of this kind: it has no key for the token's algorithm "
    "or key id (kid).",
    "An asymmetric token (RS256/ES256) whose kid is not in the project's JWKS, or a "
    "misconfigured JWT secret.",
    "Check the project's signing keys (JWKS) and the token's kid; sign with a current key.",
)
_TOO_MANY_USERS = (
    "The project has as many connections as its plan allows.",
    "Too many open clients (tabs, devices, load tests) at once.",
    "Close other connections or raise the limit (plan / tenant settings); retry later.",
)
_TOO_MANY_JOINS = (
    "The project received more channel joins per second than it allows.",
    "Many clients joining at once, or a client rejoining in a tight loop.",
    "Spread joins out and back off before retrying; raise the limit if the load is real.",
)
_DB = (
    "Realtime could not reach the project's database.",
    "The database is paused, restarting, out of connections or unreachable.",
    "Check the database status in the dashboard; retry in a moment.",
)
_TENANT_GONE = (
    "Realtime does not know this project.",
    "A wrong project URL or ref, or a deleted project.",
    "Check the project URL (https://<ref>.supabase.co).",
)
_SUSPENDED = (
    "Realtime is disabled for this project.",
    "The project was paused or suspended, or Realtime was turned off for it.",
    "Restore the project or enable Realtime in the dashboard.",
)
_RATE = (
    "The project sent more messages per second than it allows.",
    "A burst or a steady rate above the plan's messages-per-second limit (every delivery counts).",
    "Lower the rate, send fewer or smaller fan-outs, or raise the limit; rejoin afterwards.",
)
_NO_READ = (
    "RLS does not let this user read this private channel.",
    "No SELECT policy on realtime.messages matches this user and topic, or the wrong token "
    "(anon instead of the user's).",
    "Add or fix the policy for the topic, or join with the user's token (or join public).",
)
_PAYLOAD_TOO_BIG = (
    "The message is larger than the project's payload limit.",
    "A large payload (the limit is per message, 256 KB on the Free plan).",
    "Send smaller messages or split them; raise the limit where the plan allows.",
)
_RATE_LIMITED_REST = (
    "The REST broadcast was refused: the project is over its message rate.",
    "Too many messages per second across the project.",
    "Send more slowly, batch fewer messages, and retry after a pause.",
)

#: Every explained reason. The spec's own texts first, by section; then the local server's and
#: the client's own texts.
EXPLANATIONS: Final[tuple[Explanation, ...]] = (
    # §1.4 handshake failures (the HTTP body's "error")
    _e(
        "API key is missing",
        "The websocket request carried no API key.",
        "The apikey query parameter (or header) is missing or empty.",
        "Set the profile's key (or --key / $SUPABASE_PUBLISHABLE_KEY).",
        "handshake",
    ),
    _e("Token has expired", *_TOKEN_EXPIRED, "handshake"),
    _e("Fields `role` and `exp` are required in JWT", *_ROLE_EXP, "handshake"),
    _e("The token provided is not a valid JWT", *_NOT_A_JWT, "handshake"),
    _e("Failed to validate JWT signature", *_BAD_SIGNATURE, "handshake"),
    _e(
        "Failed to generate JWT signer, check your JWT secret or JWKS configuration",
        *_SIGNER,
        "handshake",
    ),
    _e("Realtime was disabled for this tenant", *_SUSPENDED, "handshake"),
    _e("Tenant not found", *_TENANT_GONE, "handshake"),
    _e("Too many connected users", *_TOO_MANY_USERS, "handshake"),
    _e("Too many joins per second", *_TOO_MANY_JOINS, "handshake"),
    _e(
        "Error connecting to Realtime",
        "The server failed while accepting the connection, for a reason it does not name.",
        "A problem on the server side.",
        "Retry; if it persists, check the project's status and logs.",
        "handshake",
    ),
    # §4.4 join error replies
    _e(
        "TopicNameRequired: You must provide a topic name",
        "The join named no channel.",
        "An empty channel name (the topic was just 'realtime:').",
        "Give the channel a name.",
        "join",
    ),
    _e(
        "ChannelRateLimitReached: Too many channels",
        "This connection has joined as many channels as allowed (100 by default).",
        "Too many open tabs on one connection, or channels never left.",
        "Leave channels you do not need, or use a second connection.",
        "join",
    ),
    _e("ConnectionRateLimitReached: Too many connected users", *_TOO_MANY_USERS, "join"),
    _e(
        "ClientJoinRateLimitReached: Too many joins per second",
        _TOO_MANY_JOINS[0] + " The server also closes the connection.",
        _TOO_MANY_JOINS[1],
        _TOO_MANY_JOINS[2],
        "join",
    ),
    _e("InvalidJWTToken: Token has expired <N> seconds ago", *_TOKEN_EXPIRED, "join"),
    _e("InvalidJWTToken: Fields `role` and `exp` are required in JWT", *_ROLE_EXP, "join"),
    _e("MalformedJWT: The token provided is not a valid JWT", *_NOT_A_JWT, "join"),
    _e("JwtSignatureError: Failed to validate JWT signature", *_BAD_SIGNATURE, "join"),
    _e(
        "InvalidJWTToken: Token expiration time is invalid",
        "The token's exp claim is not a number.",
        "A hand-made token with exp as a string or a date.",
        "Mint the token with exp as seconds since 1970 (a number).",
        "join",
    ),
    _e("JwtSignerError: Failed to generate JWT signer…", *_SIGNER, "join"),
    _e(
        "Unauthorized: You do not have permissions to read from this Channel topic: <name>",
        *_NO_READ,
        "join",
    ),
    _e(
        "PrivateOnly: This project only allows private channels",
        "The project refuses public channels.",
        "'Allow public access' is off in the project's Realtime settings.",
        "Join with Private checked (and an RLS policy), or allow public channels.",
        "join",
    ),
    _e("RealtimeDisabledForTenant: Realtime disabled for this tenant", *_SUSPENDED, "join"),
    _e(
        "TenantNotFound: Tenant with the given ID does not exist",
        _TENANT_GONE[0] + " The server also closes the connection.",
        _TENANT_GONE[1],
        _TENANT_GONE[2],
        "join",
    ),
    _e(
        "UnableToReplayMessages: Replay is not allowed for public channels",
        "Broadcast replay works only on private channels.",
        "The join asked for replay on a public channel.",
        "Join the channel as private, or drop the replay option.",
        "join",
    ),
    _e(
        "UnableToReplayMessages: Replay params are not valid",
        "The replay option is malformed.",
        "since is not a time in milliseconds, or limit is outside 1..25.",
        "Give since as epoch milliseconds and limit between 1 and 25.",
        "join",
    ),
    _e(
        "UnableToReplayMessages: Realtime was unable to replay messages",
        "The server could not read the messages to replay from the database.",
        "A database problem, or missing read permission on realtime.messages.",
        "Retry; check the database and the channel's RLS policies.",
        "join",
    ),
    _e(
        "RealtimeRestarting: Realtime is restarting, please standby",
        "The Realtime server is restarting.",
        "A deploy or maintenance on the server side.",
        "Wait; the client rejoins on its own.",
        "join",
    ),
    _e(
        "IncreaseConnectionPool: Please increase your connection pool size",
        "Realtime has too few database connections for this project.",
        "The project's Realtime database pool is set too small.",
        "Raise the connection pool size in the project's Realtime settings.",
        "join",
    ),
    _e(
        "UnableToConnectToProject: Realtime was unable to connect to the project database",
        *_DB,
        "join",
    ),
    _e("InitializingProjectConnection: …", *_DB[:2], "Wait a few seconds; it rejoins.", "join"),
    _e("DatabaseLackOfConnections: …", *_DB, "join"),
    _e(
        "DatabaseConnectionRateLimitReached: …",
        "Realtime opened database connections too fast for this project.",
        "Many joins at once needing the database (private channels).",
        "Wait and retry; spread joins out.",
        "join",
    ),
    _e("Realtime was unable to connect to the project database", *_DB, "join"),
    _e(
        "Unknown Error on Channel",
        "The join failed for a reason the server does not name.",
        "An unexpected error on the server side.",
        "Retry; if it persists, check the project's Realtime logs.",
        "join",
    ),
    _e(
        "too many channels joined",
        "Phoenix's own channel limit per connection was reached.",
        "Far too many channels on one connection (Realtime sets this limit very high).",
        "Leave channels you do not need.",
        "join",
    ),
    _e(
        "unmatched topic",
        "The server has no route for this topic.",
        "A topic that does not start with 'realtime:', or the wrong server.",
        "Join through the channel name; check the URL points at Realtime.",
        "join",
    ),
    _e(
        "mismatch between server and client bindings for postgres changes",
        "The server's answer about postgres_changes does not match what was asked.",
        "The server and the client disagree on the listened tables (a server-side change).",
        "Rejoin; check the postgres_changes filters.",
        "client",
    ),
    _e(
        "channel error: transport failure",
        "realtime-js's words for a channel error without a reason (phx_error or a lost socket).",
        "The channel's process on the server crashed, or the connection dropped.",
        "Nothing: the client rejoins on its own; look at the server's logs if it repeats.",
        "client",
    ),
    # §4.5 system messages after a join
    _e(
        "Subscribed to PostgreSQL",
        "postgres_changes is listening (not an error).",
        "The join asked for postgres_changes and the server set it up.",
        "Nothing.",
        "system",
    ),
    _e(
        "Replication connection established",
        "The replication connection is ready (not an error).",
        "The join asked for replication_ready.",
        "Nothing.",
        "system",
    ),
    # §4.6 phx_error (upstream Phoenix adds the reason)
    _e(
        "channel_crash",
        "The channel's process on the server crashed (phx_error).",
        "A server-side error while handling this channel.",
        "Nothing: the client rejoins; report it if it repeats.",
        "system",
    ),
    # §5.2 ack error reply, §10
    _e(
        "payload_size_exceeded",
        *_PAYLOAD_TOO_BIG,
        "reply",
    ),
    # §6.1, §6.2 REST broadcast
    _e(
        "Unauthorized",
        "The request's key or token was refused, or the user may not write to this private "
        "channel.",
        "A wrong, expired or missing key/token, or no INSERT policy for a private channel.",
        "Check the key and token; for private channels, check the RLS write policy.",
        "rest",
    ),
    _e("Tenant not found in database", *_TENANT_GONE, "rest"),
    _e("Too many requests", *_RATE_LIMITED_REST, "rest"),
    _e(
        "can't be blank",
        "A required field of the message is empty.",
        "An empty event, topic or payload in the request.",
        "Fill in the event name and the payload.",
        "rest",
    ),
    _e("Payload size exceeds tenant limit", *_PAYLOAD_TOO_BIG, "rest"),
    _e("Tenant is suspended", *_SUSPENDED, "rest"),
    _e("You have exceeded your rate limit", *_RATE_LIMITED_REST, "rest"),
    _e(
        "Too many messages to broadcast, please reduce the batch size",
        "The batch plus the current rate would exceed the project's message rate.",
        "A large batch while traffic is already high.",
        "Send smaller batches, or wait and retry.",
        "rest",
    ),
    _e(
        "Unsupported Media Type. Use application/json or application/octet-stream",
        "The body's Content-Type is not accepted.",
        "A Content-Type other than application/json or application/octet-stream.",
        "Send JSON as application/json, bytes as application/octet-stream.",
        "rest",
    ),
    _e(
        "RLS policy error",
        "Checking the channel's RLS policy failed.",
        "A policy on realtime.messages that raises an error.",
        "Fix the policy (test it in SQL), then retry.",
        "rest",
    ),
    _e("Query canceled", *_DB[:2], "Retry; check the database's load.", "rest"),
    _e("Tenant database unavailable", *_DB, "rest"),
    _e(
        "Connection pool exhausted",
        "Realtime has no free database connection for this request.",
        "Many private-channel requests at once, or a small pool.",
        "Retry after a pause; raise the pool size if it persists.",
        "rest",
    ),
    _e(
        "Unable to authorize broadcast",
        "The server could not check whether this user may broadcast.",
        "A database or policy problem on the server side.",
        "Retry; check the database and the RLS policies.",
        "rest",
    ),
    _e(
        "RPC error",
        "An internal call between Realtime's nodes failed.",
        "A server-side problem.",
        "Retry.",
        "rest",
    ),
    # §7.3 close codes and reasons
    _e(
        "heartbeat timeout",
        "The client closed the connection: the server did not answer a heartbeat in time.",
        "A stalled network, a sleeping laptop, or an overloaded server.",
        "Nothing: the client reconnects; check the network if it repeats.",
        "close",
    ),
    _e(
        "socket closed: 1000",
        "The connection was closed normally.",
        "The client closed it (for example after a heartbeat timeout) or the server ended it.",
        "Nothing, unless it was unexpected: the client reconnects.",
        "close",
        1000,
    ),
    _e(
        "socket closed: 1001",
        "The server closed the connection (going away).",
        "Too many joins per second, or an unknown project, at join.",
        "Back off before reconnecting; check the project URL.",
        "close",
        1001,
    ),
    _e(
        "socket closed: 1005",
        "The connection was closed without a status code.",
        "The other side closed without saying why (realtime-js disconnect()).",
        "Nothing: the client reconnects.",
        "close",
        1005,
    ),
    _e(
        "socket closed: 1006",
        "The connection dropped without a close frame.",
        "Network loss, a proxy timeout, or the server killing an idle or slow socket.",
        "Nothing: the client reconnects; check the network or proxy if it repeats.",
        "close",
        1006,
    ),
    _e(
        "socket closed: 1012",
        "The server is restarting (service restart).",
        "A deploy or a tenant-wide disconnect.",
        "Nothing: the client reconnects.",
        "close",
        1012,
    ),
    # §7.4 token refresh, §10 system errors that close the channel
    _e("Token has expired <N> seconds ago", *_TOKEN_EXPIRED, "system"),
    _e(
        "You no longer have permission to read from this Channel topic: <name>",
        "After a token refresh, RLS no longer lets this user read the channel; it was closed.",
        "The new token has other claims, or the policy changed.",
        "Check the RLS policy and the token's claims; rejoin.",
        "system",
    ),
    _e("Too many messages per second", *_RATE, "system"),
    _e(
        "Too many presence messages per second",
        "The project sent more presence messages per second than it allows; the channel closed.",
        "Many clients tracking or updating presence at once.",
        "Track less often; rejoin afterwards.",
        "system",
    ),
    _e(
        "Client presence rate limit exceeded",
        "This channel made more than 5 presence calls in 30 seconds; the server closed it.",
        "Calling track/untrack in a loop or on every small change.",
        "Track at most every few seconds; rejoin.",
        "system",
    ),
    _e(
        "Track message size exceeded",
        "The presence payload is larger than the payload limit; the channel closed.",
        "A large object in track().",
        "Track a small object (ids, status), not data.",
        "system",
    ),
    _e(
        "Presence track payload must be a map",
        "A presence track needs a JSON object.",
        "track() was given an array, a string or a number.",
        "Track a JSON object.",
        "reply",
    ),
    _e(
        "Query was cancelled, please try again",
        "A database query for this channel was cancelled; the channel closed.",
        "A slow database or a statement timeout.",
        "Rejoin; check the database's load.",
        "system",
    ),
    _e(
        "Node request timeout",
        "A request between Realtime's nodes timed out; the channel closed.",
        "Server-side load or a node restart.",
        "Rejoin.",
        "system",
    ),
    _e(
        "Replication connection was not established in time",
        "The replication connection was not ready within a minute; the channel closed.",
        "The database's replication is slow or unavailable.",
        "Rejoin later; check the database.",
        "system",
    ),
    _e(
        "Server requested disconnect",
        "The server disconnects every client of the project.",
        "A tenant-wide change (settings, keys) or maintenance.",
        "Nothing: the client reconnects.",
        "system",
    ),
    # the local server's own texts (docs/server.md)
    _e(
        "Presence size limit per connection exceeded",
        "The local server: this connection's presence metas exceed --max-presence-mb-per-socket.",
        "Large or many presence payloads on one connection.",
        "Track smaller objects, or raise the limit when starting serve.",
        "local server",
    ),
    _e(
        "Presence size limit per server exceeded",
        "The local server: all presence metas together exceed --max-presence-mb.",
        "Many clients tracking large payloads.",
        "Track smaller objects, or raise the limit when starting serve.",
        "local server",
    ),
    _e(
        "Host not allowed",
        "The local server refused a request addressed to another host name.",
        "DNS-rebinding protection: the Host header is not localhost or the listening address.",
        "Connect to localhost/127.0.0.1, or start serve with --allow-remote.",
        "local server",
    ),
    _e(
        "Origin not allowed",
        "The local server refused a web page from another origin.",
        "A browser page not served from localhost connected to the local server.",
        "Start serve with --allow-origin ORIGIN for that page.",
        "local server",
    ),
    _e(
        # realtime_server.stop() closes every socket with 1001 and this reason
        "socket closed: 1001 (server shutting down)",
        "The local server stopped: it closed every connection (1001, going away).",
        "realtime-inspector serve was stopped (Ctrl+C), or the window or test that ran the "
        "server closed it.",
        "Start the server again; the client reconnects by itself once it listens.",
        "local server",
    ),
    _e(
        "Malformed JSON body",
        "The REST request's body is not valid JSON.",
        "A body that is not JSON, or a wrong Content-Type.",
        "Send a JSON object.",
        "local server",
    ),
    # the client's own texts (inspector/client/errors.py, the session)
    _e(
        "join timed out",
        "No answer to the join arrived within the timeout (10 s).",
        "A slow or stalled server or network (a server holds error replies back 5 s).",
        "The client rejoins; check the connection.",
        "client",
    ),
    _e(
        "timed out",
        "No answer arrived in time.",
        "A slow or stalled server or network, or an ack that never comes.",
        "Retry; check the connection and the server.",
        "client",
    ),
    _e(
        "connection lost; rejoins when it is back",
        "The connection dropped; this channel waits for it.",
        "Network loss or the server closing the connection.",
        "Nothing: the client reconnects and rejoins.",
        "client",
    ),
    _e(
        "refused the connection (nothing listens on that port?)",
        "Nothing accepted the connection at that address.",
        "A wrong port or host, or the server is not running.",
        "Check the URL; start the server (realtime-inspector serve, supabase start).",
        "client",
    ),
    _e(
        "cannot find <host> (name lookup failed",
        "The host name does not resolve.",
        "A typo in the URL, no network, or a DNS problem.",
        "Check the URL and the network.",
        "client",
    ),
    _e(
        "did not answer in time",
        "The server did not answer the connection in time.",
        "A firewall dropping packets, a wrong host, or a stalled server.",
        "Check the URL, the network and any proxy.",
        "client",
    ),
    _e(
        "the TLS certificate of <what> was not accepted",
        "The server's TLS certificate was not trusted.",
        "A self-signed or expired certificate, or a TLS-intercepting proxy.",
        "Use the right URL (http:// for a local server), or trust the certificate.",
        "client",
    ),
    _e(
        "did not complete the websocket handshake",
        "The server answered, but not as a websocket server.",
        "The URL points at something that is not Realtime (a web page, a proxy).",
        "Check the URL (the project URL, or …/realtime/v1).",
        "client",
    ),
    _e(
        "HTTP 404",
        "The server has no Realtime endpoint at this URL.",
        "A wrong path or project URL.",
        "Use the project URL (https://<ref>.supabase.co) or …/realtime/v1.",
        "client",
    ),
)

_ORDERED: Final = tuple(sorted(EXPLANATIONS, key=lambda e: -e._weight))
_BY_CODE: Final = {e.close_code: e for e in EXPLANATIONS if e.close_code is not None}


@lru_cache(maxsize=512)
def explain(raw: str | None) -> Explanation | None:
    """The entry for a raw reason text as shown (it may be wrapped: ``HTTP 401: …``,
    ``joining realtime:x was refused: …``), or None."""
    if not raw:
        return None
    text = raw[:2000]
    for entry in _ORDERED:
        if entry.matches(text):
            return entry
    return None


def explain_close(code: int | None) -> Explanation | None:
    """The entry for a websocket close code (§7.3), or None."""
    return _BY_CODE.get(code) if code is not None else None


def explained(raw: str | None) -> str:
    """The raw text followed by its explanation (for a tooltip); the raw text alone when the
    table has none."""
    entry = explain(raw)
    if entry is None:
        return raw or ""
    return f"{raw}\n\n{entry.as_text()}"
