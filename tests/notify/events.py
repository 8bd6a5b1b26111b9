"""Event builders for notify's tests: boring defaults, unique ids and addresses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events import (
    Applicant,
    ApplicationDraftCreated,
    ApplicationDraftUpdated,
    ApplicationDraftWithdrawn,
    ApplicationForm,
    ApplicationSubmitted,
    CampaignForwarded,
    Contact,
    DocumentRendered,
    GroupMember,
    MemberEnterprise,
    PackageReturned,
    PackageSubmitted,
    RenderedFile,
)
from tests.builders import application_form


def tag() -> str:
    return uuid.uuid4().hex[:8]


def person(role: str, run: str, *, user_id: str | None = None) -> Contact:
    return Contact(name=f"{role}-{run}", email=f"{role}-{run}@example.com", user_id=user_id)


def submitted(run: str, **overrides: Any) -> ApplicationSubmitted:
    form = application_form(group_name=f"雪域先锋QC小组{run}")
    form["members"] = [GroupMember(**m) for m in form["members"]]
    values: dict[str, Any] = {
        "application_id": uuid.uuid4(),
        "revision": 1,
        "unit_id": f"unit-{run}",
        "enterprise_id": f"ent-{run}",
        "campaign_id": f"c-{run}",
        "applicant": Applicant(
            user_id=f"user-{run}", name=f"朗杰{run}", email=f"applicant-{run}@example.com"
        ),
        "enterprise_contact": person("enterprise", run),
        "unit_contact": person("unit", run),
        "form": ApplicationForm(recommending_unit_name="西藏自治区质量协会", **form),
        "evidence": (),
        "submitted_at": datetime.now(UTC),
    }
    values.update(overrides)
    return ApplicationSubmitted(**values)


def rendered(
    subject_id: str, *, revision: int = 1, kind: str = "application_form"
) -> DocumentRendered:
    return DocumentRendered(
        subject_type="certificate" if kind == "certificate" else "application",
        subject_id=subject_id,
        document_kind=kind,
        revision=revision,
        template_version="1",
        files=tuple(
            RenderedFile(
                format=fmt,
                storage_key=f"docs/{subject_id}.{fmt}",
                sha256="0" * 64,
                size=10,
                content_type="application/octet-stream",
            )
            for fmt in ("docx", "pdf")
        ),
    )


def forwarded(
    run: str,
    *,
    deadline_at: datetime | None = None,
    national_deadline_at: datetime | None = None,
    enterprises: int = 2,
) -> CampaignForwarded:
    members = tuple(
        MemberEnterprise(
            enterprise_id=f"ent-{run}-{n}",
            name=f"会员企业{n}-{run}",
            contacts=(person(f"member{n}", run), person(f"member{n}b", run)),
        )
        for n in range(enterprises)
    )
    deadline = deadline_at or datetime.now(UTC) + timedelta(days=30)
    return CampaignForwarded(
        campaign_id=f"c-{run}",
        unit_id=f"unit-{run}",
        unit_name="西藏自治区质量协会",
        campaign_year=2023,
        national_doc_number="中国质协字〔2023〕38号",
        national_title="关于开展2023年度全国质量管理小组活动推进工作的通知",
        theme="数字赋能 激发动能 提升效能",
        national_deadline_at=national_deadline_at or deadline + timedelta(days=60),
        unit_doc_number="藏质协字（2023）6号",
        title="关于转发2023年度全国质量管理小组活动推进工作的通知",
        body="请各会员单位按时申报。",
        deadline_at=deadline,
        unit_contacts=(person("unitoffice", run),),
        member_enterprises=members,
    )


def draft_created(
    run: str, *, n: int = 0, created_at: datetime | None = None
) -> ApplicationDraftCreated:
    """Draft `n` of the unit `unit-{run}`; its applicant's address is `drafter{n}-{run}@…`."""
    return ApplicationDraftCreated(
        campaign_id=f"c-{run}",
        application_id=uuid.uuid4(),
        unit_id=f"unit-{run}",
        enterprise_id=f"ent-{run}-{n}",
        applicant=Applicant(
            user_id=f"drafter{n}-{run}", name=f"朗杰{n}", email=f"drafter{n}-{run}@example.com"
        ),
        enterprise_name=f"会员企业{n}-{run}",
        group_name=f"雪域先锋QC小组{n}",
        topic_name="降低配电网线路故障停电时长",
        created_at=created_at or datetime.now(UTC),
    )


def draft_updated(
    draft: ApplicationDraftCreated, *, group_name: str, updated_at: datetime
) -> ApplicationDraftUpdated:
    """The applicant renamed the group of `draft`."""
    return ApplicationDraftUpdated(
        campaign_id=draft.campaign_id,
        application_id=draft.application_id,
        unit_id=draft.unit_id,
        enterprise_id=draft.enterprise_id,
        enterprise_name=draft.enterprise_name,
        group_name=group_name,
        topic_name=draft.topic_name,
        updated_at=updated_at,
    )


def draft_withdrawn(draft: ApplicationDraftCreated) -> ApplicationDraftWithdrawn:
    return ApplicationDraftWithdrawn(
        campaign_id=draft.campaign_id,
        application_id=draft.application_id,
        unit_id=draft.unit_id,
        enterprise_id=draft.enterprise_id,
    )


def package_step(
    run: str, step: type[PackageSubmitted | PackageReturned], *, revision: int = 1
) -> PackageSubmitted | PackageReturned:
    values: dict[str, Any] = {
        "campaign_id": f"c-{run}",
        "unit_id": f"unit-{run}",
        "unit_name": "西藏自治区质量协会",
        "campaign_year": 2023,
        "revision": revision,
        "unit_contacts": (person("unitoffice", run),),
        "decided_by": "secretary",
    }
    if step is PackageReturned:
        values["reasons"] = ("推荐表未盖章",)
    return step(**values)
