"""django-ninja's `Schema`, validated without its `DjangoGetter` where that changes nothing.

Every ninja `Schema` validates through a wrap validator that puts the input inside a
`DjangoGetter`, so that ORM objects can be read by attribute: managers and querysets become lists,
callables are called, files become their URL, `resolve_*` methods run. The API builds its answers
from plain keyword arguments and from schema instances it has just built (`ClassItem(**fields)`
with `Ref(...)` values inside), and for those the getter does nothing but cost: every field of
every nested instance is read back through `__getattr__` and the instance validated again from its
attributes. On a page of 50 classes that was 60 % of the serialisation time (ninja issues #961,
#1239; the validator and the getter are ninja's own, `ninja.schema.Schema._run_root_validator`).

`install()` replaces that validator, before the API's schemas are defined, with one that hands
the input straight to pydantic when the getter could not change it:

- a `dict` none of whose values is a manager, queryset, file or callable, or an instance of the
  very schema being validated (which pydantic keeps as it is, as it does for any model);
- and the schema has no `resolve_*` methods and neither forbids extra fields nor validates
  assignment (ninja validates those twice, on purpose).

Anything else — an ORM object, a dataclass, a dict holding a manager — goes through ninja's own
validator unchanged, so the answers are the same; tests/test_fastschema.py holds both to that.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Manager, QuerySet
from django.db.models.fields.files import FieldFile
from ninja import Schema
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator

_NAME = "_run_root_validator"
_CONVERTED = (Manager, QuerySet, FieldFile)


def _plain(values: dict[str, Any]) -> bool:
    """True when DjangoGetter would hand every value over unchanged."""
    # A plain loop: any() over a generator costs twice as much, and this runs for every schema built.
    for value in values.values():  # noqa: SIM110
        if callable(value) or isinstance(value, _CONVERTED):
            return False
    return True


def install() -> None:
    """Put the fast path in front of ninja's validator (idempotent; schemas defined later use it)."""
    current = Schema.__dict__.get(_NAME)
    if getattr(current, "jineng_fast", False):
        return
    ninja_validator = Schema.__dict__[_NAME].__func__  # the classmethod's function

    def _run_root_validator(
        cls: Any, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        if (
            (type(values) is cls or (type(values) is dict and _plain(values)))
            and not cls._ninja_resolvers
            and cls.model_config.get("extra") != "forbid"
            and not cls.model_config.get("validate_assignment", False)
        ):
            return handler(values)
        return ninja_validator(cls, values, handler, info)

    fast = model_validator(mode="wrap")(classmethod(_run_root_validator))  # type: ignore[arg-type]
    fast.jineng_fast = True  # type: ignore[attr-defined]
    # Pydantic looks a model's validators up by name on the class's bases when the model class is
    # created, so every Schema subclass defined from now on validates through this one.
    setattr(Schema, _NAME, fast)
