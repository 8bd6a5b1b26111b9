"""`peak`: the deadline drill against the whole platform, with 1 and with 2 render replicas.

All four services run as processes (PostgreSQL, private virtual host, moto S3) with an aiosmtpd
server in this process. N applications, each with a 1 MB evidence PDF, are created, uploaded
and submitted over HTTP by `--concurrency` (16) clients; the drill's time runs from the first
request until every application lists its docx + pdf (GET /api/applications/{id}) and its
receipt mail (subject naming its unique QC group) was delivered. Compared with the bare render
time of the same N forms in this process (pdf + docx, warm). Round 2 adds a second render
process.

Lost and duplicates are checked, not assumed: a submission that failed, an application
without both documents or without its mail at the end is lost; a second mail for a group or
more than two documents is a duplicate.
"""

from __future__ import annotations

import asyncio
import collections
import re
import tempfile
import time
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import httpx

from bench import cpu
from bench.common import (
    Options,
    Result,
    Row,
    Target,
    bare_render,
    log,
    percentile,
    usable_cores,
)
from bench.platform import (
    Account,
    Applicant,
    Submission,
    applicant_accounts,
    login,
    running_platform,
    spawn_render,
    wait_ready,
)
from shared.events import ApplicationForm
from tests.support.platform import Platform
from tests.support.smtp import Inbox, SmtpServer

NAME = "peak"
POLL_CONCURRENCY = 4
SETTLE_S = 3.0
SINGLES = 5
GROUP_NAME = re.compile(r"雪域先锋QC小组-r\d+-\d{5}")


