"""Clean-up campaigns: the checks a task asks for, the results a county reports, and where a
campaign stands (:data:`contracts.campaign_status.STATES`)."""

from __future__ import annotations

from contracts.words.table import Words, words

CHECKS: Words = words(
    {
        "lost_contact": ("流出未接收（失联）", "Lost contact"),
        "unmatched_arrival": ("流入无流出登记", "Arrival without an outflow"),
        "duplicate": ("重复登记", "Registered twice"),
        "stale": ("长期无动态", "No activity for long"),
        "revoked_agreement": ("协议已撤销", "Agreement revoked"),
    }
)

RESULTS: Words = words(
    {
        "present": ("在册属实", "Present"),
        "moved_on": ("已再次流动", "Moved on"),
        "returned_home": ("已返乡", "Returned home"),
        "not_found": ("查无此人", "Not found"),
        "deceased": ("已死亡", "Deceased"),
        "duplicate": ("重复记录", "Duplicate record"),
    }
)

CAMPAIGN_STATES: Words = words(
    {
        "open": ("进行中", "Open"),
        "overdue_open": ("已过截止日仍未结束", "Past its deadline, still open"),
        "closed": ("已结束", "Closed"),
    }
)
