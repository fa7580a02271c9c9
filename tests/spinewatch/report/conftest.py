"""Shared fixtures of the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_factories import analyse_simulated_days


@pytest.fixture(scope="session")
def simulated_days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The simulated day analysed whole (``full``) and with 60 s cut out (``gap``): once."""
    return analyse_simulated_days(tmp_path_factory.mktemp("report_simulated"))
