"""One life cycle for a clean-up campaign, whoever folds the region's events.

The region's campaign events, edge cases included (a repeat, an extension to an earlier
deadline, an early close, an extension after the close, a second close), as broadcast copies
on the validated topic: the projection (real projector, real PostgreSQL), the cases agent's
book, ``liudong campaign status``'s fold and the bulletin's fold must all end with the same
campaign: the longer deadline, closed early at the first close's instant.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.campaign_book import Campaign, CampaignBook, book
from contracts.envelope import Envelope
from contracts.events.campaigns import CampaignClosed, CampaignExtended, CampaignOpened
from disclosure.bulletin.log_fold import LogFold
from infra.projection.projector import Projector
from streams import topics
from streams.admin import ensure_topics
from streams.codec import encode
from tests.integration.databases import empty_database
from tests.unit.factories import COUNTY_A, COUNTY_B, REGION, T0, unsigned

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

PARTITIONS = 2
DAY = dt.timedelta(days=1)
CAMPAIGN = "qingcha-life"


def region(cls: type[Envelope], at: dt.datetime, **fields: Any) -> Envelope:
    return unsigned(
        cls, source_county=REGION, publisher_id=f"{REGION}/region", occurred_at=at, **fields
    )


def region_events() -> list[Envelope]:
    opened = region(
        CampaignOpened,
        T0,
        campaign_id=CAMPAIGN,
        counties=(COUNTY_B, COUNTY_A),
        period_start=T0 - 90 * DAY,
        period_end=T0,
        deadline=T0 + 30 * DAY,
        checks=("lost_contact",),
    )
    return [
        opened,
        opened,  # re-delivered
        region(CampaignExtended, T0 + DAY, campaign_id=CAMPAIGN, deadline=T0 + 20 * DAY),
        region(CampaignExtended, T0 + 2 * DAY, campaign_id=CAMPAIGN, deadline=T0 + 45 * DAY),
        region(CampaignClosed, T0 + 3 * DAY, campaign_id=CAMPAIGN, early=True),
        region(CampaignExtended, T0 + 4 * DAY, campaign_id=CAMPAIGN, deadline=T0 + 90 * DAY),
        region(CampaignClosed, T0 + 5 * DAY, campaign_id=CAMPAIGN, early=False),
    ]


EXPECTED = (T0 + 45 * DAY, T0 + 3 * DAY, True)  # deadline, closed at, closed early


def facts(campaign: Campaign) -> tuple[dt.datetime, dt.datetime | None, bool]:
    return campaign.deadline, campaign.closed_at, campaign.early


@pytest.fixture
async def database(pg_dsn: str) -> AsyncIterator[str]:
    async with empty_database(pg_dsn, "life") as dsn:
        yield dsn


async def test_every_reader_folds_a_campaign_by_the_one_rule(
    kafka_bootstrap: str, database: str
) -> None:
    events = region_events()

    agents = CampaignBook()
    for event in events:
        agents = agents.apply(event)
    assert facts(agents.campaigns[CAMPAIGN]) == EXPECTED
    assert facts(book(events).campaigns[CAMPAIGN]) == EXPECTED

    bulletin = LogFold()
    for partition in range(PARTITIONS):  # each broadcast copy, partition after partition
        for offset, event in enumerate(events):
            bulletin.absorb("validated", partition, offset, encode(event))
    assert facts(bulletin.campaigns.campaigns[CAMPAIGN]) == EXPECTED

    prefix = f"life-{uuid.uuid4().hex[:10]}"
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            for partition in range(PARTITIONS):
                await producer.send_and_wait(
                    topics.VALIDATED.full_name(prefix), encode(event), partition=partition
                )
    finally:
        await producer.stop()
    await Projector(database, kafka_bootstrap, prefix, initial_backoff_s=0.05).catch_up(30)
    conn = await asyncpg.connect(database)
    try:
        row = await conn.fetchrow(
            "SELECT deadline, closed_at, closed_early, state FROM campaigns WHERE campaign_id = $1",
            CAMPAIGN,
        )
    finally:
        await conn.close()
    assert row is not None
    assert (row["deadline"], row["closed_at"], row["closed_early"]) == EXPECTED
    assert row["state"] == "closed"
