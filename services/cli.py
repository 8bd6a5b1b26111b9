"""The `qcflow` command: run, migrate and seed the services."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, get_args

import typer
import uvicorn
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from services.admin_cli import app as admin_app
from services.notify.commands import app as notify_commands
from shared.asyncapi import asyncapi_document
from shared.db import create_engine, create_sessionmaker, transaction
from shared.http import install_observability
from shared.logging import configure_logging
from shared.memory import leave_live_objects_out_of_collections, return_large_buffers_to_the_os
from shared.messaging.broker import create_broker, queue_depths
from shared.messaging.dead_letters import list_dead_letters, replay_dead_letters
from shared.messaging.outbox import count_pending
from shared.messaging.topology import SERVICE_QUEUES
from shared.migrations import upgrade
from shared.priority import lower_cpu_priority
from shared.settings import SERVICE_PORTS, ServiceName, Settings, settings_for

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(help="qcflow：全国优秀质量管理小组申报平台", no_args_is_help=True)
SERVICES: tuple[ServiceName, ...] = get_args(ServiceName)
VERSION = "0.1.0"
DEMO_PASSWORD_ENV = "QCFLOW_DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password


def _service(name: str) -> ServiceName:
    if name not in SERVICES:
        raise typer.BadParameter(f"未知服务 {name!r}，可选：{', '.join(SERVICES)}")
    return name


def create_service_app(settings: Settings) -> FastAPI:
    module = importlib.import_module(f"services.{settings.service}.main")
    created: FastAPI = module.create_app(settings)
    install_observability(created, created.state.runtime)
    return created


@app.command()
def migrate(service: str = typer.Argument(help="intake / review / render / notify / all")) -> None:
    """Apply a service's database migrations."""
    for name in SERVICES if service == "all" else (_service(service),):
        settings = settings_for(name)
        upgrade(name, settings.db_url)
        typer.echo(f"{name}: 数据库已迁移到最新版本")


@app.command()
def serve(service: str) -> None:
    """Run one service (HTTP + its consumers and background jobs)."""
    settings = settings_for(_service(service))
    lower_cpu_priority(settings.process_niceness)
    configure_logging(settings.service)
    return_large_buffers_to_the_os()
    service_app = create_service_app(settings)
    leave_live_objects_out_of_collections()
    uvicorn.run(
        service_app,
        host=settings.http_host,
        port=settings.port,
        log_level="info",
        log_config=None,  # keep the JSON root logger configured above
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=20,
    )


@app.command("seed-demo")
def seed_demo() -> None:
    """Create the demo 2023 campaign, unit, enterprise and accounts (idempotent)."""
    from services.intake.demo import DEMO_ACCOUNTS, seed_demo  # noqa: PLC0415 - intake only

    password = os.environ.get(DEMO_PASSWORD_ENV, "qcflow-demo")

    async def run() -> None:
        engine = create_engine(settings_for("intake").db_url)
        async with transaction(create_sessionmaker(engine)) as session:
            await seed_demo(session, password=password)
        await engine.dispose()

    asyncio.run(run())
    for username, name, _email, role, _org in DEMO_ACCOUNTS:
        typer.echo(f"演示账号 {username} / {password}（{name}，{role.value}）")


