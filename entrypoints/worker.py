"""``liudong worker``: one Faust worker process running every agent of the composition root
(:func:`bootstrap.worker_app.worker_app`)."""

from __future__ import annotations

import logging
import os
import sys
import threading

import faust
import structlog

from bootstrap.worker_app import worker_app
from infra.logging import configure_logging
from infra.settings import Settings

log = structlog.get_logger(__name__)

# How long a worker asked to stop (SIGTERM, SIGINT) may take before it ends itself. An orderly
# stop takes a few seconds (the runtimes finish or abandon their batches within their
# stop_timeout_s, then the group is left); what is not durable when the time is up is
# applied again from the recorded positions by the next worker.
STOP_GRACE_S = 15.0
EXIT_STOP_FORCED = 1


def run_worker(settings: Settings) -> int:
    configure_logging(settings.log_format, settings.log_level)
    if not settings.kafka_bootstrap:
        raise SystemExit("error: set LIUDONG_KAFKA_BOOTSTRAP (see `liudong kafka status`)")
    app = worker_app(settings, settings.kafka_bootstrap)
    worker = _Worker(
        app, loglevel=settings.worker_log_level.upper(), quiet=True, redirect_stdouts=False
    )
    worker.execute_from_commandline()
    return 0


class _Worker(faust.Worker):
    async def stop(self) -> None:
        if not self.should_stop:  # the first request to stop
            _end_after(STOP_GRACE_S)
        await super().stop()

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        # No terminal spinner: Faust's lowers the root logger to DEBUG for the life of the
        # process (it spins on every record), so every debug call in Faust and aiokafka built
        # a record for nothing: about 6% of a busy worker's time (py-spy, bench).
        self.spinner = None


def _end_after(seconds: float) -> None:
    """Exit the process ``seconds`` from now unless it has ended by then: a thread, so that
    it fires even when the event loop is stuck waiting."""

    def end() -> None:
        log.error("worker_stop_forced", grace_s=seconds, exit_status=EXIT_STOP_FORCED)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_STOP_FORCED)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()
