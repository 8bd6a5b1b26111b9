"""HTTP pieces every service shares: lifespan, health and readiness routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import urllib3
from aiormq.exceptions import AMQPError
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from minio.error import S3Error
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import InvalidTokenError, Principal, verify_token
from shared.correlation import correlation_id_var, current_correlation_id, new_correlation_id
from shared.runtime import Runtime, is_ready


def runtime_lifespan(
    runtime: Runtime,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return lifespan


def health_router() -> APIRouter:
    router = APIRouter(tags=["运维"])

    @router.get("/health", summary="进程存活")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/metrics", summary="Prometheus 指标", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        runtime = runtime_of(request)
        await runtime.readiness()  # refreshes the queue, dead-letter and outbox gauges
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/ready", summary="依赖就绪（数据库、存储、消息队列、消费者）")
    async def ready(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        checks = await runtime.readiness()
        ready = is_ready(checks)
        code = status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE
        return JSONResponse({"ready": ready, "checks": checks}, status_code=code)

    return router


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# Dependencies are `async def`: FastAPI runs a plain `def` dependency on a worker thread, a thread
# hop per dependency per request.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


MAX_CORRELATION_ID = 64
# A dependency being down is not the caller's fault and not a bug: 503, try again.
DEPENDENCY_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    OSError,
    S3Error,
    TimeoutError,
    urllib3.exceptions.HTTPError,
    AMQPError,
)
log = logging.getLogger(__name__)
bearer = HTTPBearer(auto_error=False, description="登录后获得的访问令牌")


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    runtime = runtime_of(request)
    if credentials is None:
        raise HTTPException(401, "请先登录。", headers={"WWW-Authenticate": "Bearer"})
    try:
        return verify_token(
            credentials.credentials, secret=runtime.settings.auth_secret.get_secret_value()
        )
    except InvalidTokenError as exc:
        raise HTTPException(
            401, "登录已失效，请重新登录。", headers={"WWW-Authenticate": "Bearer"}
        ) from exc


async def correlation_id(_request: Request) -> str:
    return current_correlation_id()


class CarryCorrelationId:
    """The caller's `X-Correlation-ID` (or a new one) for every event and log line of a request.

    Plain ASGI: `BaseHTTPMiddleware` ran each request in a task of its own and streamed the
    response through a memory channel.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = Headers(scope=scope).get("x-correlation-id", "")
        is_usable = supplied.isalnum() and len(supplied) <= MAX_CORRELATION_ID
        token = correlation_id_var.set(supplied if is_usable else new_correlation_id())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Correlation-ID"] = current_correlation_id()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id_var.reset(token)


def install_observability(app: FastAPI, runtime: Runtime) -> None:
    """Correlation ids from the request into every event and log line; HTTP metrics."""
    app.add_middleware(CarryCorrelationId)
    Instrumentator(
        registry=runtime.metrics.registry, excluded_handlers=["/metrics", "/health", "/ready"]
    ).instrument(app)


async def utc_now() -> datetime:
    return datetime.now(UTC)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Now = Annotated[datetime, Depends(utc_now)]
CorrelationId = Annotated[str, Depends(correlation_id)]


def install_error_handlers(
    app: FastAPI, domain_error: type[Exception], field_labels: Mapping[str, str]
) -> None:
    """Domain errors carry their status and Chinese message; validation errors name the field."""

    async def on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": getattr(exc, "message", str(exc))},
            status_code=getattr(exc, "status_code", 400),
        )

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        problems = [_describe(error, field_labels) for error in errors]
        return JSONResponse(
            {"detail": "；".join(problems) or "请求格式不正确。", "errors": problems},
            status_code=422,
        )

    async def on_dependency_down(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("dependency unavailable: %r", exc)
        return JSONResponse(
            {"detail": "服务暂时不可用（数据库、存储或消息系统繁忙），请稍后重试。"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )

    for unavailable in DEPENDENCY_ERRORS:
        app.add_exception_handler(unavailable, on_dependency_down)
    app.add_exception_handler(domain_error, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def _describe(error: Mapping[str, Any], field_labels: Mapping[str, str]) -> str:
    location = [str(part) for part in error.get("loc", ()) if part not in {"body", "query", "path"}]
    named = [
        field_labels.get(part, f"第{int(part) + 1}项" if part.isdecimal() else part)
        for part in location
    ]
    field = " / ".join(named) or "请求"
    return f"{field}：{_explain(error)}"


def _explain(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    messages = {
        "missing": "必填，请填写。",
        "string_too_short": "不能为空。",
        "string_too_long": f"过长，最多 {context.get('max_length')} 个字符。",
        "string_pattern_mismatch": "格式不正确（邮编为6位数字，手机为11位大陆手机号）。",
        "enum": f"只能是以下之一：{context.get('expected', '')}。",
        "literal_error": f"只能是以下之一：{context.get('expected', '')}。",
        "too_short": "至少需要填写一项。",
        "too_long": f"最多 {context.get('max_length')} 项。",
        "extra_forbidden": "不是申报表中的字段，请删除。",
        "json_invalid": "不是合法的 JSON。",
        "uuid_parsing": "编号格式不正确。",
        "value_error": str(context.get("error", error.get("msg", ""))),
    }
    return messages.get(kind, str(error.get("msg", "格式不正确。")))
