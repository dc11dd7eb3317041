from __future__ import annotations

import pytest

from jineng.testing import Cast, cast


@pytest.fixture
def people(db: None) -> Cast:
    return cast()
