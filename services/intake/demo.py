"""The demo season of `make run`: the seed's 2023 campaign, deadlines moved so it is open today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Campaign, Enterprise, RecommendingUnit, UnitCampaign, User
from services.intake.service import password_hasher
from shared.auth import Role

DEMO_CAMPAIGN_ID = "2023"
DEMO_UNIT_ID = "xizang"
DEMO_ENTERPRISE_ID = "xz-power"
DEMO_ACCOUNTS = (
    ("applicant", "朗杰", "applicant@demo.qcflow.local", Role.APPLICANT, DEMO_ENTERPRISE_ID),
    (
        "xizang-secretary",
        "仁青平措",
        "secretary@demo.qcflow.local",
        Role.UNIT_SECRETARY,
        DEMO_UNIT_ID,
    ),
)


async def seed_demo(session: AsyncSession, *, password: str, now: datetime | None = None) -> None:
    today = now or datetime.now(UTC)
    await session.merge(
        Campaign(
            campaign_id=DEMO_CAMPAIGN_ID,
            year=2023,
            doc_number="中国质协字〔2023〕38号",
            title="关于开展2023年度全国质量管理小组活动推进工作的通知",
            theme="数字赋能 激发动能 提升效能",
            national_deadline_at=today + timedelta(days=60),
        )
    )
    await session.merge(RecommendingUnit(unit_id=DEMO_UNIT_ID, name="西藏自治区质量协会"))
    await session.flush()
    await session.merge(
        UnitCampaign(
            unit_id=DEMO_UNIT_ID,
            campaign_id=DEMO_CAMPAIGN_ID,
            doc_number="藏质协字（2023）6号",
            deadline_at=today + timedelta(days=30),
        )
    )
    await session.merge(
        Enterprise(
            enterprise_id=DEMO_ENTERPRISE_ID,
            unit_id=DEMO_UNIT_ID,
            name="国网西藏电力有限公司拉萨供电公司",
        )
    )
    await session.flush()
    for username, name, email, role, org_id in DEMO_ACCOUNTS:
        await session.merge(
            User(
                user_id=username,
                username=username,
                name=name,
                email=email,
                role=role.value,
                org_id=org_id,
                password_hash=password_hasher.hash(password),
            )
        )
