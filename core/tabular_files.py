"""Reading tabular files (CSV, Parquet, JSON Lines) with pyarrow, shared by uploads and workers."""

import codecs
import re
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

TableFormat = Literal["csv", "parquet", "jsonl"]

FORMAT_BY_SUFFIX: dict[str, TableFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
NULL_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]


class UnreadableTable(ValueError):
    """The file is not a table this service can read; the message says why."""


def sniff_format(path: Path, declared: str = "auto") -> TableFormat:
    if declared in ("csv", "parquet", "jsonl"):
        return declared  # type: ignore[return-value]
    for suffix in reversed(path.suffixes):
        if suffix.lower() in FORMAT_BY_SUFFIX:
            return FORMAT_BY_SUFFIX[suffix.lower()]
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip().startswith((b"{", b"[")):
        return "jsonl"
    return "csv"


ENCODING_SAMPLE_BYTES = 1 << 20


def detect_encoding(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark; UTF-8 when the file's first MiB
    decodes as UTF-8; else Windows-1252 (what spreadsheets
    export), else Latin-1, which decodes any byte. Beyond the sample, a column that does not
    decode reads as bytes and the worker names it."""
    with path.open("rb") as fh:
        sample = fh.read(ENCODING_SAMPLE_BYTES)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # what Excel's "Unicode text" export writes
    try:
        # final=False: a character cut by the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def printable(text: str, limit: int = 200) -> str:
    """A message about a file's contents, safe to show: binary junk becomes '?'."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return clean + ("…" if len(text) > limit else "")


def _csv_options(
    path: Path, encoding: str | None = None, text_columns: Collection[str] = ()
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    with path.open("rb") as fh:
        first = fh.readline()
    delimiter = "\t" if first.count(b"\t") > first.count(b",") else ","
    return (
        pacsv.ReadOptions(block_size=16 << 20, encoding=encoding or detect_encoding(path)),
        pacsv.ParseOptions(delimiter=delimiter),
        pacsv.ConvertOptions(
            null_values=NULL_VALUES,
            strings_can_be_null=True,
            column_types={c: pa.string() for c in text_columns},
        ),
    )


def _reason(exc: Exception, path: Path, name: str) -> str:
    """pyarrow's message, with our path on disk replaced by the caller's name for the file."""
    return printable(str(exc).replace(str(path), name))


def read_table(
    path: Path,
    fmt: TableFormat,
    *,
    name: str | None = None,
    encoding: str | None = None,
    text_columns: Collection[str] = (),
) -> pa.Table:
    """`name` is what error messages call the file: the caller's name for it, not ours.
    `encoding` (CSV only) is detected when not given. `text_columns` (CSV only) are read as
    written, not converted: labels such as "01" and "1" must stay two classes."""
    name = name or path.name
    try:
        if fmt == "parquet":
            return pq.read_table(path)
        if fmt == "jsonl":
            return pajson.read_json(path)
        read, parse, convert = _csv_options(path, encoding, text_columns)
        return pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        raise UnreadableTable(
            f"could not read {name} as {fmt}: {_reason(exc, path, name)}"
        ) from exc


def iter_batches(
    path: Path, fmt: TableFormat, *, name: str | None = None, text_columns: Collection[str] = ()
) -> Iterator[pa.RecordBatch]:
    """Batches of the file, so that scanning a large upload does not hold it all in memory."""
    try:
        if fmt == "parquet":
            yield from pq.ParquetFile(path).iter_batches(batch_size=65536)
        elif fmt == "jsonl":
            yield from pajson.open_json(path, read_options=pajson.ReadOptions(block_size=4 << 20))
        else:
            read, parse, convert = _csv_options(path, text_columns=text_columns)
            yield from pacsv.open_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        raise UnreadableTable(
            f"could not read {name or path.name} as {fmt}: {_reason(exc, path, name or path.name)}"
        ) from exc


def duplicate_names(names: list[str]) -> list[str]:
    return sorted(n for n, count in Counter(names).items() if count > 1)


# "In CSV column #3: CSV conversion error to int64: invalid value 'abc'"
_CONVERSION_ERROR = re.compile(r"CSV column #(\d+): CSV conversion error")


def scan_columns(
    path: Path, fmt: TableFormat, *, name: str | None = None
) -> tuple[int, list[dict[str, object]]]:
    """Row count and, per column, its type and missing count, read batch by batch.

    A streaming CSV reader fixes column types from its first block; a column that turns to
    text further down is scanned again as text (the workers read the whole file at once and
    see the text from the start)."""
    text_columns: list[str] = []
    while True:
        try:
            return _scan(path, fmt, name or path.name, text_columns)
        except _ColumnTurnsToText as exc:
            if exc.column in text_columns or len(text_columns) >= 1000:
                raise UnreadableTable(str(exc.__cause__)) from exc
            text_columns.append(exc.column)


class _ColumnTurnsToText(Exception):
    def __init__(self, column: str) -> None:
        super().__init__(column)
        self.column = column


def _scan(
    path: Path, fmt: TableFormat, name: str, text_columns: list[str]
) -> tuple[int, list[dict[str, object]]]:
    rows = 0
    missing: dict[str, int] = {}
    dtypes: dict[str, str] = {}
    names: list[str] = []
    batches = iter_batches(path, fmt, name=name, text_columns=text_columns)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except UnreadableTable as exc:
            found = _CONVERSION_ERROR.search(str(exc))
            if fmt == "csv" and found and names and int(found.group(1)) < len(names):
                raise _ColumnTurnsToText(names[int(found.group(1))]) from exc
            raise
        names = batch.schema.names
        if not dtypes:
            dup = duplicate_names(batch.schema.names)
            if dup:
                raise UnreadableTable(
                    f"{name} has duplicate column names: {', '.join(dup[:10])}; rename them."
                )
        rows += batch.num_rows
        for col_name, col in zip(batch.schema.names, batch.columns, strict=True):
            dtypes.setdefault(col_name, str(col.type))
            missing[col_name] = missing.get(col_name, 0) + col.null_count
    if not dtypes or rows == 0:
        raise UnreadableTable(f"{name} has no data rows; upload a file with a header and data.")
    return rows, [{"name": n, "dtype": dtypes[n], "missing": missing[n]} for n in dtypes]
