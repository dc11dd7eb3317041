"""Pages that are not a domain's own: home, health check, the rule catalog and the class check form."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ..ids import mask_ric
from ..policy.engine import UnknownPolicy, check_json
from ..policy.facts import InvalidDocument
from ..policy.loader import policies
from ..policy.report import OUTCOME_ZH, mask_subject_ids, rules_as_dict

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Visitors see what the system offers; a signed-in user starts at their to-do list (待办)."""
    if request.user.is_authenticated:
        return redirect("todo")
    return render(request, "web/home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    known = policies()
    error = ""
    raw = request.GET.get("date", "").strip()
    day = timezone.localdate()
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            error = f"日期 {raw!r} 无效，应为 YYYY-MM-DD"
    policy = known.in_force(day)
    if policy is None and not error:
        # Nothing in force on that day: show the latest policy on its last day, and say so.
        policy = max(known.policies, key=lambda p: p.end)
        error = f"{day} 没有生效的政策，显示 {policy.name} 于 {policy.end} 的参数"
        day = policy.end if day > policy.end else policy.start
    if policy is None:
        policy = max(known.policies, key=lambda p: p.end)
        day = policy.end
    data = rules_as_dict(policy, day)
    for rule in data["rules"]:
        rule["outcome_zh"] = OUTCOME_ZH[rule["outcome"]]
    return render(request, "web/rules.html", {"data": data, "day": day, "error": error})


def _group_findings(findings: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    for item in findings:
        subject = item["subject"]
        if subject.startswith("trainee:"):
            label = f"学员 {mask_ric(subject.removeprefix('trainee:'))}"
        else:
            label = {"class": "班级", "institution": "机构"}.get(subject, subject)
        groups.setdefault(label, []).append(
            {
                **item,
                "outcome_zh": OUTCOME_ZH[item["outcome"]],
                "message": mask_subject_ids(item["message"], subject),
            }
        )
    return list(groups.items())


@require_http_methods(["GET", "POST"])
def check_class(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"document": ""}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
                context["problems"] = [{"path": "file", "message": "文件超过 2 MB"}]
                return render(request, "web/check_class.html", context, status=422)
            raw = upload.read()
        else:
            raw = request.POST.get("document", "").encode("utf-8")
        context["document"] = raw.decode("utf-8", errors="replace")
        try:
            _, evaluation = check_json(raw, policies=policies())
        except (InvalidDocument, UnknownPolicy) as exc:
            problems = (
                [{"path": e.path, "message": e.message} for e in exc.errors]
                if isinstance(exc, InvalidDocument)
                else [{"path": "policy", "message": str(exc)}]
            )
            context["problems"] = problems
            return render(request, "web/check_class.html", context, status=422)
        result = evaluation.as_dict()
        context["result"] = result
        context["groups"] = _group_findings(result["findings"])
    return render(request, "web/check_class.html", context)
