"""CLS-SURVEY and TRN-* rules on one roster entry (RULES.md sections A and B)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from ...ids import ID_PROBLEM_ZH, normalise_ric, ric_problem
from ..facts import Trainee
from ..findings import Finding, finding
from . import Context, trainee_rule

SCHOOL_KIND_ZH = {
    "university": "普通高校",
    "special_vocational": "特殊职业教育",
    "technical_school": "技工院校",
    "vocational_school": "职业院校",
}


@lru_cache(maxsize=8192)
def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's end: 2023-03-31 + 1 month = 2023-04-30."""
    # Cached because a roster repeats the same assessment dates many times.
    result: dt.date = day + relativedelta(months=months)
    return result


@trainee_rule("CLS-SURVEY")
def cls_survey(t: Trainee, subject: str, c: Context) -> Finding | None:
    if t.questionnaire is not None:
        return None
    return finding("CLS-SURVEY", subject, f"开班前未对学员{t.name}开展问卷调查（培训意愿、就业意愿、就业能力）")


@trainee_rule("TRN-IDENTITY")
def trn_identity(t: Trainee, subject: str, c: Context) -> Finding | None:
    problem = ric_problem(t.id_number, as_of=c.doc.as_of)
    occurrences = c.id_counts[normalise_ric(t.id_number)]
    if problem is None and occurrences <= 1:
        return None
    reasons = []
    if problem is not None:
        reasons.append(f"公民身份号码无效：{ID_PROBLEM_ZH[problem]}")
    if occurrences > 1:
        reasons.append(f"同一身份号码在名册中出现{occurrences}次")
    return finding(
        "TRN-IDENTITY",
        subject,
        f"学员{t.name}实名信息不符：" + "；".join(reasons),
        problem=str(problem) if problem else None,
        occurrences=occurrences,
    )


@trainee_rule("TRN-COOLDOWN")
def trn_cooldown(t: Trainee, subject: str, c: Context) -> Finding | None:
    start = c.doc.class_.start
    months = c.p.cooldown_months
    subsidised = [pt for pt in t.previous_trainings if pt.subsidised]
    unassessed = [pt for pt in subsidised if pt.assessed_on is None]
    if unassessed:
        pt = unassessed[0]
        return finding(
            "TRN-COOLDOWN",
            subject,
            f"学员{t.name}上一个补贴培训项目{pt.class_id}（{pt.end.isoformat()}结束）尚未考核，不得再次参加补贴培训",
            previous_class=pt.class_id,
            assessed_on=None,
            earliest_start=None,
            start=start,
        )
    # Exactly one month after an assessment is allowed; the latest assessment decides.
    assessed = [
        (add_months(pt.assessed_on, months), pt.assessed_on, pt.class_id)
        for pt in subsidised
        if pt.assessed_on is not None
    ]
    if not assessed:
        return None
    earliest, assessed_on, class_id = max(assessed)
    if start >= earliest:
        return None
    return finding(
        "TRN-COOLDOWN",
        subject,
        f"学员{t.name}上一个补贴培训项目{class_id}于{assessed_on.isoformat()}考核结束不足"
        f"{c.p.cooldown_months}个月：最早可于{earliest.isoformat()}开班，本班{start.isoformat()}开班",
        previous_class=class_id,
        assessed_on=assessed_on,
        earliest_start=earliest,
        start=start,
    )


@trainee_rule("TRN-GRADUATING-STUDENT")
def trn_graduating_student(t: Trainee, subject: str, c: Context) -> Finding | None:
    cls, student = c.doc.class_, t.student
    if (
        student is None
        or student.graduation_year != cls.start.year
        or student.school_kind in ("university", "special_vocational")
        or cls.training_type == "entrepreneurship"
    ):
        return None
    return finding(
        "TRN-GRADUATING-STUDENT",
        subject,
        f"学员{t.name}为毕业年度（{student.graduation_year}年）{SCHOOL_KIND_ZH[student.school_kind]}在校生，"
        "除特殊职业教育、普通高校学生外不得参加政府补贴性培训（创业培训除外）",
        school_kind=student.school_kind,
        graduation_year=student.graduation_year,
    )


@trainee_rule("TRN-EMPLOYEE-OCCUPATION")
def trn_employee_occupation(t: Trainee, subject: str, c: Context) -> Finding | None:
    employee, cls = t.employee, c.doc.class_
    if employee is None:
        return None
    transfer = employee.transfer or cls.training_type == "transfer"
    post, target = employee.post_class_code, cls.occupation.class_code
    same = post == target
    if transfer and same:
        message = f"学员{t.name}为转岗职工，培训职业与原岗位同属职业分类{post}"
    elif not transfer and not same:
        message = (
            f"学员{t.name}为企业职工，应参加与本人岗位相同或相近的职业培训：岗位职业分类{post}，培训职业分类{target}"
        )
    else:
        return None
    return finding(
        "TRN-EMPLOYEE-OCCUPATION",
        subject,
        message,
        transfer=transfer,
        post_class_code=post,
        occupation_class_code=target,
    )


@trainee_rule("TRN-INTENT")
def trn_intent(t: Trainee, subject: str, c: Context) -> Finding | None:
    q = t.questionnaire
    if q is None:
        return None
    missing = [
        label
        for label, ok in (
            ("无培训意愿", q.training_intent),
            ("无就业意愿", q.employment_intent),
            ("无就业能力", q.employment_ability),
        )
        if not ok
    ]
    if not missing:
        return None
    return finding(
        "TRN-INTENT",
        subject,
        f"学员{t.name}问卷显示{'、'.join(missing)}，不得参加政府补贴性培训",
        training_intent=q.training_intent,
        employment_intent=q.employment_intent,
        employment_ability=q.employment_ability,
    )


@trainee_rule("TRN-INMATE")
def trn_inmate(t: Trainee, subject: str, c: Context) -> Finding | None:
    inmate, before = t.inmate, c.p.inmate_release_before
    if inmate is None:
        return None
    reasons = []
    if inmate.trained_during_sentence:
        reasons.append("服刑期间已参加过职业技能培训")
    if not inmate.eligible_next_level:
        reasons.append("不符合晋升上一级职业技能等级条件")
    if inmate.release_date >= before:
        reasons.append(f"刑期至{inmate.release_date.isoformat()}，不在{before.isoformat()}之前")
    if not reasons:
        return None
    return finding(
        "TRN-INMATE",
        subject,
        f"在押服刑人员{t.name}不符合培训条件：" + "；".join(reasons),
        trained_during_sentence=inmate.trained_during_sentence,
        eligible_next_level=inmate.eligible_next_level,
        release_date=inmate.release_date,
        release_before=before,
    )
