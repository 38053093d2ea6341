"""What policies' codes are called in Chinese, wherever they are shown."""

KIND_LABELS = {"policy": "政策文件", "law": "法律法规", "notice": "通知公告"}
STATUS_LABELS = {
    "draft": "草稿",
    "scheduled": "定时发布",
    "published": "已发布",
    "withdrawn": "已撤回",
}
ANSWER_LABELS = {"acted": "已办理", "not_me": "与我无关"}
REASON_LABELS = {
    "not_eligible": "条件不符",
    "already_done": "已办理过",
    "not_needed": "不需要",
    "other": "其他",
}
