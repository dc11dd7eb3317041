"""CLS-* rules on the class and the institution (RULES.md section A, contract "Precise semantics")."""

from __future__ import annotations

from decimal import Decimal
from math import ceil

from ..findings import Finding, finding, percent
from . import Context, class_rule

INSTITUTION_KIND_ZH = {
    "training_school": "培训机构",
    "technical_school": "技工院校",
    "vocational_college": "职业院校",
    "university": "普通高校",
    "enterprise_center": "企业培训中心",
    "evaluation_body": "评价机构",
}


@class_rule("CLS-SIZE")
def cls_size(c: Context) -> Finding | None:
    limit = c.p.class_size_max
    if c.n <= limit:
        return None
    return finding("CLS-SIZE", "class", f"每班人数不超过{limit}人：本班{c.n}人", trainees=c.n, max=limit)


@class_rule("CLS-TEACHER-RATIO")
def cls_teacher_ratio(c: Context) -> Finding | None:
    ratio, teachers = c.p.teacher_ratio, len(c.doc.class_.teachers)
    required = ceil(c.n / ratio)
    if teachers >= required:
        return None
    return finding(
        "CLS-TEACHER-RATIO",
        "class",
        f"师生比不超过1:{ratio}：{c.n}名学员至少需{required}名教师，本班{teachers}名",
        trainees=c.n,
        teachers=teachers,
        required=required,
        ratio=ratio,
    )


@class_rule("CLS-STATION-RATIO")
def cls_station_ratio(c: Context) -> Finding | None:
    ratio, stations = c.p.station_ratio, c.doc.class_.workstations
    required = ceil(c.n / ratio)
    if stations >= required:
        return None
    return finding(
        "CLS-STATION-RATIO",
        "class",
        f"工位与学员比不超过1:{ratio}：{c.n}名学员至少需{required}个工位，本班{stations}个",
        trainees=c.n,
        workstations=stations,
        required=required,
        ratio=ratio,
    )


@class_rule("CLS-MIN-TEACHERS")
def cls_min_teachers(c: Context) -> Finding | None:
    minimum, teachers = c.p.teachers_min, len(c.doc.class_.teachers)
    if teachers >= minimum:
        return None
    return finding(
        "CLS-MIN-TEACHERS",
        "class",
        f"每个专业每个班级不少于{minimum}名教师：本班{teachers}名",
        teachers=teachers,
        min=minimum,
    )


@class_rule("CLS-HOUR-LENGTH")
def cls_hour_length(c: Context) -> Finding | None:
    minimum, minutes = c.p.hour_minutes_min, c.doc.class_.minutes_per_hour
    if minutes >= minimum:
        return None
    return finding(
        "CLS-HOUR-LENGTH",
        "class",
        f"每课时不低于{minimum}分钟：本班每课时{minutes}分钟",
        minutes_per_hour=minutes,
        min=minimum,
    )


@class_rule("CLS-PRACTICAL-SHARE")
def cls_practical_share(c: Context) -> Finding | None:
    hours, minimum = c.doc.class_.hours, c.p.practical_share_min
    # Cross-multiplied so the comparison is exact (no float rounding at 60%).
    if hours.practical >= minimum * hours.total:
        return None
    share = Decimal(hours.practical) / Decimal(hours.total)
    return finding(
        "CLS-PRACTICAL-SHARE",
        "class",
        f"实操培训不少于总课时的{percent(minimum)}：实操{hours.practical}课时/总{hours.total}课时={percent(share)}",
        practical=hours.practical,
        total=hours.total,
        share=round(share, 4),
        min=minimum,
    )


@class_rule("CLS-ONLINE-SHARE")
def cls_online_share(c: Context) -> Finding | None:
    cls, maximum = c.doc.class_, c.p.online_share_max
    hours, platform = cls.hours, cls.online_platform
    reasons: list[str] = []
    codes: list[str] = []
    if hours.online_theory > maximum * hours.total:
        share = Decimal(hours.online_theory) / Decimal(hours.total)
        reasons.append(
            f"线上理论{hours.online_theory}课时/总{hours.total}课时={percent(share)}，超过{percent(maximum)}"
        )
        codes.append("share")
    if hours.online_theory > hours.theory:
        reasons.append(f"线上课时{hours.online_theory}超过理论课时{hours.theory}（线上只能是理论学习）")
        codes.append("not_theory")
    if hours.online_theory > 0:
        if platform is None:
            reasons.append("未指定互联网培训平台")
            codes.append("no_platform")
        else:
            if not platform.listed:
                reasons.append(f"平台{platform.id}不在目录清单内")
                codes.append("platform_not_listed")
            if not platform.connected:
                reasons.append(f"平台{platform.id}未接入全省监管平台")
                codes.append("platform_not_connected")
    if not reasons:
        return None
    return finding(
        "CLS-ONLINE-SHARE",
        "class",
        f"线上理论学习不超过总课时的{percent(maximum)}且须依托目录内平台：" + "；".join(reasons),
        online=hours.online_theory,
        theory=hours.theory,
        total=hours.total,
        max=maximum,
        platform=platform.id if platform else None,
        reasons=codes,
    )


