"""Reads and writes of jobs. Every state change is a conditional UPDATE, so final states never change."""

import base64
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from schemas.job_status import FINAL_STATES, JobState
from store.tables import JobEventRow, JobRow, utcnow

FINAL = tuple(s.value for s in FINAL_STATES)
CANCELED_ERROR = {
    "code": "canceled_by_user",
    "message": "The job was canceled by a cancel request.",
    "hint": None,
}


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time in this service is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different body."""


class JobStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # --- creation and lookup -------------------------------------------------------------
    def create(
        self,
        *,
        spec: dict[str, Any],
        spec_sha256: str,
        name: str | None,
        owner: str,
        idempotency_key: str | None,
        epochs: int,
    ) -> tuple[JobRow, bool]:
        """Insert a queued job. Returns (job, created); a replayed idempotency key returns the old job."""
        if idempotency_key:
            existing = self._by_idempotency_key(owner, idempotency_key)
            if existing is not None:
                return self._replay(existing, spec_sha256), False
        job = JobRow(
            id=uuid.uuid4().hex,
            owner=owner,
            name=name,
            state=JobState.queued.value,
            spec=spec,
            spec_sha256=spec_sha256,
            idempotency_key=idempotency_key,
            created_at=utcnow(),
            attempts=0,
            epoch=0,
            epochs=epochs,
            cancel_requested=False,
        )
        try:
            with self._sessions.begin() as s:
                s.add(job)
                s.flush()
                s.add(JobEventRow(job_id=job.id, kind="state", payload={"state": "queued"}))
        except IntegrityError:
            # Two requests raced with the same key: the other one won.
            existing = self._by_idempotency_key(owner, idempotency_key or "")
            if existing is None:
                raise
            return self._replay(existing, spec_sha256), False
        return job, True

    @staticmethod
    def _replay(existing: JobRow, spec_sha256: str) -> JobRow:
        if existing.spec_sha256 != spec_sha256:
            raise IdempotencyConflict(existing.id)
        return existing

    def _by_idempotency_key(self, owner: str, key: str) -> JobRow | None:
        with self._sessions() as s:
            return s.scalars(
                select(JobRow).where(JobRow.owner == owner, JobRow.idempotency_key == key)
            ).first()

    def get(self, job_id: str, owner: str | None = None) -> JobRow | None:
        with self._sessions() as s:
            job = s.get(JobRow, job_id)
        if job is None or (owner is not None and job.owner != owner):
            return None
        return job

    def list_page(
        self,
        *,
        owner: str | None,
        state: str | None,
        name: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[JobRow], str | None]:
        q = select(JobRow)
        if owner is not None:
            q = q.where(JobRow.owner == owner)
        if state:
            q = q.where(JobRow.state == state)
        if name:
            q = q.where(JobRow.name == name)
        if cursor:
            created, job_id = decode_cursor(cursor)
            q = q.where(
                or_(
                    JobRow.created_at < created,
                    and_(JobRow.created_at == created, JobRow.id < job_id),
                )
            )
        q = q.order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit + 1)
        with self._sessions() as s:
            rows = list(s.scalars(q))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor(aware(last.created_at) or utcnow(), last.id)
        return rows, next_cursor

    def history(self, job_id: str) -> list[dict[str, Any]]:
        with self._sessions() as s:
            return list(
                s.scalars(
                    select(JobEventRow.payload)
                    .where(JobEventRow.job_id == job_id, JobEventRow.kind == "epoch")
                    .order_by(JobEventRow.id)
                )
            )

    def events_after(self, job_id: str, after_id: int) -> list[JobEventRow]:
        with self._sessions() as s:
            return list(
                s.scalars(
                    select(JobEventRow)
                    .where(JobEventRow.job_id == job_id, JobEventRow.id > after_id)
                    .order_by(JobEventRow.id)
                )
            )

    def ping(self) -> None:
        with self._sessions() as s:
            s.execute(select(1))

    def count_by_state(self) -> dict[str, int]:
        with self._sessions() as s:
            rows = s.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
        return {str(state): int(n) for state, n in rows}

    # --- transitions ----------------------------------------------------------------------
    def _transition(
        self, s: Session, job_id: str, from_states: Iterable[str], values: dict[str, Any]
    ) -> bool:
        res = s.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state.in_(list(from_states)))
            .values(**values)
        )
        changed = bool(res.rowcount)  # type: ignore[attr-defined]
        if changed and "state" in values:
            payload: dict[str, Any] = {"state": values["state"]}
            if values.get("error"):
                payload["error"] = values["error"]
            s.add(JobEventRow(job_id=job_id, kind="state", payload=payload))
        return changed

    def start(self, job_id: str) -> bool:
        """queued → running. False when the job is gone, canceled, or already taken."""
        now = utcnow()
        with self._sessions.begin() as s:
            return self._transition(
                s,
                job_id,
                [JobState.queued.value],
                {
                    "state": JobState.running.value,
                    "started_at": now,
                    "heartbeat_at": now,
                    "attempts": JobRow.attempts + 1,
                },
            )

    def record_epoch(self, job_id: str, row: dict[str, Any], *, epochs: int) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(epoch=row["epoch"], epochs=epochs, heartbeat_at=utcnow())
            )
            s.add(JobEventRow(job_id=job_id, kind="epoch", payload=row))

    def set_diagnosis(self, job_id: str, findings: list[dict[str, Any]]) -> None:
        with self._sessions.begin() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(diagnosis=findings))

    def heartbeat(self, job_id: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(heartbeat_at=utcnow()))

    def succeed(self, job_id: str, result: dict[str, Any], diagnosis: list[dict[str, Any]]) -> bool:
        """running → succeeded. A cancel that arrived after the last epoch still wins
        (canceling → canceled, as the contract orders states), keeping the findings."""
        with self._sessions.begin() as s:
            return self._transition(
                s,
                job_id,
                [JobState.running.value],
                {
                    "state": JobState.succeeded.value,
                    "finished_at": utcnow(),
                    "result": result,
                    "diagnosis": diagnosis,
                    "error": None,
                },
            ) or self._transition(
                s,
                job_id,
                [JobState.canceling.value],
                {
                    "state": JobState.canceled.value,
                    "finished_at": utcnow(),
                    "diagnosis": diagnosis,
                    "error": CANCELED_ERROR,
                },
            )

    def fail(
        self,
        job_id: str,
        error: dict[str, Any],
        diagnosis: list[dict[str, Any]] | None = None,
        *,
        state: JobState = JobState.failed,
    ) -> bool:
        values: dict[str, Any] = {"state": state.value, "finished_at": utcnow(), "error": error}
        if diagnosis is not None:
            values["diagnosis"] = diagnosis
        with self._sessions.begin() as s:
            return self._transition(
                s,
                job_id,
                [JobState.queued.value, JobState.running.value, JobState.canceling.value],
                values,
            )

    def request_cancel(self, job_id: str) -> JobState | None:
        """Queued jobs are canceled at once; running ones are asked to stop at the next epoch."""
        with self._sessions.begin() as s:
            if self._transition(
                s,
                job_id,
                [JobState.queued.value],
                {
                    "state": JobState.canceled.value,
                    "finished_at": utcnow(),
                    "cancel_requested": True,
                    "error": CANCELED_ERROR,
                },
            ):
                return JobState.canceled
            if self._transition(
                s,
                job_id,
                [JobState.running.value],
                {"state": JobState.canceling.value, "cancel_requested": True},
            ):
                return JobState.canceling
            job = s.get(JobRow, job_id)
            return JobState(job.state) if job else None

    def cancel_requested(self, job_id: str) -> bool:
        with self._sessions() as s:
            return bool(s.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))

    def delete(self, job_id: str) -> bool:
        with self._sessions.begin() as s:
            res = s.execute(delete(JobRow).where(JobRow.id == job_id, JobRow.state.in_(FINAL)))
            if not res.rowcount:  # type: ignore[attr-defined]
                return False
            s.execute(delete(JobEventRow).where(JobEventRow.job_id == job_id))
            return True

    def mark_lost(
        self, job_id: str, *, code: str = "worker_lost", message: str | None = None
    ) -> bool:
        """The worker running this job is gone: a job being canceled ends canceled, any other failed."""
        with self._sessions.begin() as s:
            if self._transition(
                s,
                job_id,
                [JobState.canceling.value],
                {
                    "state": JobState.canceled.value,
                    "finished_at": utcnow(),
                    "error": CANCELED_ERROR,
                },
            ):
                return True
        return self.fail(
            job_id,
            {
                "code": code,
                "message": message or "The worker running this job stopped responding.",
                "hint": "Resubmit the job; if it happens again, lower batch_size, the model or the data size.",
            },
        )

    def fail_stale_running(self, older_than: timedelta) -> list[str]:
        """Jobs whose worker stopped sending heartbeats (killed, out of memory, machine gone)."""
        limit = utcnow() - older_than
        with self._sessions() as s:
            ids = list(
                s.scalars(
                    select(JobRow.id).where(
                        JobRow.state.in_([JobState.running.value, JobState.canceling.value]),
                        JobRow.heartbeat_at < limit,
                    )
                )
            )
        return [job_id for job_id in ids if self.mark_lost(job_id)]


def encode_cursor(created_at: datetime, job_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), job_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = json.loads(raw)
        return datetime.fromisoformat(created), str(job_id)
    except Exception as exc:  # any malformed cursor is the caller's error, not ours
        raise ValueError("cursor is not one this service issued; use next_cursor as given") from exc


def heartbeat_age(job: JobRow) -> timedelta | None:
    hb = aware(job.heartbeat_at)
    return None if hb is None else utcnow() - hb
