"""JsonHighlighter: syntax colours for pretty-printed JSON in a QTextDocument (detail pane)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from ..common import theme

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*"(?=\s*:))'
    r'|(?P<string>"(?:[^"\\]|\\.)*"?)'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
    r"|(?P<punct>[{}\[\],:])"
)


def _fmt(color: QColor, bold: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(color)
    if bold:
        f.setFontWeight(600)
    return f


class JsonHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers, literals and punctuation, in palette-aware colours."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.refresh_theme()

    def refresh_theme(self) -> None:
        dark = theme.is_dark()
        self._formats = {
            "key": _fmt(QColor("#79c0ff" if dark else "#0550ae"), bold=True),
            "string": _fmt(QColor("#a5d6ff" if dark else "#0a3069")),
            "number": _fmt(QColor("#ffa657" if dark else "#953800")),
            "literal": _fmt(QColor("#ff7b72" if dark else "#cf222e")),
            "punct": _fmt(theme.colors().muted),
        }
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        if len(text) > 20_000:  # a single giant line: leave it plain rather than stall
            return
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind is not None:
                self.setFormat(match.start(), match.end() - match.start(), self._formats[kind])
