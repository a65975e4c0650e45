"""POST /v1/jobs/{id}/predict: score rows with a finished job's model.

The API cannot load Keras, so a worker answers through the store; the route awaits the answer
asynchronously with a timeout and never blocks its event loop.
"""

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from core.celery_client import PREDICT_TASK
from schemas.job_status import JobState
from service.deps import CallerDep, CeleryDep, JobStoreDep, SettingsDep
from service.problems import Problem
from service.routes.jobs import load_job
from store.prediction_store import PredictionStore

router = APIRouter(prefix="/v1/jobs", tags=["predictions"])


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Any]] = Field(
        min_length=1, max_length=10_000, description="Feature values by column."
    )


def _predictions(request: Request) -> PredictionStore:
    return request.app.state.prediction_store


def _cell_errors(err: dict[str, Any], message: str) -> list[dict[str, Any]]:
    """The rows' cells at fault, located like spec errors: rows[i].column."""
    cells = (err.get("details") or {}).get("cells") or []
    kind = str(err.get("code") or "value_error")
    if not cells:
        return [{"loc": ["rows"], "field": "rows", "msg": message, "type": kind}]
    return [
        {
            "loc": ["rows", row, column],
            "field": f"rows[{row}].{column}",
            "msg": message,
            "type": kind,
        }
        for row, column in cells
    ]


@router.post("/{job_id}/predict")
async def predict(
    job_id: str,
    body: PredictRequest,
    request: Request,
    settings: SettingsDep,
    store: JobStoreDep,
    celery: CeleryDep,
    caller: CallerDep,
) -> Any:
    job = await run_in_threadpool(load_job, store, job_id, caller)
    if job.state != JobState.succeeded.value:
        raise Problem(
            409,
            "No model",
            f"Job {job.id} is {job.state}; predictions need a succeeded job.",
            state=job.state,
        )
    predictions = _predictions(request)
    pid = await run_in_threadpool(predictions.create, job.id, body.rows)
    await run_in_threadpool(
        lambda: celery.send_task(PREDICT_TASK, args=[pid], queue=settings.predict_queue)
    )
    deadline = time.monotonic() + settings.predict_timeout_seconds
    try:
        while time.monotonic() < deadline:
            row = await run_in_threadpool(predictions.get, pid)
            if row is not None and row.state == "done":
                return row.response
            if row is not None and row.state == "failed":
                err = row.error or {}
                message = str(err.get("message", "the rows could not be scored"))
                raise Problem(
                    422,
                    "Rows cannot be scored",
                    message,
                    code=err.get("code"),
                    hint=err.get("hint"),
                    errors=_cell_errors(err, message),
                )
            await asyncio.sleep(0.05)
    finally:
        await run_in_threadpool(predictions.delete, pid)
    raise Problem(
        504,
        "Prediction timed out",
        f"No worker answered within {settings.predict_timeout_seconds:g} s; workers may be busy training.",
    )
