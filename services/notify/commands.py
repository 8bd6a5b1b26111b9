"""`qcflow notify …`: list failed deliveries and resend them (mounted by services/cli.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import admin
from services.notify.domain.errors import NotifyError
from shared.db import create_engine, create_sessionmaker, transaction
from shared.settings import settings_for

app = typer.Typer(help="通知服务：查看和重发发送失败的投递", no_args_is_help=True)
T = TypeVar("T")


async def _in_transaction(use_case: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings_for("notify").db_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            return await use_case(session)
    finally:
        await engine.dispose()


@app.command()
def failed(limit: int = typer.Option(50, min=1, max=admin.MAX_LIST, help="最多列出条数")) -> None:
    """List deliveries that failed for good (newest first)."""

    async def listing(session: AsyncSession) -> list[str]:
        return [
            f"{d.delivery_id}\t{d.channel}\t{d.recipient}\t{d.template}\t"
            f"{d.attempts}次\t{(d.last_error or '')[:120]}"
            for d in await admin.failed_deliveries(session, limit=limit)
        ]

    lines = asyncio.run(_in_transaction(listing))
    typer.echo("\n".join(lines) if lines else "没有发送失败的投递。")


@app.command()
def resend(delivery_id: str = typer.Argument(help="投递编号（见 failed 命令）")) -> None:
    """Queue a failed delivery again (same idempotency key, fresh retry schedule)."""
    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        typer.echo(f"投递编号 {delivery_id!r} 格式不正确，应为 UUID。", err=True)
        raise typer.Exit(2) from None

    async def requeue(session: AsyncSession) -> None:
        await admin.resend(session, delivery_id=parsed, now=datetime.now(UTC))

    try:
        asyncio.run(_in_transaction(requeue))
    except NotifyError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已重新排队：{parsed}")
