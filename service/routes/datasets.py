"""/v1/datasets: upload a data file once, then train on it by `dataset:{id}`."""

import logging
import os
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from core.tabular_files import (
    FORMAT_BY_SUFFIX,
    UnreadableTable,
    printable,
    scan_columns,
    sniff_format,
)
from schemas.dataset import DatasetInfo, DatasetList
from service.deps import CallerDep, DatasetStoreDep, SettingsDep
from service.problems import Problem, field_problem
from service.upload_stream import NotMultipart, UploadTooLarge, stream_multipart_file
from store.job_store import aware
from store.tables import DatasetRow

log = logging.getLogger("service.datasets")
router = APIRouter(prefix="/v1/datasets", tags=["datasets"])


def _info(row: DatasetRow) -> DatasetInfo:
    return DatasetInfo(
        id=row.id,
        location=f"dataset:{row.id}",
        filename=row.filename,
        format=row.format,
        size_bytes=row.size_bytes,
        columns=row.columns,
        rows=row.rows,
        created_at=aware(row.created_at) or row.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=DatasetInfo,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            }
        }
    },
)
async def upload_dataset(
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: DatasetStoreDep,
    caller: CallerDep,
) -> Any:
    dataset_id = uuid.uuid4().hex
    settings.uploads_dir.mkdir(parents=True, exist_ok=True)
    tmp = settings.uploads_dir / f".{dataset_id}.part"
    try:
        filename = await stream_multipart_file(request, tmp, max_bytes=settings.max_upload_bytes)
    except UploadTooLarge as exc:
        tmp.unlink(missing_ok=True)
        raise Problem(
            413,
            "Upload too large",
            f"The upload exceeds the limit of {settings.max_upload_bytes} bytes.",
            limit_bytes=settings.max_upload_bytes,
        ) from exc
    except ValueError as exc:
        tmp.unlink(missing_ok=True)
        status = 415 if isinstance(exc, NotMultipart) else 422
        raise field_problem(status, "Bad upload", ["file"], str(exc), "bad_upload") from exc
    except ClientDisconnect:  # the client went away mid-upload: keep no half file
        tmp.unlink(missing_ok=True)
        log.info("upload %s: the client disconnected; nothing kept", dataset_id)
        return Response(status_code=400)  # nobody reads it; it keeps the log free of a trace
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    suffix = Path(filename).suffix.lower()
    if suffix and suffix not in FORMAT_BY_SUFFIX:
        tmp.unlink(missing_ok=True)
        raise Problem(
            415,
            "Unsupported file type",
            f"{suffix!r} files are not tables; upload CSV, Parquet or JSON Lines.",
        )
    fmt = FORMAT_BY_SUFFIX.get(suffix) or sniff_format(tmp)
    final = settings.uploads_dir / f"{dataset_id}.{fmt}"
    os.replace(tmp, final)
    try:
        rows, columns = await run_in_threadpool(lambda: scan_columns(final, fmt, name=filename))
    except UnreadableTable as exc:
        final.unlink(missing_ok=True)
        raise field_problem(
            422, "Unreadable data file", ["file"], str(exc), "unreadable_file"
        ) from exc
    except Exception as exc:  # any file pyarrow chokes on is the upload's fault, not a 500
        final.unlink(missing_ok=True)
        raise Problem(
            422,
            "Unreadable data file",
            f"could not read {filename[:100]} as {fmt}: {type(exc).__name__}: "
            f"{printable(str(exc))}",
        ) from exc
    row = store.add(
        dataset_id=dataset_id,
        owner=caller or "",
        filename=filename[:500],
        path=str(final),
        format=fmt,
        size_bytes=final.stat().st_size,
        rows=rows,
        columns=columns,
    )
    response.headers["Location"] = f"/v1/datasets/{dataset_id}"
    return _info(row)


@router.get("", response_model=DatasetList)
def list_datasets(store: DatasetStoreDep, caller: CallerDep) -> Any:
    return DatasetList(items=[_info(r) for r in store.list_all(caller)])


@router.get("/{dataset_id}", response_model=DatasetInfo)
def get_dataset(dataset_id: Annotated[str, "id"], store: DatasetStoreDep, caller: CallerDep) -> Any:
    row = store.get(dataset_id, caller)
    if row is None:
        raise Problem(404, "Dataset not found", f"No dataset with id {dataset_id[:64]!r}.")
    return _info(row)
