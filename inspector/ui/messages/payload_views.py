"""PayloadViewsWidget: the detail pane's views of one payload, each formatted only when shown.

JSON payloads: *JSON* (pretty, highlighted) and *Tree*. Binary payloads (kind 4 encoding 0,
REST octet-stream; docs/realtime-protocol.md §2.3, §6.2): *Hex* (offset, bytes, ASCII),
*Base64*, *UTF-8 / JSON* (the bytes tried as text, then as JSON, with the reason when they are
neither) and *Tree* when they are JSON (issue #5 §2).

Nothing is formatted until its tab is shown, and then only a piece (64 KiB of hexdump, 200,000
characters of text): *Show more* adds the next piece. Pretty JSON is produced by a generator
(:class:`~inspector.store.messages.payload_views.PrettyJson`), so a 5 MB payload costs what is on
screen, not a full ``json.dumps(indent=2)``; the tree builds nodes as they are expanded.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import partial
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.invisible import NOTE as HIDDEN_NOTE
from inspector.protocol.invisible import reveal_count
from inspector.store import MessageRecord, PayloadFormat
from inspector.store.messages.payload_views import (
    HEX_CHUNK,
    TEXT_CHUNK,
    JsonCheck,
    Piece,
    PrettyJson,
    ReindentJson,
    base64_view,
    check_utf8,
    hexdump,
    hexdump_chars,
    parse_json,
    utf8_view,
)

from ..common import theme
from ..common.payload_edit import PayloadEdit
from .json_highlighter import JsonHighlighter
from .json_tree import JsonTreeView

#: Highlight JSON only up to this many characters on screen (a regex per line costs time).
HIGHLIGHT_LIMIT: Final = 150_000
#: JSON payloads above this size are re-indented as they came instead of parsed first
#: (``json.loads`` of 5 MB takes ~70 ms; re-indenting what is shown, ~12 ms).
PARSE_LIMIT: Final = 1_000_000

PRIMARY, BASE64, UTF8, TREE = range(4)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:,.1f} KiB"
    return f"{n / (1024 * 1024):,.1f} MiB"


class _Source:
    """Hands out a view piece by piece; ``exhausted`` when everything has been given."""

    def __init__(self, take: Callable[[], str], exhausted: Callable[[], bool], total: str) -> None:
        self._take = take
        self._exhausted = exhausted
        self.total = total
        self.shown = 0

    def take(self) -> str:
        text = self._take()
        self.shown += len(text)
        return text

    @property
    def exhausted(self) -> bool:
        return self._exhausted()


def piece_source(fn: Callable[[bytes, int, int], Piece], data: bytes, step: int) -> _Source:
    """A source over ``hexdump``/``base64_view``/``utf8_view``, ``step`` bytes per piece."""
    state: dict[str, int | None] = {"next": 0}

    def take() -> str:
        start = state["next"]
        if start is None:
            return ""
        piece = fn(data, start, step)
        state["next"] = piece.next_start
        return ("\n" if start and fn is not utf8_view else "") + piece.text

    return _Source(take, lambda: state["next"] is None, _size(len(data)))


def pretty_source(value: object) -> _Source:
    pretty = PrettyJson(value)
    return _Source(lambda: pretty.take(TEXT_CHUNK), lambda: pretty.exhausted, "")


def reindent_source(text: str) -> _Source:
    pretty = ReindentJson(text)
    return _Source(lambda: pretty.take(TEXT_CHUNK), lambda: pretty.exhausted, "")


def text_source(text: str) -> _Source:
    state = {"at": 0}

    def take() -> str:
        start = state["at"]
        state["at"] = min(len(text), start + TEXT_CHUNK)
        return text[start : state["at"]]

    return _Source(take, lambda: state["at"] >= len(text), f"{len(text):,} characters")


class TextPage(QWidget):
    """A read-only text view with a *Show more* bar for the pieces not shown yet.

    Every piece passes through :func:`~inspector.protocol.invisible.reveal`: invisible and
    direction-changing characters read as ``\\uXXXX``, and a warning line counts them."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.hidden_label = QLabel()
        self.hidden_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hidden_label.setWordWrap(True)
        self.hidden_label.setAccessibleName("Hidden characters")
        self.hidden_label.setVisible(False)
        self.hidden_count = 0
        self.text = PayloadEdit()  # a long line is not wrapped: it would freeze the window
        self.text.setReadOnly(True)
        self.text.setFont(theme.mono_font())
        self.text.setAccessibleName(name)
        self.more_label = QLabel()
        self.more_button = QPushButton("Show more")
        self.more_button.clicked.connect(self.show_more)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.more_label, 1)
        bar.addWidget(self.more_button)
        self.more_bar = QWidget()
        self.more_bar.setLayout(bar)
        self.more_bar.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.hidden_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.more_bar)
        self._source: _Source | None = None

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_source(self, source: _Source | None, wrap: bool = True) -> None:
        self._source = source
        self.text.setPlainText("")
        self.text.set_wrap_allowed(wrap)
        self.hidden_count = 0
        self.text.set_text(self._take())
        self._update_bar()

    def show_more(self) -> None:
        if self._source is None or self._source.exhausted:
            return
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(self._take())
        self._update_bar()

    def _take(self) -> str:
        """The next piece, hidden characters revealed and counted (QA 7)."""
        text, hidden = reveal_count(self._source.take() if self._source is not None else "")
        self.hidden_count += hidden
        self.hidden_label.setText(f"⚠ {self.hidden_count:,} hidden: {HIDDEN_NOTE}.")
        self.hidden_label.setStyleSheet(f"color: {theme.colors().warning.name()}")
        self.hidden_label.setVisible(self.hidden_count > 0)
        return text

    @property
    def complete(self) -> bool:
        return self._source is None or self._source.exhausted

    def _update_bar(self) -> None:
        source = self._source
        more = source is not None and not source.exhausted
        self.more_bar.setVisible(more)
        if source is not None and more:
            of = f" of {source.total}" if source.total else ""
            self.more_label.setText(f"Showing the first {source.shown:,} characters{of}.")


