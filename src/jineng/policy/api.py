"""Rules and class checks over HTTP: the same engine and the same answers as `jineng check-class`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from ..api import ApiError, ErrorOut
from .engine import UnknownPolicy, check_json
from .facts import InvalidDocument
from .loader import PolicyError, policies
from .report import rules_as_dict

router = Router(tags=["规则"])

_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "开班事实文档（见 contracts/class-facts.md）",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _policies() -> Any:
    try:
        return policies()
    except PolicyError as exc:
        raise ApiError(500, "policy_error", f"政策文件有误：{exc}") from exc


@router.get("/rules", summary="规则目录及指定日期生效的参数", response={200: dict[str, Any], 404: ErrorOut})
def rules(request: HttpRequest, date: dt.date | None = None, policy: str | None = None) -> dict[str, Any]:
    known = _policies()
    if policy:
        chosen = known.named(policy)
        if chosen is None:
            raise ApiError(404, "unknown_policy", f"没有名为 {policy} 的政策（可用：{known.describe_periods()}）")
        day = date or chosen.start
        if not chosen.covers(day):
            raise ApiError(
                404,
                "no_policy_in_force",
                f"{day} 不在政策 {chosen.name} 的有效期内",
                [{"path": "date", "message": f"应在 {chosen.start} 至 {chosen.end} 之间"}],
            )
    else:
        day = date or timezone.localdate()
        found = known.in_force(day)
        if found is None:
            raise ApiError(
                404,
                "no_policy_in_force",
                f"{day} 没有生效的政策（{known.describe_periods()}）",
                [{"path": "date", "message": "该日期没有生效的政策"}],
            )
        chosen = found
    result: dict[str, Any] = rules_as_dict(chosen, day)
    return result


@router.post(
    "/check-class",
    summary="核查开班事实文档（与 jineng check-class 相同）",
    response={200: dict[str, Any], 404: ErrorOut, 422: ErrorOut},
    openapi_extra=_DOCUMENT_BODY,
)
def check_class(request: HttpRequest, policy: str | None = None) -> dict[str, Any]:
    # The body is read raw and parsed by the engine's own strict parser, so the API names bad
    # fields by the same JSON paths as the CLI ($.trainees[3].id_number), not ninja's.
    try:
        _, evaluation = check_json(request.body, policies=_policies(), policy_name=policy)
    except UnknownPolicy as exc:
        raise ApiError(404, "unknown_policy", str(exc)) from exc
    except InvalidDocument as exc:
        raise ApiError(
            422,
            "invalid_document",
            f"不是有效的开班事实文档，共 {len(exc.errors)} 处错误（未进行规则核查）",
            [{"path": e.path, "message": e.message} for e in exc.errors],
        ) from exc
    result: dict[str, Any] = evaluation.as_dict()
    return result
