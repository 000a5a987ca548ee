"""An official-client peer for the interop tests: realtime-py (PyPI ``realtime``) driven by NDJSON.

Runs in its own venv (.venv-realtime-py: realtime-py pins websockets<16). Same protocol as
tests/interop/js/peer.mjs: commands on stdin, one JSON object a line, run in order; what it
observes on stdout as NDJSON (``ready``, ``done``/``failed`` per command tag, ``status``,
``broadcast``, ``presence``, ``system``). Bytes are reported as ``{"__bytes__": [..]}``.
Every log record of level ERROR is also reported, as ``{"ev": "log", "level", "logger",
"message"}`` (tests/interop/peers.py fails a test on one it did not declare).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import traceback
from typing import Any

from realtime import AsyncRealtimeClient

# realtime-py reports what it drops (e.g. "Unrecognized message format") through logging;
# send warnings and errors to stderr, where the tests can wait for them.
logging.basicConfig(
    level=logging.WARNING, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s"
)


class ReportErrors(logging.Handler):
    """Every ERROR record (realtime-py's, asyncio's "Task exception was never retrieved"...)
    also becomes a ``{"ev": "log"}`` event: tests/interop/peers.py fails a test on one it did
    not declare."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!r} % {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        emit({"ev": "log", "level": record.levelname, "logger": record.name, "message": message})


logging.getLogger().addHandler(ReportErrors())

clients: dict[str, AsyncRealtimeClient] = {}
channels: dict[str, Any] = {}


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": list(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(plain(obj), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def payload_of(spec: Any) -> Any:
    if isinstance(spec, dict) and isinstance(spec.get("__bytes__"), list):
        return bytes(spec["__bytes__"])
    return spec


async def cmd_client(cmd: dict[str, Any]) -> Any:
    options = cmd.get("options") or {}
    client = AsyncRealtimeClient(cmd["url"], cmd["key"], **options)
    clients[cmd["id"]] = client
    await client.connect()
    return None


async def cmd_channel(cmd: dict[str, Any]) -> Any:
    client = clients[cmd["client"]]
    params = {"config": cmd["config"]} if cmd.get("config") is not None else None
    ch = client.channel(cmd["name"], params)
    cid = cmd["id"]
    listen = cmd.get("listen") or {}
    for event in listen.get("broadcast", []):
        ch.on_broadcast(
            event,
            lambda payload, event=event: emit(
                {"ev": "broadcast", "channel": cid, "filter": event, "payload": dict(payload)}
            ),
        )
    if listen.get("presence"):
        ch.on_presence_sync(
            lambda: emit(
                {"ev": "presence", "channel": cid, "kind": "sync", "state": ch.presence_state()}
            )
        )
        ch.on_presence_join(
            lambda key, current, new: emit(
                {"ev": "presence", "channel": cid, "kind": "join", "key": key, "presences": new}
            )
        )
        ch.on_presence_leave(
            lambda key, current, left: emit(
                {"ev": "presence", "channel": cid, "kind": "leave", "key": key, "presences": left}
            )
        )
    if listen.get("system"):
        ch.on_system(
            lambda payload: emit({"ev": "system", "channel": cid, "payload": dict(payload)})
        )
    channels[cid] = ch
    return {"topic": ch.topic}


async def cmd_subscribe(cmd: dict[str, Any]) -> Any:
    ch = channels[cmd["channel"]]
    cid = cmd["channel"]

    def on_status(status: Any, err: Exception | None) -> None:
        emit(
            {
                "ev": "status",
                "channel": cid,
                "status": str(status.value),
                "error": str(err) if err else None,
            }
        )

    await ch.subscribe(on_status)
    return None


async def cmd_send(cmd: dict[str, Any]) -> Any:
    await channels[cmd["channel"]].send_broadcast(cmd["event"], payload_of(cmd.get("payload")))
    return None


async def cmd_httpSend(cmd: dict[str, Any]) -> Any:
    try:
        await channels[cmd["channel"]].http_send(cmd["event"], payload_of(cmd.get("payload")))
    except Exception as exc:  # RealtimeHTTPError and friends
        return {"rejected": str(exc), "status": getattr(exc, "status", None)}
    return None


async def cmd_push(cmd: dict[str, Any]) -> Any:
    await channels[cmd["channel"]].push(cmd["event"], cmd.get("payload") or {})
    return None


async def cmd_track(cmd: dict[str, Any]) -> Any:
    await channels[cmd["channel"]].track(cmd.get("meta") or {})
    return None


async def cmd_untrack(cmd: dict[str, Any]) -> Any:
    await channels[cmd["channel"]].untrack()
    return None


async def cmd_presenceState(cmd: dict[str, Any]) -> Any:
    return channels[cmd["channel"]].presence_state()


async def cmd_state(cmd: dict[str, Any]) -> Any:
    ch = channels[cmd["channel"]]
    client = clients[cmd["client"]]
    return {"state": str(ch.state.value), "listed": client.channels.get(ch.topic) is ch}


async def cmd_unsubscribe(cmd: dict[str, Any]) -> Any:
    await channels[cmd["channel"]].unsubscribe()
    return None


async def cmd_setAuth(cmd: dict[str, Any]) -> Any:
    await clients[cmd["client"]].set_auth(cmd.get("token"))
    return None


async def cmd_disconnect(cmd: dict[str, Any]) -> Any:
    await clients[cmd["client"]].close()
    return None


async def cmd_fault(cmd: dict[str, Any]) -> Any:
    """The test of peers.py itself: an error record as realtime-py would log it."""
    logging.getLogger("realtime._async.client").error("fault: %s", cmd.get("text"))
    return None


COMMANDS = {name[4:]: fn for name, fn in globals().items() if name.startswith("cmd_")}


async def run_commands(queue: asyncio.Queue[dict[str, Any]]) -> None:
    """Run commands in order; one that never finishes does not block ``exit``."""
    while True:
        cmd = await queue.get()
        try:
            fn = COMMANDS.get(cmd.get("cmd", ""))
            if fn is None:
                raise ValueError(f"unknown command {cmd.get('cmd')}")
            result = await fn(cmd)
            emit({"ev": "done", "tag": cmd.get("tag"), "cmd": cmd.get("cmd"), "result": result})
        except Exception as exc:
            emit(
                {
                    "ev": "failed",
                    "tag": cmd.get("tag"),
                    "cmd": cmd.get("cmd"),
                    "error": f"{type(exc).__name__}: {exc}",
                }
            )


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    worker = asyncio.create_task(run_commands(queue))
    emit({"ev": "ready", "lib": "realtime-py"})
    while True:
        line = await reader.readline()
        if not line:
            break
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
        except ValueError as exc:
            emit({"ev": "failed", "tag": None, "cmd": None, "error": f"bad command line: {exc}"})
            continue
        if cmd.get("cmd") == "exit":
            break
        queue.put_nowait(cmd)
    worker.cancel()
    for client in clients.values():
        try:
            await asyncio.wait_for(client.close(), 2)
        except Exception:
            pass
    emit({"ev": "bye"})


if __name__ == "__main__":
    asyncio.run(main())
