"""What a hostile or broken county system sends, for the demo (and the browser checks) to show
being refused: an event signed by a key that is not its county's, and a message cut off
mid-JSON."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from contracts.events.migration import OutflowRegistered
from contracts.identity import check_char
from streams.county_node import CountyNode
from streams.keys import generate_key_file, load_key_file


async def publish_bad_examples(
    bootstrap: str, keys_dir: Path, forger_key: Path, prefix: str = "liudong"
) -> None:
    """An outflow of 610921 signed by a key that is not its county's (sent over the county's
    connection), and a message cut off mid-JSON."""
    victim = CountyNode(
        county="610921",
        private_key=load_key_file(keys_dir / "610921.pem"),
        person_key_secret=b"unused",
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
    )
    forger = CountyNode(
        county="610921",
        private_key=generate_key_file(forger_key),
        person_key_secret=b"forger",
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
    )
    first17 = "61092119900101123"
    forged = forger.build(
        OutflowRegistered,
        occurred_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        person_key=forger.person_key(first17 + check_char(first17)),
        origin_county="610921",
        destination_county="440306",
    )
    async with victim:
        await victim.publish(forged)  # over the county's connection, not signed by its key
        await victim.send_raw(b'{"event_type": "outflow_registered", "person_', key=b"x")
