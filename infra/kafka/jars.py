"""Resolve the Kafka jars with Maven into the cache directory, once per Kafka version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import structlog

from infra.settings import Settings

log = structlog.get_logger(__name__)

POM = Path(__file__).with_name("pom.xml")
LOG4J2_CONFIG = Path(__file__).with_name("log4j2.properties")
_MARKER = ".complete"
# The classes the node and the formatter need; a partial copy lacks one of them.
_REQUIRED_PREFIXES = ("kafka_2.13-", "kafka-tools-", "kafka-clients-", "log4j-core-", "slf4j-api-")
_MVN_TIMEOUT_S = 600.0
_TAIL_LINES = 30


class KafkaSetupError(RuntimeError):
    """The Kafka runtime (java, mvn, jars) could not be prepared; the message says why."""


def libs_dir(settings: Settings) -> Path:
    return settings.cache_dir / f"kafka-{settings.kafka_version}" / "libs"


def ensure_jars(settings: Settings) -> Path:
    """The directory holding every jar of the configured Kafka version; resolves if needed."""
    libs = libs_dir(settings)
    if _is_complete(libs):
        return libs
    _resolve(settings.kafka_version, libs)
    missing = _missing_jars(libs)
    if missing:
        raise KafkaSetupError(f"mvn finished but {libs} lacks jars: {', '.join(missing)}")
    (libs / _MARKER).write_text(settings.kafka_version + "\n")
    log.info("kafka_jars_resolved", libs=str(libs), version=settings.kafka_version)
    return libs


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaSetupError("java not found on PATH; install a JDK 17 or newer")
    return java


def _is_complete(libs: Path) -> bool:
    return (libs / _MARKER).is_file() and not _missing_jars(libs)


def _missing_jars(libs: Path) -> list[str]:
    names = [p.name for p in libs.glob("*.jar")] if libs.is_dir() else []
    return [pre for pre in _REQUIRED_PREFIXES if not any(n.startswith(pre) for n in names)]


def _resolve(version: str, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("mvn not found on PATH; install Maven to fetch the Kafka jars")
    work = libs.parent
    work.mkdir(parents=True, exist_ok=True)
    # A copy of the pom beside the jars, so Maven never writes into the source tree.
    pom = work / "pom.xml"
    shutil.copyfile(POM, pom)
    cmd = [
        mvn,
        "-q",
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={libs}",
        f"-Dkafka.version={version}",
    ]
    log.info("kafka_jars_resolving", version=version, libs=str(libs))
    try:
        done = subprocess.run(
            cmd, cwd=work, capture_output=True, text=True, timeout=_MVN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaSetupError(f"mvn timed out after {_MVN_TIMEOUT_S:.0f}s resolving Kafka") from exc
    if done.returncode != 0:
        raise KafkaSetupError(
            f"mvn failed (exit {done.returncode}) resolving Kafka {version}:\n"
            + tail(done.stdout + done.stderr)
        )


def tail(text: str, lines: int = _TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
