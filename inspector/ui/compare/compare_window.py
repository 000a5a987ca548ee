"""CompareWindow: one channel joined as two to four identities at once (issue #13 §3).

Each identity gets its own connection: one
:class:`~inspector.ui.controller.InspectorController` per column (so its own
:class:`~inspector.client.RealtimeClient` and websocket), the same join, status, refusal,
presence and send code as the window's tabs. The window decides:

- **Join.** Every column joins the channel with ``ack`` on (the sender learns whether the
  server took its message), ``self`` off (the sender's own copy would prove nothing), and
  presence keyed by the identity's name; once joined it tracks
  ``{"inspector_compare": "<identity>", "column": n, "role": …}``, so the other columns can
  tell who is present. A refused join shows the server's text in the column.
- **Send as.** One composer sends as any column. The payload (a JSON object) gets a unique
  marker in the field ``inspector_compare`` (:mod:`inspector.store.compare.marks`); the
  marks table then shows per column: the sender's result (acknowledged, refused with the
  server's text, no answer), *received* (click: the row selected in that column), *not
  received* after :attr:`settle_s` seconds, or *not joined*. Nothing server-side is needed.
- **Identity lifetimes.** An identity is started (signed in, token minted or taken) before its
  column connects; a refreshed token is pushed to its channel (the protocol's
  ``access_token``), as the window's tabs do.
- **Close.** Closing leaves the channel on every connection, waits for the leaves, closes the
  sockets and stops every task and timer; :meth:`wait_closed` is done when all of that is.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Protocol

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.client.errors import InspectorError
from inspector.client.settings import ClientSettings
from inspector.store import (
    ChannelOptions,
    ChannelStatus,
    ConnectionStatus,
    Direction,
    LinkState,
    MessageRecord,
    Preferences,
    Profile,
    SendState,
    TabState,
    Transport,
)
from inspector.store.compare.marks import (
    DEFAULT_SETTLE_S,
    MARKER_FIELD,
    MarkBoard,
    MarkState,
    presence_payload,
    stamp,
)
from inspector.store.profiles.profiles import describe_token
from inspector.store.timefmt import clock_s

from ..common import theme
from ..controller import InspectorController
from ..controller_base import ControllerBase
from ..open_channel import SendRequest
from .compare_column import CompareColumn
from .marks_model import FIXED, MarksModel

log = logging.getLogger(__name__)

MIN_IDENTITIES: Final = 2
MAX_IDENTITIES: Final = 4


class IdentityLike(Protocol):
    """What the window needs of an identity's session
    (:class:`inspector.client.identity.IdentitySession`)."""

    async def start(self, base: ClientSettings) -> ClientSettings: ...

    def on_token(self, callback: Callable[[str], None]) -> Any: ...

    def keep_fresh(self) -> Any: ...

    def close(self) -> Any: ...


@dataclass(frozen=True)
class CompareIdentity:
    """One column: a name, how it signs in (for people), and its session."""

    name: str
    how: str
    session: IdentityLike


@dataclass(frozen=True)
class CompareSetup:
    """What the dialog chose: the channel, private or not, and 2-4 identities."""

    channel: str
    private: bool
    identities: tuple[CompareIdentity, ...]

    def problem(self) -> str | None:
        if not self.channel.strip():
            return "Name the channel"
        count = len(self.identities)
        if not MIN_IDENTITIES <= count <= MAX_IDENTITIES:
            return f"Pick {MIN_IDENTITIES} to {MAX_IDENTITIES} identities ({count} picked)"
        names = [i.name for i in self.identities]
        if len(set(names)) != len(names):
            return "Each identity can be picked once"
        return None


class _ColumnRows:
    """One column's log listener: received copies and the sender's results go to the board."""

    def __init__(self, window: CompareWindow, index: int) -> None:
        self.window = window
        self.index = index

    def log_changed(self, inserted: int, _evicted: int) -> None:
        if inserted:
            self.window._rows_added(self.index, inserted)

    def log_reset(self) -> None:
        """Cleared: nothing to mark (marks keep their state)."""

    def log_updated(self, record: MessageRecord) -> None:
        self.window._send_updated(self.index, record)


class CompareWindow(QWidget):
    """The compare view: columns, one composer with "Send as", the marks table."""

    #: closing is over: left, sockets closed, tasks done.
    closed = Signal()

    def __init__(
        self,
        setup: CompareSetup,
        profile: Profile,
        api_key: str,
        *,
        preferences: Preferences | None = None,
        controller_factory: Callable[[Preferences], ControllerBase] | None = None,
        settle_s: float = DEFAULT_SETTLE_S,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        problem = setup.problem()
        if problem is not None:
            raise ValueError(problem)
        self.setup = setup
        self.profile = profile
        self.api_key = api_key
        self.setObjectName("compare_window")
        kind = "private" if setup.private else "public"
        self.setWindowTitle(f"Compare identities · {setup.channel} ({kind})")
        preferences = preferences or Preferences()
        make = controller_factory or (lambda p: InspectorController(p))
        self.board = MarkBoard(len(setup.identities), secrets.token_hex(4), settle_s)
        self.controllers: list[ControllerBase] = []
        self.columns: list[CompareColumn] = []
        self._listeners: list[_ColumnRows] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Task[None] | None = None
        self._started = False
        #: the sender's outgoing rows: record -> marker.
        self._outgoing: dict[int, str] = {}
        self._tracked: set[int] = set()

        splitter = self.columns_splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        for index, identity in enumerate(setup.identities):
            controller = make(preferences)
            options = ChannelOptions(
                setup.channel,
                broadcast_self=False,
                ack=True,
                private=setup.private,
                presence_key=identity.name,
            )
            error = controller.join(options)
            if error is not None:
                raise ValueError(error)
            channel = controller.channels[setup.channel]
            column = CompareColumn(
                index,
                identity.name,
                identity.how,
                channel,
                coalesce_ms=preferences.coalesce_ms,
            )
            listener = _ColumnRows(self, index)
            channel.log.add_listener(listener)
            controller.channel_status_changed.connect(
                lambda _n, status, i=index: self._status_changed(i, status)
            )
            controller.connection_changed.connect(
                lambda status, i=index: self._connection_changed(i, status)
            )
            self.controllers.append(controller)
            self.columns.append(column)
            self._listeners.append(listener)
            splitter.addWidget(column)
        for column in self.columns:
            column.set_others([(c.letter, c.identity) for c in self.columns if c is not column])

        # --- composer: send as
        self.send_as = QComboBox()
        self.send_as.setAccessibleName("Send as")
        for column in self.columns:
            self.send_as.addItem(f"{column.letter} · {column.identity}")
        self.event_edit = QLineEdit("compare")
        self.event_edit.setAccessibleName("Event")
        self.event_edit.setMaximumWidth(self.fontMetrics().averageCharWidth() * 18)
        self.payload_edit = QLineEdit('{"text": "hello"}')
        self.payload_edit.setAccessibleName("Payload")
        self.payload_edit.setToolTip(
            f"A JSON object; the view adds “{MARKER_FIELD}”: a unique marker that finds each "
            "column's copy"
        )
        self.via_combo = QComboBox()
        self.via_combo.setAccessibleName("Send via")
        self.via_combo.addItem("websocket", Transport.WEBSOCKET)
        self.via_combo.addItem("REST", Transport.REST)
        self.via_combo.setToolTip(
            "websocket: a push on the identity's joined channel, acknowledged (§5); "
            "REST: POST /api/broadcast/… with the identity's key and token (§6)"
        )
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        composer = QHBoxLayout()
        composer.addWidget(QLabel("Send as"))
        composer.addWidget(self.send_as)
        composer.addWidget(QLabel("Event"))
        composer.addWidget(self.event_edit)
        composer.addWidget(QLabel("Payload"))
        composer.addWidget(self.payload_edit, 1)
        composer.addWidget(QLabel("via"))
        composer.addWidget(self.via_combo)
        composer.addWidget(self.send_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setAccessibleName("Compare note")
        self.note.setVisible(False)

        # --- marks
        self.marks_model = MarksModel(self.board, [i.name for i in setup.identities], self)
        self.marks = QTableView()
        self.marks.setModel(self.marks_model)
        self.marks.setAccessibleName("Sent messages and who received them")
        self.marks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.marks.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.marks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.marks.verticalHeader().setVisible(False)
        self.marks.setWordWrap(False)
        self.marks.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.marks.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        m = self.fontMetrics()
        for col, sample in enumerate(("0000", "From", "x" * 10)):
            self.marks.setColumnWidth(col, m.horizontalAdvance(sample) + 16)
        for col in range(len(FIXED), len(FIXED) + len(self.columns)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.marks.verticalHeader().setDefaultSectionSize(m.height() + 6)
        self.marks_title = QLabel(
            "<b>Sent</b> · one row per message, a mark per identity (click a mark to select "
            "its row)"
        )
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(4, 0, 4, 4)
        bottom_layout.addLayout(composer)
        bottom_layout.addWidget(self.note)
        bottom_layout.addWidget(self.marks_title)
        bottom_layout.addWidget(self.marks, 1)

        self.v_splitter = QSplitter(Qt.Orientation.Vertical)
        self.v_splitter.setChildrenCollapsible(False)
        self.v_splitter.addWidget(splitter)
        self.v_splitter.addWidget(bottom)
        self.v_splitter.setStretchFactor(0, 3)
        self.v_splitter.setStretchFactor(1, 1)
        self.v_splitter.setSizes([560, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.v_splitter)

        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.timeout.connect(self._settle)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh_states)

        self.send_button.clicked.connect(self.send_from_composer)
        self.payload_edit.returnPressed.connect(self.send_from_composer)
        self.marks.clicked.connect(self.mark_clicked)
        close = QAction("Close", self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        self.addAction(close)
        self.resize(1200, 760)

    # ------------------------------------------------------------------------------ start

    def start(self) -> None:
        """Start every identity and connect its column (tasks on the running loop)."""
        if self._started:
            return
        self._started = True
        self._tick.start()
        for index, identity in enumerate(self.setup.identities):
            self._spawn(self._start_column(index, identity), f"compare column {index}")

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            task.get_loop().call_exception_handler(
                {"message": f"{task.get_name()} failed", "exception": task.exception()}
            )

    async def _start_column(self, index: int, identity: CompareIdentity) -> None:
        column = self.columns[index]
        controller = self.controllers[index]
        column.set_problem(
            "signing in…" if identity.how.startswith("email") else "starting…", error=False
        )
        try:
            base = ClientSettings(url=self.profile.url, api_key=self.api_key, vsn=self.profile.vsn)
            settings = await identity.session.start(base)
        except InspectorError as exc:
            column.set_problem(f"{identity.name}: {exc.message}")
            return
        if self._closing is not None:
            return
        token = settings.access_token
        column.set_role(describe_token(token or settings.api_key).role or "")
        identity.session.on_token(partial(self._token_refreshed, controller))
        on_error = getattr(identity.session, "on_error", None)
        if on_error is not None:
            on_error(partial(self._refresh_failed, index))
        error = controller.connect_to(self.profile, settings.api_key, token)
        if error is not None:
            column.set_problem(error)
            return
        fresh = identity.session.keep_fresh()
        if inspect.isawaitable(fresh):
            await fresh

    def _token_refreshed(self, controller: ControllerBase, token: str) -> None:
        """A refreshed token goes to the column's channel (``access_token``, §7.4)."""
        if self._closing is None and controller.active:
            controller.update_token(token)
            index = self.controllers.index(controller)
            when = clock_s(time.time())
            self.columns[index].set_note(f"token refreshed at {when}, pushed to the channel")

    def _refresh_failed(self, index: int, error: Exception, retry_in: float) -> None:
        text = getattr(error, "message", str(error))
        self.columns[index].set_note(f"token refresh failed: {text}; retrying in {retry_in:.0f} s")

    # ------------------------------------------------------------------------------ state

    def _status_changed(self, index: int, status: ChannelStatus) -> None:
        column = self.columns[index]
        column.set_status(status, self.controllers[index].clock())
        if status.state is TabState.JOINED and index not in self._tracked:
            # Present as this identity, once: the controller tracks again after a rejoin.
            self._tracked.add(index)
            payload = presence_payload(column.identity, index, column.role)
            self.controllers[index].track(self.setup.channel, payload)

    def _connection_changed(self, index: int, status: ConnectionStatus) -> None:
        """A connection that failed (a refused key or token at the handshake) says why."""
        if status.state is LinkState.DISCONNECTED and status.reason and self._closing is None:
            self.columns[index].set_problem(f"not connected: {status.reason}")

    def _refresh_states(self) -> None:
        for index, column in enumerate(self.columns):
            controller = self.controllers[index]
            channel = controller.channels.get(self.setup.channel)
            if channel is not None and channel.status.retry_at is not None:
                column.set_status(channel.status, controller.clock())

    def joined(self) -> list[bool]:
        return [c.channel.status.state is TabState.JOINED for c in self.columns]

    # ------------------------------------------------------------------------------ sending

    def send_from_composer(self) -> None:
        problem = self.send(
            self.send_as.currentIndex(),
            self.event_edit.text(),
            self.payload_edit.text(),
            via=self.via_combo.currentData(),
        )
        self.show_note(problem or "", error=True)

    def show_note(self, text: str, *, error: bool = False) -> None:
        """The line under the composer ("" hides it)."""
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {theme.colors().error.name()}" if error else "")
        self.note.setVisible(bool(text))

    def send(
        self,
        index: int,
        event: str,
        payload_text: str,
        *,
        via: Transport = Transport.WEBSOCKET,
    ) -> str | None:
        """Send as column ``index`` (over its websocket, or REST with its key and token) with
        a fresh marker; returns why not, or None."""
        if self._closing is not None:
            return "the compare view is closing"
        if not 0 <= index < len(self.columns):
            return "pick the identity to send as"
        event = event.strip()
        if not event:
            return "the event is empty"
        marker = self.board.next_marker()
        try:
            payload = stamp(payload_text, marker)
        except ValueError as exc:
            return str(exc)
        controller = self.controllers[index]
        if not controller.active:
            return f"{self.columns[index].identity} is not connected"
        joined = self.joined()
        record = controller.send(self.setup.channel, SendRequest(event, payload, transport=via))
        if record is None:
            return "the channel is not open"
        self._outgoing[id(record)] = marker
        self.board.sent(
            marker,
            index,
            event,
            joined,
            wall=record.time,
            now=time.monotonic(),
            row=record,
        )
        self._send_updated(index, record)  # it may already have failed ("not connected")
        self._arm_settle()
        return None

    def _send_updated(self, index: int, record: MessageRecord) -> None:
        marker = self._outgoing.get(id(record))
        info = record.send
        if marker is None or info is None:
            return
        state = info.state
        if state is SendState.SENT and info.ack:
            return  # written; the ack is still to come
        http = f"HTTP {info.http_status}" if info.http_status is not None else ""
        if state in (SendState.OK, SendState.SENT):
            self.board.send_result(marker, MarkState.SENT, http)
        elif state is SendState.ERROR:
            error = info.error or ""
            if http and http not in error:
                error = f"{http}: {error}" if error else http
            self.board.send_result(marker, MarkState.REFUSED, error)
        elif state is SendState.TIMED_OUT:
            self.board.send_result(marker, MarkState.NO_ANSWER)
        else:
            return
        del self._outgoing[id(record)]

    def _rows_added(self, index: int, inserted: int) -> None:
        log = self.columns[index].channel.log
        for row in range(max(0, len(log) - inserted), len(log)):
            record = log[row]
            if record.direction is Direction.IN:
                self.board.received(index, record.payload, record)

    def _arm_settle(self) -> None:
        deadline = self.board.next_deadline()
        if deadline is None:
            self._settle_timer.stop()
            return
        delay = max(0.0, deadline - time.monotonic())
        self._settle_timer.start(int(delay * 1000) + 1)

    def _settle(self) -> None:
        self.board.settle(time.monotonic())
        self._arm_settle()

    # ------------------------------------------------------------------------------ marks

    def mark_clicked(self, index: QModelIndex) -> None:
        column = self.marks_model.column_of_mark(index.column())
        if column is None:
            return
        mark = self.marks_model.mark(index.row(), column)
        if mark is None:
            return
        who = self.columns[column].identity
        if mark.row is None:
            self.show_note(f"{who}: {mark.state.value}; no row to show")
        elif self.columns[column].select_record(mark.row):
            self.show_note(f"{who}: {mark.text()} (row selected)")
        else:
            self.show_note(f"{who}: that row is no longer in the table")

    # ------------------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        self.begin_close()
        super().closeEvent(event)

    def begin_close(self) -> None:
        """Leave, close the sockets, stop the tasks (once); :meth:`wait_closed` awaits it."""
        if self._closing is not None:
            return
        self._settle_timer.stop()
        self._tick.stop()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = asyncio.get_event_loop()
        self._closing = loop.create_task(self._close(), name="compare close")

    async def wait_closed(self) -> None:
        self.begin_close()
        assert self._closing is not None
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        try:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            for controller in self.controllers:
                controller.leave(self.setup.channel)
            for controller in self.controllers:
                waiting = getattr(controller, "wait_idle", None)
                if waiting is not None:
                    with contextlib.suppress(Exception):
                        await waiting()
            await asyncio.gather(*(c.shutdown() for c in self.controllers), return_exceptions=True)
            for identity in self.setup.identities:
                with contextlib.suppress(Exception):
                    done = identity.session.close()
                    if inspect.isawaitable(done):
                        await done
            for index, listener in enumerate(self._listeners):
                self.columns[index].channel.log.remove_listener(listener)
        finally:
            with contextlib.suppress(RuntimeError):  # the window was deleted meanwhile
                self.closed.emit()

    def sizes_for(self, widths: Sequence[int]) -> None:
        """Column widths (screenshots)."""
        self.columns_splitter.setSizes(list(widths))
