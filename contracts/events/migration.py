"""A person's moves between counties, as the counties register them."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.envelope import Envelope
from contracts.types import CountyCode, MoveReason, OriginAnswer, PersonKey


class PersonEvent(Envelope):
    """An event about one person, keyed (and partitioned) by the person key."""

    PERSONAL: ClassVar[bool] = True
    person_key: PersonKey = Field(
        description="Who it is about: HMAC-SHA256 (lower-case hex) of the person's normalized "
        "national ID number under the region's person-key secret, computed at the county node. "
        "Also the message key; its first 8 hex digits modulo the partition count name the "
        "partition."
    )


class OutflowRegistered(PersonEvent):
    """The origin registers a resident leaving for a destination (流出登记).

    Published by the origin: ``source_county`` is ``origin_county``. Version 2 renamed
    ``to_county`` to ``destination_county`` and added ``reason``.
    """

    SCHEMA_VERSION: ClassVar[int] = 2
    event_type: Literal["outflow_registered"] = "outflow_registered"
    origin_county: CountyCode = Field(description="The county the person leaves (流出地).")
    destination_county: CountyCode = Field(description="The county the person goes to (流入地).")
    reason: MoveReason = Field(default="unspecified", description="Why the person moves.")

    @model_validator(mode="after")
    def _distinct(self) -> OutflowRegistered:
        if self.origin_county == self.destination_county:
            raise ValueError("an outflow cannot name its origin as its destination")
        return self


class InflowRegistered(PersonEvent):
    """The destination registers an arrival from an origin (流入登记).

    Published by the destination (``source_county`` is ``destination_county``), or by the
    origin's outposted office stationed in the destination.
    """

    event_type: Literal["inflow_registered"] = "inflow_registered"
    origin_county: CountyCode = Field(description="The county the person came from.")
    destination_county: CountyCode = Field(description="The county registering the arrival.")

    @model_validator(mode="after")
    def _distinct(self) -> InflowRegistered:
        if self.origin_county == self.destination_county:
            raise ValueError("an inflow cannot name its destination as its origin")
        return self


class ArrivalNotFound(PersonEvent):
    """The destination reports it could not find a person announced by an outflow.

    Published by the destination: ``source_county`` is ``destination_county``.
    """

    event_type: Literal["arrival_not_found"] = "arrival_not_found"
    origin_county: CountyCode = Field(description="The county that announced the outflow.")
    destination_county: CountyCode = Field(description="The county that looked for the person.")


class OriginAnswered(PersonEvent):
    """The origin answers an inflow it had no outflow for: confirmed, or not ours.

    Published by the origin: ``source_county`` is ``origin_county``.
    """

    event_type: Literal["origin_answered"] = "origin_answered"
    origin_county: CountyCode = Field(description="The county answering, named as origin.")
    destination_county: CountyCode = Field(description="The county that registered the inflow.")
    answer: OriginAnswer = Field(
        description="confirmed: the person is the origin's resident; not_ours: unknown there."
    )


class MovedOn(PersonEvent):
    """The current destination notifies that the person moved on to another county.

    Published by the county the person leaves: ``source_county`` is ``from_county``.
    """

    event_type: Literal["moved_on"] = "moved_on"
    from_county: CountyCode = Field(description="The county the person leaves (the notifier).")
    to_county: CountyCode = Field(description="The county the person moves on to.")

    @model_validator(mode="after")
    def _distinct(self) -> MovedOn:
        if self.from_county == self.to_county:
            raise ValueError("moved_on needs two different counties")
        return self


class ReturnedHome(PersonEvent):
    """The current destination notifies that the person returned to the origin.

    Published by the county the person leaves: ``source_county`` is ``from_county``.
    """

    event_type: Literal["returned_home"] = "returned_home"
    from_county: CountyCode = Field(description="The county the person leaves (the notifier).")
    home_county: CountyCode = Field(description="The person's home county, taking the case back.")

    @model_validator(mode="after")
    def _distinct(self) -> ReturnedHome:
        if self.from_county == self.home_county:
            raise ValueError("returned_home needs two different counties")
        return self


class CaseTakenOver(PersonEvent):
    """The county a person moved to (or returned to) takes over the case.

    Published by the county taking over: ``source_county`` is ``by_county``.
    """

    event_type: Literal["case_taken_over"] = "case_taken_over"
    from_county: CountyCode = Field(description="The county that held the case until now.")
    by_county: CountyCode = Field(description="The county taking the case over.")
