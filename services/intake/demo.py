"""The demo season of `make run`: the seed's 2023 campaign, deadlines moved so it is open today."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.models import Campaign, Enterprise, RecommendingUnit, UnitCampaign, User
from services.intake.schemas import UnitKind
from services.intake.service import password_hasher
from shared.auth import Role

DEMO_CAMPAIGN_ID = "2023"
DEMO_UNIT_ID = "xizang"
DEMO_ENTERPRISE_ID = "xz-power"
OTHER_UNIT_ID = "sichuan"
OTHER_ENTERPRISE_ID = "sc-steel"
NATIONAL_ORG_ID = "caq"
DEMO_UNITS = (
    (DEMO_UNIT_ID, "西藏自治区质量协会", "XZ"),
    (OTHER_UNIT_ID, "四川省质量协会", "SC"),
)
DEMO_ENTERPRISES = (
    (DEMO_ENTERPRISE_ID, DEMO_UNIT_ID, "国网西藏电力有限公司拉萨供电公司", "91540100MA6T1234XB"),
    (OTHER_ENTERPRISE_ID, OTHER_UNIT_ID, "攀钢集团四川长城特殊钢有限责任公司", None),
)
DEMO_ACCOUNTS = (
    ("applicant", "朗杰", "applicant@demo.qcflow.local", Role.APPLICANT, DEMO_ENTERPRISE_ID),
    (
        "xizang-secretary",
        "仁青平措",
        "secretary@demo.qcflow.local",
        Role.UNIT_SECRETARY,
        DEMO_UNIT_ID,
    ),
    ("xizang-reviewer", "次仁", "reviewer@demo.qcflow.local", Role.UNIT_REVIEWER, DEMO_UNIT_ID),
    (
        "sichuan-applicant",
        "李明",
        "applicant@sc.demo.qcflow.local",
        Role.APPLICANT,
        OTHER_ENTERPRISE_ID,
    ),
    (
        "sichuan-secretary",
        "王芳",
        "secretary@sc.demo.qcflow.local",
        Role.UNIT_SECRETARY,
        OTHER_UNIT_ID,
    ),
    (
        "caq-secretary",
        "张华",
        "secretary@caq.demo.qcflow.local",
        Role.NATIONAL_SECRETARY,
        NATIONAL_ORG_ID,
    ),
    ("caq-admin", "刘强", "admin@caq.demo.qcflow.local", Role.NATIONAL_ADMIN, NATIONAL_ORG_ID),
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
            contacts=[{"name": "质量活动推进部", "email": "qcc@demo.qcflow.local"}],
        )
    )
    for unit_id, name, code in DEMO_UNITS:
        await session.merge(
            RecommendingUnit(unit_id=unit_id, name=name, code=code, kind=UnitKind.PROVINCE.value)
        )
    await session.flush()
    await session.merge(
        UnitCampaign(
            unit_id=DEMO_UNIT_ID,
            campaign_id=DEMO_CAMPAIGN_ID,
            doc_number="藏质协字（2023）6号",
            title="关于转发《关于开展2023年度全国质量管理小组活动推进工作的通知》的通知",
            body="请各会员单位按通知要求，于截止时间前报送申报材料。",
            deadline_at=today + timedelta(days=30),
            contacts=[{"name": "仁青平措", "email": "secretary@demo.qcflow.local"}],
            forwarded_at=today,
        )
    )
    await session.merge(
        UnitCampaign(
            unit_id=OTHER_UNIT_ID,
            campaign_id=DEMO_CAMPAIGN_ID,
            doc_number="川质协〔2023〕12号",
            title="转发中国质量协会关于开展2023年度全国质量管理小组活动推进工作的通知",
            body="",
            deadline_at=today + timedelta(days=20),
            contacts=[{"name": "王芳", "email": "secretary@sc.demo.qcflow.local"}],
            forwarded_at=today,
        )
    )
    for enterprise_id, unit_id, name, credit_code in DEMO_ENTERPRISES:
        await session.merge(
            Enterprise(
                enterprise_id=enterprise_id,
                unit_id=unit_id,
                name=name,
                credit_code=credit_code,
                contacts=[],
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
