"""`jineng demo --scale`: a tiny run (30 classes) writes consistent, valid rows and refuses a second run.

Generated once for the module inside a transaction that every test runs in a savepoint of, and
that is rolled back at the end (as test_seed_demo does).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import F

from jineng.accounts.models import Role, User
from jineng.assessment.models import CertificateRecord
from jineng.classes.models import ClassState, Enrollment, TrainingClass
from jineng.cli import build_parser, main
from jineng.demo.scale import AlreadyGenerated, Bar, generate, sizes, summary
from jineng.ids import is_valid_ric, is_valid_uscc
from jineng.registry.models import Institution, Person
from jineng.targets.models import Competition, EvaluationFiling, PublicityReport
from jineng.vouchers.models import Voucher, VoucherBatch, VoucherState

pytestmark = pytest.mark.django_db

CLASSES = 30


@pytest.fixture(scope="module")
def generated(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[dict[str, int], str]]:
    """The counts and the progress output of one tiny run; rolled back after the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = io.StringIO()
            counts = generate(scale="city", year=2023, seed=7, out=out, classes=CLASSES)
            yield counts, out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_counts_are_roughly_as_asked(generated: tuple[dict[str, int], str]) -> None:
    counts, _ = generated
    assert TrainingClass.objects.filter(code__startswith="SC2023").count() == counts["classes"] == CLASSES
    enrollments = Enrollment.objects.filter(training_class__code__startswith="SC2023").count()
    assert enrollments == counts["enrollments"]
    assert 30 * CLASSES <= enrollments <= 50 * CLASSES
    # A person is on one or two rosters.
    per_person = Counter(Enrollment.objects.values_list("person_id", flat=True))
    assert set(per_person.values()) <= {1, 2}
    assert 1.05 <= enrollments / len(per_person) <= 1.25
    assert counts["persons"] == len(per_person) == Person.objects.count()
    states = Counter(TrainingClass.objects.values_list("state", flat=True))
    assert set(states) == {ClassState.ENDED, ClassState.APPROVED}
    assert 0.7 <= states[ClassState.ENDED] / CLASSES <= 0.85
    assert counts["vouchers"] == Voucher.objects.count() == sizes("city", CLASSES)["vouchers"]
    assert sum(VoucherBatch.objects.values_list("count", flat=True)) == counts["vouchers"]
    assert Competition.objects.count() == 25 and EvaluationFiling.objects.count() == 110
    assert PublicityReport.objects.count() == counts["publicity_reports"] > 30


def test_every_row_is_consistent_and_every_id_valid(generated: tuple[dict[str, int], str]) -> None:
    class_ids = set(TrainingClass.objects.values_list("id", flat=True))
    assert set(Enrollment.objects.values_list("training_class_id", flat=True)) <= class_ids
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert [n for n in numbers if not is_valid_ric(n)] == []
    assert all(n[:2] == "41" for n in numbers)  # Henan
    assert [u for u in Institution.objects.values_list("uscc", flat=True) if not is_valid_uscc(u)] == []
    assert [u for u in EvaluationFiling.objects.values_list("uscc", flat=True) if not is_valid_uscc(u)] == []
    for cls in TrainingClass.objects.all():
        assert cls.start.year == 2023 and 14 <= (cls.end - cls.start).days <= 42
        assert cls.area.kind == "area" and cls.lead_department.kind == "department"
        assert cls.institution.area_id == cls.area_id and cls.institution.kind != Institution.Kind.EVALUATION_BODY


