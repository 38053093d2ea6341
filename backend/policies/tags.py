"""The tags a resident may declare about themselves to be found by policies meant for
them. Each is declared with an explicit consent to the wording below, recorded, and
withdrawable; a withdrawn tag stops matching at once. Staff never see who holds one."""

from __future__ import annotations

from backend import clock
from backend.db import lock_row, write_transaction
from backend.errors import Invalid, NotFound
from backend.models import ResidentTag, User

TAGS = {
    "age_60_plus": "年满60周岁",
    "disabled": "残疾人",
    "veteran": "退役军人",
    "low_income": "低保户",
    "pregnant": "孕产妇",
    "new_resident": "新迁入居民",
}
CONSENT_VERSION = "2026-12"
CONSENT_TEXT = (
    "我自愿声明以上身份标签，同意街道和社区仅为向我推送与之相关的政策使用它；"
    "工作人员只能看到人数，看不到我的标签。我可以随时撤回，撤回后立即不再据此推送。"
)


def held(user: User) -> list[ResidentTag]:
    return list(
        ResidentTag.select()
        .where((ResidentTag.user == user) & ResidentTag.withdrawn_at.is_null())
        .order_by(ResidentTag.consented_at)
    )


def offered(user: User) -> dict:
    """The tags on offer, the consent given with one, and those `user` holds."""
    return {
        "consent_version": CONSENT_VERSION,
        "consent_text": CONSENT_TEXT,
        "offered": [{"tag": tag, "label": label} for tag, label in TAGS.items()],
        "held": [
            {"tag": t.tag, "label": TAGS.get(t.tag, t.tag), "consented_at": t.consented_at}
            for t in held(user)
        ],
    }


def declared(user: User, tag: str, consent_version: str) -> dict:
    declare(user, tag, consent_version)
    return offered(user)


def declare(user: User, tag: str, consent_version: str) -> ResidentTag:
    """Declare `tag` with consent to the wording of `consent_version`, which must be
    today's: a consent to words the resident was not shown is no consent."""
    if tag not in TAGS:
        raise Invalid.field("tag", "not a tag residents may declare", key="unknown_tag")
    if consent_version != CONSENT_VERSION:
        raise Invalid.field(
            "consent_version",
            "the consent wording has changed; read it again and agree to version %(version)s",
            key="consent_outdated",
            params={"version": CONSENT_VERSION},
        )
    with write_transaction():
        lock_row(User, user.id)  # a double tap declares it once
        current = ResidentTag.get_or_none(
            (ResidentTag.user == user)
            & (ResidentTag.tag == tag)
            & ResidentTag.withdrawn_at.is_null()
        )
        return current or ResidentTag.create(user=user, tag=tag, consent_version=consent_version)


def withdraw(user: User, tag: str) -> None:
    with write_transaction():
        withdrawn = (
            ResidentTag.update(withdrawn_at=clock.now())
            .where(
                (ResidentTag.user == user)
                & (ResidentTag.tag == tag)
                & ResidentTag.withdrawn_at.is_null()
            )
            .execute()
        )
    if not withdrawn:
        raise NotFound("you have not declared this tag", key="tag_not_held")
