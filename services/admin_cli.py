"""`qcflow admin`: season administration as an HTTP client of the running intake and review."""

from __future__ import annotations

import csv
import io
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from openpyxl import load_workbook
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="活动管理：活动、名额、推荐单位/账号/企业导入、转发通知、导出表格",
    no_args_is_help=True,
)
import_app = typer.Typer(help="从 CSV / XLSX 批量导入", no_args_is_help=True)
app.add_typer(import_app, name="import")

TABLE_KINDS = {
    "recommendation": "推荐表",
    "review_summary": "成果评审汇总表",
    "activity_statistics": "活动统计表",
}
ENTERPRISE_COLUMNS = {
    "enterprise_id": ("enterprise_id", "企业编号"),
    "name": ("name", "企业名称"),
    "credit_code": ("credit_code", "统一社会信用代码"),
    "contact_name": ("contact_name", "联系人"),
    "contact_email": ("contact_email", "电子邮箱"),
    "contact_mobile": ("contact_mobile", "手机"),
}
QUOTA_COLUMNS = {"unit_id": ("unit_id", "推荐单位编号"), "quota": ("quota", "名额")}
UNIT_COLUMNS = {
    "unit_id": ("unit_id", "单位编号"),
    "unit_name": ("unit_name", "单位名称"),
    "code": ("code", "单位代码"),
    "kind": ("kind", "类别"),
}
USER_COLUMNS = {
    "username": ("username", "用户名"),
    "name": ("name", "姓名"),
    "role": ("role", "角色"),
    "unit_id": ("unit_id", "所属单位编号"),
    "enterprise_id": ("enterprise_id", "所属企业编号"),
    "email": ("email", "邮箱"),
    "initial_password": ("initial_password", "初始密码"),
}
ROLE_LABELS = {
    "企业申报账号": "applicant",
    "推荐单位评审专家": "unit_reviewer",
    "推荐单位秘书处": "unit_secretary",
    "全国评审专家": "national_reviewer",
    "全国秘书处": "national_secretary",
    "全国管理员": "national_admin",
}
ROLE_NAMES = {**ROLE_LABELS, **{value: value for value in ROLE_LABELS.values()}}
GENERATED_PASSWORD_BYTES = 12  # 16 URL-safe characters, above intake's 10-character minimum
TIMEOUT_S = 30.0
console = Console()


class AdminError(Exception):
    """A problem the operator must fix; printed in Chinese, exit code 1."""


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Client:
    intake: str
    review: str
    headers: dict[str, str]

    def call(self, method: str, url: str, body: object = None) -> Any:  # noqa: ANN401 - JSON of any shape
        response = self.request(method, url, body)
        return response.json() if response.content else None

    def request(self, method: str, url: str, body: object = None) -> httpx.Response:
        try:
            response = httpx.request(
                method, url, json=body, headers=self.headers, timeout=TIMEOUT_S
            )
        except httpx.HTTPError as exc:
            raise AdminError(f"无法连接 {url}：{exc}。请检查服务地址和网络。") from exc
        if not response.is_success:
            raise AdminError(f"{_detail(response)}（HTTP {response.status_code}）")
        return response


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:500] or "服务没有返回说明"


def _env_url(name: str, default: str) -> str:
    return os.environ.get(name, default).rstrip("/")


def connect() -> Client:
    """Log in at intake with QCFLOW_ADMIN_USERNAME / QCFLOW_ADMIN_PASSWORD."""
    intake = _env_url("QCFLOW_INTAKE_URL", "http://127.0.0.1:8001")
    review = _env_url("QCFLOW_REVIEW_URL", "http://127.0.0.1:8002")
    username = os.environ.get("QCFLOW_ADMIN_USERNAME", "")
    password = os.environ.get("QCFLOW_ADMIN_PASSWORD", "")
    if not username or not password:
        raise AdminError(
            "请设置环境变量 QCFLOW_ADMIN_USERNAME 和 QCFLOW_ADMIN_PASSWORD（登录账号）。"
        )
    anonymous = Client(intake, review, {})
    token = anonymous.call(
        "POST", f"{intake}/api/login", {"username": username, "password": password}
    )
    return Client(intake, review, {"Authorization": f"Bearer {token['access_token']}"})


def fail(error: AdminError) -> typer.Exit:
    console.print(f"[red]错误：{error}[/red]")
    return typer.Exit(1)


