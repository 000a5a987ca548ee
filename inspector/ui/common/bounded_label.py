"""Labels whose text never sets the width of the window (QA of issues #11/#12).

A QLabel asks its layout for at least the width of its longest unbroken word (all of it when
word wrap is off), and the layout passes that up until the window grows: a 3,000-character
payload in the "Next send:" preview made a 1,024 px window 2,081 px wide. A
:class:`NarrowLabel` asks for a bounded minimum width; ``set_short_text`` shows at most a few short
lines and puts the whole text (bounded) in the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel

#: The most width (in average characters) a label's text asks for as its minimum.
MIN_CHARS = 24
#: Characters of one line a short label shows (the tooltip shows more).
LINE_CHARS = 300
#: Characters the tooltip shows.
TOOLTIP_CHARS = 4000


class NarrowLabel(QLabel):
    """A QLabel whose text never asks for more than :data:`MIN_CHARS` average characters of
    width as its minimum: a long word or an unwrapped line is clipped (or wrapped, with word
    wrap on) inside what the layout gives. Shorter texts behave as in any QLabel (the layout
    still keeps a short word whole), so the window's minimum height does not grow either."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        cap = self.fontMetrics().averageCharWidth() * MIN_CHARS
        return QSize(min(hint.width(), cap), hint.height())


def short_text(text: str, line_chars: int = LINE_CHARS, max_lines: int = 0) -> str:
    """Each line cut to ``line_chars`` (ending in "…"), at most ``max_lines`` lines when given."""
    lines = text.split("\n")
    if max_lines and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1] + " …"]
    return "\n".join(
        line if len(line) <= line_chars else line[: line_chars - 1] + "…" for line in lines
    )


def set_short_text(
    label: QLabel, text: str, line_chars: int = LINE_CHARS, max_lines: int = 0
) -> None:
    """Show ``text`` cut to short lines; the tooltip holds the text (up to TOOLTIP_CHARS)
    when anything was cut, else it is cleared."""
    shown = short_text(text, line_chars, max_lines)
    label.setText(shown)
    if shown == text:
        label.setToolTip("")
    else:
        cut = text if len(text) <= TOOLTIP_CHARS else text[: TOOLTIP_CHARS - 1] + "…"
        label.setToolTip(cut)