def run(options: Options) -> Result:
    n = options.count(NAME, full=2000, quick=100)
    drill_timeout_s = max(600.0, n * 3.0)
    result = Result(
        NAME,
        params={"n": n, "concurrency": options.concurrency, "evidence_mb": 1, "replicas": [1, 2]},
    )
    rounds: dict[int, dict[str, Any]] = {}
    forms: list[ApplicationForm] = []
    mail = HeadersInbox()
    smtp = SmtpServer(mail).start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="qcflow-bench-") as tmp,
            running_platform(
                ("intake", "review", "render", "notify"), Path(tmp), smtp_port=smtp.port
            ) as platform,
        ):
            site = Site(
                platform, mail, login(platform), applicant_accounts(platform, options.concurrency)
            )
            log(f"peak: {SINGLES} applications one at a time on the idle platform")
            singles = [
                asyncio.run(_drill(site, 1, f"r0{i}-", 120.0, 1, poll_s=0.02))
                for i in range(SINGLES)
            ]
            for replicas in (1, 2):
                if replicas == 2:
                    url = spawn_render(platform, 2)
                    wait_ready(url, platform.processes["render-2"])
                log(f"peak: {n} applications, {replicas} render replica(s)")
                rounds[replicas] = asyncio.run(
                    _drill(
                        site,
                        n,
                        f"r{replicas}-",
                        drill_timeout_s,
                        options.concurrency,
                    )
                )
                if not forms:
                    forms = rounds[replicas].pop("forms")
                else:
                    rounds[replicas].pop("forms")
    finally:
        smtp.stop()

    log(f"peak: bare render of the same {len(forms)} forms")
    bare_s = bare_render(forms) if forms else float("nan")
    single_s = sorted(single["drill_s"] for single in singles)
    result.facts = {"bare_render_s": round(bare_s, 3), "single_s": single_s, "rounds": rounds}
    result.add(
        Row(
            "one application, idle platform",
            single_s[len(single_s) // 2],
            "s",
            note=f"median of {SINGLES}: submit → docx+pdf stored and receipt mail delivered",
        ),
        Row("bare render (pdf+docx) of N forms", round(bare_s, 1), "s"),
        Row("  per form", round(bare_s / max(len(forms), 1) * 1000, 1), "ms"),
    )
    for replicas, figures in rounds.items():
        label = f"{replicas} render replica{'s' if replicas > 1 else ''}"
        result.add(
            Row(
                f"drill time, {label}",
                figures["drill_s"],
                "s",
                note=f"submitting took {figures['submit_s']} s",
            ),
            Row(
                f"drill / bare, {label}",
                round(figures["drill_s"] / bare_s, 3),
                "",
                Target("<=", 1.25),
            ),
            Row(
                f"  intake p95 during drill, {label}",
                figures["latency_p95_ms"],
                "ms",
                Target("<=", 300),
            ),
            _cpu_floor_row(figures["cpu_s"], bare_s, label),
            *_cpu_rows(figures["cpu_s"], n, label),
            _render_children_row(
                figures["render_children"], figures["render_children_turns"] / n, label
            ),
            Row(f"  lost, {label}", figures["lost"], "", Target("<=", 0)),
            Row(f"  duplicates, {label}", figures["duplicates"], "", Target("<=", 0)),
        )
    if 1 in rounds and 2 in rounds:
        result.add(
            Row(
                "drill speed-up, 2 replicas vs 1",
                round(rounds[1]["drill_s"] / rounds[2]["drill_s"], 3),
                "×",
            )
        )
    return result


def _cpu_rows(cpu_s: dict[str, float], n: int, label: str) -> list[Row]:
    """CPU per application during the drill: in the render children, and everywhere else."""
    rendering = cpu_s.get(cpu.RENDER_CHILDREN, 0.0)
    elsewhere = sum(cpu_s.values()) - rendering
    largest = ", ".join(
        f"{group} {seconds / n * 1000:.0f}"
        for group, seconds in list(cpu_s.items())[:5]
        if group != cpu.RENDER_CHILDREN
    )
    return [
        Row(
            f"  CPU per application, render children, {label}", round(rendering / n * 1000, 1), "ms"
        ),
        Row(
            f"  CPU per application elsewhere, {label}",
            round(elsewhere / n * 1000, 1),
            "ms",
            note=largest,
        ),
    ]


def _cpu_floor_row(cpu_s: dict[str, float], bare_s: float, label: str) -> Row:
    """The lowest drill / bare that the CPU seconds the drill used allow, however scheduled."""
    cores = usable_cores()
    return Row(
        f"  CPU floor of drill / bare, {label}",
        round(sum(cpu_s.values()) / cores / bare_s, 3),
        "",
        note=f"all processes' CPU seconds ÷ {cores} cores ÷ bare",
    )


def _render_children_row(shares: dict[str, float], turns_per_form: float, label: str) -> Row:
    """Whether drawing waited for a CPU (the scheduler) or for work (the pipeline)."""
    return Row(
        f"  render children on a CPU, {label}",
        round(shares["on_cpu"] * 100),
        "%",
        note=f"waiting for a CPU {shares['waiting_for_cpu']:.0%}, idle {shares['idle']:.0%}; "
        f"{turns_per_form:.0f} turns on a CPU per application",
    )


@dataclass(frozen=True)
class Site:
    """The running platform, its mail server, a reader's headers and the applicants' accounts."""

    platform: Platform
    mail: HeadersInbox
    headers: dict[str, str]
    accounts: list[Account]


async def _drill(
    site: Site,
    n: int,
    tag: str,
    timeout_s: float,
    concurrency: int,
    *,
    poll_s: float = 0.5,
) -> dict[str, Any]:
    applicant = Applicant(site.platform.url("intake"), site.accounts)
    cpu_before = cpu.read()
    schedules_before = cpu.schedules(cpu_before)
    started = time.perf_counter()
    submitting = asyncio.create_task(applicant.submit_many(n, concurrency=concurrency, tag=tag))
    watcher = Watcher(site.mail, [account.email for account in site.accounts])
    items: list[Submission] = []
    deadline = started + timeout_s
    async with httpx.AsyncClient(
        base_url=site.platform.url("intake"), headers=site.headers, timeout=60
    ) as client:
        while time.perf_counter() < deadline:
            await asyncio.sleep(poll_s)
            if submitting.done() and not items:
                items = submitting.result()
                submit_s = time.perf_counter() - started
                watcher.expect(items)
            await watcher.sweep(client)
            if items and watcher.all_done():
                break
        finished = time.perf_counter()
        cpu_after = cpu.read()
        schedules_after = cpu.schedules(cpu_after)
        cpu_s = cpu.spent(cpu_before, cpu_after)
        children_got = cpu.schedule_between(schedules_before, schedules_after)
        render_children = cpu.time_shares(children_got, len(schedules_after), finished - started)
        render_children_turns = children_got.turns
        if not items:  # timed out while still submitting
            submitting.cancel()
            items = []
            submit_s = finished - started
        await asyncio.sleep(SETTLE_S if n > 1 else 0.0)  # late duplicates would show up by now
        await watcher.sweep(client, recount=True)
    every = [value for values in applicant.latencies.values() for value in values]
    return {
        "drill_s": round(finished - started, 3),
        "submit_s": round(submit_s, 2),
        "latency_p95_ms": round(percentile(every, 0.95) * 1000) if every else None,
        "latency_p99_ms": round(percentile(every, 0.99) * 1000) if every else None,
        "cpu_s": cpu_s,
        "render_children": render_children,
        "render_children_turns": render_children_turns,
        "failed_submissions": sum(1 for item in items if item.error),
        "first_errors": [item.error for item in items if item.error][:5],
        **watcher.verdict(n),
        "forms": [ApplicationForm.model_validate(item.form) for item in items if item.form],
    }


class HeadersInbox(Inbox):
    """Keeps each mail's recipients and decoded subject, and nothing else, as a mail server would.

    The tests' inbox parses every mail whole with the modern `email` policy: 1.3 ms per mail of
    the cores the platform under test runs on, against 0.07 ms for the headers alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[tuple[str, str]] = []  # (To, Subject)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: ANN401, N802 - aiosmtpd hook
        parsed = BytesHeaderParser().parsebytes(envelope.content)
        subject = str(make_header(decode_header(parsed["Subject"] or "")))
        with self._lock:
            self.headers.append((str(parsed["To"]), subject))
        return "250 Message accepted for delivery"


class Watcher:
    """Tracks which applications have both documents and their receipt mail."""

    def __init__(self, inbox: HeadersInbox, applicant_emails: list[str]) -> None:
        self.inbox = inbox
        self.applicant_emails = applicant_emails
        self.items: list[Submission] = []
        self.documents: dict[str, list[str]] = {}
        self.mails: collections.Counter[str] = collections.Counter()
        self._mails_read = 0

    def expect(self, items: list[Submission]) -> None:
        self.items = [item for item in items if not item.error]

    def _count_new_mails(self) -> None:
        """Read the mails that arrived since the last sweep, each one's headers once.

        Parsing the whole inbox on every sweep (16 recipients × thousands of mails) kept a core
        busy and slowed down the platform under test.
        """
        arrived = self.inbox.headers[self._mails_read :]
        self._mails_read += len(arrived)
        for to, subject in arrived:
            if any(email in to for email in self.applicant_emails):
                self.mails.update(GROUP_NAME.findall(subject))

    async def sweep(self, client: httpx.AsyncClient, *, recount: bool = False) -> None:
        self._count_new_mails()
        todo = [
            item
            for item in self.items
            if self.mails[item.group_name]
            and (recount or item.application_id not in self.documents)
        ]
        semaphore = asyncio.Semaphore(POLL_CONCURRENCY)

        async def look(item: Submission) -> None:
            async with semaphore:
                response = await client.get(f"/api/applications/{item.application_id}")
            if response.status_code == 200:
                formats = [document["format"] for document in response.json()["documents"]]
                if {"pdf", "docx"} <= set(formats):
                    self.documents[item.application_id] = formats

        await asyncio.gather(*(look(item) for item in todo))

    def all_done(self) -> bool:
        return all(
            item.application_id in self.documents and self.mails[item.group_name]
            for item in self.items
        )

    def verdict(self, n: int) -> dict[str, int]:
        complete = sum(
            1
            for item in self.items
            if item.application_id in self.documents and self.mails[item.group_name]
        )
        names = {item.group_name for item in self.items}
        duplicate_mails = sum(
            count - 1 for name, count in self.mails.items() if name in names and count > 1
        )
        duplicate_documents = sum(
            len(formats) - 2 for formats in self.documents.values() if len(formats) > 2
        )
        return {
            "submitted": len(self.items),
            "complete": complete,
            "lost": n - complete,
            "duplicates": duplicate_mails + duplicate_documents,
            "duplicate_mails": duplicate_mails,
            "duplicate_documents": duplicate_documents,
        }
