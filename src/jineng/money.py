"""Money in the database: yuan to the fen, Decimal, never float."""

from __future__ import annotations

from typing import Any

from django.db import models


def money_field(verbose_name: str, **options: Any) -> models.DecimalField:
    """A Decimal amount in yuan to the fen, up to 999,999,999,999.99."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **options)