@class_rule("CLS-QUALIFIED-HOURS")
def cls_qualified_hours(c: Context) -> Finding | None:
    cls = c.doc.class_
    if cls.certificate != "training_qualified":
        return None
    set_hours = cls.occupation.set_hours
    required = set_hours if set_hours is not None else c.p.qualified_hours_min
    total = cls.hours.total
    if total >= required:
        return None
    basis = f"该职业规定{set_hours}学时" if set_hours is not None else f"合格证书培训不少于{required}个学时"
    return finding(
        "CLS-QUALIFIED-HOURS",
        "class",
        f"{basis}：本班共{total}学时",
        total=total,
        required=required,
        set_hours=set_hours,
    )


@class_rule("CLS-INSTITUTION-LISTED")
def cls_institution_listed(c: Context) -> Finding | None:
    cls, inst = c.doc.class_, c.doc.institution
    code = cls.occupation.code
    matching = [s for s in inst.listed_specialties if s.occupation == code]
    if any(s.from_ <= cls.start for s in matching):
        return None
    label = f"{code}（{cls.occupation.name}）"
    if matching:
        earliest = min(s.from_ for s in matching)
        return finding(
            "CLS-INSTITUTION-LISTED",
            "class",
            f"机构该专业{label}自{earliest.isoformat()}起纳入目录清单，晚于开班日期{cls.start.isoformat()}",
            occupation=code,
            listed_from=earliest,
            start=cls.start,
        )
    return finding(
        "CLS-INSTITUTION-LISTED",
        "class",
        f"机构目录清单中没有职业{label}",
        occupation=code,
        listed_from=None,
        start=cls.start,
    )


@class_rule("CLS-INSTITUTION-BARRED", on="institution")
def cls_institution_barred(c: Context) -> Finding | None:
    inst, since = c.doc.institution, c.p.problem_since
    found = inst.problem_found_on
    problem = found is not None and found >= since
    if not inst.blacklisted and not problem:
        return None
    reasons = []
    if inst.blacklisted:
        reasons.append("已列入黑名单")
    if problem and found is not None:
        reasons.append(f"{since.isoformat()}以来审计、检查发现明显问题（{found.isoformat()}）")
    return finding(
        "CLS-INSTITUTION-BARRED",
        "institution",
        f"机构{inst.name}{'，'.join(reasons)}，不得开展政府补贴性培训",
        blacklisted=inst.blacklisted,
        problem_found_on=found,
        problem_since=since,
    )


@class_rule("CLS-CROSS-CITY")
def cls_cross_city(c: Context) -> Finding | None:
    cls, inst = c.doc.class_, c.doc.institution
    if (
        inst.home_city == cls.city
        or inst.kind == "technical_school"
        or cls.cross_city_approval
        or not cls.local_alternative_exists
    ):
        return None
    return finding(
        "CLS-CROSS-CITY",
        "class",
        f"机构属地{inst.home_city}与开班地{cls.city}不在同一地市，本地已有相关机构，"
        "未经省“人人持证、技能河南”建设工作领导小组办公室同意不得跨地市开展补贴培训",
        home_city=inst.home_city,
        city=cls.city,
    )


@class_rule("CLS-ENTERPRISE-CENTER")
def cls_enterprise_center(c: Context) -> Finding | None:
    cls, inst = c.doc.class_, c.doc.institution
    if inst.kind != "enterprise_center":
        return None
    certified = sum(1 for t in cls.teachers if t.certified)
    required = max(c.p.teachers_min, ceil(c.n / c.p.teacher_ratio))
    reasons = []
    if certified < required:
        reasons.append(f"持教师资格证的教师{certified}名，至少需{required}名")
    if not inst.has_site:
        reasons.append("不具备培训场地")
    if not inst.has_facilities:
        reasons.append("不具备培训设施")
    if not reasons:
        return None
    return finding(
        "CLS-ENTERPRISE-CENTER",
        "class",
        "企业培训中心须具备与培训相一致的师资、场地、设施：" + "；".join(reasons),
        certified_teachers=certified,
        required=required,
        has_site=inst.has_site,
        has_facilities=inst.has_facilities,
    )


@class_rule("CLS-APPRENTICE-ENTERPRISE")
def cls_apprentice_enterprise(c: Context) -> Finding | None:
    cls = c.doc.class_
    if cls.training_type != "apprenticeship":
        return None
    before, limit = cls.apprentices_before.same_enterprise_occupation, c.p.apprentice_per_enterprise_max
    total = before + c.n
    if total <= limit:
        return None
    enterprise = cls.enterprise.name if cls.enterprise else ""
    return finding(
        "CLS-APPRENTICE-ENTERPRISE",
        "class",
        f"同一机构对同一企业同一职业（工种）新型学徒制培训不超过{limit}人：{enterprise}已有{before}人，"
        f"本班{c.n}人，合计{total}人",
        before=before,
        trainees=c.n,
        total=total,
        max=limit,
    )


@class_rule("CLS-APPRENTICE-ANNUAL")
def cls_apprentice_annual(c: Context) -> Finding | None:
    cls, inst = c.doc.class_, c.doc.institution
    if cls.training_type != "apprenticeship":
        return None
    kind = "academic" if inst.academic_education else "other"
    limit = c.p.apprentice_annual_max[kind]
    before = cls.apprentices_before.institution_this_year
    total = before + c.n
    if total <= limit:
        return None
    label = "具备学制教育资质的机构" if inst.academic_education else "不具备学制教育资质的机构"
    return finding(
        "CLS-APPRENTICE-ANNUAL",
        "class",
        f"{label}年内新型学徒制培训不超过{limit}人：年内已有{before}人，本班{c.n}人，合计{total}人",
        before=before,
        trainees=c.n,
        total=total,
        max=limit,
        academic_education=inst.academic_education,
    )
