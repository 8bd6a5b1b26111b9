"""PUT /api/units and PUT /api/users: who may create what, validation, idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.intake.models import Enterprise, RecommendingUnit, User
from shared.auth import Principal, Role
from tests.intake.integration.conftest import Intake, Season

INITIAL_PASSWORD = "erste-Passwort-42"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_code() -> str:
    return f"D{uuid.uuid4().hex[:6].upper()}"


def unit_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "unit_name": f"测试{uuid.uuid4().hex[:8]}质量协会",
        "code": new_code(),
        "kind": "省区市",
    }
    return {**body, **overrides}


def user_body(role: Role, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "次仁",
        "role": role.value,
        "email": "ciren@example.com",
        "initial_password": INITIAL_PASSWORD,
    }
    return {**body, **overrides}


def token(intake: Intake, role: Role, org_id: str) -> dict[str, str]:
    return intake.token(Principal(new_id("actor"), role, org_id, "测试"))


async def login_status(intake: Intake, username: str, password: str) -> int:
    response = await intake.client.post(
        "/api/login", json={"username": username, "password": password}
    )
    return response.status_code


async def stored_unit(intake: Intake, unit_id: str) -> RecommendingUnit | None:
    async with intake.runtime.transaction() as session:
        return await session.get(RecommendingUnit, unit_id)


async def stored_user(intake: Intake, username: str) -> User | None:
    async with intake.runtime.transaction() as session:
        return await session.get(User, username)


async def other_unit_enterprise(intake: Intake, season: Season) -> tuple[str, str]:
    """A member enterprise of a second unit, outside the season secretary's authority."""
    unit_id, enterprise_id = new_id("other"), new_id("ent")
    response = await intake.client.put(
        f"/api/units/{unit_id}", headers=season.national_admin, json=unit_body()
    )
    assert response.status_code == 201, response.text
    async with intake.runtime.transaction() as session:
        session.add(Enterprise(enterprise_id=enterprise_id, unit_id=unit_id, name="外单位企业"))
    return unit_id, enterprise_id


# --- units -------------------------------------------------------------------------------


async def test_unit_put_creates_then_updates_without_duplicating(intake: Intake, season: Season):
    unit_id, body = new_id("unit"), unit_body(kind="行业协会")
    created = await intake.client.put(
        f"/api/units/{unit_id}", headers=season.national_admin, json=body
    )
    repeated = await intake.client.put(
        f"/api/units/{unit_id}", headers=season.national_admin, json=body
    )
    renamed = await intake.client.put(
        f"/api/units/{unit_id}",
        headers=season.national_admin,
        json={**body, "unit_name": body["unit_name"] + "（更名）", "kind": "副省级城市"},
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "unit_id": unit_id,
        "unit_name": body["unit_name"],
        "code": body["code"],
        "kind": "行业协会",
        "is_created": True,
    }
    assert (repeated.status_code, repeated.json()["is_created"]) == (200, False)
    assert renamed.status_code == 200
    unit = await stored_unit(intake, unit_id)
    assert unit is not None
    assert (unit.name, unit.kind) == (body["unit_name"] + "（更名）", "副省级城市")


