"""The JSON API (/api/v1/): one NinjaAPI, routers per domain app, one error shape.

Every error is JSON `{"code", "message", "fields": [{"path", "message"}]}` with a Chinese message,
so an institution's system can show it to its users as it is.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params import functions as param

from . import fastschema
from .audit.context import API_ERROR_CODE
from .classes.errors import ServiceError

# Before any of the API's schemas is defined: they validate plain input without ninja's DjangoGetter.
fastschema.install()


logger = logging.getLogger(__name__)


class FieldProblem(Schema):
    path: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)


class RefusalOut(ErrorOut):
    """The common error shape; a refusal may add what it is about."""

    findings: list[dict[str, Any]] | None = Field(None, description="rule_blocked：阻断的规则核查结果")
    rule: str | None = Field(None, description="not_permitted：拒绝所依据的规则（如 SUB-TWO-PERSON）")
    finding: dict[str, Any] | None = Field(None, description="not_permitted：该规则的核查结果")
    current_version: int | None = Field(None, description="stale_version：当前版本")
    state: str | None = Field(None, description="invalid_transition：当前状态")


# The error answers every endpoint documents: reads (unauthenticated, not permitted, not found or out
# of scope, bad query) and writes (refusals carry what they are about).
READ_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[ErrorOut]] = {
    401: ErrorOut,
    403: RefusalOut,
    404: ErrorOut,
    409: RefusalOut,
    422: ErrorOut,
}
# The bulk endpoints' answer over their rate limit (jineng.ratelimit.BULK), with Retry-After.
RATE_LIMITED: dict[int, type[ErrorOut]] = {429: ErrorOut}

# The offset of every paged list. Unbounded, one past 2^63 reached the database as an integer it
# cannot hold (PostgreSQL "bigint out of range", SQLite "datatype mismatch": a 500).
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, param.Query(ge=0, le=MAX_OFFSET, description="跳过的条数")]


class ApiError(Exception):
    """Raised by endpoints: rendered as the common error shape with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []


api = NinjaAPI(
    title="jineng 补贴性职业技能培训管理系统 API",
    version="1",
    description="许昌 2023“人人持证、技能河南”：规则目录、开班事实核查。错误统一为 {code, message, fields}。",
    urls_namespace="api-v1",
)


def _error(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    # The code tells the audit middleware a scope refusal (404 not_found) from any other 404.
    setattr(request, API_ERROR_CODE, body.get("code"))
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, {"code": exc.code, "message": exc.message, "fields": exc.fields})


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = [
        {"path": ".".join(str(part) for part in error.get("loc", ())), "message": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return _error(
        request, 422, {"code": "invalid_request", "message": f"请求有 {len(fields)} 处错误", "fields": fields}
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, {"code": "unauthenticated", "message": "未登录或令牌无效", "fields": []})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, {"code": f"http_{exc.status_code}", "message": str(exc), "fields": []})


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # A bulk endpoint over its rate limit (jineng.ratelimit.BULK); ninja adds Retry-After.
    wait = f"请 {math.ceil(exc.wait)} 秒后再试" if exc.wait else "请稍后再试"
    return _error(request, 429, {"code": "rate_limited", "message": f"调用过于频繁，{wait}", "fields": []})


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    # A service's refusal: its status, code, Chinese message and fields; anything it adds
    # (RuleBlocked's findings, StaleVersion's current_version, SUB-TWO-PERSON's rule) alongside.
    body: dict[str, Any] = {"code": exc.code, "message": exc.message, "fields": exc.fields}
    for key, value in exc.extra.items():
        body.setdefault(key, value)
    return _error(request, exc.status, body)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; without this the client
    # would get a 500 for what is its own mistake. Files go as multipart uploads, not bodies.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return _error(
        request,
        413,
        {
            "code": "payload_too_large",
            "message": f"请求体超过 {limit / 1_048_576:.1f} MB 的上限：请分批推送（每批条数见接口说明）或以文件导入",
            "fields": [{"path": "body", "message": f"不超过 {limit:,} 字节"}],
        },
    )


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A value the database cannot take — an id or offset past 2^63 (PostgreSQL "bigint out of
    # range", SQLite's OverflowError), a date past year 9999 — is the client's input, never the
    # server's fault: a 422, not a 500. Each such answer is logged, since a field that reaches
    # the database unchecked deserves its own validation.
    logger.warning("值超出数据库范围：%s %s: %s", request.method, request.path, exc)
    return _error(
        request,
        422,
        {
            "code": "value_out_of_range",
            "message": "请求中有超出范围、无法处理的值（如过大的编号、页码偏移或日期）：请检查后重试",
            "fields": [],
        },
    )


def _register_routers() -> None:
    from .accounts.api import router as accounts_router
    from .assessment.api import router as assessment_router
    from .audit.api import router as audit_router
    from .classes.api import router as classes_router
    from .online.api import router as online_router
    from .policy.api import router as policy_router
    from .registry.api import router as registry_router
    from .subsidy.api import router as subsidy_router
    from .supervision.api import router as supervision_router
    from .supervision.api_checkins import router as checkins_router
    from .targets.api import router as targets_router
    from .vouchers.api import router as vouchers_router

    api.add_router("/", policy_router)
    api.add_router("/", accounts_router)
    api.add_router("/", registry_router)
    api.add_router("/", classes_router)
    api.add_router("/", audit_router)
    api.add_router("/", supervision_router)
    api.add_router("/", checkins_router)
    api.add_router("/", online_router)
    api.add_router("/", assessment_router)
    api.add_router("/", subsidy_router)
    api.add_router("/", vouchers_router)
    api.add_router("/", targets_router)


_register_routers()
