"""Bulletins (通报) of the plan's progress on its reporting cadence (三(一): 周调度、月通报、季讲评、
半年督导、全年总结), as XLSX and PDF, with a generated summary paragraph.

`build` reads the reader's overview (jineng.targets.selectors: the same figures, statuses and
scope as the dashboards) as it stood at the end of the period, and words the summary once;
`to_xlsx` and `to_pdf` only lay out that one `Bulletin`, so the two files say the same thing.

PDF font: the annex 3 form's lookup (`jineng.subsidy.annex3.pdf_font`: an embedded TrueType CJK
font when one is found, else the built-in STSong-Light), so Chinese text extracts with pypdf.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.graphics.charts.barcharts import VerticalBarChart  # type: ignore[import-untyped]
from reportlab.graphics.charts.linecharts import HorizontalLineChart  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing, Line, Rect, String  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from jineng import tabular
from jineng.accounts.models import User
from jineng.policy.findings import Finding, percent
from jineng.policy.loader import policies
from jineng.policy.rules.indicators import Progress
from jineng.subsidy.annex3 import pdf_font

from .models import Measure
from .selectors import INDICATOR_ZH, INDICATORS, Overview, Row, overview, scope_label

# The plan's cadence (三(一)), in the CLI's spelling; `half_year` (the policy parameter's) is accepted too.
KINDS: tuple[str, ...] = ("weekly", "monthly", "quarterly", "half-year", "year")
KIND_ZH: dict[str, str] = {
    "weekly": "周调度",
    "monthly": "月通报",
    "quarterly": "季讲评",
    "half-year": "半年督导",
    "year": "全年总结",
}
FORMS: dict[str, str] = {
    "weekly": "2023-W23（ISO 周）、日期 2023-06-05（所在周）或 2023-06（该月最后一个完整周）",
    "monthly": "2023-06（年-月）或日期 2023-06-05（所在月）",
    "quarterly": "2023-Q2，或 2023-06、2023-06-05（所在季度）",
    "half-year": "2023-H1，或 2023-06、2023-06-05（所在半年）",
    "year": "2023，或 2023-06、2023-06-05（所在年度）",
}
FORMATS: tuple[str, ...] = ("xlsx", "pdf")
PROGRAMME = "“人人持证、技能河南”建设工作"
QUARTER_ZH = ("一", "二", "三", "四")
WAN = Decimal(10000)
CENTS = Decimal("0.01")
# Indicator names as the summary words them (the table headers keep the plan's column names).
UNIT_ZH = {
    "training": "人次",
    "subsidised": "人次",
    "new_skilled": "人",
    "new_high_skilled": "人",
    "technicians": "人",
    "apprentices": "人",
}
SHORT_ZH = {
    "training": "职业技能培训",
    "subsidised": "补贴性培训",
    "new_skilled": "新增技能人才",
    "new_high_skilled": "新增高技能人才",
    "technicians": "技师和高级技师",
    "apprentices": "新型学徒制",
}
STATUS_RGB = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "none": "EDEDED"}
# Departments named in the summary at most (annex 2 has 28 units; the table has them all).
NAMED_DEPARTMENTS = 5


class NoReach(PermissionError):
    """The user reads no bulletin (not a dashboard reader): pages answer 404."""


class Period(NamedTuple):
    year: int
    start: dt.date
    as_of: dt.date
    label: str


# ── periods ───────────────────────────────────────────────────────────────────────────────────


def normalize_kind(kind: str) -> str:
    """The cadence key of `kind`; ValueError naming the five when it is none of them."""
    key = kind.strip().lower().replace("_", "-")
    if key not in KIND_ZH:
        listed = "、".join(f"{k}（{v}）" for k, v in KIND_ZH.items())
        raise ValueError(f"通报类型“{kind}”无法识别，应为 {listed}")
    return key


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _md(day: dt.date, year: int) -> str:
    return f"{day.month}月{day.day}日" if day.year == year else f"{day.year}年{day.month}月{day.day}日"


def _week(year: int, week: int) -> Period:
    start = dt.date.fromisocalendar(year, week, 1)
    sunday = start + dt.timedelta(days=6)
    # A week across the new year belongs to its ISO year's plan; that plan year ends on 31 December.
    as_of = min(sunday, dt.date(year, 12, 31))
    label = f"{year}年第{week}周（{_md(start, year)}—{_md(sunday, year)}）"
    return Period(year, start, as_of, label)


def _quarter(year: int, q: int) -> Period:
    return Period(year, dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q), f"{year}年第{QUARTER_ZH[q - 1]}季度")


def _half(year: int, h: int) -> Period:
    return Period(year, dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h), f"{year}年{'上' if h == 1 else '下'}半年")


def parse_period(text: str, kind: str) -> Period:
    """(year, start, as_of, label) of the period `text` names for a bulletin of `kind`.

    Each kind takes its own form (2023-W23, 2023-06, 2023-Q2, 2023-H1, 2023) or a date or month,
    meaning the period of that kind containing it (a month for a weekly bulletin: the last week
    ending in it). Anything else is a ValueError naming the forms expected."""
    kind = normalize_kind(kind)
    raw = text.strip().upper()
    bad = ValueError(f"{KIND_ZH[kind]}的期间“{text}”无法识别，应写作 {FORMS[kind]}")
    day: dt.date | None = None
    month: tuple[int, int] | None = None
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw):
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
            month = (int(m[1]), int(m[2]))
            _month_end(*month)  # validates the month
        elif kind == "weekly" and (m := re.fullmatch(r"(\d{4})-?W(\d{1,2})", raw)):
            return _week(int(m[1]), int(m[2]))
        elif kind == "quarterly" and (m := re.fullmatch(r"(\d{4})-?Q([1-4])", raw)):
            return _quarter(int(m[1]), int(m[2]))
        elif kind == "half-year" and (m := re.fullmatch(r"(\d{4})-?H([12])", raw)):
            return _half(int(m[1]), int(m[2]))
        elif kind == "year" and (m := re.fullmatch(r"(\d{4})", raw)):
            year = int(m[1])
            if year < 1:
                raise bad
            return Period(year, dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年全年")
        else:
            raise bad
    except ValueError:  # a day or month that does not exist, an ISO week the year has not
        raise bad from None

    if kind == "weekly":
        if day is None:
            assert month is not None
            end = _month_end(*month)
            day = end - dt.timedelta(days=(end.weekday() + 1) % 7)  # the month's last Sunday
        iso = day.isocalendar()
        return _week(iso.year, iso.week)
    if day is not None:
        month = (day.year, day.month)
    assert month is not None
    year, number = month
    if kind == "monthly":
        return Period(year, dt.date(year, number, 1), _month_end(year, number), f"{year}年{number}月")
    if kind == "quarterly":
        return _quarter(year, (number - 1) // 3 + 1)
    if kind == "half-year":
        return _half(year, 1 if number <= 6 else 2)
    return Period(year, dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年全年")


def period_code(kind: str, period: Period) -> str:
    """The period as a file name writes it: 2023-W23, 2023-06, 2023-Q2, 2023-H1, 2023."""
    kind = normalize_kind(kind)
    start = period.start
    if kind == "weekly":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if kind == "monthly":
        return f"{start:%Y-%m}"
    if kind == "quarterly":
        return f"{period.year}-Q{(start.month - 1) // 3 + 1}"
    if kind == "half-year":
        return f"{period.year}-H{1 if start.month <= 6 else 2}"
    return str(period.year)


# ── the bulletin ──────────────────────────────────────────────────────────────────────────────


@dataclass
class Bulletin:
    kind: str  # weekly | monthly | quarterly | half-year | year
    kind_label: str  # 周调度 | 月通报 | 季讲评 | 半年督导 | 全年总结
    code: str  # 2023-06
    period: Period
    title: str
    scope: str  # 全市, or the area's or department's name
    as_of: dt.date  # the period's end, or today for a period still running
    overview: Overview
    summary: str
    generated_at: dt.datetime

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def year(self) -> int:
        return self.period.year

    def filename(self, fmt: str) -> str:
        """通报-2023-06-月通报.xlsx; an area's or department's bulletin is prefixed with its name."""
        prefix = "" if self.overview.reach.kind == "city" else f"{self.scope}-"
        return f"{prefix}通报-{self.code}-{self.kind_label}.{fmt}"


def build(user: User, *, kind: str, period: str, today: dt.date | None = None) -> Bulletin:
    """The bulletin of `kind` for `period` as `user` may read it (their own reach: the city, an
    area or a department). A period still running is reported up to today. ValueError for an
    unusable kind or period (the message names what is expected); NoReach when `user` reads none."""
    kind = normalize_kind(kind)
    parsed = parse_period(period, kind)
    today = today or timezone.localdate()
    if parsed.start > today:
        raise ValueError(f"{parsed.label}尚未开始，无法生成通报")
    policy = policies().in_force(dt.date(parsed.year, 1, 1))
    if policy is None:
        raise ValueError(f"{parsed.year} 年没有生效的政策文件，无法生成通报")
    cadence = policy.parameters_on(dt.date(parsed.year, 1, 1)).reporting_cadence
    if cadence and kind.replace("-", "_") not in cadence:
        raise ValueError(f"政策 {policy.name} 的工作制度中没有{KIND_ZH[kind]}")
    as_of = min(parsed.as_of, today)
    o = overview(user, year=parsed.year, as_of=as_of)
    if o is None:
        raise NoReach("您没有查阅目标任务进度通报的权限")
    scope = scope_label(o.reach)
    issuer = scope if o.reach.kind != "city" else "许昌市"
    title = f"{issuer}{PROGRAMME}{KIND_ZH[kind]}（{parsed.label}）"
    return Bulletin(
        kind=kind,
        kind_label=KIND_ZH[kind],
        code=period_code(kind, parsed),
        period=parsed,
        title=title,
        scope=scope,
        as_of=as_of,
        overview=o,
        summary=summary(o, parsed.label),
        generated_at=timezone.now(),
    )


# ── the summary paragraph ─────────────────────────────────────────────────────────────────────


def wan(n: int) -> str:
    """1.23万 from 10,000 up (two places at most, trailing zeros dropped), plain below."""
    if abs(n) < WAN:
        return str(n)
    value = (Decimal(n) / WAN).quantize(CENTS, rounding=ROUND_HALF_UP).normalize()
    return f"{value:f}万"


def _pct(share: Decimal | None) -> str:
    return "—" if share is None else percent(share)


def _as_of_text(day: dt.date) -> str:
    if day == _month_end(day.year, day.month):
        return f"截至{day.month}月底"
    return f"截至{day.month}月{day.day}日"


def _against_target(p: Progress) -> str:
    return "" if p.done is None else f"，占年度目标{percent(p.done)}"


def _names(rows: list[Row], limit: int | None = None) -> str:
    shown = rows if limit is None else rows[:limit]
    return "、".join(r.name for r in shown)


def _behind_sentence(o: Overview) -> str:
    reach = o.reach
    if reach.kind != "city":
        status = o.headline.training.status
        if status == "none":
            return ""
        return f"{o.headline.name}职业技能培训进度{o.headline.training.status_zh}。"
    behind = o.behind
    if all(r.training.status == "none" for r in o.areas):
        text = ""  # no area has a training target: nothing is ahead of or behind it
    elif not behind:
        text = "各县（市、区）职业技能培训进度均达到时间进度。"
    else:
        count = "" if len(behind) == 1 else f"等{len(behind)}个县（市、区）"
        text = f"{_names(behind)}{count}职业技能培训进度滞后于时间进度"
        red = [r for r in behind if r.training.status == "red"]
        if red and len(red) < len(behind):
            text += f"，其中{_names(red)}滞后较多"
        text += "。"
    lagging = sorted(
        (r for r in o.departments if r.training.status in ("amber", "red")), key=lambda r: r.training.done or 0
    )
    if lagging:
        count = "" if len(lagging) == 1 else f"等{len(lagging)}个单位"
        text += f"行业系统中，{_names(lagging, NAMED_DEPARTMENTS)}{count}职业技能培训进度滞后于时间进度。"
    return text


def _unmet(f: Finding) -> str:
    """A bound not met, in the finding's own words (the dashboards'), without the spaces around figures."""
    if "share" in f.values and f.values["share"] is None:
        return ""  # nothing counted yet: there is no share to fall short
    return f.message.replace(" ", "")


def _panel_sentence(o: Overview) -> str:
    phrases = [text for f in o.panel if not f.values.get("met", True) and (text := _unmet(f))]
    if o.reach.kind == "city":
        low = [r for r in o.areas if r.manufacturing is not None and _manufacturing_short(r.manufacturing)]
        if low:
            bound = low[0].manufacturing.values["bound"] if low[0].manufacturing else None
            phrases.append(
                f"{_names(low)}制造业补贴性培训占比低于{_pct(bound)}"
                if bound is not None
                else f"{_names(low)}制造业补贴性培训占比未达到要求"
            )
    return f"指标方面，{'；'.join(phrases)}。" if phrases else ""


def _manufacturing_short(f: Finding) -> bool:
    return not f.values.get("met", True) and f.values.get("share") is not None


def summary(o: Overview, label: str) -> str:
    """The bulletin's paragraph: where the reach stands on each target against time progress,
    the areas (and departments) behind it, and the indicator bounds not met."""
    h = o.headline
    name = "全市" if o.reach.kind == "city" else h.name
    opening = label if label.endswith("全年") and o.as_of == dt.date(o.year, 12, 31) else _as_of_text(o.as_of)
    g = h.progress
    t = g["training"]
    text = (
        f"{opening}，{name}完成职业技能培训{wan(t.actual)}人次{_against_target(t)}（时间进度{percent(o.elapsed)}），"
        f"其中补贴性职业技能培训{wan(g['subsidised'].actual)}人次{_against_target(g['subsidised'])}；"
        f"新增技能人才{wan(g['new_skilled'].actual)}人{_against_target(g['new_skilled'])}；"
        f"新增高技能人才{wan(g['new_high_skilled'].actual)}人{_against_target(g['new_high_skilled'])}"
    )
    skilled = g["new_skilled"].actual
    if skilled:
        share = (Decimal(g["new_high_skilled"].actual) / skilled).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        text += f"，占新增技能人才的{percent(share)}"
    text += (
        f"；新增技师和高级技师{wan(g['technicians'].actual)}人{_against_target(g['technicians'])}"
        f"；企业新型学徒制培训{wan(g['apprentices'].actual)}人{_against_target(g['apprentices'])}。"
    )
    return text + _behind_sentence(o) + _panel_sentence(o)


# ── shared layout ─────────────────────────────────────────────────────────────────────────────


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _facts_line(b: Bulletin) -> str:
    o = b.overview
    refreshed = (
        f"；数据汇总于 {timezone.localtime(o.refreshed_at):%Y-%m-%d %H:%M}" if o.refreshed_at else "；进度数据尚未汇总"
    )
    return (
        f"通报期间：{b.label}　统计截至：{_day(b.as_of)}　时间进度：{percent(o.elapsed)}　范围：{b.scope}"
        f"（依据政策 {o.policy}{refreshed}）"
    )


def _table_sets(o: Overview) -> list[tuple[str, str, list[Row]]]:
    """(sheet / section title, name column header, rows) of the tables in the reader's reach."""
    sets = [
        ("县（市、区）", "县（市、区）", _by_rank(o.areas)),
        ("行业系统", "单位", _by_rank(o.departments)),
        ("专项行动", "专项行动", o.actions),
    ]
    return [s for s in sets if s[2]]


