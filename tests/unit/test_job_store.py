"""The job store on SQLite and, where reachable, PostgreSQL: transitions, history, idempotency."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy

from schemas.job_status import JobState
from store.database import create_schema, make_engine, make_session_factory
from store.job_store import IdempotencyConflict, JobStore
from tests.conftest import require

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_ok() -> bool:
    try:
        with sqlalchemy.create_engine(
            POSTGRES_URL, connect_args={"connect_timeout": 2}
        ).connect() as c:
            c.execute(sqlalchemy.text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    else:
        if not _postgres_ok():
            if require("postgres"):
                pytest.fail("REQUIRE_POSTGRES=1 but PostgreSQL is not usable")
            pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432")
        url = POSTGRES_URL
    engine = make_engine(url)
    schema = None
    if request.param == "postgresql":
        # A schema of its own, so sweeping "all stale jobs" never touches a live service's jobs.
        schema = f"test_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        engine = sqlalchemy.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    create_schema(engine)
    yield JobStore(make_session_factory(engine))
    if schema:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _new(
    store: JobStore, owner: str | None = None, key: str | None = None, sha: str = "a" * 64
) -> str:
    job, created = store.create(
        spec={"x": 1},
        spec_sha256=sha,
        name="n",
        owner=owner or uuid.uuid4().hex,
        idempotency_key=key,
        epochs=3,
    )
    assert created
    return job.id


def test_lifecycle_and_final_states_never_change(store: JobStore) -> None:
    job_id = _new(store)
    assert store.start(job_id)
    assert not store.start(job_id), "a job starts once"
    store.record_epoch(job_id, {"epoch": 1, "loss": 0.5}, epochs=3)
    store.record_epoch(job_id, {"epoch": 2, "loss": 0.4}, epochs=3)
    assert [r["epoch"] for r in store.history(job_id)] == [1, 2]
    assert store.succeed(job_id, {"ok": True}, [])
    assert not store.fail(job_id, {"code": "x"}), "final states never change"
    assert store.request_cancel(job_id) == JobState.succeeded
    job = store.get(job_id)
    assert (
        job is not None
        and job.state == "succeeded"
        and job.result == {"ok": True}
        and job.attempts == 1
    )
    kinds = [e.kind for e in store.events_after(job_id, 0)]
    assert kinds == ["state", "state", "epoch", "epoch", "state"]


def test_cancel_queued_and_running(store: JobStore) -> None:
    queued = _new(store)
    assert store.request_cancel(queued) == JobState.canceled
    assert not store.start(queued), "a canceled job never runs"
    running = _new(store)
    store.start(running)
    assert store.request_cancel(running) == JobState.canceling
    assert store.cancel_requested(running)


def test_idempotency_and_owner_scope(store: JobStore) -> None:
    owner = uuid.uuid4().hex
    key = uuid.uuid4().hex
    first = _new(store, owner, key)
    again, created = store.create(
        spec={}, spec_sha256="a" * 64, name=None, owner=owner, idempotency_key=key, epochs=1
    )
    assert not created and again.id == first
    with pytest.raises(IdempotencyConflict):
        store.create(
            spec={}, spec_sha256="b" * 64, name=None, owner=owner, idempotency_key=key, epochs=1
        )
    # The same key from another caller is another job.
    _new(store, uuid.uuid4().hex, key)
    assert store.get(first, owner="someone-else") is None


def test_paging_newest_first(store: JobStore) -> None:
    owner = uuid.uuid4().hex
    ids = [_new(store, owner) for _ in range(5)]
    page, cursor = store.list_page(owner=owner, state=None, name=None, limit=2, cursor=None)
    seen = [j.id for j in page]
    while cursor:
        page, cursor = store.list_page(owner=owner, state=None, name=None, limit=2, cursor=cursor)
        seen += [j.id for j in page]
    assert seen == list(reversed(ids))


def test_stale_running_jobs_fail_as_worker_lost(store: JobStore) -> None:
    job_id = _new(store)
    store.start(job_id)
    assert job_id not in store.fail_stale_running(timedelta(minutes=5))
    assert job_id in store.fail_stale_running(timedelta(seconds=-1))
    job = store.get(job_id)
    assert job is not None and job.state == "failed" and (job.error or {})["code"] == "worker_lost"


def test_delete_only_final(store: JobStore) -> None:
    job_id = _new(store)
    assert not store.delete(job_id)
    store.request_cancel(job_id)
    assert store.delete(job_id)
    assert store.get(job_id) is None and store.history(job_id) == []


def test_lost_worker_ends_a_canceling_job_canceled(store: JobStore) -> None:
    job_id = _new(store)
    store.start(job_id)
    store.request_cancel(job_id)
    assert store.mark_lost(job_id)
    job = store.get(job_id)
    assert (
        job is not None
        and job.state == "canceled"
        and (job.error or {})["code"] == "canceled_by_user"
    )


def test_a_cancel_after_the_last_epoch_still_ends_the_job_canceled(store: JobStore) -> None:
    """The worker finishes while the job is canceling: it must not stay canceling until the
    reaper, and canceling never turns into succeeded."""
    job_id = _new(store)
    store.start(job_id)
    store.request_cancel(job_id)
    finding = {"code": "class_imbalance"}
    assert store.succeed(job_id, {"task": "binary"}, [finding])
    job = store.get(job_id)
    assert job is not None and job.state == "canceled" and job.result is None
    assert (job.error or {})["code"] == "canceled_by_user" and job.diagnosis == [finding]
    assert not store.succeed(job_id, {"task": "binary"}, []), "final states never change"


def test_event_stream_of_a_job_deleted_between_polls_ends_without_a_made_up_state(
    tmp_path: Path,
) -> None:
    import asyncio

    from service.routes.job_events import _stream

    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    create_schema(engine)
    store = JobStore(make_session_factory(engine))
    job_id = _new(store)
    store.request_cancel(job_id)

    async def frames() -> list[str]:
        stream = _stream(store, job_id, 0, 0.01)
        out = [await stream.__anext__()]  # the retry hint, before the first poll
        assert store.delete(job_id)
        out += [frame async for frame in stream]
        return out

    *_, end = asyncio.run(frames())
    assert end == 'event: end\ndata: {"state": null, "deleted": true}\n\n'
