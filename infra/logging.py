"""structlog, configured once: console renderer in a terminal, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

_configured = False


def configure_logging(log_format: str = "auto", level: str = "info") -> None:
    global _configured
    if _configured:
        return
    _configured = True
    use_console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(
        level=max(numeric, logging.WARNING), stream=sys.stderr, format="%(message)s"
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )


class _CurrentStderr:
    """Writes to whatever sys.stderr is now, not the one at configuration time: a caller
    that swaps stderr (pytest's capture, a daemonizing wrapper) and closes the old one must
    not break every later log line."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()