def _by_rank(rows: list[Row]) -> list[Row]:
    """Ranked rows first, best first; rows without a training target after them, in plan order."""
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0))


# ── XLSX ──────────────────────────────────────────────────────────────────────────────────────

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
PCT = "0.0%"
COUNT = "#,##0"


def _fill(status: str) -> PatternFill:
    return PatternFill("solid", fgColor=STATUS_RGB.get(status, "FFFFFF"))


def _head(cell: Any) -> None:
    cell.font = BOLD
    cell.alignment = CENTER
    cell.border = BOX
    cell.fill = HEAD_FILL


def _wrapped_lines(text: str, width: float) -> int:
    # a CJK character is about two character units wide
    return max(1, math.ceil(sum(2 if ord(ch) > 0x2E7F else 1 for ch in text) / max(width - 1, 1)))


def _chart_axes(chart: Any) -> None:
    # openpyxl ≥ 3.1 writes axes as deleted unless told otherwise; Excel and WPS then hide them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _summary_sheet(book: Workbook, b: Bulletin) -> None:
    o = b.overview
    sheet = book.active
    assert sheet is not None
    sheet.title = "通报"
    widths = (26, 14, 14, 12, 12, 18, 14)
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
    last = get_column_letter(len(widths))
    sheet["A1"] = b.title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = CENTER
    sheet.merge_cells(f"A1:{last}1")
    sheet.row_dimensions[1].height = 30
    sheet["A2"] = _facts_line(b)
    sheet["A2"].alignment = WRAP
    sheet.merge_cells(f"A2:{last}2")
    sheet.row_dimensions[2].height = 32
    sheet["A4"] = b.summary
    sheet["A4"].alignment = WRAP
    sheet.merge_cells(f"A4:{last}4")
    sheet.row_dimensions[4].height = 16 * _wrapped_lines(b.summary, sum(widths)) + 6

    header = ("指标", "年度目标", "完成", "完成率", "时间进度", "状态", "排名")
    for col, text in enumerate(header, start=1):
        _head(sheet.cell(row=6, column=col, value=text))
    for r, indicator in enumerate(INDICATORS, start=7):
        p = o.headline.progress[indicator]
        line: tuple[Any, ...] = (
            INDICATOR_ZH[indicator],
            p.target,
            p.actual,
            p.done,
            p.elapsed,
            p.status_zh,
            o.headline.rank,
        )
        for col, value in enumerate(line, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            cell.border = BOX
        sheet.cell(row=r, column=2).number_format = COUNT
        sheet.cell(row=r, column=3).number_format = COUNT
        sheet.cell(row=r, column=4).number_format = PCT
        sheet.cell(row=r, column=5).number_format = PCT
        sheet.cell(row=r, column=6).fill = _fill(p.status)

    # Month-end cumulative figures beside what time progress asks of the training target.
    top = 7 + len(INDICATORS) + 1
    sheet.cell(row=top, column=1, value="月度累计完成情况").font = BOLD
    months = len(o.monthly.get(Measure.TRAINING, []))
    target = o.headline.training.target
    columns = (
        "月份",
        "职业技能培训",
        "按时间进度应完成",
        "补贴性培训",
        "新增技能人才",
        "新增高技能人才",
        "技师和高级技师",
    )
    for col, text in enumerate(columns, start=1):
        _head(sheet.cell(row=top + 1, column=col, value=text))
    for i in range(months):
        r = top + 2 + i
        due = round(target * (i + 1) / 12) if target else None
        figures: tuple[Any, ...] = (
            f"{i + 1}月",
            o.monthly[Measure.TRAINING][i],
            due,
            o.monthly[Measure.SUBSIDISED][i],
            o.monthly[Measure.NEW_SKILLED][i],
            o.monthly[Measure.NEW_HIGH_SKILLED][i],
            o.monthly[Measure.TECHNICIANS][i],
        )
        for col, value in enumerate(figures, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            cell.border = BOX
            if col > 1:
                cell.number_format = COUNT
    if months:
        chart = LineChart()
        chart.title = f"{b.scope}职业技能培训月度累计"
        chart.y_axis.title = "人次"
        chart.y_axis.numFmt = COUNT
        chart.height, chart.width = 8, 18
        last_row = top + 1 + months
        chart.add_data(
            Reference(sheet, min_col=2, max_col=3 if target else 2, min_row=top + 1, max_row=last_row),
            titles_from_data=True,
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=top + 2, max_row=last_row))
        _chart_axes(chart)
        sheet.add_chart(chart, f"A{last_row + 2}")
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _rows_sheet(book: Workbook, b: Bulletin, title: str, name_header: str, rows: list[Row]) -> None:
    o = b.overview
    sheet: Worksheet = book.create_sheet(title)
    manufacturing = any(r.manufacturing is not None for r in rows)
    sheet.cell(row=1, column=1, value="排名")
    sheet.cell(row=1, column=2, value=name_header)
    sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=1)
    sheet.merge_cells(start_row=1, start_column=2, end_row=2, end_column=2)
    col = 3
    done_col = col + 2  # training's 完成率
    for indicator in INDICATORS:
        sheet.cell(row=1, column=col, value=INDICATOR_ZH[indicator])
        sheet.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 3)
        for k, text in enumerate(("完成", "目标", "完成率", "状态")):
            sheet.cell(row=2, column=col + k, value=text)
        col += 4
    elapsed_col = col
    sheet.cell(row=1, column=col, value="时间进度")
    sheet.merge_cells(start_row=1, start_column=col, end_row=2, end_column=col)
    col += 1
    if manufacturing:
        sheet.cell(row=1, column=col, value="制造业补贴性培训占比（不低于30%）")
        sheet.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + 1)
        sheet.cell(row=2, column=col, value="占比")
        sheet.cell(row=2, column=col + 1, value="是否达到")
        col += 2
    last_col = col - 1
    for r in (1, 2):
        for c in range(1, last_col + 1):
            _head(sheet.cell(row=r, column=c))
    sheet.row_dimensions[1].height = 30

    for i, row in enumerate(rows, start=3):
        values: list[Any] = [row.rank, row.name]
        for indicator in INDICATORS:
            p = row.progress[indicator]
            values += [p.actual, p.target, p.done, p.status_zh]
        values.append(o.elapsed)
        if manufacturing:
            f = row.manufacturing
            share = f.values.get("share") if f else None
            values += [share, ("是" if f.values.get("met") else "否") if f and share is not None else ""]
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=i, column=c, value=value)
            cell.border = BOX
        for k, indicator in enumerate(INDICATORS):
            base = 3 + 4 * k
            sheet.cell(row=i, column=base).number_format = COUNT
            sheet.cell(row=i, column=base + 1).number_format = COUNT
            sheet.cell(row=i, column=base + 2).number_format = PCT
            sheet.cell(row=i, column=base + 3).fill = _fill(row.progress[indicator].status)
        sheet.cell(row=i, column=elapsed_col).number_format = PCT
        if manufacturing:
            sheet.cell(row=i, column=elapsed_col + 1).number_format = PCT

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 30 if title == "专项行动" else 18
    for c in range(3, last_col + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 10
    sheet.freeze_panes = "C3"

    last_row = 2 + len(rows)
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{title}职业技能培训完成率与时间进度"
    chart.y_axis.title = "完成率"
    chart.y_axis.numFmt = "0%"
    chart.y_axis.scaling.min = 0
    chart.height, chart.width = 9, max(16, 1.3 * len(rows))
    chart.add_data(Reference(sheet, min_col=done_col, min_row=3, max_row=last_row), titles_from_data=False)
    chart.series[0].tx = SeriesLabel(v="职业技能培训完成率")
    chart.set_categories(Reference(sheet, min_col=2, min_row=3, max_row=last_row))
    line = LineChart()
    line.add_data(Reference(sheet, min_col=elapsed_col, min_row=3, max_row=last_row), titles_from_data=False)
    line.series[0].tx = SeriesLabel(v="时间进度")
    chart += line
    _chart_axes(chart)
    sheet.add_chart(chart, f"B{last_row + 3}")


def _indicator_sheet(book: Workbook, b: Bulletin) -> None:
    o = b.overview
    sheet = book.create_sheet("指标")
    for col, text in enumerate(("规则", "条款", "对象", "情况", "是否达到"), start=1):
        _head(sheet.cell(row=1, column=col, value=text))
    r = 2
    for f in [*o.panel, *o.publicity]:
        met = f.values.get("met")
        values = (f.rule, f.clause, "全市" if f.subject == "city" else f.subject, f.message, "是" if met else "否")
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            cell.border = BOX
            cell.alignment = WRAP
        sheet.cell(row=r, column=5).fill = _fill("green" if met else "red")
        r += 1
    r += 1
    sheet.cell(row=r, column=1, value="计数").font = BOLD
    r += 1
    counts = {**dict(Measure.choices), **EXTRA_ZH}
    for key, number in o.extra.items():
        sheet.cell(row=r, column=1, value=counts.get(key, key)).border = BOX
        cell = sheet.cell(row=r, column=2, value=number)
        cell.border = BOX
        cell.number_format = COUNT
        r += 1
    for letter, width in zip("ABCDE", (24, 10, 18, 80, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


EXTRA_ZH = {
    "competitions": "职业技能竞赛（场）",
    "competition_occupations": "竞赛职业（工种）数",
    "competition_certified": "竞赛取证人数",
    "evaluation_filings": "新备案职业技能等级认定机构（家）",
}


def to_xlsx(b: Bulletin) -> bytes:
    """Sheets 通报 (title, period, summary, headline, monthly chart), 县（市、区）, 行业系统 and
    专项行动 (those in the reader's reach, each with its completion chart) and 指标."""
    book = Workbook()
    _summary_sheet(book, b)
    for title, header, rows in _table_sets(b.overview):
        _rows_sheet(book, b, title, header, rows)
    _indicator_sheet(book, b)
    book.properties.title = b.title
    book.properties.creator = "jineng"
    return tabular.xlsx_bytes(book)


# ── PDF ───────────────────────────────────────────────────────────────────────────────────────

STATUS_COLOR = {
    "green": colors.HexColor("#2E7D32"),
    "amber": colors.HexColor("#F9A825"),
    "red": colors.HexColor("#C62828"),
    "none": colors.HexColor("#9E9E9E"),
}
STATUS_BG = {k: colors.HexColor(f"#{v}") for k, v in STATUS_RGB.items()}
GRID = colors.HexColor("#808080")
# A4 less 15 mm margins a side.
FRAME_WIDTH = 180 * mm


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _headline_table(o: Overview, styles: dict[str, ParagraphStyle]) -> Table:
    grid: list[list[Any]] = [
        [_para(h, styles["head"]) for h in ("指标", "年度目标", "完成", "完成率", "时间进度", "状态")]
    ]
    commands: list[tuple[Any, ...]] = []
    for r, indicator in enumerate(INDICATORS, start=1):
        p = o.headline.progress[indicator]
        grid.append(
            [
                _para(INDICATOR_ZH[indicator], styles["cell"]),
                _para(_count(p.target), styles["num"]),
                _para(_count(p.actual), styles["num"]),
                _para(_pct(p.done), styles["num"]),
                _para(percent(p.elapsed), styles["num"]),
                _para(p.status_zh, styles["center"]),
            ]
        )
        commands.append(("BACKGROUND", (5, r), (5, r), STATUS_BG[p.status]))
    table = Table(grid, colWidths=[w * mm for w in (52, 26, 26, 22, 22, 32)], repeatRows=1)
    table.setStyle(TableStyle([*_table_base(), *commands]))
    return table


def _table_base() -> list[tuple[Any, ...]]:
    return [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]


def _rows_table(rows: list[Row], name_header: str, styles: dict[str, ParagraphStyle]) -> Table:
    """Rank, name, training in full (done / target / share / status), the other five as shares."""
    others = [i for i in INDICATORS if i != "training"]
    header = ["排名", name_header, "培训完成", "培训目标", "完成率", "状态", *(f"{SHORT_ZH[i]}完成率" for i in others)]
    grid: list[list[Any]] = [[_para(h, styles["head"]) for h in header]]
    commands: list[tuple[Any, ...]] = []
    for r, row in enumerate(rows, start=1):
        t = row.training
        grid.append(
            [
                _para("" if row.rank is None else str(row.rank), styles["center"]),
                _para(row.name, styles["cell"]),
                _para(_count(t.actual), styles["num"]),
                _para(_count(t.target), styles["num"]),
                _para(_pct(t.done), styles["num"]),
                _para(t.status_zh, styles["center"]),
                *(_para(_pct(row.progress[i].done), styles["num"]) for i in others),
            ]
        )
        commands.append(("BACKGROUND", (5, r), (5, r), STATUS_BG[t.status]))
        for k, indicator in enumerate(others, start=6):
            commands.append(("BACKGROUND", (k, r), (k, r), STATUS_BG[row.progress[indicator].status]))
    name_width = 40 if name_header == "专项行动" else 30
    widths = [8, name_width, 16, 16, 13, 21, *([(180 - 74 - name_width) / len(others)] * len(others))]
    table = Table(grid, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([*_table_base(), *commands]))
    return table


def _findings_table(findings: list[Finding], styles: dict[str, ParagraphStyle]) -> Table:
    grid: list[list[Any]] = [[_para(h, styles["head"]) for h in ("规则", "对象", "情况", "达到")]]
    commands: list[tuple[Any, ...]] = []
    for r, f in enumerate(findings, start=1):
        met = bool(f.values.get("met"))
        grid.append(
            [
                _para(f.rule, styles["small"]),
                _para("全市" if f.subject == "city" else f.subject, styles["cell"]),
                _para(f.message, styles["cell"]),
                _para("是" if met else "否", styles["center"]),
            ]
        )
        commands.append(("BACKGROUND", (3, r), (3, r), STATUS_BG["green" if met else "red"]))
    table = Table(grid, colWidths=[w * mm for w in (34, 26, 108, 12)], repeatRows=1)
    table.setStyle(TableStyle([*_table_base(), *commands]))
    return table


def completion_chart(rows: list[Row], elapsed: Decimal, font: str, title: str) -> Drawing:
    """Bars: each row's training completion (%) coloured by status; a dashed line at time progress."""
    width, height = FRAME_WIDTH, 72 * mm
    drawing = Drawing(width, height)
    values = [float((r.training.done or 0) * 100) for r in rows]
    chart = VerticalBarChart()
    # a bar is at most about 2 cm wide: one area's chart is narrow, centred
    chart.width = min(width - 50, max(60 * mm, 22 * mm * len(rows)))
    chart.height = height - 76
    chart.x, chart.y = max(34, (width - chart.width) / 2), 46
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = [r.name for r in rows] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 30 if len(rows) > 12 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(rows) > 12 else "n"
    chart.categoryAxis.labels.dy = -2
    top = max(100.0, *values, float(elapsed * 100)) if values else 100.0
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = math.ceil(top / 20) * 20
    chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor = STATUS_COLOR["green"]
    chart.bars[0].strokeColor = None
    for i, row in enumerate(rows):
        chart.bars[(0, i)].fillColor = STATUS_COLOR[row.training.status]
    drawing.add(chart)
    y = chart.y + chart.height * float(elapsed * 100) / chart.valueAxis.valueMax
    drawing.add(
        Line(
            chart.x,
            y,
            chart.x + chart.width,
            y,
            strokeColor=colors.HexColor("#1565C0"),
            strokeWidth=1.2,
            strokeDashArray=[4, 2],
        )
    )
    drawing.add(
        String(
            chart.x + chart.width,
            y + 3,
            f"时间进度 {percent(elapsed)}",
            fontName=font,
            fontSize=7,
            textAnchor="end",
            fillColor=colors.HexColor("#1565C0"),
        )
    )
    drawing.add(String(width / 2, height - 12, title, fontName=font, fontSize=10, textAnchor="middle"))
    legend_x = chart.x
    for status, text in (("green", "达到时间进度"), ("amber", "略低于时间进度"), ("red", "滞后于时间进度")):
        drawing.add(Rect(legend_x, height - 26, 7, 7, fillColor=STATUS_COLOR[status], strokeColor=None))
        drawing.add(String(legend_x + 10, height - 25, text, fontName=font, fontSize=7))
        legend_x += 70
    return drawing


def monthly_chart(o: Overview, font: str, title: str) -> Drawing | None:
    """Month-end cumulative training beside what time progress asks of the target."""
    series = o.monthly.get(Measure.TRAINING, [])
    if not series:
        return None
    width, height = FRAME_WIDTH, 62 * mm
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 44, 24
    chart.width, chart.height = width - 60, height - 56
    target = o.headline.training.target
    lines = [list(map(float, series))]
    if target:
        lines.append([target * (m + 1) / 12 for m in range(len(series))])
    chart.data = lines
    chart.categoryAxis.categoryNames = [f"{m + 1}月" for m in range(len(series))]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: wan(int(v))
    chart.lines[0].strokeColor = STATUS_COLOR["green"]
    chart.lines[0].strokeWidth = 1.6
    if target:
        chart.lines[1].strokeColor = colors.HexColor("#1565C0")
        chart.lines[1].strokeDashArray = [4, 2]
    drawing.add(chart)
    drawing.add(String(width / 2, height - 12, title, fontName=font, fontSize=10, textAnchor="middle"))
    drawing.add(
        String(
            chart.x,
            height - 25,
            "实线：累计完成（人次）" + ("　虚线：按时间进度应完成" if target else ""),
            fontName=font,
            fontSize=7,
        )
    )
    return drawing


def to_pdf(b: Bulletin) -> bytes:
    """A4: title, period, the summary, the headline table, the charts, the tables of the reader's
    reach and the indicator panel; page numbers in the footer."""
    o = b.overview
    font = pdf_font()
    base = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK")
    styles = {
        "cell": base,
        "small": ParagraphStyle("small", parent=base, fontSize=6.5, leading=8),
        "num": ParagraphStyle("num", parent=base, alignment=2),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "head": ParagraphStyle("head", parent=base, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=base, fontSize=15, leading=22, alignment=TA_CENTER),
        "meta": ParagraphStyle("meta", parent=base, fontSize=8, leading=11, alignment=TA_CENTER),
        "body": ParagraphStyle("body", parent=base, fontSize=10.5, leading=18, firstLineIndent=21),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=16, spaceBefore=6, spaceAfter=3),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=16 * mm,
        title=b.title,
        subject=b.label,
        author="jineng",
    )
    story: list[Any] = [
        _para(b.title, styles["title"]),
        Spacer(1, 1 * mm),
        _para(_facts_line(b), styles["meta"]),
        Spacer(1, 4 * mm),
        _para(b.summary, styles["body"]),
        Spacer(1, 3 * mm),
        _para("一、目标任务完成情况", styles["h2"]),
        _headline_table(o, styles),
    ]
    chart_rows, chart_title = (o.areas, "县（市、区）") if o.areas else (o.departments, "行业系统")
    if chart_rows:
        story += [
            Spacer(1, 3 * mm),
            KeepTogether([completion_chart(chart_rows, o.elapsed, font, f"{chart_title}职业技能培训完成率与时间进度")]),
        ]
    monthly = monthly_chart(o, font, f"{b.scope}职业技能培训月度累计")
    if monthly is not None:
        story += [Spacer(1, 2 * mm), KeepTogether([monthly])]
    numbers = "二三四五六"
    for n, (title, header, rows) in enumerate(_table_sets(o)):
        story += [
            CondPageBreak(40 * mm),
            _para(f"{numbers[n]}、{title}进度（按职业技能培训完成率排名）", styles["h2"]),
            _rows_table(rows, header, styles),
        ]
    after = numbers[len(_table_sets(o))]
    story += [CondPageBreak(40 * mm), _para(f"{after}、指标情况", styles["h2"]), _findings_table(o.panel, styles)]
    if o.publicity:
        story += [
            Spacer(1, 2 * mm),
            _para("宣传报道（IND-PUBLICITY）", styles["cell"]),
            _findings_table(o.publicity, styles),
        ]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawString(15 * mm, 8 * mm, b.title)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def render(b: Bulletin, fmt: str) -> bytes:
    """The bulletin as `fmt` (xlsx or pdf)."""
    if fmt == "xlsx":
        return to_xlsx(b)
    if fmt == "pdf":
        return to_pdf(b)
    raise ValueError(f"格式“{fmt}”无法识别，应为 xlsx 或 pdf")


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
