"""Prediction requests: the API writes one, a worker answers it, the API reads the answer."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from store.tables import PredictionRow, utcnow


class PredictionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, job_id: str, rows: list[dict[str, Any]]) -> str:
        pid = uuid.uuid4().hex
        with self._sessions.begin() as s:
            s.add(
                PredictionRow(
                    id=pid, job_id=job_id, rows=rows, state="pending", created_at=utcnow()
                )
            )
        return pid

    def get(self, prediction_id: str) -> PredictionRow | None:
        with self._sessions() as s:
            return s.get(PredictionRow, prediction_id)

    def answer(self, prediction_id: str, response: dict[str, Any]) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(PredictionRow)
                .where(PredictionRow.id == prediction_id)
                .values(state="done", response=response, rows=[])
            )

    def reject(self, prediction_id: str, error: dict[str, Any]) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(PredictionRow)
                .where(PredictionRow.id == prediction_id)
                .values(state="failed", error=error, rows=[])
            )

    def delete(self, prediction_id: str) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(PredictionRow).where(PredictionRow.id == prediction_id))

    def purge_older_than(self, age: timedelta) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(PredictionRow).where(PredictionRow.created_at < utcnow() - age))
