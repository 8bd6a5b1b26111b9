"""Event builders for notify's tests: boring defaults, unique ids and addresses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    CampaignForwarded,
    Contact,
    DocumentRendered,
    GroupMember,
    MemberEnterprise,
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
    run: str, *, deadline_at: datetime | None = None, enterprises: int = 2
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
        national_deadline_at=deadline + timedelta(days=60),
        unit_doc_number="藏质协字（2023）6号",
        title="关于转发2023年度全国质量管理小组活动推进工作的通知",
        body="请各会员单位按时申报。",
        deadline_at=deadline,
        unit_contacts=(person("unitoffice", run),),
        member_enterprises=members,
    )
