"""Reads and writes of uploaded datasets."""

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from store.tables import DatasetRow, utcnow


class DatasetStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(
        self,
        *,
        dataset_id: str,
        owner: str,
        filename: str,
        path: str,
        format: str,
        size_bytes: int,
        rows: int,
        columns: list[dict[str, Any]],
    ) -> DatasetRow:
        row = DatasetRow(
            id=dataset_id,
            owner=owner,
            filename=filename,
            path=path,
            format=format,
            size_bytes=size_bytes,
            rows=rows,
            columns=columns,
            created_at=utcnow(),
        )
        with self._sessions.begin() as s:
            s.add(row)
        return row

    def get(self, dataset_id: str, owner: str | None = None) -> DatasetRow | None:
        with self._sessions() as s:
            row = s.get(DatasetRow, dataset_id)
        if row is None or (owner is not None and row.owner != owner):
            return None
        return row

    def list_all(self, owner: str | None, limit: int = 100) -> list[DatasetRow]:
        q = select(DatasetRow).order_by(DatasetRow.created_at.desc()).limit(limit)
        if owner is not None:
            q = q.where(DatasetRow.owner == owner)
        with self._sessions() as s:
            return list(s.scalars(q))

    def delete(self, dataset_id: str) -> None:
        with self._sessions.begin() as s:
            s.execute(delete(DatasetRow).where(DatasetRow.id == dataset_id))
