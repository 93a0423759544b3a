"""Where a derived record came from: the ``liudong-cause`` header every agent output carries.

Each record an agent writes (a forwarded event, an obligation event, an alert, a dead letter)
names, in a Kafka record header, the position of the input record that caused it::

    liudong-cause: <topic>/<partition>/<offset>

ASCII, with the input's full topic name (topic names cannot hold ``/``). A record caused by
the registry topic names its offset there, one forwarded by the gate its county-events
offset, one derived by the cases agent its validated offset. So an audit can restrict a
derived topic to what inputs up to a position derived, while the system keeps running:
keep a record if its cause is below the input positions given (:meth:`Cause.within`).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

HEADER = "liudong-cause"


class CauseError(ValueError):
    """A ``liudong-cause`` value that is not ``<topic>/<partition>/<offset>``."""


@dataclass(frozen=True, slots=True)
class Cause:
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"

    def header(self) -> tuple[str, bytes]:
        """The record header naming this cause."""
        return HEADER, encode(self.topic, self.partition, self.offset)

    def within(self, positions: Mapping[tuple[str, int], int]) -> bool:
        """Whether the cause lies before ``positions`` (``(topic, partition)`` -> the next
        offset, as a consumer's position): a partition not named is not within."""
        end = positions.get((self.topic, self.partition))
        return end is not None and self.offset < end


def encode(topic: str, partition: int, offset: int) -> bytes:
    """The header value for the input at ``topic``/``partition``/``offset``."""
    return f"{topic}/{partition}/{offset}".encode("ascii")


def parse(value: bytes) -> Cause:
    """A header value back as a :class:`Cause`; :class:`CauseError` if it is not one."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        raise CauseError(f"a cause is ASCII, not {value[:80]!r}") from None
    topic, _, rest = text.partition("/")
    partition, _, offset = rest.partition("/")
    if not topic or not partition.isdigit() or not offset.isdigit():
        raise CauseError(f"a cause is <topic>/<partition>/<offset>, not {text[:120]!r}")
    return Cause(topic, int(partition), int(offset))


def of(headers: Iterable[tuple[str, bytes]] | None) -> Cause | None:
    """The cause a record's headers name (as aiokafka gives them), or None if they name
    none; :class:`CauseError` if the header is there but malformed."""
    for name, value in headers or ():
        if name == HEADER:
            return parse(value)
    return None