class PayloadViewsWidget(QTabWidget):
    """The tabs of one payload; see the module docstring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.primary = TextPage("Payload")
        self.base64_page = TextPage("Payload as base64")
        self.utf8_page = TextPage("Payload as UTF-8 or JSON")
        self.tree = JsonTreeView()
        self.tree_note = QLabel()
        self.tree_note.setWordWrap(True)
        self.tree_note.setTextFormat(Qt.TextFormat.PlainText)
        tree_page = QWidget()
        tree_layout = QVBoxLayout(tree_page)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        tree_layout.addWidget(self.tree_note)
        tree_layout.addWidget(self.tree, 1)
        self.addTab(self.primary, "JSON")
        self.addTab(self.base64_page, "Base64")
        self.addTab(self.utf8_page, "UTF-8 / JSON")
        self.addTab(tree_page, "Tree")
        self.highlighter = JsonHighlighter(self.primary.text.document())
        self.utf8_highlighter = JsonHighlighter(self.utf8_page.text.document())
        self._record: MessageRecord | None = None
        self._rendered: set[int] = set()
        self._json: JsonCheck | None = None
        #: bytes per hexdump line: 16, or 8 when 16 do not fit the pane.
        self._hex_width = 16
        #: the tab the user chose last; shown again for the next record when it applies.
        self._wanted = PRIMARY
        self.currentChanged.connect(self._tab_changed)
        self.set_record(None)

    # ------------------------------------------------------------------------------ record

    @property
    def record(self) -> MessageRecord | None:
        return self._record

    def set_record(self, record: MessageRecord | None) -> None:
        self._record = record
        self._rendered = set()
        self._json = None
        binary = record is not None and record.format is PayloadFormat.BINARY
        # Hiding the current tab moves the selection: not a choice of the user's.
        self.blockSignals(True)
        self.setTabText(PRIMARY, "Hex" if binary else "JSON")
        self.setTabVisible(BASE64, binary)
        self.setTabVisible(UTF8, binary)
        self.blockSignals(False)
        for page in (self.primary, self.base64_page, self.utf8_page):
            page.set_source(None)
            page.set_note("")
        self.tree.set_value(None)
        self.tree_note.setText("")
        self.primary.text.setPlaceholderText("Select a row to see its payload")
        wanted = self._wanted if self.isTabVisible(self._wanted) else PRIMARY
        self.blockSignals(True)
        self.setCurrentIndex(wanted)
        self.blockSignals(False)
        self._render(wanted)

    def json_check(self) -> JsonCheck:
        """The payload parsed as JSON (once per record)."""
        if self._json is None:
            record = self._record
            data = record.payload if record is not None else b""
            # Parsing megabytes allocates hundreds of thousands of objects, which sets off
            # full garbage collections over the whole app in the middle; none is needed.
            enabled = gc.isenabled()
            gc.disable()
            try:
                self._json = parse_json(data)
            finally:
                if enabled:
                    gc.enable()
        return self._json

    def _tab_changed(self, index: int) -> None:
        if index >= 0:
            self._wanted = index
            self._render(index)

    def _render(self, index: int) -> None:
        record = self._record
        if record is None or index in self._rendered:
            return
        self._rendered.add(index)
        binary = record.format is PayloadFormat.BINARY
        data = record.payload
        if index == PRIMARY:
            if binary:
                self.highlighter.setDocument(None)
                self._hex_width = self._fit_hex_width()
                dump = partial(hexdump, width=self._hex_width)
                self.primary.set_source(piece_source(dump, data, HEX_CHUNK), wrap=False)
                return
            small = len(data) <= HIGHLIGHT_LIMIT // 2
            self.highlighter.setDocument(self.primary.text.document() if small else None)
            if len(data) > PARSE_LIMIT:
                self.primary.set_note(
                    f"{_size(len(data))}: shown re-indented as it came, without parsing it "
                    "first (the Tree parses it when you open it)."
                )
                self.primary.set_source(reindent_source(data.decode("utf-8", "replace")))
                return
            check = self.json_check()
            if check.ok:
                self.primary.set_source(pretty_source(check.value))
            else:
                self.primary.set_note(f"Shown as text: the payload is {check.error}.")
                self.primary.set_source(piece_source(utf8_view, data, TEXT_CHUNK))
        elif index == BASE64:
            self.base64_page.set_source(piece_source(base64_view, data, TEXT_CHUNK), wrap=False)
        elif index == UTF8:
            self._render_utf8(data)
        elif index == TREE:
            check = self.json_check()
            if check.ok:
                self.tree_note.setVisible(False)
                self.tree.set_value(check.value)
            else:
                self.tree_note.setVisible(True)
                self.tree_note.setText(f"No tree: the payload is {check.error}.")

    def _fit_hex_width(self) -> int:
        """16 bytes a line when they fit the view, else 8 (no sideways scrolling)."""
        view = self.primary.text
        chars = view.viewport().width() // max(1, view.fontMetrics().horizontalAdvance("0"))
        return 16 if chars >= hexdump_chars(16) else 8

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        record = self._record
        if (
            record is not None
            and record.format is PayloadFormat.BINARY
            and PRIMARY in self._rendered
            and self._fit_hex_width() != self._hex_width
        ):
            self._rendered.discard(PRIMARY)
            if self.currentIndex() == PRIMARY:
                self._render(PRIMARY)

    def _render_utf8(self, data: bytes) -> None:
        page = self.utf8_page
        utf8 = check_utf8(data)
        small = len(data) <= HIGHLIGHT_LIMIT // 2
        if not utf8.valid:
            self.utf8_highlighter.setDocument(None)
            page.set_note(
                f"Not text: {utf8.describe().removeprefix('not UTF-8: ')} is not valid UTF-8. "
                "Shown with invalid bytes replaced by �."
            )
            page.set_source(piece_source(utf8_view, data, TEXT_CHUNK))
            return
        check = self.json_check()
        if check.ok:
            self.utf8_highlighter.setDocument(page.text.document() if small else None)
            page.set_note("Valid UTF-8 and valid JSON (see also Tree):")
            page.set_source(pretty_source(check.value))
        else:
            self.utf8_highlighter.setDocument(None)
            page.set_note(f"Valid UTF-8 text, but {check.error}.")
            page.set_source(piece_source(utf8_view, data, TEXT_CHUNK))

    def render_all(self) -> None:
        """Format every visible tab now (tests, screenshots)."""
        for index in range(self.count()):
            if self.isTabVisible(index):
                self._render(index)