def test_certificates_only_for_ended_classes_after_the_end(generated: tuple[dict[str, int], str]) -> None:
    counts, _ = generated
    trained = CertificateRecord.objects.filter(enrollment__isnull=False)
    assert trained.count() == counts["certificates"]
    assert not trained.exclude(enrollment__training_class__state=ClassState.ENDED).exists()
    assert not trained.exclude(person_id=F("enrollment__person_id")).exists()
    assert not trained.exclude(kind=F("enrollment__training_class__certificate")).exists()
    days: dict[int, set[dt.date]] = {}
    for cert in trained.select_related("enrollment__training_class"):
        cls = cert.enrollment.training_class  # type: ignore[union-attr]
        assert cert.level == cls.level
        assert 14 <= (cert.issued_on - cls.end).days <= 28
        days.setdefault(cls.pk, set()).add(cert.issued_on)
    assert all(len(d) == 1 for d in days.values())  # one assessment, one issue date per class
    ended = Enrollment.objects.filter(training_class__state=ClassState.ENDED).count()
    assert 0.75 <= trained.count() / ended <= 0.95
    earlier = CertificateRecord.objects.filter(enrollment__isnull=True)
    assert earlier.count() == counts["certificates_earlier"] > 0
    assert {c.issued_on.year for c in earlier} <= set(range(2018, 2023))
    assert 0.1 <= earlier.count() / counts["persons"] <= 0.3


def test_used_vouchers_belong_to_their_holder_and_value_needs_the_certificate(
    generated: tuple[dict[str, int], str],
) -> None:
    used = Voucher.objects.filter(enrollment__isnull=False)
    assert used.count() == generated[0]["vouchers_used"]
    assert not used.exclude(holder_id=F("enrollment__person_id")).exists()
    assert not used.exclude(enrollment__training_class__subsidised=True).exists()
    valued = Voucher.objects.filter(state=VoucherState.VALUED)
    assert valued.exists() and not valued.filter(certificate__isnull=True).exists()
    assert not valued.exclude(certificate__enrollment_id=F("enrollment_id")).exists()
    assert not Voucher.objects.filter(enrollment__isnull=True).exclude(state=VoucherState.ISSUED).exists()


def test_the_actor_is_the_scale_demo_system_user(generated: tuple[dict[str, int], str]) -> None:
    actor = User.objects.get(username="scale-demo")
    assert actor.role == Role.SYS_ADMIN and not actor.has_usable_password()
    assert not TrainingClass.objects.exclude(created_by=actor).exists()


def test_it_reports_progress_and_a_summary(generated: tuple[dict[str, int], str]) -> None:
    counts, output = generated
    assert re.search(r"^\[#+\] 100% [\d,]+/[\d,]+ enrollments \d+\.\ds$", output, re.M)
    text = summary(counts)
    assert f"培训班 {CLASSES} 个" in text and "人员" in text and "证书" in text and "电子培训券" in text


def test_a_second_run_is_refused_and_writes_nothing(generated: tuple[dict[str, int], str]) -> None:
    before = (TrainingClass.objects.count(), Person.objects.count(), Voucher.objects.count())
    with pytest.raises(AlreadyGenerated, match="已有规模演示数据"):
        generate(scale="city", year=2024, seed=7, out=io.StringIO(), classes=5)
    assert (TrainingClass.objects.count(), Person.objects.count(), Voucher.objects.count()) == before


def test_the_command_refuses_a_second_run_with_exit_1(
    generated: tuple[dict[str, int], str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = Enrollment.objects.count()
    assert main(["demo", "--scale", "city"]) == 1
    assert "已有规模演示数据" in capsys.readouterr().err
    assert Enrollment.objects.count() == before


def test_the_bar_reads_as_the_brief_shows() -> None:
    out = io.StringIO()
    bar = Bar(out, 3_000_000, "enrollments")
    bar.advance(1_560_000)
    bar.total = 3_000_000
    bar._draw()
    assert re.fullmatch(r"\[#{15}-{15}\]  52% 1,560,000/3,000,000 enrollments \d+\.\ds", out.getvalue())


def test_the_cli_parses_scale_year_and_seed() -> None:
    args = build_parser().parse_args(["demo", "--scale", "province"])
    assert (args.scale, args.year, args.seed) == ("province", 2023, 2023)
    args = build_parser().parse_args(["demo", "--scale", "city", "--year", "2024", "--seed", "9"])
    assert (args.scale, args.year, args.seed) == ("city", 2024, 9)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--scale", "country"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo"])


def test_sizes_per_scale() -> None:
    assert sizes("city")["enrollments"] == 120_000 and sizes("province")["enrollments"] == 3_000_000
    assert sizes("city")["vouchers"] == 50_000 and sizes("province")["vouchers"] == 400_000
    with pytest.raises(ValueError, match="未知的规模"):
        sizes("country")
