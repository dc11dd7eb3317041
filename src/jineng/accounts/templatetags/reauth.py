"""`{% reauth_fields %}`: the password and TOTP fields of a money-step form, or a line saying the
session re-authenticated recently and they are not needed until when."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from jineng.accounts.models import User
from jineng.accounts.otp import totp_required
from jineng.accounts.security import reauth_until

register = template.Library()


@register.inclusion_tag("accounts/_reauth_fields.html", takes_context=True)
def reauth_fields(context: Any) -> dict[str, Any]:
    request = context["request"]
    user = getattr(request, "user", None)
    return {
        "fresh_until": reauth_until(request),
        "needs_otp": isinstance(user, User) and totp_required(user),
        "minutes": getattr(settings, "JINENG_REAUTH_MINUTES", 5),
    }