@pytest.mark.parametrize(
    "role", [Role.UNIT_SECRETARY, Role.APPLICANT, Role.NATIONAL_SECRETARY, Role.UNIT_REVIEWER]
)
async def test_unit_put_by_anyone_but_the_national_admin_is_refused(
    intake: Intake, season: Season, role: Role
):
    unit_id = new_id("unit")
    response = await intake.client.put(
        f"/api/units/{unit_id}", headers=token(intake, role, season.unit_id), json=unit_body()
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "您的账号无权登记推荐单位（仅限全国管理员）。"
    assert await stored_unit(intake, unit_id) is None


@pytest.mark.parametrize(
    ("unit_id", "overrides", "message"),
    [
        ("u-ok-1", {"kind": "地级市"}, "类别：只能是以下之一"),
        ("u-ok-2", {"code": "xz"}, "单位代码：须为1～10位大写字母或数字"),
        ("u-ok-3", {"unit_name": "  "}, "单位名称：不能为空"),
        ("u-ok-4", {"unit_name": "西藏\x00质协"}, "单位名称：含有不可见的控制字符"),
        ("u-ok-5", {"website": "x"}, "website：不是申报表中的字段"),
        ("Bad ID", {}, "推荐单位编号：'Bad ID' 格式不正确"),
    ],
)
async def test_unit_put_with_a_bad_field_names_it(
    intake: Intake, season: Season, unit_id: str, overrides: dict[str, Any], message: str
):
    response = await intake.client.put(
        f"/api/units/{unit_id}", headers=season.national_admin, json=unit_body(**overrides)
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message), response.json()["detail"]


async def test_unit_code_and_name_belong_to_one_unit(intake: Intake, season: Season):
    first = unit_body()
    await intake.client.put(
        f"/api/units/{new_id('unit')}", headers=season.national_admin, json=first
    )
    same_code = await intake.client.put(
        f"/api/units/{new_id('unit')}",
        headers=season.national_admin,
        json=unit_body(code=first["code"]),
    )
    same_name = await intake.client.put(
        f"/api/units/{new_id('unit')}",
        headers=season.national_admin,
        json=unit_body(unit_name=first["unit_name"]),
    )
    assert same_code.status_code == 409
    assert same_code.json()["detail"].startswith(f"单位代码：已被推荐单位“{first['unit_name']}”")
    assert same_name.status_code == 409
    assert same_name.json()["detail"].startswith("单位名称：已被推荐单位")


# --- users -------------------------------------------------------------------------------


async def test_national_admin_opens_an_account_that_can_log_in(intake: Intake, season: Season):
    username = new_id("caq-sec")
    response = await intake.client.put(
        f"/api/users/{username}",
        headers=season.national_admin,
        json=user_body(Role.NATIONAL_SECRETARY, name="张华"),
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "user_id": username,
        "username": username,
        "name": "张华",
        "role": "national_secretary",
        "role_label": "全国秘书处",
        "email": "ciren@example.com",
        "org_id": "caq",
        "is_created": True,
        "is_password_set": True,
    }
    assert await login_status(intake, username, INITIAL_PASSWORD) == 200
    user = await stored_user(intake, username)
    assert user is not None
    assert user.password_hash.startswith("$argon2")
    assert user.password_hash not in response.text


async def test_user_put_again_updates_but_keeps_the_password(intake: Intake, season: Season):
    username = new_id("reviewer")
    path = f"/api/users/{username}"
    body = user_body(Role.UNIT_REVIEWER, unit_id=season.unit_id)
    await intake.client.put(path, headers=season.secretary, json=body)
    again = await intake.client.put(
        path,
        headers=season.secretary,
        json={**body, "name": "次仁多吉", "initial_password": "another-password-1"},
    )
    without_password = {k: v for k, v in body.items() if k != "initial_password"}
    third = await intake.client.put(path, headers=season.secretary, json=without_password)
    assert again.status_code == 200, again.text
    assert (again.json()["is_created"], again.json()["is_password_set"]) == (False, False)
    assert third.status_code == 200
    assert third.json()["name"] == "次仁"
    assert await login_status(intake, username, INITIAL_PASSWORD) == 200
    assert await login_status(intake, username, "another-password-1") == 401


async def test_unit_secretary_opens_reviewers_and_member_applicants(intake: Intake, season: Season):
    reviewer = await intake.client.put(
        f"/api/users/{new_id('reviewer')}",
        headers=season.secretary,
        json=user_body(Role.UNIT_REVIEWER, unit_id=season.unit_id),
    )
    applicant = await intake.client.put(
        f"/api/users/{new_id('applicant')}",
        headers=season.secretary,
        json=user_body(Role.APPLICANT, enterprise_id=season.enterprise_id),
    )
    assert reviewer.status_code == 201, reviewer.text
    assert reviewer.json()["org_id"] == season.unit_id
    assert applicant.status_code == 201, applicant.text
    assert applicant.json()["org_id"] == season.enterprise_id


@pytest.mark.parametrize(
    ("role", "organisation", "message"),
    [
        (Role.UNIT_SECRETARY, "own_unit", "角色：您的账号不能开通“推荐单位秘书处”"),
        (Role.NATIONAL_ADMIN, "none", "角色：您的账号不能开通“全国管理员”"),
        (Role.NATIONAL_REVIEWER, "none", "角色：您的账号不能开通“全国评审专家”"),
        (Role.UNIT_REVIEWER, "other_unit", "所属单位编号：只能为本单位开通评审专家账号"),
        (Role.APPLICANT, "other_enterprise", "所属企业编号："),
    ],
)
async def test_unit_secretary_cannot_open_accounts_beyond_its_unit(
    intake: Intake, season: Season, role: Role, organisation: str, message: str
):
    other_unit, other_enterprise = await other_unit_enterprise(intake, season)
    organisations = {
        "own_unit": {"unit_id": season.unit_id},
        "none": {},
        "other_unit": {"unit_id": other_unit},
        "other_enterprise": {"enterprise_id": other_enterprise},
    }
    username = new_id("refused")
    response = await intake.client.put(
        f"/api/users/{username}",
        headers=season.secretary,
        json=user_body(role, **organisations[organisation]),
    )
    assert response.status_code == 403, response.text
    assert response.json()["detail"].startswith(message)
    assert await stored_user(intake, username) is None


@pytest.mark.parametrize(
    "role",
    [Role.APPLICANT, Role.UNIT_REVIEWER, Role.NATIONAL_SECRETARY, Role.NATIONAL_REVIEWER],
)
async def test_user_put_by_roles_without_account_rights_is_refused(
    intake: Intake, season: Season, role: Role
):
    response = await intake.client.put(
        f"/api/users/{new_id('x')}",
        headers=token(intake, role, season.unit_id),
        json=user_body(Role.APPLICANT, enterprise_id=season.enterprise_id),
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("您的账号无权开通用户账号")


async def test_unit_secretary_cannot_take_over_an_account_it_does_not_manage(
    intake: Intake, season: Season
):
    national = new_id("caq-admin")
    await intake.client.put(
        f"/api/users/{national}", headers=season.national_admin, json=user_body(Role.NATIONAL_ADMIN)
    )
    takeover = await intake.client.put(
        f"/api/users/{national}",
        headers=season.secretary,
        json=user_body(Role.UNIT_REVIEWER, unit_id=season.unit_id),
    )
    assert takeover.status_code == 403
    assert takeover.json()["detail"].startswith(f"用户名：{national} 已是其他单位或更高权限的账号")
    user = await stored_user(intake, national)
    assert user is not None
    assert user.role == "national_admin"


async def test_national_admin_cannot_change_its_own_role(intake: Intake, season: Season):
    username = new_id("admin")
    await intake.client.put(
        f"/api/users/{username}", headers=season.national_admin, json=user_body(Role.NATIONAL_ADMIN)
    )
    itself = intake.token(Principal(username, Role.NATIONAL_ADMIN, "caq", "刘强"))
    response = await intake.client.put(
        f"/api/users/{username}", headers=itself, json=user_body(Role.NATIONAL_REVIEWER)
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "角色：不能修改自己账号的角色，请由另一位全国管理员操作。"


@pytest.mark.parametrize(
    ("username", "overrides", "message"),
    [
        ("bad name", {}, "用户名：'bad name-"),
        ("ok-1", {"initial_password": "short"}, "初始密码：至少 10 个字符"),
        ("ok-2", {"initial_password": None}, "初始密码：新建账号必须设置初始密码"),
        ("ok-3", {"email": "不是邮箱"}, "电子邮箱：不是有效的电子邮箱地址"),
        ("ok-4", {"role": "superuser"}, "角色：只能是以下之一"),
        ("ok-5", {"enterprise_id": ""}, "所属企业编号：企业申报账号必须填写所属企业编号"),
        (
            "ok-6",
            {"enterprise_id": "no-such-enterprise"},
            "所属企业编号：no-such-enterprise 不存在",
        ),
        ("ok-7", {"password_hash": "x"}, "password_hash：不是申报表中的字段"),
        ("ok-8", {"enterprise_id": "e\x00"}, "企业编号：含有不可见的控制字符"),
        ("ok-9", {"email": "a\x00@example.com"}, "电子邮箱：含有不可见的控制字符"),
    ],
)
async def test_user_put_with_a_bad_field_names_it(
    intake: Intake, season: Season, username: str, overrides: dict[str, Any], message: str
):
    body = {**user_body(Role.APPLICANT, enterprise_id=season.enterprise_id), **overrides}
    response = await intake.client.put(
        f"/api/users/{username}-{uuid.uuid4().hex[:6]}", headers=season.national_admin, json=body
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message), response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "organisation", "message"),
    [
        (Role.UNIT_REVIEWER, {}, "所属单位编号：推荐单位评审专家必须填写所属单位编号"),
        (Role.UNIT_SECRETARY, {"unit_id": "no-such-unit"}, "所属单位编号：no-such-unit 不存在"),
        (Role.NATIONAL_REVIEWER, {"unit_id": "x"}, "所属单位编号 / 所属企业编号：全国账号"),
    ],
)
async def test_user_put_with_the_wrong_organisation_for_the_role_is_refused(
    intake: Intake, season: Season, role: Role, organisation: dict[str, str], message: str
):
    response = await intake.client.put(
        f"/api/users/{new_id('org')}",
        headers=season.national_admin,
        json=user_body(role, **organisation),
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(message)
