"""Role × endpoint matrix over every HTTP route of intake and review, on real processes.

Each cell: allowed → neither 401 nor 403; refused → 401 for anonymous, 403 for anyone else.
Object ids belong to enterprise A (unit X), so other organisations' cells are IDOR probes.
A route missing from the table fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import BaseRoute

from services.intake.main import create_app as create_intake
from services.review.main import create_app as create_review
from shared.auth import Principal, Role
from shared.settings import Settings
from tests.builders import application_form, docx_bytes, pdf_bytes, unique
from tests.security.conftest import DEMO_PASSWORD, SecurityPlatform
from tests.support.platform import wait_for

NOT_IN_MATRIX = {"/health", "/ready", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc"}
NOT_IN_MATRIX_PREFIXES = ("/openapi.json", "/static", "/console/static/", "/console/package/script")

PRINCIPALS: dict[str, Principal | None] = {
    "anonymous": None,
    "applicant_a": Principal("applicant", Role.APPLICANT, "xz-power", "朗杰"),
    "applicant_b": Principal("sichuan-applicant", Role.APPLICANT, "sc-steel", "李明"),
    "secretary_x": Principal("xizang-secretary", Role.UNIT_SECRETARY, "xizang", "仁青平措"),
    "secretary_y": Principal("sichuan-secretary", Role.UNIT_SECRETARY, "sichuan", "王芳"),
    "unit_reviewer": Principal("xizang-reviewer", Role.UNIT_REVIEWER, "xizang", "次仁"),
    "national_secretary": Principal("caq-secretary", Role.NATIONAL_SECRETARY, "caq", "张华"),
    "national_reviewer": Principal("caq-reviewer", Role.NATIONAL_REVIEWER, "caq", "赵专家"),
    "national_admin": Principal("caq-admin", Role.NATIONAL_ADMIN, "caq", "刘强"),
}
EVERYONE = frozenset(PRINCIPALS)
SIGNED_IN = EVERYONE - {"anonymous"}
APPLICANT_A = frozenset({"applicant_a"})
APPLICANTS = frozenset({"applicant_a", "applicant_b"})
UNIT_X = frozenset({"secretary_x"})
SECRETARIES = frozenset({"secretary_x", "secretary_y"})
NATIONAL_STAFF = frozenset({"national_secretary", "national_admin"})
NOBODY: frozenset[str] = frozenset()

IN_FUTURE = (datetime.now(UTC) + timedelta(days=40)).isoformat()
CONTACT = {"name": "仁青平措", "email": "sec@example.com"}


@dataclass(frozen=True)
class Cell:
    """The request sent for one route, and who may make it."""

    url: str
    allowed: frozenset[str]
    json: Any = None
    content: bytes | None = None


def intake_table(ids: dict[str, str]) -> dict[tuple[str, str], Cell]:
    app = f"/api/applications/{ids['application']}"
    return {
        ("POST", "/api/login"): Cell(
            "/api/login", EVERYONE, json={"username": "applicant", "password": DEMO_PASSWORD}
        ),
        # lists are scoped to the caller's own enterprise: others get theirs (or nothing)
        ("GET", "/api/applications"): Cell("/api/applications", SIGNED_IN),
        ("POST", "/api/applications"): Cell(
            "/api/applications", APPLICANTS, json=application_form(group_name=unique("矩阵QC小组"))
        ),
        ("GET", "/api/applications/{application_id}"): Cell(app, APPLICANT_A),
        ("PUT", "/api/applications/{application_id}"): Cell(
            app, APPLICANT_A, json=application_form()
        ),
        ("POST", "/api/applications/{application_id}/files"): Cell(
            f"{app}/files?filename=x.pdf", APPLICANT_A, content=pdf_bytes()
        ),
        ("DELETE", "/api/applications/{application_id}/files/{file_id}"): Cell(
            f"{app}/files/{ids['file']}", APPLICANT_A
        ),
        ("GET", "/api/applications/{application_id}/certificate-line"): Cell(
            f"{app}/certificate-line", APPLICANT_A
        ),
        ("POST", "/api/applications/{application_id}/submit"): Cell(
            f"{app}/submit", APPLICANT_A, json={"confirm_certificate_line": "x"}
        ),
        ("POST", "/api/applications/{application_id}/withdraw"): Cell(
            f"{app}/withdraw", APPLICANT_A, json={"reason": "矩阵"}
        ),
        ("GET", "/api/applications/{application_id}/documents/{file_format}"): Cell(
            f"{app}/documents/pdf", APPLICANT_A
        ),
        ("POST", "/api/campaigns"): Cell(
            "/api/campaigns",
            NATIONAL_STAFF,
            json={
                "campaign_id": unique("m"),
                "year": 2023,
                "doc_number": "中国质协字〔2023〕38号",
                "title": "通知",
                "theme": "数字赋能",
                "national_deadline_at": IN_FUTURE,
            },
        ),
        ("POST", "/api/campaigns/{campaign_id}/forward"): Cell(
            f"/api/campaigns/{ids['campaign']}/forward",
            SECRETARIES,
            json={
                "doc_number": "藏质协字（2023）6号",
                "title": "转发",
                "deadline_at": IN_FUTURE,
                "contacts": [CONTACT],
            },
        ),
        ("POST", "/api/campaigns/{campaign_id}/extensions"): Cell(
            f"/api/campaigns/{ids['campaign']}/extensions",
            SECRETARIES,
            json={"new_deadline_at": IN_FUTURE, "reason": "延期"},
        ),
        ("GET", "/api/notice"): Cell("/api/notice", SIGNED_IN),
        ("GET", "/api/campaigns/{campaign_id}/notice"): Cell(
            f"/api/campaigns/{ids['campaign']}/notice", SIGNED_IN
        ),
        ("POST", "/api/enterprises"): Cell(
            "/api/enterprises",
            SECRETARIES,
            json={"enterprise_id": unique("e"), "name": "矩阵测试有限公司", "credit_code": ""},
        ),
        ("PUT", "/api/units/{unit_id}"): Cell(
            f"/api/units/{unique('mx')}",
            frozenset({"national_admin"}),
            json={
                "unit_name": unique("矩阵质量协会"),
                "code": f"M{uuid.uuid4().hex[:6].upper()}",
                "kind": "省区市",
            },
        ),
        ("PUT", "/api/users/{username}"): Cell(
            f"/api/users/{unique('mx-reviewer')}",
            frozenset({"national_admin", "secretary_x"}),
            json={
                "name": "矩阵专家",
                "role": "unit_reviewer",
                "email": "matrix@example.com",
                "unit_id": "xizang",
                "initial_password": "matrix-password-1",
            },
        ),
        ("GET", "/api/groups"): Cell("/api/groups", SIGNED_IN),
        ("POST", "/api/groups"): Cell(
            "/api/groups",
            APPLICANTS,
            json={"group_name": unique("矩阵QC小组"), "year": 2023, "members": [MEMBER]},
        ),
        ("POST", "/api/groups/{group_id}/topics"): Cell(
            f"/api/groups/{ids['group']}/topics",
            APPLICANT_A,
            json={"topic_name": "降低故障时长", "topic_type": "问题解决型"},
        ),
        ("POST", "/api/applications/{application_id}/uploads"): Cell(
            f"{app}/uploads",
            APPLICANT_A,
            json={"filename": "a.pdf", "size": 10, "sha256": "0" * 64},
        ),
        ("GET", "/api/uploads/{upload_id}"): Cell(f"/api/uploads/{ids['upload']}", APPLICANT_A),
        ("PUT", "/api/uploads/{upload_id}"): Cell(
            f"/api/uploads/{ids['upload']}?offset=0", APPLICANT_A, content=b"%PDF-1.4\n"
        ),
        ("POST", "/api/uploads/{upload_id}/complete"): Cell(
            f"/api/uploads/{ids['upload']}/complete", APPLICANT_A
        ),
        **{("GET", page): Cell(page, EVERYONE) for page in INTAKE_PAGES},
        ("GET", "/pages/applications/{application_id}"): Cell(
            f"/pages/applications/{ids['application']}", EVERYONE
        ),
    }


MEMBER = {"name": "朗杰", "role": "组长"}
STATISTICS = [{"enterprise_name": "国网西藏电力有限公司拉萨供电公司"}]
INTAKE_PAGES = (
    "/",
    "/pages/login",
    "/pages/notice",
    "/pages/groups/new",
    "/pages/applications",
    "/pages/applications/new",
)
REVIEW_PAGES = (
    "/console",
    "/console/reviewers",
    "/console/quotas",
    "/console/recommendations",
    "/console/awards",
    "/console/package",
    "/console/packages",
)


def review_table(ids: dict[str, str]) -> dict[tuple[str, str], Cell]:
    entry = f"/api/entries/{ids['application']}"
    assignment = f"/api/assignments/{ids['assignment']}"
    own = f"/api/units/xizang/campaigns/{ids['campaign']}"
    # national actions on units target a throwaway unit: the DBs are shared with other tests
    target = f"/api/units/{ids['unit']}/campaigns/{ids['campaign']}"
    entry_staff = UNIT_X | {"unit_reviewer"}  # the reviewer is the one assigned to the entry
    unit_x_staff = UNIT_X | {"unit_reviewer"}
    return {
        ("GET", "/api/entries"): Cell("/api/entries", SIGNED_IN - APPLICANTS),
        ("GET", "/api/entries/{application_id}"): Cell(entry, entry_staff),
        ("GET", "/api/entries/{application_id}/revisions"): Cell(f"{entry}/revisions", entry_staff),
        ("GET", "/api/entries/{application_id}/files"): Cell(f"{entry}/files", entry_staff),
        ("GET", "/api/entries/{application_id}/files/{file_id}"): Cell(
            f"{entry}/files/{ids['file']}", entry_staff
        ),
        ("GET", "/api/audit"): Cell("/api/audit?unit_id=xizang", UNIT_X | NATIONAL_STAFF),
        ("GET", "/api/screening/reasons"): Cell("/api/screening/reasons", SIGNED_IN),
        ("POST", "/api/entries/{application_id}/screening"): Cell(
            f"{entry}/screening", UNIT_X, json={"outcome": "accept"}
        ),
        ("GET", "/api/score-sheets"): Cell("/api/score-sheets", SIGNED_IN),
        ("GET", "/api/reviewers"): Cell("/api/reviewers", SECRETARIES | NATIONAL_STAFF),
        ("PUT", "/api/reviewers"): Cell(
            "/api/reviewers",
            SECRETARIES | NATIONAL_STAFF,
            json={
                "user_id": unique("rv"),
                "name": "专家",
                "email": "r@example.com",
                "enterprise_id": "x",
            },
        ),
        ("POST", "/api/entries/{application_id}/assignments"): Cell(
            f"{entry}/assignments", UNIT_X, json={"reviewer_user_id": "xizang-reviewer"}
        ),
        ("POST", "/api/assignments/auto"): Cell(
            "/api/assignments/auto",
            UNIT_X,
            json={"per_entry": 1, "application_ids": [ids["application"]]},
        ),
        ("GET", "/api/assignments"): Cell("/api/assignments", SIGNED_IN - APPLICANTS),
        ("POST", "/api/assignments/{assignment_id}/scores"): Cell(
            f"{assignment}/scores", frozenset({"unit_reviewer"}), json={"marks": {}}
        ),
        ("POST", "/api/assignments/{assignment_id}/recusal"): Cell(
            f"{assignment}/recusal", entry_staff, json={"reason": "回避"}
        ),
        ("POST", "/api/entries/{application_id}/aggregate"): Cell(
            f"{entry}/aggregate", UNIT_X, json={}
        ),
        ("GET", "/api/units"): Cell("/api/units", SECRETARIES | NATIONAL_STAFF),
        ("PUT", "/api/units/{unit_id}/campaigns/{campaign_id}/quota"): Cell(
            f"{target}/quota", NATIONAL_STAFF, json={"quota": 3}
        ),
        ("PUT", "/api/units/{unit_id}/campaigns/{campaign_id}/national-deadline"): Cell(
            f"{target}/national-deadline",
            NATIONAL_STAFF,
            json={"national_deadline_at": IN_FUTURE, "reason": "延期"},
        ),
        ("POST", "/api/recommendations"): Cell(
            "/api/recommendations",
            UNIT_X,
            json={"application_ids": [ids["application"]], "justification": "x"},
        ),
        ("POST", "/api/recommendations/{application_id}/approval"): Cell(
            f"/api/recommendations/{ids['application']}/approval",
            NATIONAL_STAFF,
            json={"approve": False},
        ),
        ("POST", "/api/awards"): Cell(
            "/api/awards",
            NATIONAL_STAFF,
            json={"decisions": [{"application_id": ids["application"], "decision": "awarded"}]},
        ),
        ("POST", "/api/awards/finalise"): Cell(
            "/api/awards/finalise", NATIONAL_STAFF, json={"application_ids": [ids["application"]]}
        ),
        ("POST", "/api/entries/{application_id}/objections"): Cell(
            f"{entry}/objections", NATIONAL_STAFF, json={"raised_by": "某人", "text": "异议"}
        ),
        ("POST", "/api/objections/{objection_id}/resolution"): Cell(
            f"/api/objections/{uuid.uuid4()}/resolution",
            NATIONAL_STAFF,
            json={"upheld": False, "resolution": "不成立"},
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/disqualification"): Cell(
            f"{target}/disqualification", NATIONAL_STAFF, json={"reason": "收费"}
        ),
        ("POST", "/api/tables"): Cell(
            "/api/tables",
            SECRETARIES | NATIONAL_STAFF,
            json={
                "table_kind": "activity_statistics",
                "campaign_id": ids["campaign"],
                "statistics": STATISTICS,
            },
        ),
        ("GET", "/api/tables"): Cell(
            "/api/tables", SECRETARIES | {"unit_reviewer"} | NATIONAL_STAFF
        ),
        ("GET", "/api/tables/{request_id}/{file_format}"): Cell(
            f"/api/tables/{ids['table']}/pdf", unit_x_staff | NATIONAL_STAFF
        ),
        # the export covers the caller's own pool whatever is asked for
        ("GET", "/api/exports/scores.{file_format}"): Cell(
            f"/api/exports/scores.csv?unit_id=xizang&campaign_id={ids['campaign']}",
            SECRETARIES | NATIONAL_STAFF,
        ),
        ("GET", "/api/units/{unit_id}/campaigns/{campaign_id}/package"): Cell(
            own + "/package", UNIT_X | NATIONAL_STAFF
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/package/recommendation-scan"): Cell(
            own + "/package/recommendation-scan", UNIT_X, content=pdf_bytes()
        ),
        ("GET", "/api/units/{unit_id}/campaigns/{campaign_id}/package/work-summary/outline"): Cell(
            own + "/package/work-summary/outline", UNIT_X | NATIONAL_STAFF
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/package/work-summary"): Cell(
            own + "/package/work-summary", UNIT_X, content=docx_bytes("工作总结")
        ),
        ("GET", "/api/units/{unit_id}/campaigns/{campaign_id}/package/statistics/known"): Cell(
            own + "/package/statistics/known", UNIT_X | NATIONAL_STAFF
        ),
        ("GET", "/api/units/{unit_id}/campaigns/{campaign_id}/package/statistics"): Cell(
            own + "/package/statistics", UNIT_X | NATIONAL_STAFF
        ),
        ("PUT", "/api/units/{unit_id}/campaigns/{campaign_id}/package/statistics"): Cell(
            own + "/package/statistics", UNIT_X, json={"rows": []}
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/package/submit"): Cell(
            own + "/package/submit", UNIT_X
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/package/return"): Cell(
            f"{target}/package/return", NATIONAL_STAFF, json={"reasons": ["缺少推荐表"]}
        ),
        ("POST", "/api/units/{unit_id}/campaigns/{campaign_id}/package/accept"): Cell(
            f"{target}/package/accept", NATIONAL_STAFF
        ),
        ("GET", "/api/packages"): Cell(
            f"/api/packages?campaign_id={ids['campaign']}", NATIONAL_STAFF
        ),
        ("POST", "/api/packages/reminders"): Cell(
            "/api/packages/reminders", NATIONAL_STAFF, json={"campaign_id": ids["campaign"]}
        ),
        **{("GET", page): Cell(page, EVERYONE) for page in REVIEW_PAGES},
        ("GET", "/console/entries/{application_id}"): Cell(
            f"/console/entries/{ids['application']}", EVERYONE
        ),
        ("GET", "/console/assignments/{assignment_id}"): Cell(
            f"/console/assignments/{ids['assignment']}", EVERYONE
        ),
    }


def _leaf_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route), also inside included routers (whose routes keep relative paths)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield prefix + getattr(route, "path", ""), route
            continue
        context = getattr(route, "include_context", None)
        own_prefix = getattr(context, "prefix", "") or ""
        nested = own_prefix if own_prefix.startswith(prefix) else prefix + own_prefix
        yield from _leaf_routes(included.routes, nested)


def enumerated_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for path, route in _leaf_routes(app.routes):
        if path in NOT_IN_MATRIX or path.startswith(NOT_IN_MATRIX_PREFIXES):
            continue
        for method in getattr(route, "methods", None) or {"*"}:
            if method != "HEAD":
                found.add((method, path))
    return found


def expected_status_ok(name: str, allowed: frozenset[str], status: int) -> bool:
    if name in allowed:
        return status not in {401, 403}
    return status == (401 if name == "anonymous" else 403)


OTHER_ORGANISATIONS = ("applicant_b", "secretary_y")


def run_matrix(
    platform: SecurityPlatform,
    service: str,
    table: dict[tuple[str, str], Cell],
    secrets: tuple[str, ...],
) -> tuple[int, list[str]]:
    """Also: no answer to enterprise B or unit Y may carry A's data (its unique group names)."""
    wrong = []
    cells = 0
    with httpx.Client(base_url=platform.url(service), timeout=30) as client:
        for (method, route), cell in table.items():
            # refusals first: an allowed call may change the state the others are judged on
            for name in sorted(PRINCIPALS, key=lambda n: n in cell.allowed):
                principal = PRINCIPALS[name]
                headers = platform.headers(principal) if principal else {}
                response = client.request(
                    method,
                    cell.url,
                    headers=headers,
                    json=cell.json,
                    content=cell.content,
                    follow_redirects=False,
                )
                cells += 1
                if name in OTHER_ORGANISATIONS and any(x in response.text for x in secrets):
                    wrong.append(f"{method} {route} as {name}: leaked A's data {response.text}")
                if not expected_status_ok(name, cell.allowed, response.status_code):
                    verdict = "allowed" if name in cell.allowed else "refused"
                    wrong.append(
                        f"{method} {route} as {name}: expected {verdict}, got "
                        f"{response.status_code} {response.text[:160]}"
                    )
    return cells, wrong


