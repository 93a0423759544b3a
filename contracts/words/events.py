"""The event types' words, and the topics' (by their names without the deployment prefix)."""

from __future__ import annotations

from contracts.words.table import Words, words

EVENT_TYPES: Words = words(
    {
        "county_registered": ("县区登记", "County registered"),
        "publisher_registered": ("报送单位登记", "Publisher registered"),
        "key_rotated": ("密钥更换", "Key rotated"),
        "publisher_revoked": ("报送单位注销", "Publisher revoked"),
        "agreement_signed": ("签订双向管理协议", "Agreement signed"),
        "agreement_amended": ("修订双向管理协议", "Agreement amended"),
        "agreement_revoked": ("撤销双向管理协议", "Agreement revoked"),
        "outflow_registered": ("流出登记", "Outflow registered"),
        "inflow_registered": ("流入登记", "Inflow registered"),
        "arrival_not_found": ("流入地查无此人", "Arrival not found"),
        "origin_answered": ("流出地核实回复", "Origin answered"),
        "moved_on": ("再次流动", "Moved on"),
        "returned_home": ("返乡", "Returned home"),
        "case_taken_over": ("接续管理", "Case taken over"),
        "inquiry_sent": ("发起协查", "Inquiry sent"),
        "inquiry_answered": ("协查回复", "Inquiry answered"),
        "service_recorded": ("服务登记", "Service recorded"),
        "receipt_acknowledged": ("签收", "Receipt acknowledged"),
        "campaign_opened": ("清理清查启动", "Clean-up campaign opened"),
        "campaign_extended": ("清理清查延期", "Clean-up campaign extended"),
        "campaign_closed": ("清理清查结束", "Clean-up campaign closed"),
        "verification_task_assigned": ("核查任务下达", "Verification task assigned"),
        "verification_result_reported": ("核查结果上报", "Verification result reported"),
        "records_split": ("撤销合并", "Records split"),
        "clock_ticked": ("业务日切换", "Daily tick"),
        "obligation_opened": ("生成待办事项", "Obligation opened"),
        "obligation_reminded": ("到期提醒", "Reminder sent"),
        "obligation_fulfilled": ("事项办结", "Obligation fulfilled"),
        "obligation_breached": ("逾期", "Overdue (breached)"),
        "obligation_escalated": ("上报督办", "Escalated to the region"),
        "obligation_cancelled": ("事项取消", "Obligation cancelled"),
        "alert_raised": ("预警", "Alert raised"),
        "agreement_coverage_published": ("协议覆盖率统计", "Agreement coverage published"),
        "campaign_progress_published": ("清理清查进度统计", "Campaign progress published"),
        "scorecard_published": ("考核结果发布", "Scorecard published"),
        "dead_lettered": ("拒收", "Refused"),
    }
)

# The topics, by their names without the deployment prefix (streams.topics).
TOPICS: Words = words(
    {
        "registry": ("登记", "registry"),
        "county-events": ("县区报送", "county events"),
        "validated": ("已校验事件", "validated events"),
        "obligations": ("事项", "obligations"),
        "alerts": ("预警与统计", "alerts and figures"),
        "scorecards": ("考核结果", "scorecards"),
        "dead-letters": ("拒收报送", "refused messages"),
    }
)
