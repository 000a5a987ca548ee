"""Labels whose text never sets the width of the window (QA of issues #11/#12).

A QLabel asks its layout for at least the width of its longest unbroken word (all of it when
word wrap is off), and the layout passes that up until the window grows: a 3,000-character
payload in the "Next send:" preview made a 1,024 px window 2,081 px wide. ``keep_narrow``
makes a label take the width its layout gives it; ``set_short_text`` shows at most a few short
lines and puts the whole text (bounded) in the tooltip.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy

#: Characters of one line a short label shows (the tooltip shows more).
LINE_CHARS = 300
#: Characters the tooltip shows.
TOOLTIP_CHARS = 4000


def keep_narrow(label: QLabel) -> QLabel:
    """The label's text no longer asks for width: it is clipped or wrapped inside what the
    layout gives it. Returns ``label``."""
    label.setMinimumWidth(1)
    policy = label.sizePolicy()
    policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
    label.setSizePolicy(policy)
    return label


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
