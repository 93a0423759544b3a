"""How ``liudong replay`` ends: its exit codes, the errors it reports in one line, and that
line.

Exit codes: 0 success (with ``--verify``: every check compared matched); 1 a difference,
a record that does not check out, or an instant before the log's first event; 2 a usage or
environment error (one ``error:`` line, never a traceback).
"""

from __future__ import annotations

import sys

import asyncpg
from aiokafka.errors import KafkaError

from audit.replay.positions import PositionError
from audit.replay.projection import NotAtRest

EXIT_DIFFERENT = 1
EXIT_NOTHING = 1
EXIT_ERROR = 2
ENVIRONMENT_ERRORS = (
    LookupError,
    NotAtRest,
    KafkaError,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    PositionError,
)


def error(message: str, code: int = EXIT_ERROR) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
