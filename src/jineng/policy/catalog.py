"""The rule catalog of ../shared/policy/RULES.md: every rule ID with its clause and outcome.

Order matters: findings within one subject are listed in this order (the order of RULES.md).
The parameter keys a rule reads are named here so `jineng rules` can show the values in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    BLOCK = "block"
    VOID = "void"
    SUSPEND = "suspend"
    DEADLINE = "deadline"
    INDICATOR = "indicator"
    COUNTS = "counts"
    MEASURE = "measure"
    ALLOWED = "allowed"
    RECORD = "record"


OUTCOME_ZH: dict[Outcome, str] = {
    Outcome.BLOCK: "阻断",
    Outcome.VOID: "不予认可/取消补贴",
    Outcome.SUSPEND: "暂停",
    Outcome.DEADLINE: "时限",
    Outcome.INDICATOR: "指标",
    Outcome.COUNTS: "计入",
    Outcome.MEASURE: "计量",
    Outcome.ALLOWED: "允许",
    Outcome.RECORD: "记录",
}


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    section: str
    clause: str
    outcome: Outcome
    requirement: str
    params: tuple[str, ...] = ()


_B, _V, _S, _D, _I = Outcome.BLOCK, Outcome.VOID, Outcome.SUSPEND, Outcome.DEADLINE, Outcome.INDICATOR

RULES: tuple[RuleSpec, ...] = (
    # A. 开班审批
    RuleSpec("CLS-SIZE", "A", "二(三)1", _B, "每班人数不超过80人", ("class_size_max",)),
    RuleSpec("CLS-TEACHER-RATIO", "A", "二(三)1", _B, "师生比保持在1:20以内", ("teacher_ratio",)),
    RuleSpec("CLS-STATION-RATIO", "A", "二(三)1", _B, "工位与培训学员比保持在1:20以内", ("station_ratio",)),
    RuleSpec("CLS-MIN-TEACHERS", "A", "二(三)1", _B, "每个专业每个班级不少于2名教师", ("teachers_min",)),
    RuleSpec("CLS-HOUR-LENGTH", "A", "二(三)1", _B, "每课时不低于40分钟", ("hour_minutes_min",)),
    RuleSpec("CLS-PRACTICAL-SHARE", "A", "二(三)1", _B, "实操培训不少于总课时的60%", ("practical_share_min",)),
    RuleSpec(
        "CLS-ONLINE-SHARE",
        "A",
        "三(二)",
        _B,
        "线上理论学习不超过总课时40%，且依托目录清单内并接入监管平台的互联网平台",
        ("online_share_max",),
    ),
    RuleSpec(
        "CLS-QUALIFIED-HOURS",
        "A",
        "二(三)",
        _B,
        "合格证书培训不少于40个学时（有明确学时规定的除外）",
        ("qualified_hours_min",),
    ),
    RuleSpec(
        "CLS-INSTITUTION-LISTED", "A", "二(二), 三(二)", _B, "机构在目录清单内且该专业自变更之日起方可承担补贴培训"
    ),
    RuleSpec(
        "CLS-INSTITUTION-BARRED",
        "A",
        "二(二), 二(三)3",
        _B,
        "黑名单机构及2022年以来审计、检查发现存在明显问题的机构不得开展政府补贴性培训",
        ("problem_since",),
    ),
    RuleSpec(
        "CLS-CROSS-CITY", "A", "二(二)", _B, "本区域已有相关机构的，除技工学校外，未经省专班同意不得跨地市开展补贴培训"
    ),
    RuleSpec(
        "CLS-ENTERPRISE-CENTER",
        "A",
        "二(二)",
        _B,
        "企业培训中心须具备持教师资格证的师资、场地、设施",
        ("teachers_min", "teacher_ratio"),
    ),
    RuleSpec(
        "CLS-APPRENTICE-ENTERPRISE",
        "A",
        "二(三)1",
        _B,
        "同一机构对同一企业同一职业（工种）开展新型学徒制培训不超过200人",
        ("apprentice_per_enterprise_max",),
    ),
    RuleSpec(
        "CLS-APPRENTICE-ANNUAL",
        "A",
        "二(三)1",
        _B,
        "具备学制教育资质的机构年内新型学徒制培训不超过1000人，其他机构不超过400人",
        ("apprentice_annual_max",),
    ),
    RuleSpec("CLS-SURVEY", "A", "二(三)1", _B, "开班前对每名学员开展问卷调查"),
    RuleSpec("CLS-IN-SYSTEM", "A", "二(三)", _B, "培训人员、师资开班前录入系统，系统之外零补贴"),
    # B. 学员资格
    RuleSpec("TRN-IDENTITY", "B", "二(四), 二(三)1", _B, "实名制：有效的18位公民身份号码，同一人在名册中只出现一次"),
    RuleSpec(
        "TRN-COOLDOWN",
        "B",
        "三(二)",
        _B,
        "上一个培训项目未考核或考核结束不足一个月的，不得再次参加政府补贴性培训",
        ("cooldown_months",),
    ),
    RuleSpec(
        "TRN-GRADUATING-STUDENT",
        "B",
        "二(三)1",
        _B,
        "不得对除特殊职业教育、普通高校外的毕业年度在校生开展补贴培训（创业培训除外）",
    ),
    RuleSpec(
        "TRN-EMPLOYEE-OCCUPATION",
        "B",
        "二(三)1",
        _B,
        "企业职工参加与本人岗位相同或相近的职业培训，转岗职工培训职业不得与原岗位同属一个职业分类",
    ),
    RuleSpec("TRN-INTENT", "B", "二(三)1", _B, "无培训意愿、无就业意愿、无就业能力人员不得参加补贴培训"),
    RuleSpec(
        "TRN-INMATE",
        "B",
        "二(一)6",
        _B,
        "在押服刑人员须服刑期间未参加过培训、符合晋升上一级技能等级、刑期至2025年前",
        ("inmate_release_before",),
    ),
    # C. 过程监管
    RuleSpec("SUP-INSPECTION", "C", "二(三)2", _B, "培训期间至少进行一次实地检查或随机抽查", ("inspections_min",)),
    RuleSpec(
        "SUP-FACE-CHECKIN",
        "C",
        "二(三)2",
        _V,
        "补贴培训须通过人脸识别签到设备记录",
        ("checkin_match_min", "checkin_early_minutes"),
    ),
    RuleSpec("SUP-THEORY-VIDEO", "C", "二(三)2", _V, "理论教学全程录像"),
    RuleSpec(
        "SUP-PRACTICAL-VIDEO",
        "C",
        "二(三)2",
        _V,
        "实操培训每学时连续录像不低于15分钟",
        ("practical_video_min_minutes",),
    ),
    RuleSpec(
        "SUP-VIDEO-ALL-VISIBLE",
        "C",
        "二(三)2",
        _V,
        "同一班次录像无法显示全体参训人员达3次及以上的取消补贴资格",
        ("video_fail_max",),
    ),
    RuleSpec("SUP-VIDEO-RETENTION", "C", "二(三)2", _D, "培训视频留存3年", ("video_retention_years",)),
    RuleSpec("SUP-MAKEUP", "C", "二(三)2", Outcome.COUNTS, "结业考核前补课（全程录像）计入到课率"),
    RuleSpec(
        "SUP-HEADCOUNT", "C", "二(三)1", Outcome.MEASURE, "开班人数以实到人数为准，培训人数以实地检查在位平均人数为准"
    ),
    RuleSpec(
        "SUP-SATISFACTION",
        "C",
        "二(三)2",
        _S,
        "满意率低于85%的暂停结业考核，并开展至少一个月的全面整改",
        ("satisfaction_min", "rectification_months"),
    ),
    # D. 互联网+职业技能培训
    RuleSpec("ONL-PLATFORM", "D", "三(二)", _V, "互联网平台在目录清单内并接入全省监管平台"),
    RuleSpec("ONL-FAST-FORWARD", "D", "三(二)", _V, "不得快进播放", ("online_seek_tolerance_seconds",)),
    RuleSpec("ONL-MULTI-WINDOW", "D", "三(二)", _V, "不得多窗口学习"),
    RuleSpec("ONL-POPUP", "D", "三(二)", _V, "连续5分钟内须有弹窗管控", ("online_popup_gap_max_seconds",)),
    RuleSpec("ONL-LIVENESS", "D", "三(二)", _V, "须能进行人脸活体比对并通过"),
    RuleSpec("ONL-ORDER", "D", "三(二)", _V, "专业课程按内容先后顺序学习"),
    RuleSpec("ONL-PHOTO", "D", "三(二)", _V, "每课时随机保留影像照片", ("online_default_hour_minutes",)),
    # E. 结业考核
    RuleSpec(
        "ASM-CERT-ROUTE", "E", "二(三)3", _V, "能取得职业资格等证书的须参加鉴定评价，直接组织培训合格证书考核的不予补贴"
    ),
    RuleSpec("ASM-NOTICE", "E", "附件3", _B, "组织考核时间提前3天在系统填报", ("assessment_notice_days",)),
    RuleSpec("ASM-LEDGER", "E", "附件2 备注3", _D, "培训结束后15日内录入培训台账", ("ledger_days",)),
    RuleSpec("ASM-POOLING", "E", "二(三)3", Outcome.ALLOWED, "同一区域同一职业同一等级考核人员较少时可统筹集中进行"),
    RuleSpec("ASM-REPEAT", "E", "三(二)", _B, "未考核的，不得参加下一次政府补贴性培训（见 TRN-COOLDOWN）"),
    # F. 补贴资金
    RuleSpec(
        "SUB-TWO-PERSON",
        "F",
        "二(三)4, 附件3",
        _B,
        "每个审核环节由初审人和复核人两人签字，且均非申请人",
        ("signers_min",),
    ),
    RuleSpec(
        "SUB-INDUSTRY-DEADLINE",
        "F",
        "附件3",
        _D,
        "行业主管部门自受理之日起10个工作日内审核",
        ("industry_review_working_days",),
    ),
    RuleSpec(
        "SUB-PUBLIC-NOTICE",
        "F",
        "二(三)4, 附件3",
        _B,
        "审查结果公示不少于5个工作日，异议处理后方可拨付",
        ("public_notice_working_days",),
    ),
    RuleSpec(
        "SUB-MONTHLY-PUSH",
        "F",
        "二(三)4",
        _D,
        "人社部门按月向财政部门推送，财政审核确认后拨付",
        ("finance_push_months",),
    ),
    RuleSpec("SUB-IN-SYSTEM", "F", "二(三)", _B, "只有在系统内审批和监管的班级可以补贴"),
    RuleSpec("SUB-NO-DOUBLE-PAY", "F", "(integrity)", _B, "同一人同一班次最多补贴一次，拨付幂等"),
    RuleSpec("SUB-CERT-SHARE", "F", "二(三)", _I, "专项职业能力证书和培训合格证书总量不超过10%", ("cert_share_max",)),
    RuleSpec("SUB-FUND-SHARE", "F", "三(三)", _I, "就业补助资金用于培训和评价补贴的比例不低于15%", ("fund_share_min",)),
    RuleSpec("SUB-CLAWBACK", "F", "三(三)", Outcome.RECORD, "收缴违规拨付资金，保留原拨付与收缴记录"),
    # G. 电子职业培训券
    RuleSpec("VCH-REAL-NAME", "G", "二(四)", _B, "实名发放，不得转让"),
    RuleSpec("VCH-CERT-VALUE", "G", "二(四)", _B, "以证换券、无证无价"),
    RuleSpec(
        "VCH-TARGET",
        "G",
        "二(四)",
        _I,
        "全年发放5万张，有效使用1万张以上",
        ("vouchers_issued_target", "vouchers_used_target"),
    ),
    # H. 目标任务
    RuleSpec("IND-TRAINING", "H", "一, 附件1/2", _I, "职业技能培训人次（含补贴性培训）"),
    RuleSpec("IND-NEW-SKILLED", "H", "一", _I, "新增技能人才"),
    RuleSpec("IND-NEW-HIGH-SKILLED", "H", "一, 附件2 备注2", _I, "新增高技能人才"),
    RuleSpec("IND-HIGH-SHARE", "H", "一", _I, "新增高技能人才占新增技能人才比例", ("high_skilled_share_min",)),
    RuleSpec("IND-TECHNICIAN", "H", "一, 二(一)9", _I, "新增技师和高级技师"),
    RuleSpec("IND-APPRENTICE", "H", "一", _I, "企业新型学徒制培训"),
    RuleSpec(
        "IND-MANUFACTURING-SHARE",
        "H",
        "一, 二(二)",
        _I,
        "制造业补贴性培训占补贴性培训总量比例（全市及各县）",
        ("manufacturing_share_min",),
    ),
    RuleSpec("IND-EVAL-INSTITUTIONS", "H", "一", _I, "新备案用人单位职业技能等级认定机构", ("eval_institutions_min",)),
    RuleSpec(
        "IND-COMPETITIONS",
        "H",
        "一, 二(一)10",
        _I,
        "职业技能竞赛场次、职业（工种）数、取证选手数",
        ("competition_events_min", "competition_occupations_min", "competition_certified_min"),
    ),
    RuleSpec(
        "IND-VOUCHERS", "H", "二(四)", _I, "职业培训券发放/有效使用", ("vouchers_issued_target", "vouchers_used_target")
    ),
    RuleSpec(
        "IND-PUBLICITY",
        "H",
        "三(四)",
        _I,
        "宣传报道：各县县级以上媒体≥3篇，市直成员单位市级以上媒体≥1篇",
        ("publicity_county_min", "publicity_member_min"),
    ),
    RuleSpec("IND-CADENCE", "H", "三(一)", _I, "周调度、月通报、季讲评、半年督导、全年总结", ("reporting_cadence",)),
)

BY_ID: dict[str, RuleSpec] = {spec.id: spec for spec in RULES}
ORDER: dict[str, int] = {spec.id: index for index, spec in enumerate(RULES)}


def spec(rule_id: str) -> RuleSpec:
    return BY_ID[rule_id]
