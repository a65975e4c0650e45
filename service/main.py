"""The FastAPI application. It validates specs, stores jobs and enqueues them by task name;
it never imports the training stack."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from core.celery_client import make_celery
from service.body_guard import BodyGuard
from service.problems import PROBLEM_JSON, PROBLEM_RESPONSES, install_problem_handlers
from service.routes import datasets, docs, health, job_artifacts, job_events, jobs, predictions
from service.settings import ApiSettings, get_settings
from store.database import create_schema, make_engine, make_session_factory
from store.dataset_store import DatasetStore
from store.job_store import JobStore
from store.prediction_store import PredictionStore

log = logging.getLogger("service")


async def _reap_lost_workers(store: JobStore, settings: ApiSettings) -> None:
    """A worker killed mid-job (OOM, SIGKILL) sends no more heartbeats: fail its job, do not leave it running."""
    while True:
        await asyncio.sleep(min(30, settings.worker_lost_after_seconds / 3))
        try:
            lost = await run_in_threadpool(
                store.fail_stale_running, timedelta(seconds=settings.worker_lost_after_seconds)
            )
            for job_id in lost:
                log.warning("job %s failed as worker_lost", job_id)
        except Exception:
            log.exception("reaper pass failed")


def _problem_json_only(app: FastAPI) -> None:
    """Error responses are documented as application/problem+json only: FastAPI also lists
    application/json for a response model, which these routes never send."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if status.startswith("4") and PROBLEM_JSON in content:
                            content.pop("application/json", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_dirs()
        engine = make_engine(settings.database_url)
        create_schema(engine)
        sessions = make_session_factory(engine)
        app.state.settings = settings
        app.state.job_store = JobStore(sessions)
        app.state.dataset_store = DatasetStore(sessions)
        app.state.prediction_store = PredictionStore(sessions)
        app.state.celery = make_celery(settings)
        reaper = asyncio.create_task(_reap_lost_workers(app.state.job_store, settings))
        yield
        reaper.cancel()
        engine.dispose()

    app = FastAPI(
        title="Accuracy doctor",
        version="1.0.0",
        description="Submit Keras training jobs; get the full metric panel and a diagnosis of why "
        "accuracy is what it is.",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
        # Served by service.routes.docs instead, behind the API key when one is configured.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        BodyGuard, max_bytes=settings.max_request_bytes, api_keys=settings.api_key_list
    )
    install_problem_handlers(app)
    _problem_json_only(app)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(jobs.router)
    app.include_router(job_events.router)
    app.include_router(job_artifacts.router)
    app.include_router(predictions.router)
    app.include_router(datasets.router)
    return app


app = create_app()
