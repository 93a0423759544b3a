"""The two-way assessment's words: its two sides and the league's columns and marks."""

from __future__ import annotations

from contracts.words.table import Words, words

SIDES: Words = words(
    {
        "origin": ("流出地", "As origin"),
        "destination": ("流入地", "As destination"),
    }
)

LEAGUE: Words = words(
    {
        "rank": ("名次", "Rank"),
        "origin_score": ("流出地得分", "As origin"),
        "destination_score": ("流入地得分", "As destination"),
        "combined_score": ("综合得分", "Combined"),
        # A side with too few settled obligations has no score: never 0, never 100.
        "not_assessed": ("不参评", "not assessed"),
        "not_ranked": ("未排名", "not ranked"),
        "region_average": ("全区平均", "Region average"),
    }
)
