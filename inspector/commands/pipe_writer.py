"""PipeWriter: stdout written from a thread, so that a reader who stops reading never blocks
the event loop (issue #10 item 8).

A blocking ``write`` to a full pipe (``listen | slow-reader``, or a reader that went to sleep)
used to stop the whole loop: the websocket was no longer read, and neither ``--timeout`` nor
SIGTERM could end ``listen`` (their handlers run on the loop). Here the loop only appends bytes
to a queue; one daemon thread does the blocking ``os.write`` calls. The queue is bounded by its
owner (:class:`~inspector.commands.client_args.Output` drops lines past
:data:`STDOUT_LIMIT` and says so), and at the end :meth:`PipeWriter.drain` waits for the queue
to empty only while the reader makes progress.

The thread writes to the file descriptor with ``os.write``, never through ``sys.stdout``: a
daemon thread blocked inside a buffered stream would hold its lock when the interpreter exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Final

#: Bytes of output that may wait for a slow reader before lines are dropped.
STDOUT_LIMIT: Final = 16 * 1024 * 1024
#: ``drain`` gives up after this many seconds in which the reader took nothing.
STALL_SECONDS: Final = 1.0
#: Largest single ``os.write`` (progress is reported after each).
_CHUNK: Final = 64 * 1024


class PipeWriter:
    """Queue bytes for a file descriptor; a daemon thread writes them in order."""

    def __init__(
        self, fd: int, loop: asyncio.AbstractEventLoop, on_closed: Callable[[], None]
    ) -> None:
        self._fd = fd
        self._loop = loop
        self._on_closed = on_closed
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        #: bytes queued or being written.
        self.pending = 0
        #: True once the reader went away (EPIPE) or writing failed; later data is dropped.
        self.closed = False
        self._progress = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="stdout-writer", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Queue ``data`` (never blocks)."""
        with self._cond:
            if self.closed:
                return
            self._chunks.append(data)
            self.pending += len(data)
            self._cond.notify()

    def wait_idle(self, timeout: float) -> bool:
        """Block the caller up to ``timeout`` s until everything queued is written."""
        with self._cond:
            return self._cond.wait_for(lambda: self.pending == 0 or self.closed, timeout)

    async def drain(self, stall: float | None = None) -> bool:
        """Wait until everything queued is written: True, or False when the reader took
        nothing for ``stall`` seconds (default :data:`STALL_SECONDS`; what is left stays
        unwritten)."""
        stall = STALL_SECONDS if stall is None else stall
        while True:
            with self._cond:
                if self.pending == 0 or self.closed:
                    return True
                self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), stall)
            except TimeoutError:
                return False

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._chunks))
                data = b"".join(self._chunks)
                self._chunks.clear()
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self._fd, view[:_CHUNK])
                    view = view[n:]
                    with self._cond:
                        self.pending -= n
                        self._cond.notify_all()
                    self._call(self._progress.set)
            except OSError:  # EPIPE (the reader went away) or a stream that cannot be written
                with self._cond:
                    self.closed = True
                    self.pending = 0
                    self._chunks.clear()
                    self._cond.notify_all()
                self._call(self._progress.set)
                self._call(self._on_closed)
                return

    def _call(self, callback: Callable[[], object]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(callback)
