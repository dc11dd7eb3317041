"""/api/v1/auth/…: re-authentication of a browser session before a money step.

Only the session can re-authenticate: a bearer token belongs to an institution's system, which
takes no money step, and has no session to stamp.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema

from ..api import ErrorOut, RefusalOut
from .auth import SessionAuth, api_user
from .security import reauth_verify

router = Router(tags=["登录与会话"])


class ReauthIn(Schema):
    password: str = Field(max_length=4096, description="登录密码")
    otp: str = Field("", max_length=16, description="动态口令（6 位数字；须使用动态口令的角色必填）")


class ReauthOut(Schema):
    reauth_until: dt.datetime = Field(description="在此之前可进行资金操作（财政签批、拨付、收缴）")
    minutes: int = Field(description="有效时长（分钟）")


@router.post(
    "/auth/reauth",
    auth=SessionAuth(),
    summary="资金操作前重新验证身份（密码与动态口令；仅浏览器会话）",
    response={200: ReauthOut, 401: ErrorOut, 403: RefusalOut, 422: ErrorOut},
)
def reauth(request: HttpRequest, payload: ReauthIn) -> ReauthOut:
    until = reauth_verify(request, user=api_user(request), password=payload.password, otp=payload.otp)
    return ReauthOut(reauth_until=until, minutes=int(getattr(settings, "JINENG_REAUTH_MINUTES", 5)))
