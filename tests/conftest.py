"""Shared fixtures: one live service (API + worker, embedded broker) for the whole run."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_service import REPO, LiveService


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The embedded default (SQLite store, SQLite broker), as `make run` starts it."""
    service = LiveService(
        tmp_path_factory.mktemp("live"),
        env_overrides={"WORKER_LOST_AFTER_SECONDS": "20", "HEARTBEAT_SECONDS": "2"},
    )
    service.data_root.mkdir(parents=True)
    shutil.copy(REPO / "data" / "caravan.csv", service.data_root / "caravan.csv")
    service.start()
    yield service
    service.stop()


def require(service: str) -> bool:
    """CI sets REQUIRE_REDIS/REQUIRE_POSTGRES: there a missing server fails instead of skipping."""
    return os.environ.get(f"REQUIRE_{service.upper()}") == "1"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