@pytest.fixture(scope="module")
def object_ids(security_platform: SecurityPlatform) -> dict[str, str]:
    """Enterprise A's draft, file, group and upload; its submitted entry in review, assigned."""
    intake = httpx.Client(base_url=security_platform.url("intake"), timeout=30)
    review = httpx.Client(base_url=security_platform.url("review"), timeout=30)
    a = security_platform.headers(PRINCIPALS["applicant_a"])  # type: ignore[arg-type]
    x = security_platform.headers(PRINCIPALS["secretary_x"])  # type: ignore[arg-type]
    admin = security_platform.headers(PRINCIPALS["national_admin"])  # type: ignore[arg-type]
    form = application_form(group_name=unique("矩阵A小组"))
    submitted = intake.post("/api/applications", headers=a, json=form).json()["application_id"]
    upload_evidence(intake, a, submitted)
    line = intake.get(f"/api/applications/{submitted}/certificate-line", headers=a).json()
    response = intake.post(
        f"/api/applications/{submitted}/submit",
        headers=a,
        json={"confirm_certificate_line": line["certificate_line"]},
    )
    assert response.status_code == 200, response.text
    draft_form = application_form(group_name=unique("矩阵A草稿小组"))
    draft = intake.post("/api/applications", headers=a, json=draft_form).json()["application_id"]
    file_id = upload_evidence(intake, a, draft)
    group = intake.post(
        "/api/groups",
        headers=a,
        json={"group_name": unique("矩阵QC小组"), "year": 2023, "members": [MEMBER]},
    )
    upload = intake.post(
        f"/api/applications/{draft}/uploads",
        headers=a,
        json={"filename": "a.pdf", "size": 10, "sha256": "0" * 64},
    )
    campaign = unique("m")
    created = intake.post(
        "/api/campaigns",
        headers=admin,
        json={
            "campaign_id": campaign,
            "year": 2023,
            "doc_number": "中国质协字〔2023〕38号",
            "title": "通知",
            "theme": "数字赋能",
            "national_deadline_at": IN_FUTURE,
        },
    )
    assert created.status_code == 201, created.text
    forwarded = intake.post(
        f"/api/campaigns/{campaign}/forward",
        headers=x,
        json={
            "doc_number": "藏质协字（2023）6号",
            "title": "转发",
            "deadline_at": IN_FUTURE,
            "contacts": [CONTACT],
        },
    )
    assert forwarded.status_code == 201, forwarded.text
    wait_for(lambda: review.get(f"/api/entries/{submitted}", headers=x).status_code == 200)
    entry_files = review.get(f"/api/entries/{submitted}/files", headers=x).json()
    review.post(f"/api/entries/{submitted}/screening", headers=x, json={"outcome": "accept"})
    review.put(
        "/api/reviewers",
        headers=x,
        json={
            "user_id": "xizang-reviewer",
            "name": "次仁",
            "email": "r@example.com",
            "enterprise_id": "other-enterprise",
        },
    )
    assignment = review.post(
        f"/api/entries/{submitted}/assignments",
        headers=x,
        json={"reviewer_user_id": "xizang-reviewer"},
    )
    assert assignment.status_code == 201, assignment.text
    table = review.post(
        "/api/tables",
        headers=x,
        json={
            "table_kind": "activity_statistics",
            "campaign_id": campaign,
            "statistics": STATISTICS,
        },
    )
    assert table.status_code == 202, table.text
    return {
        "application": draft,
        "file": file_id,
        "group": group.json()["group_id"],
        "upload": upload.json()["upload_id"],
        "campaign": campaign,
        "review_application": submitted,
        "review_file": entry_files[0]["file_id"],
        "assignment": assignment.json()["assignment_id"],
        "table": table.json()["request_id"],
        "unit": unique("matrix-unit"),
        "secret_submitted": form["group_name"],
        "secret_draft": draft_form["group_name"],
    }


def upload_evidence(client: httpx.Client, headers: dict[str, str], application: str) -> str:
    response = client.post(
        f"/api/applications/{application}/files?filename=活动记录.pdf",
        headers=headers,
        content=pdf_bytes(),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["file_id"])


@pytest.mark.parametrize(
    ("service", "create_app", "table"),
    [("intake", create_intake, intake_table), ("review", create_review, review_table)],
)
def test_every_route_answers_every_principal_as_designed(
    security_platform: SecurityPlatform,
    object_ids: dict[str, str],
    service: str,
    create_app: Any,
    table: Any,
):
    ids = dict(object_ids)
    if service == "review":
        ids |= {"application": ids["review_application"], "file": ids["review_file"]}
    cells: dict[tuple[str, str], Cell] = table(ids)
    assert set(cells) == enumerated_routes(create_app(Settings())), "route missing from table"
    secrets = (ids["secret_submitted"], ids["secret_draft"])
    count, wrong = run_matrix(security_platform, service, cells, secrets)
    print(f"\n{service}: {len(cells)} routes × {len(PRINCIPALS)} principals = {count} cells")
    assert wrong == [], "\n".join(wrong)
