"""What a finished job leaves behind: the trained model file, the bundle, and the HTML report."""

import io
import zipfile
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from schemas.job_status import JobState
from service.deps import CallerDep, JobStoreDep, SettingsDep
from service.link_access import LinkedJobDep
from service.problems import Problem
from service.report_html import render_report
from service.routes.jobs import load_job

router = APIRouter(prefix="/v1/jobs", tags=["artifacts"])

MODEL_FILE = "model.keras"
BUNDLE_FILES = ("model.keras", "preprocessing.joblib", "spec.json", "README.txt")


@router.get(
    "/{job_id}/model",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The .keras model; with bundle=true a zip with the preprocessing.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
@router.head("/{job_id}/model", include_in_schema=False)
def get_model(
    job_id: str,
    settings: SettingsDep,
    store: JobStoreDep,
    caller: CallerDep,
    bundle: Annotated[bool, Query(description="A zip with the preprocessing too.")] = False,
) -> Response:
    job = load_job(store, job_id, caller)
    folder = settings.artifacts_dir / job.id
    if job.state != JobState.succeeded.value or not (folder / MODEL_FILE).is_file():
        raise Problem(
            409,
            "No model",
            f"Job {job.id} is {job.state}; a model exists once it succeeded.",
            state=job.state,
        )
    if not bundle:
        return FileResponse(
            folder / MODEL_FILE, media_type="application/octet-stream", filename=f"{job.id}.keras"
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in BUNDLE_FILES:
            if (folder / name).is_file():
                zf.write(folder / name, name)
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{job.id}-bundle.zip"'},
    )


@router.get("/{job_id}/report", response_class=HTMLResponse)
def get_report(job: LinkedJobDep, store: JobStoreDep) -> HTMLResponse:
    return HTMLResponse(render_report(job, store.history(job.id)))
