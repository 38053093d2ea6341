"""User text goes through WeChat's content check (msg_sec_check v2) before we keep it.

`risky` is refused with a 422 naming the field; `review` is kept but held hidden
until a cadre or admin releases it; `pass` is shown at once.
"""

from __future__ import annotations

from flask import current_app

from backend.errors import Invalid
from backend.models import User

# WeChat's scenes: 1 profile, 2 comment, 3 forum post, 4 social log.
PROFILE, COMMENT, FORUM = 1, 2, 3


def check(user: User, text: str | None, field: str, scene: int = COMMENT) -> str:
    """'pass' or 'review'; raises Invalid for risky text. Empty text passes."""
    if not text or not text.strip():
        return "pass"
    verdict = current_app.extensions["citycode.wechat"].msg_sec_check(text, user.openid, scene)
    if verdict.suggest == "risky":
        raise Invalid.field(
            field,
            "did not pass the content safety check; change it and send again",
            key="content_risky",
        )
    return "review" if verdict.suggest == "review" else "pass"
