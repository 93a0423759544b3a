"""The worklist's CSV columns, in Chinese (first) and English: what a spreadsheet in a county
office is headed with (times in Beijing time, the zone in the heading)."""

from __future__ import annotations

from contracts.languages import Lang

HEADERS: dict[Lang, tuple[str, ...]] = {
    "zh": (
        "事项编号",
        "人员标识",
        "事项类型",
        "责任县区代码",
        "责任县区",
        "对方县区代码",
        "对方县区",
        "生成时间（北京时间）",
        "办理期限（北京时间）",
        "状态",
        "曾逾期",
        "已上报督办",
        "逾期天数",
        "办结时间（北京时间）",
        "取消时间（北京时间）",
    ),
    "en": (
        "Obligation",
        "Person key",
        "Kind",
        "Responsible county code",
        "Responsible county",
        "Counterpart county code",
        "Counterpart county",
        "Opened (UTC+8)",
        "Due (UTC+8)",
        "Status",
        "Breached",
        "Escalated",
        "Days overdue",
        "Fulfilled (UTC+8)",
        "Cancelled (UTC+8)",
    ),
}

YES_NO: dict[Lang, tuple[str, str]] = {"zh": ("是", "否"), "en": ("yes", "no")}
