"""The table template API on the real PostgreSQL: versions, who may upload, clear refusals."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import func, select

from services.render.domain.tables import template_to_data
from services.render.main import create_app
from services.render.models import TableTemplateVersion
from shared.auth import Principal, Role, issue_token
from tests.render.samples import shipped_template

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from shared.runtime import Runtime
    from tests.support.infra import Infra

KIND = "recommendation"


class RenderApi:
    def __init__(self, runtime: Runtime, http: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.http = http

    def headers(self, role: Role) -> dict[str, str]:
        secret = self.runtime.settings.auth_secret.get_secret_value()
        principal = Principal(user_id=f"user-{role.value}", role=role, org_id="caq", name="测试")
        return {"Authorization": f"Bearer {issue_token(principal, secret=secret, ttl_s=3600)}"}

    async def version_count(self, kind: str) -> int:
        async with self.runtime.transaction() as session:
            count = await session.scalar(
                select(func.count()).where(TableTemplateVersion.kind == kind)
            )
        return int(count or 0)


@pytest.fixture
async def api(infra: Infra, tmp_path: Path) -> AsyncIterator[RenderApi]:
    settings = infra.settings(
        "render", smtp_port=1, bucket=f"qcflow-{uuid.uuid4().hex[:12]}", data_dir=tmp_path
    )
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://render") as http:
        yield RenderApi(runtime, http)
    await runtime.engine.dispose()


def shipped_definition() -> dict[str, Any]:
    return template_to_data(shipped_template(KIND))


async def test_admin_uploads_a_new_version_that_becomes_current(api: RenderApi) -> None:
    before = await api.http.get(f"/api/table-templates/{KIND}", headers=api.headers(Role.APPLICANT))
    definition = shipped_definition()

    uploaded = await api.http.post(
        f"/api/table-templates/{KIND}",
        json=definition,
        headers=api.headers(Role.NATIONAL_ADMIN),
    )

    assert before.status_code == 200
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["version"] == before.json()["version"] + 1
    assert body["template_version"] == f"{KIND}/v{body['version']}"
    assert body["name"] == "全国优秀质量管理小组推荐表"
    assert body["definition"] == definition
    current = await api.http.get(
        f"/api/table-templates/{KIND}", headers=api.headers(Role.APPLICANT)
    )
    assert current.json()["version"] == body["version"]


async def test_the_shipped_first_version_is_seeded(api: RenderApi) -> None:
    async with api.runtime.transaction() as session:
        first = await session.scalar(
            select(TableTemplateVersion).where(
                TableTemplateVersion.kind == "activity_statistics",
                TableTemplateVersion.version == 1,
            )
        )
    assert first is not None
    assert first.created_by == "system"


@pytest.mark.parametrize(
    "role", [Role.APPLICANT, Role.UNIT_SECRETARY, Role.NATIONAL_SECRETARY, Role.NATIONAL_REVIEWER]
)
async def test_only_the_national_admin_may_upload(api: RenderApi, role: Role) -> None:
    count = await api.version_count(KIND)

    response = await api.http.post(
        f"/api/table-templates/{KIND}", json=shipped_definition(), headers=api.headers(role)
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "只有中国质协系统管理员可以修改表格模板。"
    assert await api.version_count(KIND) == count


async def test_upload_without_login_is_refused(api: RenderApi) -> None:
    response = await api.http.post(f"/api/table-templates/{KIND}", json=shipped_definition())

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"columns": "序号"}, "columns（栏目）须是列表"),
        ({"orientation": "up"}, "orientation（纸张方向）"),
        ({"title": ""}, "title（标题）须是非空文字"),
    ],
)
async def test_invalid_upload_is_refused_naming_the_field(
    api: RenderApi, change: dict[str, Any], expected: str
) -> None:
    count = await api.version_count(KIND)

    response = await api.http.post(
        f"/api/table-templates/{KIND}",
        json=shipped_definition() | change,
        headers=api.headers(Role.NATIONAL_ADMIN),
    )

    assert response.status_code == 422
    assert expected in response.json()["detail"]
    assert await api.version_count(KIND) == count


async def test_unknown_kind_is_refused(api: RenderApi) -> None:
    response = await api.http.post(
        "/api/table-templates/invoice",
        json=shipped_definition(),
        headers=api.headers(Role.NATIONAL_ADMIN),
    )
    shown = await api.http.get("/api/table-templates/invoice", headers=api.headers(Role.APPLICANT))

    assert response.status_code == 422
    assert "invoice" in response.json()["detail"]
    assert shown.status_code == 404


async def test_body_that_is_not_an_object_is_refused(api: RenderApi) -> None:
    response = await api.http.post(
        f"/api/table-templates/{KIND}", json=[1, 2], headers=api.headers(Role.NATIONAL_ADMIN)
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "模板必须是一个 JSON 对象。"
