"""Run the server in a background thread, for synchronous tests and tools.

::

    with ServerThread(ServerConfig(port=0)) as srv:
        connect_somehow(srv.url, srv.anon_key)
        srv.call(lambda server: server.faults.__setattr__("mute_acks", True))
        srv.call(lambda server: server.close_all(1001))     # coroutines are awaited

Everything touching the server runs on its own loop through :meth:`ServerThread.call`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .config import ServerConfig
from .realtime_server import RealtimeServer

T = TypeVar("T")


class ServerThread:
    """A :class:`RealtimeServer` on its own event loop in a daemon thread."""

    def __init__(self, config: ServerConfig | None = None, *, start_timeout: float = 10.0) -> None:
        self.config = config or ServerConfig(port=0)
        self.start_timeout = start_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: RealtimeServer | None = None
        self._started = concurrent.futures.Future[None]()
        self._stop: asyncio.Event | None = None

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> ServerThread:
        """Start the thread and return once the server listens (re-raises start errors)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._main, name="realtime-server", daemon=True)
        self._thread.start()
        self._started.result(self.start_timeout)
        return self

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = RealtimeServer(self.config)
        try:
            await server.start()
        except BaseException as exc:
            self._started.set_exception(exc)
            return
        self._server = server
        self._started.set_result(None)
        try:
            await self._stop.wait()
        finally:
            await server.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (closing every socket) and join the thread."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the server thread did not stop")
        self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------ access

    @property
    def server(self) -> RealtimeServer:
        """The server object; touch it only through :meth:`call`."""
        if self._server is None:
            raise RuntimeError("server not started")
        return self._server

    def call(self, fn: Callable[[RealtimeServer], Any], timeout: float = 10.0) -> Any:
        """Run ``fn(server)`` on the server's loop and return its result (awaited if a coroutine)."""
        if self._loop is None:
            raise RuntimeError("server not started")
        server = self.server

        async def run() -> Any:
            result = fn(server)
            if inspect.isawaitable(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    @property
    def realtime_url(self) -> str:
        return self.server.realtime_url

    @property
    def anon_key(self) -> str:
        return self.server.anon_key

    @property
    def service_role_key(self) -> str:
        return self.server.service_role_key
