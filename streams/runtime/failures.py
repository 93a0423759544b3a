"""The ways a batch ends without being done: for good (:class:`Fatal`), or for the next
owner to apply again (:class:`Abandoned`)."""

from __future__ import annotations


class Fatal(RuntimeError):
    """Nothing the runtime can do will get this batch through: the worker must stop."""


class OutputRefused(Fatal):
    """The broker refuses an output for good and nothing stands in for it: the topic's
    configuration or the worker's authorization must change."""

    def __init__(self, message: str, topic: str, error: BaseException) -> None:
        super().__init__(message)
        self.topic = topic
        self.error = error


class Abandoned(Exception):
    """A batch left undone because its partition is closing: the next owner (or the next
    start) applies it again from the recorded position."""
