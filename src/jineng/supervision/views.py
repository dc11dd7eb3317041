"""The 过程监管 tab of a class page: timetable, attendance, inspections, videos, survey, and each
trainee's eligibility so far — the same selectors as the API, rendered for the reader's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from jineng import tabular
from jineng.accounts.models import Role, User
from jineng.audit.services import mask_text
from jineng.classes.models import TrainingClass
from jineng.ids import mask_ric
from jineng.online.selectors import STATUS_ZH as ONLINE_STATUS_ZH
from jineng.online.selectors import class_results, evidence
from jineng.policy.catalog import OUTCOME_ZH
from jineng.policy.findings import Finding

from . import selectors
from .models import HourKind, VideoSegment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# One mark per cell of the attendance grid; the title spells it out.
GRID_MARKS = {
    selectors.PRESENT: "✓",
    selectors.MADE_UP: "补",
    selectors.ABSENT: "✗",
    selectors.VOID: "废",
    selectors.PENDING: "·",
}
VIDEOS_SHOWN = 200  # a class records a few dozen segments; the API pages through more
ONLINE_PAGE_SIZE = 50


def _reason(user: User, f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "outcome": str(f.outcome),
        "outcome_zh": OUTCOME_ZH.get(f.outcome, str(f.outcome)),
        "clause": f.clause,
        "message": f.message if user.sees_clear_ids else mask_text(f.message),
    }


def _grid_hours(record: selectors.Attendance) -> list[dict[str, Any]]:
    return [
        {
            "seq": h.seq,
            "kind": HourKind(h.kind).label,
            "when": timezone.localtime(h.starts_at).strftime("%m-%d %H:%M"),
            "void": h.void,
        }
        for h in record.hours
    ]


def _cells(line: selectors.TraineeAttendance, record: selectors.Attendance) -> list[dict[str, str]]:
    return [
        {
            "status": status,
            "mark": GRID_MARKS[status],
            "title": f"第{hour.seq}课时 {selectors.STATUS_ZH[status]}",
        }
        for hour, status in zip(record.hours, line.statuses, strict=True)
    ]


def _local_minute(at: object) -> str:
    """An ISO time in Beijing time (as the audit writes it), e.g. 2023-05-03T20:03:00+08:00, as "2023-05-03 20:03"."""
    text = str(at or "")
    return text[:16].replace("T", " ") if text.endswith("+08:00") else text


def _online(user: User, cls: TrainingClass, page_number: int) -> dict[str, Any]:
    """The class's trainees × its online courses, each with the audit's evidence (session, time)."""
    number = max(1, page_number)
    page = class_results(user, cls, limit=ONLINE_PAGE_SIZE, offset=(number - 1) * ONLINE_PAGE_SIZE)
    pages = max(1, -(-page.count // ONLINE_PAGE_SIZE))
    if number > pages:  # a page number past the end (an old link): show the last page
        number = pages
        page = class_results(user, cls, limit=ONLINE_PAGE_SIZE, offset=(number - 1) * ONLINE_PAGE_SIZE)
    count = page.count
    rows = [
        {
            "row": r.row,
            "name": r.name,
            "id_number": r.id_number,
            "course": r.course,
            "status": r.status,
            "status_zh": ONLINE_STATUS_ZH[r.status],
            "minutes": r.result.study_minutes if r.result else None,
            "events": r.result.events if r.result else 0,
            "audited_at": r.result.audited_at if r.result else None,
            "evidence": [
                {**item, "when": _local_minute(item["at"])} for item in evidence(r.result, clear=user.sees_clear_ids)
            ]
            if r.result
            else [],
        }
        for r in page.rows
    ]
    return {"courses": page.courses, "rows": rows, "count": count, "page": number, "pages": pages}


def class_tab_context(user: User, cls: TrainingClass, *, online_page: int = 1) -> dict[str, Any]:
    """What the tab shows; a worker sees their own line and the class-wide figures."""
    now = timezone.now()
    own = (user.person_id or 0) if user.role == Role.WORKER else None
    record = selectors.attendance(cls, now=now, person_id=own)
    state = selectors.eligibility(cls, now=now, person_id=own, record=record)
    rows = {t.enrollment_id: t for t in record.trainees}
    hours = selectors.timetable(cls)
    count = selectors.headcount(cls, now=now)
    _, p = selectors.class_policy(cls)
    responses, satisfied = selectors.satisfaction_counts(cls)
    trainees = []
    for t in state.trainees:
        line = rows[t.enrollment_id]
        trainees.append(
            {
                "row": t.row,
                "name": t.name,
                "id_number": t.id_number if user.sees_clear_ids else mask_ric(t.id_number),
                "rate": t.attendance_rate,
                "present": line.count(selectors.PRESENT),
                "made_up": line.count(selectors.MADE_UP),
                "absent": line.count(selectors.ABSENT),
                "payable": t.payable,
                "reasons": [_reason(user, r) for r in t.reasons if r.subject != "class"],
                "pending": t.pending,
                "cells": _cells(line, record),
            }
        )
    return {
        "sup": {
            "hours": len(hours),
            "hours_by_kind": {label: sum(1 for h in hours if h.kind == kind) for kind, label in HourKind.choices},
            "totals": record.totals,
            "headcount": count,
            "inspections_min": p.inspections_min,
            "inspections": list(selectors.inspections_for(cls)) if user.role != Role.WORKER else [],
            "videos": selectors.videos_for(cls).count(),
            "video_rows": list(selectors.videos_for(cls)[:VIDEOS_SHOWN]),
            "videos_shown": VIDEOS_SHOWN,
            "grid_hours": _grid_hours(record),
            "grid_legend": [(GRID_MARKS[s], label) for s, label in selectors.STATUS_ZH.items()],
            "satisfaction_rate": (Decimal(satisfied) / responses) if responses else None,
            "satisfaction_min": p.satisfaction_min,
            "checkin_early_minutes": p.checkin_early_minutes,
            "checkin_match_min": p.checkin_match_min,
            "online": _online(user, cls, online_page),
            "failures": record.video.all_visible_failures,
            "video_fail_max": p.video_fail_max,
            "responses": responses,
            "satisfied": satisfied,
            "suspensions": list(selectors.suspensions_for(cls)),
            "class_reasons": [_reason(user, r) for r in state.class_reasons],
            "pending": state.pending,
            "trainees": trainees,
            "payable": sum(1 for t in state.trainees if t.payable),
            "is_worker": user.role == Role.WORKER,
        }
    }


# ── 录像留存到期报告 (SUP-VIDEO-RETENTION) ──────────────────────────────────────────────────────

EXPIRING_DAYS = 90  # the default window: a quarter ahead, time enough to plan the storage
EXPIRING_DAYS_MAX = 3660
EXPIRING_COLUMNS = (
    *("留存至", "班级编号", "班级名称", "培训机构", "课时"),
    *("类型", "摄像头", "开始时间", "结束时间", "存储位置"),
)


def _expiring_row(v: VideoSegment) -> list[Any]:
    cls = v.training_class
    return [
        v.retain_until,
        cls.code,
        cls.name,
        cls.institution.name,
        f"第{v.class_hour.seq}课时" if v.class_hour else "",
        v.get_kind_display(),
        v.camera,
        timezone.localtime(v.starts_at).replace(tzinfo=None),
        timezone.localtime(v.ends_at).replace(tzinfo=None),
        v.storage_ref,
    ]


def _expiring_xlsx(rows: QuerySet[VideoSegment], days: int) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "录像留存到期"
    sheet.append([f"培训录像留存到期报告（{timezone.localdate():%Y-%m-%d} 起 {days} 日内到期及已到期、未删除的录像）"])
    sheet.append(list(EXPIRING_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for v in rows.iterator(chunk_size=2000):
        sheet.append(_expiring_row(v))
    for letter, width in zip("ABCDEFGHIJ", (12, 16, 36, 30, 10, 8, 12, 18, 18, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=3):
        row[0].number_format = "yyyy-mm-dd"
        row[7].number_format = row[8].number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A3"
    response = HttpResponse(tabular.xlsx_bytes(book), content_type=XLSX)
    name = f"录像留存到期报告-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def videos_expiring(request: HttpRequest) -> HttpResponse:
    """The videos in the reader's scope whose 3-year retention ends within `days`, as a page or XLSX."""
    user = cast(User, request.user)
    raw = request.GET.get("days", "").strip()
    days = int(raw) if raw.isdigit() else EXPIRING_DAYS
    error = ""
    if raw and not (raw.isdigit() and days <= EXPIRING_DAYS_MAX):
        error = f"天数应为 0 至 {EXPIRING_DAYS_MAX} 的整数"
    days = min(days, EXPIRING_DAYS_MAX)
    rows = selectors.video_expiring(user, days)
    if request.GET.get("format") == "xlsx" and not error:
        return _expiring_xlsx(rows, days)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"page": page, "days": days, "error": error, "today": timezone.localdate()}
    return render(request, "supervision/videos_expiring.html", context, status=400 if error else 200)
