"""Server-sent events of a job: state changes, one event per epoch, and an end event."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from schemas.job_status import FINAL_STATES, JobState
from service.deps import JobStoreDep, SettingsDep
from service.link_access import LinkedJobDep
from store.job_store import JobStore

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

KEEPALIVE_SECONDS = 15.0
MAX_EVENT_ID = 2**62  # within every store's integer column
EVENT_ID = re.compile(r"[0-9]{1,19}")


def _frame(event_id: int | None, event: str, data: object) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


async def _stream(store: JobStore, job_id: str, after: int, poll: float) -> AsyncIterator[str]:
    last = after
    idle = 0.0
    yield "retry: 2000\n\n"
    while True:
        events = await run_in_threadpool(store.events_after, job_id, last)
        for ev in events:
            last = ev.id
            yield _frame(ev.id, ev.kind, ev.payload)
        job = await run_in_threadpool(store.get, job_id)
        if job is None or JobState(job.state) in FINAL_STATES:
            tail = await run_in_threadpool(store.events_after, job_id, last)
            for ev in tail:
                last = ev.id
                yield _frame(ev.id, ev.kind, ev.payload)
            # No id: the end is not an event to resume after. A job deleted between two polls
            # has no final state left to report (deleting needs one, so it had ended).
            end = {"state": job.state} if job else {"state": None, "deleted": True}
            yield _frame(None, "end", end)
            return
        if events:
            idle = 0.0
        else:
            idle += poll
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keepalive\n\n"
        await asyncio.sleep(poll)


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "event: state | epoch | end, one JSON document per data line.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def job_events(
    job: LinkedJobDep,
    store: JobStoreDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="Resume after this event id.")
    ] = None,
) -> StreamingResponse:
    start = after or 0
    # A browser resends the last id it saw; anything else (garbage, or larger than any id the
    # store hands out) is not a place to resume from, so the stream starts at the beginning.
    resume = (last_event_id or "").strip()
    if EVENT_ID.fullmatch(resume) and int(resume) <= MAX_EVENT_ID:
        start = int(resume)
    return StreamingResponse(
        _stream(store, job.id, start, settings.events_poll_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
