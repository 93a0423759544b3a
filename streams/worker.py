"""``liudong worker``: one Faust worker process running every agent of the composition root."""

from __future__ import annotations

import logging

import faust

from infra.logging import configure_logging
from infra.settings import Settings
from streams.app import build_app
from streams.region import region_public_key


def run_worker(settings: Settings) -> int:
    configure_logging(settings.log_format, settings.log_level)
    if not settings.kafka_bootstrap:
        raise SystemExit("error: set LIUDONG_KAFKA_BOOTSTRAP (see `liudong kafka status`)")
    app = build_app(
        settings,
        bootstrap_servers=settings.kafka_bootstrap,
        region_code=settings.region_code,
        region_key=region_public_key(settings),
    )
    worker = _Worker(
        app, loglevel=settings.worker_log_level.upper(), quiet=True, redirect_stdouts=False
    )
    worker.execute_from_commandline()
    return 0


class _Worker(faust.Worker):
    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        # No terminal spinner: Faust's lowers the root logger to DEBUG for the life of the
        # process (it spins on every record), so every debug call in Faust and aiokafka built
        # a record for nothing: about 6% of a busy worker's time (py-spy, bench).
        self.spinner = None