dlq_app = typer.Typer(help="死信队列：查看与重放", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(notify_commands, name="notify", help="通知：失败的投递与重发")
app.add_typer(admin_app, name="admin", help="活动管理：活动、名额、企业导入、转发通知、导出表格")


@app.command()
def queues() -> None:
    """Queue depth, consumers and dead letters of every service (from the broker)."""
    settings = Settings()

    async def collect() -> list[tuple[str, dict[str, int]]]:
        broker = create_broker(
            settings.amqp_url, prefetch=1, registry=CollectorRegistry(), app_name="qcflow-cli"
        )
        await broker.connect()
        try:
            return [
                (name, await queue_depths(broker, queue)) for name, queue in SERVICE_QUEUES.items()
            ]
        finally:
            await broker.stop()

    table = Table("队列", "待处理", "消费者", "死信")
    for name, depths in asyncio.run(collect()):
        table.add_row(
            SERVICE_QUEUES[name].name,
            str(depths["messages"]),
            str(depths["consumers"]),
            str(depths["dead_letters"]),
        )
    Console().print(table)


@app.command()
def outbox(service: str) -> None:
    """Outbox rows of a service not yet published (its QCFLOW_DATABASE_URL)."""
    settings = settings_for(_service(service))
    tables = importlib.import_module(f"services.{service}.models").messaging_tables

    async def count() -> int:
        engine = create_engine(settings.db_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return await count_pending(session, tables)
        finally:
            await engine.dispose()

    typer.echo(f"{service}: 待发布事件 {asyncio.run(count())} 条")


@dlq_app.command("list")
def dlq_list(service: str, limit: int = 100) -> None:
    """Show a service's dead-lettered messages (they stay in the queue)."""
    letters = asyncio.run(list_dead_letters(Settings().amqp_url, _service(service), limit=limit))
    table = Table("message_id", "事件类型", "原因", "投递次数", "内容（前200字节）")
    for letter in letters:
        table.add_row(
            letter.message_id or "-",
            letter.event_type or "无法识别",
            letter.reason,
            str(letter.deliveries),
            letter.preview,
        )
    Console().print(table)
    typer.echo(f"共 {len(letters)} 条死信")


@dlq_app.command("replay")
def dlq_replay(
    service: str,
    message_id: Annotated[list[str] | None, typer.Option("--id", help="只重放这些消息")] = None,
) -> None:
    """Send dead letters back to the service's queue (all, or those named with --id)."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        progress.add_task(f"正在重放 {service} 的死信……")
        replayed = asyncio.run(
            replay_dead_letters(
                Settings().amqp_url,
                _service(service),
                message_ids=set(message_id) if message_id else None,
            )
        )
    typer.echo(f"已重放 {replayed} 条死信到 {SERVICE_QUEUES[service].name}")


DOCS = Path(__file__).resolve().parent.parent / "docs"


def generated_docs() -> dict[Path, str]:
    """Integrator documents generated from the code: AsyncAPI of the bus, OpenAPI of the APIs."""
    import yaml  # noqa: PLC0415 - only this developer command needs it

    spec = asyncapi_document(version=VERSION)
    documents = {DOCS / "asyncapi.yaml": yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)}
    for name in ("intake", "review"):
        openapi = create_service_app(settings_for(name)).openapi()
        documents[DOCS / "openapi" / f"{name}.json"] = (
            json.dumps(openapi, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
    return documents


@app.command()
def docs(check: Annotated[bool, typer.Option("--check", help="只检查，不写入")] = False) -> None:
    """Write (or with --check, verify) docs/asyncapi.yaml and docs/openapi/*.json."""
    stale = []
    for path, text in generated_docs().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        typer.echo(f"{'过期' if check else '已更新'}：{path.relative_to(DOCS.parent)}")
    if check and stale:
        raise typer.Exit(1)


@app.command("run-all")
def run_all() -> None:
    """Migrate, seed the demo and run all four services until Ctrl-C."""
    migrate("all")
    seed_demo()
    processes = {
        name: subprocess.Popen([sys.executable, "-m", "services.cli", "serve", name])  # noqa: S603 - fixed argv
        for name in SERVICES
    }
    try:
        _wait_until_ready(processes)
        _print_urls()
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        typer.echo("有服务意外退出，正在停止其余服务……", err=True)
    except KeyboardInterrupt:
        typer.echo("\n正在停止……")
    finally:
        _stop(processes)


def _wait_until_ready(processes: dict[ServiceName, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 90
    pending = set(processes)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            if processes[name].poll() is not None:
                raise typer.Exit(1)
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{SERVICE_PORTS[name]}/ready", timeout=5
                ):
                    pending.discard(name)
            except OSError:
                pass
        time.sleep(0.5)


def _print_urls() -> None:
    typer.echo("\nqcflow 已启动：")
    for name, port in SERVICE_PORTS.items():
        extra = f"  接口文档 http://127.0.0.1:{port}/docs" if name in {"intake", "review"} else ""
        typer.echo(f"  {name:7} http://127.0.0.1:{port}/health{extra}")
    typer.echo("按 Ctrl-C 停止全部服务。")


def _stop(processes: dict[ServiceName, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    app()
