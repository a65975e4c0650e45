"""The same service with Redis as broker and PostgreSQL as store: only the URLs differ."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.support.live_service import LiveService
from tests.support.specs import sklearn_csv

REDIS_URL = "redis://127.0.0.1:6379/15"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def reachable(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def postgres_usable() -> bool:
    if not reachable(5432):
        return False
    import sqlalchemy

    try:
        with sqlalchemy.create_engine(POSTGRES_URL).connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="module")
def redis_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    if not reachable(6379):
        if require("redis"):
            pytest.fail("REQUIRE_REDIS=1 but no Redis answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    env = {"BROKER_URL": REDIS_URL, "TASK_QUEUE": "training-test", "PREDICT_QUEUE": "predict-test"}
    if postgres_usable():
        env["DATABASE_URL"] = POSTGRES_URL
    elif require("postgres"):
        pytest.fail("REQUIRE_POSTGRES=1 but PostgreSQL is not usable at " + POSTGRES_URL)
    service = LiveService(tmp_path_factory.mktemp("redis-live"), env_overrides=env)
    service.start()
    yield service
    service.stop()


def test_breast_cancer_job_over_redis(redis_live: LiveService) -> None:
    sklearn_csv("breast_cancer", Path(redis_live.data_root) / "bc.csv")
    with redis_live.client() as c:
        ready = c.get("/readyz").json()
    assert ready["embedded_broker"] is False
    status = redis_live.run(
        {
            "data": {"location": "bc.csv", "target": "label"},
            "balancing": {"method": "smote"},
            "training": {"epochs": 12},
            "callbacks": {"early_stopping": {"monitor": "val_roc_auc", "patience": 3}},
        }
    )
    assert status["state"] == "succeeded", status["error"]
    assert redis_live.result(status["id"])["metrics"]["test"]["roc_auc"] > 0.95