# --- reading CSV / XLSX ---------------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of the first sheet (XLSX) or of a UTF-8 CSV, keyed by the header row."""
    if not path.is_file():
        raise AdminError(f"文件 {path} 不存在，请检查路径。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    raise AdminError(f"文件 {path.name}：只支持 .csv 或 .xlsx，请另存为其中一种格式。")


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdminError(f"文件 {path.name}：不是 UTF-8 编码，请用 UTF-8 另存后重试。") from exc
    reader = csv.DictReader(io.StringIO(text))
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def _xlsx_rows(path: Path) -> list[dict[str, str]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise AdminError(f"文件 {path.name}：无法读取的 XLSX 文件，请用 Excel 重新保存。") from exc
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = [_cell(value) for value in next(rows, ())]
    table = [dict(zip(header, (_cell(v) for v in row), strict=False)) for row in rows]
    workbook.close()
    return [{k: v for k, v in row.items() if k} for row in table if any(row.values())]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def pick(row: dict[str, str], columns: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Map English or Chinese header names to the field names."""
    return {
        field: next((row[name] for name in names if row.get(name)), "")
        for field, names in columns.items()
    }


def check_header(rows: list[dict[str, str]], columns: Mapping[str, tuple[str, str]]) -> None:
    if not rows:
        raise AdminError("文件中没有数据行（第一行应为表头）。")
    present = set().union(*(row.keys() for row in rows))
    unknown = sorted(present - {name for names in columns.values() for name in names})
    if unknown:
        known = "、".join(f"{en}/{zh}" for en, zh in columns.values())
        raise AdminError(f"表头：{'、'.join(unknown)} 不是可识别的列，可用的列：{known}。")


# --- per-row import with a progress bar and an error report ----------------------------------


@dataclass
class RowFailure:
    row_number: int
    key: str
    message: str


def import_rows(
    description: str,
    rows: list[dict[str, str]],
    send: Callable[[dict[str, str]], None],
    key_field: str,
) -> list[RowFailure]:
    """Send each row on its own (one request, one transaction): a bad row changes nothing."""
    failures = []
    with _progress() as progress:
        task = progress.add_task(description, total=len(rows))
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                send(row)
            except AdminError as error:
                failures.append(RowFailure(number, row.get(key_field, ""), str(error)))
            progress.advance(task)
    return failures


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def report(total: int, failures: list[RowFailure], what: str) -> None:
    console.print(f"{what}：成功 {total - len(failures)} 行，失败 {len(failures)} 行。")
    if not failures:
        return
    table = Table(
        "行号", "编号", "错误", title="导入失败的行（未做任何修改，改正后可重新导入这些行）"
    )
    for failure in failures:
        table.add_row(str(failure.row_number), failure.key or "-", failure.message)
    console.print(table)
    raise typer.Exit(1)


# --- commands ------------------------------------------------------------------------------


def _contacts(values: list[str] | None) -> list[dict[str, str]]:
    contacts = []
    for value in values or []:
        parts = [part.strip() for part in value.replace("，", ",").split(",")]
        if len(parts) not in {2, 3} or not all(parts):
            raise AdminError(f"联系人 {value!r}：格式为 “姓名,电子邮箱[,手机]”。")
        contact = {"name": parts[0], "email": parts[1]}
        if len(parts) == 3:  # noqa: PLR2004 - name, email, mobile
            contact["mobile"] = parts[2]
        contacts.append(contact)
    return contacts


def _deadline(value: str, option: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AdminError(
            f"{option}：{value!r} 不是日期时间，示例 2026-05-31T17:00:00+08:00。"
        ) from exc
    if parsed.tzinfo is None:
        raise AdminError(f"{option}：请写明时区，示例 2026-05-31T17:00:00+08:00（北京时间）。")
    return parsed.isoformat()


ContactOption = Annotated[
    list[str] | None, typer.Option("--contact", help="联系人：姓名,电子邮箱[,手机]（可重复）")
]


@app.command("create-campaign", help="发布全国活动通知（中国质量协会）。")
def create_campaign(
    campaign_id: Annotated[str, typer.Option("--id", help="活动编号，如 2026")],
    year: Annotated[int, typer.Option(help="活动年度")],
    doc_number: Annotated[str, typer.Option("--doc-number", help="文号")],
    title: Annotated[str, typer.Option(help="通知标题")],
    theme: Annotated[str, typer.Option(help="活动主题")],
    deadline: Annotated[str, typer.Option(help="全国截止时间（ISO 8601，含时区）")],
    contact: ContactOption = None,
) -> None:
    """Publish the national notice."""
    try:
        body = {
            "campaign_id": campaign_id,
            "year": year,
            "doc_number": doc_number,
            "title": title,
            "theme": theme,
            "national_deadline_at": _deadline(deadline, "--deadline"),
            "contacts": _contacts(contact),
        }
        client = connect()
        created = client.call("POST", f"{client.intake}/api/campaigns", body)
    except AdminError as error:
        raise fail(error) from error
    console.print(f"已发布活动 {created['campaign_id']}：{created['title']}")
    console.print(f"全国截止时间：{created['national_deadline_text']}")


@app.command("forward-notice", help="推荐单位秘书处转发全国通知（本单位文号、截止时间、联系人）。")
def forward_notice(
    campaign_id: Annotated[str, typer.Argument(help="活动编号")],
    doc_number: Annotated[str, typer.Option("--doc-number", help="本单位文号")],
    title: Annotated[str, typer.Option(help="转发通知标题")],
    deadline: Annotated[str, typer.Option(help="本单位截止时间（ISO 8601，含时区）")],
    contact: ContactOption = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="通知正文（UTF-8 文本文件）")
    ] = None,
) -> None:
    """Forward the national notice as the unit's secretary."""
    try:
        body = {
            "doc_number": doc_number,
            "title": title,
            "body": _read_text(body_file) if body_file else "",
            "deadline_at": _deadline(deadline, "--deadline"),
            "contacts": _contacts(contact),
        }
        client = connect()
        url = f"{client.intake}/api/campaigns/{campaign_id}/forward"
        forwarded = client.call("POST", url, body)
    except AdminError as error:
        raise fail(error) from error
    console.print(f"{forwarded['unit_name']} 已转发 {campaign_id}：{forwarded['title']}")
    console.print(f"本单位截止时间：{forwarded['deadline_text']}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError(f"--body-file：无法读取 {path}（须为 UTF-8 文本文件）。") from exc


@app.command("set-quota", help="下达推荐名额（全国）：一个单位（--unit --quota），或从文件批量。")
def set_quota(
    campaign_id: Annotated[str, typer.Argument(help="活动编号")],
    unit_id: Annotated[str | None, typer.Option("--unit", help="推荐单位编号")] = None,
    quota: Annotated[int | None, typer.Option(help="名额")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV/XLSX：unit_id/推荐单位编号, quota/名额")
    ] = None,
) -> None:
    """Set recommendation quotas, one unit or a file of them."""
    try:
        rows = _quota_rows(unit_id, quota, file)
        client = connect()
    except AdminError as error:
        raise fail(error) from error

    def send(row: dict[str, str]) -> None:
        if not row["quota"].isdigit():
            raise AdminError(f"名额：{row['quota']!r} 不是非负整数。")
        url = f"{client.review}/api/units/{row['unit_id']}/campaigns/{campaign_id}/quota"
        client.call("PUT", url, {"quota": int(row["quota"])})

    failures = import_rows("下达名额", rows, send, "unit_id")
    report(len(rows), failures, "下达名额")


def _quota_rows(unit_id: str | None, quota: int | None, file: Path | None) -> list[dict[str, str]]:
    if file is not None:
        rows = read_rows(file)
        check_header(rows, QUOTA_COLUMNS)
        return [pick(row, QUOTA_COLUMNS) for row in rows]
    if unit_id is None or quota is None:
        raise AdminError("请同时给出 --unit 和 --quota，或用 --file 指定名额表。")
    return [{"unit_id": unit_id, "quota": str(quota)}]


@import_app.command(
    "enterprises",
    help="登记本单位的会员企业（推荐单位秘书处账号）。每行单独提交，出错的行不做任何修改。",
)
def import_enterprises(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX：企业编号、企业名称、统一社会信用代码…")],
) -> None:
    """Register the unit's member enterprises, one request per row."""
    try:
        rows = _keyed_rows(file, ENTERPRISE_COLUMNS, "enterprise_id")
        client = connect()
    except AdminError as error:
        raise fail(error) from error

    def send(row: dict[str, str]) -> None:
        fields = pick(row, ENTERPRISE_COLUMNS)
        contacts = []
        if fields["contact_name"] or fields["contact_email"]:
            contact = {"name": fields["contact_name"], "email": fields["contact_email"]}
            if fields["contact_mobile"]:
                contact["mobile"] = fields["contact_mobile"]
            contacts.append(contact)
        body = {
            "enterprise_id": fields["enterprise_id"],
            "name": fields["name"],
            "credit_code": fields["credit_code"],
            "contacts": contacts,
        }
        client.call("POST", f"{client.intake}/api/enterprises", body)

    failures = import_rows("导入企业", rows, send, "enterprise_id")
    report(len(rows), failures, "导入企业")


@import_app.command(
    "units",
    help="登记或更新推荐单位（全国管理员账号）。列：单位编号、单位名称、单位代码、类别。"
    "按单位编号新建或更新，可重复导入。",
)
def import_units(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX：单位编号、单位名称、单位代码、类别")],
) -> None:
    """Create or update recommending units, one PUT per row."""
    try:
        rows = _keyed_rows(file, UNIT_COLUMNS, "unit_id")
        client = connect()
    except AdminError as error:
        raise fail(error) from error
    outcome = Outcome()

    def send(row: dict[str, str]) -> None:
        fields = pick(row, UNIT_COLUMNS)
        body = {key: fields[key] for key in ("unit_name", "code", "kind")}
        url = f"{client.intake}/api/units/{_path_part(fields['unit_id'], '单位编号')}"
        outcome.count(client.call("PUT", url, body))

    failures = import_rows("导入推荐单位", rows, send, "unit_id")
    console.print(outcome.summary())
    report(len(rows), failures, "导入推荐单位")


@import_app.command(
    "users",
    help="开通或更新用户账号：全国管理员可开通任何角色；推荐单位秘书处只能为本单位开通评审专家、"
    "为本单位会员企业开通申报账号。初始密码只在新建账号时设置；"
    "“初始密码”列留空的新账号由系统生成密码，"
    "写入 --passwords-out 文件（权限 0600，不在屏幕显示）。",
)
def import_users(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV/XLSX：用户名、姓名、角色、所属单位编号、所属企业编号、邮箱、初始密码"
        ),
    ],
    passwords_out: Annotated[
        Path | None,
        typer.Option(
            "--passwords-out",
            help="生成的初始密码写入此 CSV"
            "（默认：导入文件旁的 “<文件名>-初始密码.csv”，不得已存在）",
        ),
    ] = None,
) -> None:
    """Create or update accounts, one PUT per row; generated passwords go to a 0600 file."""
    try:
        rows = _keyed_rows(file, USER_COLUMNS, "username")
        client = connect()
        target = passwords_out or file.with_name(f"{file.stem}-初始密码.csv")
        if any(not pick(row, USER_COLUMNS)["initial_password"] for row in rows):
            create_private_file(target)
    except AdminError as error:
        raise fail(error) from error
    outcome = Outcome()
    generated: list[dict[str, str]] = []

    def send(row: dict[str, str]) -> None:
        fields = pick(row, USER_COLUMNS)
        body = _user_body(fields)
        url = f"{client.intake}/api/users/{_path_part(fields['username'], '用户名')}"
        saved = client.call("PUT", url, body)
        outcome.count(saved)
        if saved["is_password_set"] and not fields["initial_password"]:
            generated.append(
                {
                    "用户名": saved["username"],
                    "姓名": saved["name"],
                    "邮箱": saved["email"],
                    "初始密码": body["initial_password"],
                }
            )

    failures = import_rows("导入用户账号", rows, send, "username")
    console.print(outcome.summary())
    if generated:
        write_private_csv(target, generated)
        console.print(
            f"已将 {len(generated)} 个新账号的初始密码写入 {target}（仅本人可读）。"
            "请通过安全渠道分发给本人，分发后删除该文件。"
        )
    else:
        target.unlink(missing_ok=True)
    report(len(rows), failures, "导入用户账号")


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0

    def count(self, saved: dict[str, Any]) -> None:
        if saved["is_created"]:
            self.created += 1
        else:
            self.updated += 1

    def summary(self) -> str:
        return f"新建 {self.created} 个，更新 {self.updated} 个。"


def _keyed_rows(
    file: Path, columns: Mapping[str, tuple[str, str]], key: str
) -> list[dict[str, str]]:
    """The file's rows, each also carrying its key under the English name for the report."""
    rows = read_rows(file)
    check_header(rows, columns)
    return [{**row, key: pick(row, columns)[key]} for row in rows]


def _path_part(value: str, label: str) -> str:
    if not value:
        raise AdminError(f"{label}：必填，请填写。")
    return quote(value, safe="")


def _user_body(fields: dict[str, str]) -> dict[str, str]:
    role = ROLE_NAMES.get(fields["role"].strip().lower())
    if role is None:
        known = "、".join(f"{value}（{label}）" for label, value in ROLE_LABELS.items())
        raise AdminError(f"角色：{fields['role']!r} 无效，可选：{known}。")
    return {
        "name": fields["name"],
        "role": role,
        "email": fields["email"],
        "unit_id": fields["unit_id"],
        "enterprise_id": fields["enterprise_id"],
        "initial_password": fields["initial_password"] or generate_password(),
    }


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def create_private_file(path: Path) -> None:
    """Reserve the passwords file before any account exists: mode 0600, never an old file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError as exc:
        raise AdminError(f"--passwords-out：{path} 已存在，请换一个文件名或先移走它。") from exc
    except OSError as exc:
        raise AdminError(f"--passwords-out：无法创建 {path}（{exc.strerror}）。") from exc


def write_private_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@app.command(
    "export-table",
    help="生成推荐表 / 成果评审汇总表 / 活动统计表并下载 xlsx："
    "推荐单位秘书处账号得到本单位的表，全国账号得到全国评审的汇总表。",
)
def export_table(
    kind: Annotated[
        str, typer.Argument(help="recommendation / review_summary / activity_statistics")
    ],
    campaign_id: Annotated[str, typer.Argument(help="活动编号（全国汇总表填年度，如 2023）")],
    out: Annotated[Path, typer.Option("--out", help="保存目录")] = Path(),
    statistics: Annotated[
        Path | None,
        typer.Option("--statistics", help="活动统计表的数据（CSV/XLSX，每个会员单位一行）"),
    ] = None,
    timeout_s: Annotated[float, typer.Option("--timeout", help="等待生成的最长秒数")] = 120.0,
) -> None:
    """Request a table from review, wait until rendered, download the xlsx."""
    try:
        body = _table_body(kind, campaign_id, statistics)
        client = connect()
        requested = client.call("POST", f"{client.review}/api/tables", body)
        table = wait_rendered(client, requested["request_id"], timeout_s)
        path = download(client, table, out)
    except AdminError as error:
        raise fail(error) from error
    console.print(f"已保存 {TABLE_KINDS[kind]}：{path}")


def _table_body(kind: str, campaign_id: str, statistics: Path | None) -> dict[str, Any]:
    if kind not in TABLE_KINDS:
        known = "、".join(f"{k}（{v}）" for k, v in TABLE_KINDS.items())
        raise AdminError(f"表格类型：{kind!r} 无效，可选：{known}。")
    body: dict[str, Any] = {"table_kind": kind, "campaign_id": campaign_id}
    if kind == "activity_statistics":
        if statistics is None:
            raise AdminError("活动统计表需要 --statistics 数据文件（每个会员单位一行）。")
        body["statistics"] = read_rows(statistics)
    return body


def _tables(client: Client) -> Iterator[dict[str, Any]]:
    yield from client.call("GET", f"{client.review}/api/tables")


def wait_rendered(client: Client, request_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    with _progress() as progress:
        task = progress.add_task("等待表格生成", total=None)
        while time.monotonic() < deadline:
            table = next((t for t in _tables(client) if t["request_id"] == request_id), None)
            if table and table["failure"]:
                raise AdminError(f"表格生成失败：{table['failure']}")
            if table and any(f.get("format") == "xlsx" for f in table["files"]):
                progress.update(task, total=1, completed=1)
                return table
            progress.advance(task)
            time.sleep(0.5)
    raise AdminError(f"{timeout_s:g} 秒内表格仍未生成，请稍后用 GET /api/tables 查看。")


def download(client: Client, table: dict[str, Any], out: Path) -> Path:
    url = f"{client.review}/api/tables/{table['request_id']}/xlsx"
    name = f"{TABLE_KINDS[table['table_kind']]}-{table['unit_id']}-{table['campaign_id']}.xlsx"
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    with (
        httpx.stream("GET", url, headers=client.headers, timeout=TIMEOUT_S) as response,
        _progress() as progress,
    ):
        if not response.is_success:
            raise AdminError(f"下载失败（HTTP {response.status_code}）。")
        size = int(response.headers.get("content-length", 0)) or None
        task = progress.add_task(f"下载 {name}", total=size)
        with path.open("wb") as target:
            for chunk in response.iter_bytes():
                target.write(chunk)
                progress.advance(task, len(chunk))
    return path
