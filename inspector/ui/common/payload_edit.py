"""PayloadEdit: a plain-text editor that never freezes on a long line (the composer's JSON and
bytes editors, the detail pane's text views).

Qt lays out a wrapped line of a QPlainTextEdit in time that grows much faster than its
length: a pasted one-line JSON of 1 MB took 15 s on the GUI thread, 3 MB over a minute (the
server's 60 s idle timeout then closed the socket, QA finding 2). Without wrapping the same
1 MB takes about 0.2 s. So the editor wraps as usual, but turns wrapping off *before* a line
longer than :data:`LONG_LINE` characters is laid out, and back on when the text is short again:

- paste and drop (``insertFromMimeData``) and :meth:`PayloadEdit.set_text` (history recall)
  look at the incoming text first;
- anything else that brings in a lot at once (undo, redo) is caught by the document's
  ``contentsChange``, which Qt emits before it lays out the change;
- typing that makes the current line long is caught on ``textChanged``.

A view that never wraps (a hexdump whose columns must stay aligned) says so with
:meth:`PayloadEdit.set_wrap_allowed`.

``benchmarks/composer_paste.py`` measures it.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QPlainTextEdit, QWidget

#: Lines longer than this are not wrapped (wrapping 10,000 characters costs a few ms).
LONG_LINE: Final = 10_000

_WRAP = QPlainTextEdit.LineWrapMode.WidgetWidth
_NO_WRAP = QPlainTextEdit.LineWrapMode.NoWrap


def longest_line(text: str) -> int:
    """The length of the longest line of ``text`` (0 for no text)."""
    if len(text) <= LONG_LINE:
        return len(text)
    return max((len(line) for line in text.splitlines()), default=0)


class PayloadEdit(QPlainTextEdit):
    """A plain-text editor that wraps lines unless one is too long to wrap quickly."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wrap_allowed = True
        self.document().contentsChange.connect(self._contents_change)
        self.textChanged.connect(self._text_changed)

    @property
    def wrapping(self) -> bool:
        return self.lineWrapMode() is not _NO_WRAP

    def set_wrap_allowed(self, allowed: bool) -> None:
        """Whether lines may wrap at all (when short enough); False keeps them unwrapped."""
        self._wrap_allowed = allowed
        self._set_wrapping(allowed and self.document().characterCount() - 1 <= LONG_LINE)

    def set_text(self, text: str) -> None:
        """``setPlainText``, with wrapping turned off first when ``text`` has a long line."""
        if longest_line(text) > LONG_LINE:
            self._set_wrapping(False)
        self.setPlainText(text)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if self.wrapping and source.hasText():
            block = self.textCursor().block().length() - 1  # Qt counts the line break
            if longest_line(source.text()) + block > LONG_LINE:
                self._set_wrapping(False)
        super().insertFromMimeData(source)

    def _contents_change(self, position: int, _removed: int, added: int) -> None:
        # Emitted before the layout sees the change: undo/redo of a long paste lands here.
        if added <= LONG_LINE or not self.wrapping:
            return
        block = self.document().findBlock(position)
        end = position + added
        while block.isValid() and block.position() <= end:
            if block.length() - 1 > LONG_LINE:
                self._set_wrapping(False)
                return
            block = block.next()

    def _text_changed(self) -> None:
        if self.wrapping:
            if self.textCursor().block().length() - 1 > LONG_LINE:  # typed past the limit
                self._set_wrapping(False)
        elif self._wrap_allowed and self.document().characterCount() - 1 <= LONG_LINE:
            self._set_wrapping(True)

    def _set_wrapping(self, on: bool) -> None:
        if on == self.wrapping:
            return
        self.setLineWrapMode(_WRAP if on else _NO_WRAP)
        if self._wrap_allowed:
            self.setToolTip("" if on else f"Lines over {LONG_LINE:,} characters are not wrapped")
