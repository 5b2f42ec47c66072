"""Logging that cannot leak who a visitor is: no access log, addresses scrubbed as a backstop.

Two formats (BAKEN_LOG_FORMAT): ``text``, one readable line, and ``json``, one JSON object per line
for a log collector. Exceptions are written as their type and stack only: an exception's own
message can quote what it failed on (SQL parameters, a token, a text), so it is left out.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import UTC, datetime

import orjson

# Line breaks and other control characters: in a text log they could start a forged line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# IPv4, and IPv6 in its usual written forms (at least two groups around a colon pair).
_ADDRESS = re.compile(
    r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\b"
)


class ScrubAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = _ADDRESS.sub("[addr]", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def _stack(record: logging.LogRecord) -> str | None:
    if not record.exc_info or record.exc_info[0] is None:
        return None
    kind, _value, tb = record.exc_info
    frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
    return f"{kind.__name__} (message left out)\n{frames}".rstrip()


def _escape_control(text: str) -> str:
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


class TextFormatter(logging.Formatter):
    """One line per record (a stack, when there is one, follows on lines of its own), stamped in
    UTC like the JSON format and the audit log, so lines from several hosts line up."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # A message may quote what a client sent (a request path): it must not break the line.
        record.message = _escape_control(record.getMessage())
        record.asctime = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        line = self.formatMessage(record)
        stack = _stack(record)
        return line if stack is None else f"{line}\n{stack}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        stack = _stack(record)
        if stack is not None:
            entry["exception"] = stack
        return orjson.dumps(entry).decode()


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


# Libraries that write frames, SQL with its parameters or request lines at debug level: never
# below warning, whatever BAKEN_LOG_LEVEL says (tests/test_log_privacy.py).
QUIET_LIBRARIES = (
    "websockets",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "redis",
    "httpx",
    "httpcore",
    "multipart",
    "python_multipart",
    "hpack",
)


def configure(level: str = "info", log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(ScrubAddresses())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(root.level, logging.WARNING))
    # uvicorn hands its WebSocket protocol this logger, which then writes every request header
    # (cookies, X-Forwarded-For, User-Agent) and every frame (message text) at debug level.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
