"""What several commands check before they start: that the topics they need exist, and
that the region's own publisher can be built (the region key, the county-events topic).
Each says what is wrong in one line on stderr."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from infra.kafka.address import resolve_bootstrap
from infra.settings import Settings


def catalog_ready(settings: Settings, bootstrap: str, needed: Sequence[Any] | None = None) -> bool:
    """True if the topics ``needed`` (default: the whole catalog and the workers' changelogs)
    exist; else one line on stderr saying what to run."""
    from bootstrap import services
    from streams.admin import CatalogError

    try:
        asyncio.run(services.require_catalog(settings, bootstrap, needed))
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def region_node(settings: Settings) -> Any:
    """The region's own publisher (ticks, campaigns), or None after saying why not."""
    from bootstrap import services
    from streams import topics

    bootstrap = resolve_bootstrap(settings)
    if bootstrap is None:
        return None
    node = services.region_node(settings, bootstrap)
    if node is None or not catalog_ready(settings, bootstrap, [topics.COUNTY_EVENTS]):
        return None
    return node
