"""`qcflow admin import units|users` against intake running as a real process."""

from __future__ import annotations

import csv
import stat
import uuid
from pathlib import Path

import httpx
from openpyxl import Workbook

from tests.cli.conftest import NATIONAL_ADMIN, UNIT_ID, UNIT_SECRETARY, run_admin
from tests.support.platform import Platform

DEMO_ENTERPRISE_OF_UNIT = "sc-steel"  # the demo's member enterprise of UNIT_ID (sichuan)
UNIT_HEADER = "单位编号,单位名称,单位代码,类别"
USER_HEADER = "用户名,姓名,角色,所属单位编号,所属企业编号,邮箱,初始密码"


def new_ref() -> str:
    return uuid.uuid4().hex[:8]


def login_status(platform: Platform, username: str, password: str) -> int:
    response = httpx.post(
        f"{platform.url('intake')}/api/login", json={"username": username, "password": password}
    )
    return response.status_code


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def read_passwords(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        return {row["用户名"]: row["初始密码"] for row in csv.DictReader(source)}


def test_units_then_users_from_csv_with_a_bad_row_each(platform: Platform, tmp_path: Path):
    ref = new_ref()
    good_unit, bad_unit = f"unit-{ref}", f"bad-{ref}"
    units = write_csv(
        tmp_path / "推荐单位.csv",
        UNIT_HEADER,
        [
            f"{good_unit},测试{ref}省质量协会,G{ref[:5].upper()},省区市",
            f"{bad_unit},测试{ref}市质量协会,B{ref[:5].upper()},地级市",
        ],
    )
    imported_units = run_admin(platform, NATIONAL_ADMIN, "import", "units", str(units))
    assert imported_units.exit_code == 1, imported_units.output
    assert "新建 1 个，更新 0 个" in imported_units.output
    assert "导入推荐单位：成功 1 行，失败 1 行" in imported_units.output
    assert f"│ 3    │ {bad_unit} │ 类别：只能是以下之一" in imported_units.output

    reviewer, secretary, applicant, orphan = (
        f"{role}-{ref}" for role in ("rev", "sec", "app", "x")
    )
    users = write_csv(
        tmp_path / "账号.csv",
        USER_HEADER,
        [
            f"{reviewer},次仁,推荐单位评审专家,{good_unit},,rev-{ref}@example.com,reviewer-pass-1",
            f"{secretary},仁青,unit_secretary,{good_unit},,sec-{ref}@example.com,",
            f"{applicant},李明,企业申报账号,,{DEMO_ENTERPRISE_OF_UNIT},a-{ref}@example.com,app-pass-12",
            f"{orphan},王五,推荐单位评审专家,{bad_unit},,x-{ref}@example.com,orphan-pass-1",
        ],
    )
    imported_users = run_admin(platform, NATIONAL_ADMIN, "import", "users", str(users))
    assert imported_users.exit_code == 1, imported_users.output
    assert "导入用户账号：成功 3 行，失败 1 行" in imported_users.output
    assert f"│ 5    │ {orphan} │ 所属单位编号：{bad_unit} 不存在" in imported_users.output
    passwords_file = tmp_path / "账号-初始密码.csv"
    assert stat.S_IMODE(passwords_file.stat().st_mode) == 0o600
    generated = read_passwords(passwords_file)
    assert list(generated) == [secretary]
    assert generated[secretary] not in imported_users.output

    assert login_status(platform, reviewer, "reviewer-pass-1") == 200
    assert login_status(platform, secretary, generated[secretary]) == 200
    assert login_status(platform, applicant, "app-pass-12") == 200
    assert login_status(platform, orphan, "orphan-pass-1") == 401


def test_importing_again_updates_and_never_resets_passwords(platform: Platform, tmp_path: Path):
    ref = new_ref()
    username = f"rev-{ref}"
    first = write_csv(
        tmp_path / "first.csv",
        USER_HEADER,
        [f"{username},次仁,unit_reviewer,{UNIT_ID},,r-{ref}@example.com,first-pass-1"],
    )
    assert run_admin(platform, NATIONAL_ADMIN, "import", "users", str(first)).exit_code == 0
    second = write_csv(
        tmp_path / "second.csv",
        USER_HEADER,
        [f"{username},次仁多吉,unit_reviewer,{UNIT_ID},,r-{ref}@example.com,"],
    )
    again = run_admin(platform, NATIONAL_ADMIN, "import", "users", str(second))
    assert again.exit_code == 0, again.output
    assert "新建 0 个，更新 1 个" in again.output
    assert not (tmp_path / "second-初始密码.csv").exists()
    assert login_status(platform, username, "first-pass-1") == 200


def test_units_and_users_from_xlsx_within_the_importers_rights(platform: Platform, tmp_path: Path):
    ref = new_ref()
    unit_id = f"hy-{ref}"
    units = write_xlsx(
        tmp_path / "units.xlsx",
        ["unit_id", "unit_name", "code", "kind"],
        [[unit_id, f"中国测试{ref}行业质量协会", f"H{ref[:5].upper()}", "行业协会"]],
    )
    by_secretary = run_admin(platform, UNIT_SECRETARY, "import", "units", str(units))
    assert by_secretary.exit_code == 1
    assert "仅限全国管理员" in by_secretary.output
    by_admin = run_admin(platform, NATIONAL_ADMIN, "import", "units", str(units))
    assert by_admin.exit_code == 0, by_admin.output
    assert "导入推荐单位：成功 1 行，失败 0 行" in by_admin.output

    own, foreign = f"own-{ref}", f"foreign-{ref}"
    users = write_xlsx(
        tmp_path / "users.xlsx",
        USER_HEADER.split(","),
        [
            [own, "王芳", "推荐单位评审专家", UNIT_ID, "", f"own-{ref}@example.com", ""],
            [foreign, "刘强", "推荐单位评审专家", unit_id, "", f"f-{ref}@example.com", ""],
        ],
    )
    passwords = tmp_path / "out" / "passwords.csv"
    imported = run_admin(
        platform,
        UNIT_SECRETARY,
        "import",
        "users",
        str(users),
        "--passwords-out",
        str(passwords),
    )
    assert imported.exit_code == 1, imported.output
    assert f"│ 3    │ {foreign} │ 所属单位编号：只能为本单位开通评审专家账号" in imported.output
    generated = read_passwords(passwords)
    assert list(generated) == [own]
    assert login_status(platform, own, generated[own]) == 200
    assert login_status(platform, foreign, "anything-at-all") == 401


def test_import_users_refuses_to_overwrite_a_passwords_file(platform: Platform, tmp_path: Path):
    username = f"rev-{new_ref()}"
    users = write_csv(
        tmp_path / "账号.csv",
        USER_HEADER,
        [f"{username},次仁,unit_reviewer,{UNIT_ID},,r@example.com,"],
    )
    earlier = tmp_path / "账号-初始密码.csv"
    earlier.write_text("用户名,初始密码\nsomeone,secret\n", encoding="utf-8")
    refused = run_admin(platform, NATIONAL_ADMIN, "import", "users", str(users))
    assert refused.exit_code == 1
    assert "已存在，请换一个文件名或先移走它" in refused.output
    assert earlier.read_text(encoding="utf-8") == "用户名,初始密码\nsomeone,secret\n"
    assert login_status(platform, username, "anything-at-all") == 401


def test_import_users_rejects_an_unknown_role_by_row(platform: Platform, tmp_path: Path):
    username = f"boss-{new_ref()}"
    users = write_csv(
        tmp_path / "账号.csv",
        USER_HEADER,
        [f"{username},老板,超级管理员,,,boss@example.com,boss-password-1"],
    )
    result = run_admin(platform, NATIONAL_ADMIN, "import", "users", str(users))
    assert result.exit_code == 1
    assert f"│ 2    │ {username} │ 角色：'超级管理员' 无效" in result.output
