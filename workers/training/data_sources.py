"""Where a job's rows come from: a file under DATA_ROOT, an upload, a builtin set, generated
data, or an allowlisted URL. Every source ends as one pyarrow Table and a content hash."""

import hashlib
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from core.tabular_files import UnreadableTable, detect_encoding, read_table, sniff_format
from schemas.job_spec import DataSpec, SyntheticData
from workers.settings import WorkerSettings
from workers.training.errors import JobFailure

BUILTINS = ("breast_cancer", "digits", "wine", "iris")


# dataset id -> the uploaded file, when the job's owner may read it (None otherwise).
DatasetLookup = Callable[[str], Path | None]


@dataclass(frozen=True)
class LoadedData:
    table: pa.Table
    sha256: str
    source: str
    format: str
    encoding: str | None = None  # CSV only: utf8, or the fallback that decoded the file


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _hash_arrays(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def resolve_under_root(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`; refuses '..', absolute paths and symlinks out."""
    root = root.resolve()
    rel = relative.removeprefix("file://")
    # An absolute path (file:///abs/path) is allowed only when it lies under the root.
    candidate = Path(rel) if rel.startswith("/") else root / rel
    real = Path(os.path.realpath(candidate))
    if real != root and root not in real.parents:
        raise JobFailure(
            "path_outside_data_root",
            f"data.location {relative[:120]!r} resolves outside the data root.",
            "Give a path relative to DATA_ROOT, or upload the file with POST /v1/datasets.",
        )
    if not real.is_file():
        raise JobFailure(
            "file_not_found",
            f"No file {rel[:120]!r} under the data root.",
            "Check the path (relative to DATA_ROOT), or upload the file with POST /v1/datasets.",
        )
    return real


def _read_file(
    path: Path, declared: str, source: str, text_columns: tuple[str, ...] = ()
) -> LoadedData:
    fmt = sniff_format(path, declared)
    encoding = detect_encoding(path) if fmt == "csv" else None
    # Hash while pyarrow parses: both release the GIL, so a large file costs one pass of time.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(_hash_file, path)
        try:
            table = read_table(path, fmt, name=source, encoding=encoding, text_columns=text_columns)
        except UnreadableTable as exc:
            raise JobFailure(
                "unreadable_file",
                str(exc),
                "Check data.format (csv, parquet, jsonl) and the file's contents.",
            ) from exc
        sha256 = digest.result()
    return LoadedData(table=table, sha256=sha256, source=source, format=fmt, encoding=encoding)


def _refuse_taken_target(target: str, features: list[str], source: str) -> None:
    """Generated data gets its label column under data.target: it must not hide a feature."""
    if target in features:
        raise JobFailure(
            "target_name_taken",
            f"data.target {target!r} names a feature column of {source}; its labels would "
            "overwrite that feature.",
            'Leave data.target out (the labels are then "target") or pick an unused name.',
            column=target,
        )


def _builtin(name: str, target: str) -> LoadedData:
    from sklearn import datasets

    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
    }
    if name not in loaders:
        raise JobFailure(
            "unknown_builtin",
            f"No builtin dataset {name[:60]!r}.",
            f"Use one of: {', '.join('builtin:' + b for b in BUILTINS)}.",
        )
    bunch = loaders[name]()
    names = [str(n).replace(" ", "_") for n in getattr(bunch, "feature_names", [])] or [
        f"x{i}" for i in range(bunch.data.shape[1])
    ]
    cols = {n: bunch.data[:, i] for i, n in enumerate(names)}
    # scikit-learn's own spelling ("mean radius") names the feature just as well
    _refuse_taken_target(target.replace(" ", "_"), names, f"builtin:{name}")
    cols[target] = np.asarray(bunch.target_names)[bunch.target]
    return LoadedData(
        pa.table(cols), _hash_arrays(bunch.data, bunch.target), f"builtin:{name}", "builtin"
    )


def _synthetic(params: SyntheticData, target: str) -> LoadedData:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=params.n_samples,
        n_features=params.n_features,
        n_informative=params.n_informative,
        n_redundant=params.n_redundant,
        n_repeated=0,
        n_classes=params.n_classes,
        n_clusters_per_class=params.n_clusters_per_class,
        weights=params.weights,
        class_sep=params.class_sep,
        flip_y=params.flip_y,
        random_state=params.random_state,
    )
    cols = {f"x{i}": X[:, i] for i in range(X.shape[1])}
    _refuse_taken_target(target, list(cols), "data.synthetic")
    cols[target] = y
    return LoadedData(pa.table(cols), _hash_arrays(X, y), "synthetic", "synthetic")


class _AllowlistedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an allowlisted http(s) host: otherwise one allowed host
    could hand the worker any address it can reach."""

    def __init__(self, settings: WorkerSettings, url: str) -> None:
        super().__init__()
        self._settings = settings
        self._url = url

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not self._settings.url_allowed(newurl):
            raise JobFailure(
                "host_not_allowed",
                f"{self._url[:120]} redirects to {newurl[:120]}, whose host is not in "
                "DATA_HTTP_ALLOWED_HOSTS.",
                "Use the final URL on an allowed host, or upload the file with POST /v1/datasets.",
                host=(urllib.parse.urlsplit(newurl).hostname or "")[:100],
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str, settings: WorkerSettings, declared: str, target: str) -> LoadedData:
    if not settings.url_allowed(url):
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        raise JobFailure(
            "host_not_allowed",
            f"Host {host[:100]!r} is not in DATA_HTTP_ALLOWED_HOSTS.",
            "Ask the operator to allow the host, or upload the file with POST /v1/datasets.",
            host=host[:100],
        )
    suffix = Path(urllib.parse.urlsplit(url).path).suffix or ".dat"
    tmp = Path(tempfile.mkstemp(suffix=suffix, dir=settings.uploads_dir)[1])
    timeout = settings.data_http_timeout_seconds
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_AllowlistedRedirects(settings, url))
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "accuracy-doctor"})
        with opener.open(request, timeout=timeout) as resp:
            size = 0
            with tmp.open("wb") as out:
                # read1 returns what one socket read brings, so a trickle meets the deadline
                while chunk := resp.read1(1 << 20):
                    size += len(chunk)
                    if size > settings.data_http_max_bytes:
                        raise JobFailure(
                            "download_too_large",
                            f"{url[:120]} is larger than {settings.data_http_max_bytes} bytes.",
                            "Upload a smaller file, or ask the operator to raise DATA_HTTP_MAX_BYTES.",
                        )
                    if time.monotonic() > deadline:
                        raise JobFailure(
                            "download_timeout",
                            f"Downloading {url[:120]} took longer than {timeout:g} seconds "
                            f"({size} bytes so far).",
                            "Upload the file with POST /v1/datasets, or ask the operator to raise "
                            "DATA_HTTP_TIMEOUT_SECONDS.",
                        )
                    out.write(chunk)
            declared_size = resp.headers.get("Content-Length", "")
            if declared_size.isdigit() and size < int(declared_size):
                raise JobFailure(
                    "download_failed",
                    f"The connection closed after {size} of {declared_size} bytes of "
                    f"{url[:120]}; a cut file would train on part of the data.",
                    "Try again; if it keeps happening, upload the file with POST /v1/datasets.",
                )
        return _read_file(tmp, declared, url, (target,))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise JobFailure(
            "download_failed",
            f"Could not download {url[:120]}: {str(exc)[:200]}",
            "Check that the URL is reachable from the workers.",
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def load_data(spec: DataSpec, settings: WorkerSettings, find_dataset: DatasetLookup) -> LoadedData:
    target = spec.target or "target"
    if spec.synthetic is not None:
        return _synthetic(spec.synthetic, target)
    loc = spec.location or ""
    if loc.startswith("builtin:"):
        return _builtin(loc.removeprefix("builtin:"), target)
    if loc.startswith("dataset:"):
        dataset_id = loc.removeprefix("dataset:")
        path = find_dataset(dataset_id)
        if path is None or not path.is_file():
            raise JobFailure(
                "dataset_not_found",
                f"No uploaded dataset {dataset_id[:64]!r} is visible to this job's caller.",
                "Upload the file with POST /v1/datasets and use the location it returns.",
            )
        return _read_file(path, spec.format, loc, (target,))
    if loc.startswith(("http://", "https://")):
        return _download(loc, settings, spec.format, target)
    if "://" in loc and not loc.startswith("file://"):
        raise JobFailure(
            "unsupported_location",
            f"data.location scheme {loc.split('://')[0][:20]!r} is not supported.",
            "Use a path under DATA_ROOT, file://, dataset:{id}, builtin:{name} or http(s)://.",
        )
    return _read_file(resolve_under_root(settings.data_root, loc), spec.format, loc, (target,))
