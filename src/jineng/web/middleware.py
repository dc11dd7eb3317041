"""Small middleware of the hardened deployment (docs/deploy.md).

- `ForwardedClientMiddleware`: behind nginx (JINENG_BEHIND_PROXY=true) every request comes from the
  proxy's address; the client's is the last entry of X-Forwarded-For, which nginx appends
  (`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`). Only that entry is trusted —
  whatever stands left of it the client wrote itself. REMOTE_ADDR is replaced, so the login audit,
  the lockout rows and the rate limits all see the client, with no code of theirs aware of the proxy.
- `PermissionsPolicyMiddleware`: the Permissions-Policy header (settings.JINENG_PERMISSIONS_POLICY);
  Django's SecurityMiddleware has no setting for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse


def forwarded_client(header: str) -> str | None:
    """The address the proxy saw (the last X-Forwarded-For entry), or None if it is not an address."""
    last = header.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return None


class ForwardedClientMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not getattr(settings, "JINENG_BEHIND_PROXY", False):
            # Without a proxy the header is the client's own word: never read it.
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if client is not None:
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = str(getattr(settings, "JINENG_PERMISSIONS_POLICY", "") or "")
        if not self.policy:
            raise MiddlewareNotUsed

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response
