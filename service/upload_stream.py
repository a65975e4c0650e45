"""Streaming a multipart upload straight to disk, so memory does not grow with the file."""

from pathlib import Path
from typing import Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header


class UploadTooLarge(Exception):
    """The upload passed the configured size limit."""


class NotMultipart(ValueError):
    """The body is not multipart/form-data: a media-type error, not a malformed upload."""


async def stream_multipart_file(
    request: Request, dest: Path, *, max_bytes: int, field: str = "file"
) -> str:
    """Write the part named `field` to `dest`; return its filename. Raises UploadTooLarge, ValueError."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise NotMultipart(
            "Send the file as multipart/form-data with a part named 'file' (curl -F file=@data.csv)."
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise UploadTooLarge()

    state: dict[str, Any] = {
        "header_field": b"",
        "headers": {},
        "in_file": False,
        "written": 0,
        "filename": None,
    }
    out = dest.open("wb")

    def on_part_begin() -> None:
        state["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header_field"] = data[start:end].lower()

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["headers"][state["header_field"]] = data[start:end]

    def on_headers_finished() -> None:
        _, disp = parse_options_header(state["headers"].get(b"content-disposition", b""))
        is_file = (
            disp.get(b"name", b"").decode(errors="replace") == field and state["filename"] is None
        )
        state["in_file"] = is_file
        if is_file:
            state["filename"] = (
                disp.get(b"filename", b"upload").decode(errors="replace") or "upload"
            )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not state["in_file"]:
            return
        state["written"] += end - start
        if state["written"] > max_bytes:
            raise UploadTooLarge()
        out.write(data[start:end])

    def on_part_end() -> None:
        state["in_file"] = False

    def on_end() -> None:
        state["complete"] = True

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": on_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise ValueError(
            f"The multipart body is malformed ({str(exc)[:100]}); send the file with "
            f"curl -F {field}=@data.csv."
        ) from exc
    finally:
        out.close()
    if not state.get("complete"):
        raise ValueError(
            "The upload ended before the multipart body's closing boundary; it was cut off. "
            "Send it again."
        )
    if state["filename"] is None:
        raise ValueError(
            f"No part named '{field}' in the upload; send it with curl -F {field}=@data.csv."
        )
    if state["written"] == 0:
        raise ValueError("The uploaded file is empty.")
    return str(state["filename"])
