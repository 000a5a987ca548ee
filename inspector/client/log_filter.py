"""SafeLogFilter: log records made safe to print, for the window's log and the CLI's stderr.

Secrets are redacted (:func:`~inspector.protocol.redact.redact_text`: keys, tokens,
``Authorization``, anything JWT-shaped) and every control, bidi or zero-width character except
line breaks and tabs is written as ``\\uXXXX``
(:func:`~inspector.protocol.invisible.reveal`), in the message and in the traceback, so a
peer's text inside an exception or a message cannot drive the terminal the log is read on
(issue #10 item 1). Line breaks stay (tracebacks have them); the places that log peer text put
it in with :func:`~inspector.protocol.invisible.printable`, one line, so no line is forged.
"""

from __future__ import annotations

import logging
import traceback

from inspector.protocol.invisible import reveal
from inspector.protocol.redact import redact_text


class SafeLogFilter(logging.Filter):
    """Rewrites each record's message (and traceback) redacted and with hidden characters
    escaped; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = reveal(redact_text(message))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text:
            # also when another handler (one without this filter) formatted the traceback
            # first and cached it on the record: the text is cleaned here either way
            record.exc_text = reveal(redact_text(record.exc_text))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = reveal(redact_text(record.stack_info))
        return True
