"""Human-readable (Chinese) renderings of evaluations and of the rule catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..ids import mask_ric
from .catalog import OUTCOME_ZH, RULES
from .engine import Evaluation
from .facts import ClassDocument
from .loader import Policy

DECISION_ZH = {"approve": "通过（未发现阻断项）", "block": "不予通过"}


def _subject_heading(subject: str, doc: ClassDocument, rows: dict[str, tuple[int, str]]) -> str:
    if subject == "class":
        return f"【班级 {doc.class_.id}】"
    if subject == "institution":
        return f"【机构 {doc.institution.name}】"
    id_number = subject.removeprefix("trainee:")
    row, name = rows[id_number]
    # ID numbers are masked wherever people read them (lists, logs, reports).
    return f"【学员 第{row}行 {name} {mask_ric(id_number)}】"


def render_evaluation_text(evaluation: Evaluation, doc: ClassDocument) -> str:
    cls = doc.class_
    lines = [
        f"开班审核：{doc.institution.name} · 班级 {cls.id} · {cls.occupation.name}（{cls.occupation.code}）",
        f"依据政策：{evaluation.policy.name}（{evaluation.policy.title}），核查日期 {doc.as_of.isoformat()}",
        f"学员 {len(doc.trainees)} 人，{'补贴性培训' if cls.subsidised else '非补贴性培训（仅核查实名）'}",
        "",
    ]
    rows: dict[str, tuple[int, str]] = {}
    for index, trainee in enumerate(doc.trainees, start=1):
        rows.setdefault(trainee.id_number, (index, trainee.name))
    current = None
    for f in evaluation.findings:
        if f.subject != current:
            current = f.subject
            lines.append(_subject_heading(f.subject, doc, rows))
        lines.append(f"  ✗ {f.rule}〔{f.clause}〕{OUTCOME_ZH[f.outcome]}：{mask_subject_ids(f.message, f.subject)}")
    blocks = sum(1 for f in evaluation.findings if f.outcome == "block")
    if evaluation.findings:
        lines.append("")
    lines.append(f"结论：{DECISION_ZH[evaluation.decision]}" + (f"，共 {blocks} 项阻断" if blocks else ""))
    return "\n".join(lines) + "\n"


def mask_subject_ids(message: str, subject: str) -> str:
    id_number = subject.removeprefix("trainee:")
    if subject.startswith("trainee:") and id_number in message:
        return message.replace(id_number, mask_ric(id_number))
    return message


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return value


def rules_as_dict(policy: Policy, day: dt.date) -> dict[str, Any]:
    params = policy.parameters_on(day)
    out = []
    for spec in RULES:
        out.append(
            {
                "id": spec.id,
                "section": spec.section,
                "clause": spec.clause,
                "outcome": str(spec.outcome),
                "requirement": spec.requirement,
                "parameters": [
                    {
                        "key": key,
                        "value": _value(getattr(params, key)),
                        "unit": policy.entries[key].unit,
                        "clause": policy.entries[key].clause,
                        "description": policy.entries[key].description,
                    }
                    for key in spec.params
                ],
            }
        )
    return {"policy": policy.name, "date": day.isoformat(), "rules": out}


def render_rules_text(policy: Policy, day: dt.date) -> str:
    data = rules_as_dict(policy, day)
    lines = [f"政策 {policy.name}（{policy.title}）于 {day.isoformat()} 生效的规则与参数：", ""]
    for rule in data["rules"]:
        lines.append(f"{rule['id']:<26}〔{rule['clause']}〕{OUTCOME_ZH[rule['outcome']]}  {rule['requirement']}")
        for p in rule["parameters"]:
            value = p["value"]
            shown = (
                "、".join(map(str, value))
                if isinstance(value, list)
                else ("，".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value)
            )
            lines.append(f"{'':28}{p['key']} = {shown} {p['unit']}（{p['clause']}）")
    lines.append("")
    lines.append(f"共 {len(data['rules'])} 条规则")
    return "\n".join(lines) + "\n"
