"""An uploaded data file, as POST /v1/datasets answers it."""

from datetime import datetime

from pydantic import BaseModel, Field


class ColumnInfo(BaseModel):
    name: str
    dtype: str
    missing: int


class DatasetInfo(BaseModel):
    id: str
    location: str = Field(description="Use as data.location in a job spec.")
    filename: str
    format: str
    size_bytes: int
    columns: list[ColumnInfo]
    rows: int
    created_at: datetime


class DatasetList(BaseModel):
    items: list[DatasetInfo]
