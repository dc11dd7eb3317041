"""Face check-in API: devices push with their own key; offline batches are imported by the institution.

- `POST /checkins` — a device (`Authorization: Bearer <device key>`) pushes `{"events": [...]}`;
  an event's `device` is the pushing device or omitted.
- `POST /checkins/import` — an institution clerk uploads the offline records of the institution's
  own devices (CSV or JSON Lines); rows of other institutions' devices or classes are refused.
- `GET /classes/{id}/checkins` — the check-ins of a class in the reader's scope (a trainee sees
  their own), resident IDs always masked.

A batch is stored whole or not at all: 422 `invalid_checkins` names every bad row and field
("第3行 签到时间"); a re-sent event counts as a duplicate, not twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja import Field, File, Router, Schema, UploadedFile
from ninja.params import functions as param

from jineng import tabular
from jineng.accounts.auth import AUTH, api_user
from jineng.accounts.models import Role
from jineng.classes.selectors import class_get
from jineng.ids import mask_ric
from jineng.inputs import upload_limit_for
from jineng.ratelimit import BULK

from ..api import RATE_LIMITED, ApiError, ErrorOut, Offset
from .auth import DeviceAuth, device_of
from .ingest import FIELDS, LABELS, MAX_PUSH_EVENTS, IngestResult, checkins_import, checkins_push
from .models import CheckIn

router = Router(tags=["人脸签到"])

MAX_LIMIT = 500
DEFAULT_LIMIT = 100

Limit = Annotated[int, param.Query(ge=1, le=MAX_LIMIT, description=f"每页条数（最多 {MAX_LIMIT}）")]

_WRITE_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class CheckInBatchOut(Schema):
    batch: int = Field(description="签到批次 id")
    rows: int = Field(description="本批事件数（不含空行）")
    inserted: int = Field(description="新增的签到")
    duplicates: int = Field(description="重复（已存储过或本批内重复），未再计入")


class CheckInOut(Schema):
    # A check-in is known by its device and the device's event id: it has no id of its own.
    at: dt.datetime = Field(description="签到时间（UTC）")
    device: str = Field(description="设备编号")
    device_event_id: str = Field(description="设备事件号（与设备编号一起唯一确定一条签到）")
    name: str = Field(description="学员姓名")
    id_number: str = Field(description="身份证号（脱敏）")
    match_score: float
    liveness: bool
    batch: int


class CheckInPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CheckInOut]


_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [name for name in FIELDS if name != "device"],
    "properties": {
        "event_id": {"type": "string", "maxLength": 64, "description": LABELS["event_id"] + "（同一设备内唯一）"},
        "device": {"type": "string", "description": LABELS["device"] + "：推送设备本身，可省略"},
        "class": {"type": "string", "description": LABELS["class"]},
        "id_number": {"type": "string", "description": LABELS["id_number"]},
        "time": {
            "oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}],
            "description": "签到时间：带时区的 ISO 8601（如 2023-05-08T09:00:00+08:00）或毫秒时间戳",
        },
        "score": {"type": "number", "minimum": 0, "maximum": 1, "description": LABELS["score"]},
        "liveness": {"type": "boolean", "description": "活体检测是否通过"},
    },
}
_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["events"],
                    "properties": {
                        "events": {"type": "array", "minItems": 1, "maxItems": MAX_PUSH_EVENTS, "items": _EVENT_SCHEMA}
                    },
                }
            }
        },
    }
}


def _out(result: IngestResult) -> CheckInBatchOut:
    return CheckInBatchOut(
        batch=result.batch.pk, rows=result.rows, inserted=result.inserted, duplicates=result.duplicates
    )


@router.post(
    "/checkins",
    auth=DeviceAuth(),
    summary=f"签到设备推送人脸签到（设备密钥；每次最多 {MAX_PUSH_EVENTS} 条；重发的事件不重复计入）",
    response={200: CheckInBatchOut, **_WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
    openapi_extra=_PUSH_BODY,
)
def push_checkins(request: HttpRequest) -> CheckInBatchOut:
    device = device_of(request)
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise ApiError(413, "too_large", f"请求体过大：请分批推送，每次最多 {MAX_PUSH_EVENTS} 条") from exc
    return _out(checkins_push(device=device, content=body))


@router.post(
    "/checkins/import",
    auth=AUTH,
    summary="导入本机构签到设备的离线签到记录（CSV 或 JSON Lines；有错误行则一条不导入，逐行列出）",
    response={200: CheckInBatchOut, **_WRITE_ERRORS, **RATE_LIMITED},
    throttle=BULK,
)
def import_checkins(request: HttpRequest, file: File[UploadedFile]) -> CheckInBatchOut:
    user = api_user(request)
    # Offline records run to a million rows: JINENG_CHECKIN_IMPORT_MAX_MB, not the lists' limit.
    limit = upload_limit_for(request.path_info)
    too_big = tabular.size_problem(file.size, file.name or "checkins", limit=limit, what="签到文件")
    if too_big is not None:
        raise ApiError(413, "too_large", too_big, [{"path": "file", "message": too_big}])
    return _out(checkins_import(actor=user, content=file.read(), filename=file.name or ""))


@router.get(
    "/classes/{int:class_id}/checkins",
    auth=AUTH,
    summary="班级的人脸签到记录（按签到时间；身份证号脱敏）",
    response={200: CheckInPage, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def class_checkins(
    request: HttpRequest,
    class_id: int,
    day: Annotated[dt.date | None, param.Query(description="只看这一天（北京时间）的签到")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> CheckInPage:
    user = api_user(request)
    cls = class_get(user, class_id)
    if cls is None:
        raise ApiError(404, "not_found", "找不到该培训班，或不在您的管辖范围内")
    qs = CheckIn.objects.filter(training_class_id=cls.pk)
    if user.role == Role.WORKER:  # a trainee sees their own check-ins, not the others'
        qs = qs.filter(person_id=user.person_id) if user.person_id else qs.none()
    if day is not None:
        qs = qs.filter(at__date=day)  # USE_TZ: the date in Asia/Shanghai, the settings' time zone
    # Check-ins at the same instant (two devices, one trainee) in a fixed order: by their key.
    page = qs.select_related("device", "person").order_by("at", "pk")[offset : offset + limit]
    items = [
        CheckInOut(
            at=c.at,
            device=c.device.serial,
            device_event_id=c.device_event_id,
            name=c.person.name,
            id_number=mask_ric(c.person.id_number),
            match_score=c.match_score,
            liveness=c.liveness,
            batch=c.batch_id,
        )
        for c in page
    ]
    return CheckInPage(count=qs.count(), limit=limit, offset=offset, items=items)
