"""Outbox and inbox tables, defined in each service's own MetaData."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def define_messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_pending",
        outbox.c.created_at,
        postgresql_where=outbox.c.published_at.is_(None),
        sqlite_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
