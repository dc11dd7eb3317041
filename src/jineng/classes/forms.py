"""Forms of the class pages. They parse and type what the browser sent into the services' inputs;
every rule of the plan and every cross-field check lives in the services and the rules engine.

Field names are the names of `ClassInput`, so the fields a service refuses (`InvalidInput.fields`,
each with a `path`) are shown next to the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from jineng import tabular
from jineng.registry.models import Occupation, OnlinePlatform, OrgUnit

from .errors import ServiceError
from .models import Certificate, Level, SpecialAction, TrainingClass, TrainingType
from .services import ClassInput, TeacherInput

_BLANK: list[tuple[str, str]] = [("", "——请选择——")]
_NONE: list[tuple[str, str]] = [("", "（无）")]


_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]


def _date_widget() -> forms.DateInput:
    # <input type="date"> reads and writes ISO dates whatever the page's locale.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClassForm(forms.Form):
    """开班申请 (the class record). `name` is not required here: the service says 必填, together
    with every other refused field, so the clerk sees all problems at once."""

    name = forms.CharField(label="班级名称", max_length=200, required=False)
    occupation_id = forms.TypedChoiceField(label="职业（工种）", coerce=int)
    level = forms.TypedChoiceField(label="等级", coerce=int, required=False, empty_value=None)
    training_type = forms.ChoiceField(label="培训类型", choices=_BLANK + list(TrainingType.choices))
    certificate = forms.ChoiceField(label="证书路径", choices=_BLANK + list(Certificate.choices))
    subsidised = forms.BooleanField(label="补贴性培训", required=False, initial=True)
    special_action = forms.TypedChoiceField(label="专项行动", coerce=int, required=False, empty_value=None)
    lead_department_id = forms.TypedChoiceField(label="行业主管部门", coerce=int)
    area_id = forms.TypedChoiceField(label="县（市、区）", coerce=int)
    start = forms.DateField(label="开班日期", input_formats=_DATE_FORMATS, widget=_date_widget())
    end = forms.DateField(label="结业日期", input_formats=_DATE_FORMATS, widget=_date_widget())
    minutes_per_hour = forms.IntegerField(label="每课时分钟数", min_value=1, max_value=240, initial=45)
    hours_theory = forms.IntegerField(label="理论课时（含线上）", min_value=0, max_value=10000, initial=0)
    hours_practical = forms.IntegerField(label="实操课时", min_value=0, max_value=10000, initial=0)
    hours_online = forms.IntegerField(label="其中线上理论课时", min_value=0, max_value=10000, initial=0)
    online_platform_id = forms.TypedChoiceField(label="线上平台", coerce=int, required=False, empty_value=None)
    workstations = forms.IntegerField(label="工位数", min_value=0, max_value=10000, initial=0)
    enterprise_name = forms.CharField(label="学徒制合作企业", max_length=200, required=False)
    enterprise_uscc = forms.CharField(label="企业统一社会信用代码", max_length=18, required=False)
    cross_city_approval = forms.BooleanField(label="已获省级跨市办班批准", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("occupation_id", _BLANK, Occupation.objects.filter(active=True).order_by("code"))
        departments = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).order_by("seq", "key")
        self._set_choices("lead_department_id", _BLANK, departments)
        self._set_choices("area_id", _BLANK, OrgUnit.objects.filter(kind=OrgUnit.Kind.AREA).order_by("seq", "key"))
        self._set_choices("online_platform_id", _NONE, OnlinePlatform.objects.order_by("name"))
        self._choice("level").choices = _NONE + [(str(v), label) for v, label in Level.choices]
        self._choice("special_action").choices = _NONE + [(str(v), label) for v, label in SpecialAction.choices]

    def _choice(self, name: str) -> forms.TypedChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.TypedChoiceField)
        return field

    def _set_choices(self, name: str, first: list[tuple[str, str]], objects: Any) -> None:
        self._choice(name).choices = first + [(str(obj.pk), str(obj)) for obj in objects]

    @classmethod
    def for_class(cls, training_class: TrainingClass) -> ClassForm:
        initial = {name: getattr(training_class, name) for name in ClassInput.__dataclass_fields__}
        return cls(initial=initial)

    def to_input(self) -> ClassInput:
        data = self.cleaned_data
        return ClassInput(
            name=data["name"].strip(),
            occupation_id=data["occupation_id"],
            training_type=data["training_type"],
            certificate=data["certificate"],
            lead_department_id=data["lead_department_id"],
            area_id=data["area_id"],
            start=data["start"],
            end=data["end"],
            level=data["level"],
            subsidised=data["subsidised"],
            special_action=data["special_action"],
            minutes_per_hour=data["minutes_per_hour"],
            hours_theory=data["hours_theory"],
            hours_practical=data["hours_practical"],
            hours_online=data["hours_online"],
            online_platform_id=data["online_platform_id"],
            workstations=data["workstations"],
            enterprise_name=data["enterprise_name"].strip(),
            enterprise_uscc=data["enterprise_uscc"].strip().upper(),
            cross_city_approval=data["cross_city_approval"],
        )

    def add_service_errors(self, error: ServiceError) -> None:
        """Put each refused field next to its input; anything else on top of the form."""
        for item in error.fields:
            path = item.get("path", "")
            self.add_error(path if path in self.fields else None, item.get("message", ""))
        if not error.fields:
            self.add_error(None, error.message)


class TeacherForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, required=False)
    certified = forms.BooleanField(label="持证", required=False)
    certificate_no = forms.CharField(label="证书编号", max_length=64, required=False)


TeacherFormSet = formset_factory(TeacherForm, extra=5, max_num=200, validate_max=True)


def teachers_formset(training_class: TrainingClass, data: Any = None) -> Any:
    initial = [
        {"name": t.name, "certified": t.certified, "certificate_no": t.certificate_no}
        for t in training_class.teachers.all()
    ]
    return TeacherFormSet(data=data, initial=initial, prefix="teachers")


def teacher_inputs(formset: Any) -> list[TeacherInput]:
    """Rows with a name, in order; blank rows are the spare lines of the form and are skipped."""
    teachers = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or not (data.get("name") or "").strip():
            continue
        teachers.append(
            TeacherInput(
                name=data["name"].strip(),
                certified=bool(data.get("certified")),
                certificate_no=(data.get("certificate_no") or "").strip(),
            )
        )
    return teachers


class RosterImportForm(forms.Form):
    file = forms.FileField(label="花名册文件（XLSX 或 CSV）")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        too_big = tabular.size_problem(upload.size, upload.name or "roster", what="花名册文件")
        if too_big is not None:
            raise forms.ValidationError(too_big)
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只接受 .xlsx 或 .csv 文件，请使用下载的模板")
        return upload
