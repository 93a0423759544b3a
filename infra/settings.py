"""Settings from the environment (``LIUDONG_*``), read once by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".liudong"


class Settings(BaseSettings):
    """Every tunable the processes share; each field maps to ``LIUDONG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="LIUDONG_", extra="ignore", frozen=True)

    # Where downloaded jars, broker data, embedded PostgreSQL data and runtime state live:
    # outside the repository, so nothing fetched is ever committed.
    home: Path = Field(default_factory=_default_home)
    kafka_version: str = "4.1.1"
    # When set, use this cluster instead of starting an embedded one.
    kafka_bootstrap: str | None = None
    # Kafka client security, off by default (loopback brokers). SASL_SSL: SCRAM over TLS, the
    # broker's certificate checked against ``kafka_ssl_cafile`` (system CAs when unset).
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    # When set, use this PostgreSQL server instead of the embedded one.
    pg_dsn: str | None = None
    topic_prefix: str = "liudong"
    partitions: int = 6
    replication_factor: int = 1
    # Keyed-hash secret for person keys, shared by the region's county nodes. Unset: a random
    # one is generated once under ``home`` (fine for the demo; set it for a real region).
    person_key_secret: SecretStr | None = None
    # Events claiming an occurred-at further than this past the newest clock tick are rejected.
    max_clock_skew_days: int = 2
    max_event_bytes: int = 64 * 1024
    # The region (Ankang City by default) and its Ed25519 public key, the root of trust. Unset
    # key: read from the region key file under ``home`` (the demo creates one).
    region_code: str = "610900"
    region_public_key: str | None = None
    # Faust table store: memory in tests, rocksdb (rocksdict) in production.
    faust_store: str = "memory://"
    # RocksDB (per table partition: 2 tables x ``partitions`` databases per worker, and one
    # for the registry gate). Faust's defaults are a 2 GiB block cache and 3 x 64 MiB write
    # buffers for EACH database: 13 databases could claim ~28 GiB. Bounded here: each
    # database holds at most block cache + buffers x size (8 + 2 x 16 MiB = 40 MiB; 520 MiB
    # for 13), while the data itself stays on disk. State reads are point lookups and one
    # prefix scan per partition opened, so a small cache costs little. (Seconds-long waits
    # at paced load, once blamed on 4 MiB write buffers, came back at 16 MiB; the fetch wait
    # below accounts for most of them.)
    rocksdb_block_cache_mib: int = Field(default=8, ge=1)
    rocksdb_write_buffer_mib: int = Field(default=16, ge=1)
    rocksdb_max_write_buffers: int = Field(default=2, ge=2)
    commit_interval_s: float = 1.0
    # Longest a worker's fetch waits at the broker for records (why it bounds latency per
    # hop: streams.runtime.faust_internals.transport); Faust's own 1.5 s held events back
    # for seconds. Shorter costs throughput: in the bench, 10 ms halved one worker's rate
    # (more fetch wake-ups competing with the agents for the GIL) for p99 250 ms instead of
    # 400 ms at 50 ms.
    consumer_fetch_wait_ms: int = Field(default=50, ge=1, le=1500)
    # How long the group waits for a silent worker before giving its partitions to another.
    session_timeout_s: float = 10.0
    # Static group membership: a worker restarting on its own disk takes its place in the
    # group back at once, instead of waiting out the session of the process it replaces.
    # "auto": an id made of the host name and LIUDONG_HOME (two workers never share a home);
    # "none": dynamic membership; anything else: that id, unique per worker. A static member
    # does not leave the group when it stops: its partitions move to another worker once its
    # session times out.
    group_instance_id: str = "auto"
    # Copies of each table partition another worker keeps current from the changelog, so it
    # can take over without a full recovery (Faust's standby replicas; 0: none). Each costs
    # its worker the changelog reads and writes of the partitions it stands by for.
    standby_replicas: int = Field(default=1, ge=0)
    # Prometheus metrics of each worker on loopback; 0 picks a free port (logged at start).
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # The public disclosure page (`liudong public`): off unless switched on, since what a
    # region discloses is its decision. County counts below the threshold are withheld there
    # and in the bulletin's public edition; the page lists the bulletins in `public_dir`
    # (default: `home`/public/bulletins).
    public_page: bool = False
    public_suppress_below: int = Field(default=5, ge=2, le=1000)
    public_dir: Path | None = None
    log_format: str = "auto"  # auto | console | json
    log_level: str = "info"
    worker_log_level: str = "warning"  # Faust and aiokafka: chatty at info

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Settings:
        # Fail at start-up, for every command alike, rather than at the first connection.
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "LIUDONG_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs LIUDONG_KAFKA_SASL_USERNAME "
                "and LIUDONG_KAFKA_SASL_PASSWORD"
            )
        return self

    def rocksdb_options(self) -> dict[str, int]:
        """Faust's ``RocksDBOptions`` for every table (see the fields above)."""
        mib = 1024 * 1024
        return {
            "block_cache_size": self.rocksdb_block_cache_mib * mib,
            # Faust's compressed block cache is for python-rocksdb only; rocksdict ignores it.
            "block_cache_compressed_size": self.rocksdb_block_cache_mib * mib,
            "write_buffer_size": self.rocksdb_write_buffer_mib * mib,
            "max_write_buffer_number": self.rocksdb_max_write_buffers,
        }

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def public_bulletins(self) -> Path:
        return self.public_dir or self.home / "public" / "bulletins"
