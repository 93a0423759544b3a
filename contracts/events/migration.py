"""A person's moves between counties, as the counties register them."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import model_validator

from contracts.envelope import Envelope
from contracts.types import CountyCode, MoveReason, OriginAnswer, PersonKey


class PersonEvent(Envelope):
    """An event about one person, keyed (and partitioned) by the person key."""

    PERSONAL: ClassVar[bool] = True
    person_key: PersonKey


class OutflowRegistered(PersonEvent):
    """The origin registers a resident leaving for a destination (流出登记).

    Version 2 renamed ``to_county`` to ``destination_county`` and added ``reason``.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    event_type: Literal["outflow_registered"] = "outflow_registered"
    origin_county: CountyCode
    destination_county: CountyCode
    reason: MoveReason = "unspecified"

    @model_validator(mode="after")
    def _distinct(self) -> OutflowRegistered:
        if self.origin_county == self.destination_county:
            raise ValueError("an outflow cannot name its origin as its destination")
        return self


class InflowRegistered(PersonEvent):
    """The destination registers an arrival from an origin (流入登记)."""

    event_type: Literal["inflow_registered"] = "inflow_registered"
    origin_county: CountyCode
    destination_county: CountyCode

    @model_validator(mode="after")
    def _distinct(self) -> InflowRegistered:
        if self.origin_county == self.destination_county:
            raise ValueError("an inflow cannot name its destination as its origin")
        return self


class ArrivalNotFound(PersonEvent):
    """The destination reports it could not find a person announced by an outflow."""

    event_type: Literal["arrival_not_found"] = "arrival_not_found"
    origin_county: CountyCode
    destination_county: CountyCode


class OriginAnswered(PersonEvent):
    """The origin answers an inflow it had no outflow for: confirmed, or not ours."""

    event_type: Literal["origin_answered"] = "origin_answered"
    origin_county: CountyCode
    destination_county: CountyCode
    answer: OriginAnswer


class MovedOn(PersonEvent):
    """The current destination notifies that the person moved on to another county."""

    event_type: Literal["moved_on"] = "moved_on"
    from_county: CountyCode
    to_county: CountyCode

    @model_validator(mode="after")
    def _distinct(self) -> MovedOn:
        if self.from_county == self.to_county:
            raise ValueError("moved_on needs two different counties")
        return self


class ReturnedHome(PersonEvent):
    """The current destination notifies that the person returned to the origin."""

    event_type: Literal["returned_home"] = "returned_home"
    from_county: CountyCode
    home_county: CountyCode

    @model_validator(mode="after")
    def _distinct(self) -> ReturnedHome:
        if self.from_county == self.home_county:
            raise ValueError("returned_home needs two different counties")
        return self


class CaseTakenOver(PersonEvent):
    """The county a person moved to (or returned to) takes over the case."""

    event_type: Literal["case_taken_over"] = "case_taken_over"
    from_county: CountyCode
    by_county: CountyCode
