"""A refusal: input left out with a stable reason code (what a dead letter and a reader's
report record) and the reason in words."""

from __future__ import annotations


class Refusal(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
