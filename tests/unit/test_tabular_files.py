"""Reading and scanning tabular files: what an upload's answer and a job's data rest on."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from core.tabular_files import UnreadableTable, detect_encoding, read_table, scan_columns


def test_a_column_that_turns_to_text_past_the_first_block_is_scanned_as_text(
    tmp_path: Path,
) -> None:
    """The streaming reader fixes types from its first 16 MiB block; a word further down must
    not make a valid file unreadable."""
    path = tmp_path / "late_text.csv"
    with path.open("w") as fh:
        fh.write("a,b,y\n")
        fh.writelines(f"{i},{i % 7},n\n" for i in range(2_000_000))  # about 21 MiB
        fh.write("5,abc,y\n")
    assert path.stat().st_size > 16 << 20
    rows, columns = scan_columns(path, "csv")
    assert rows == 2_000_001
    assert {c["name"]: c["dtype"] for c in columns} == {"a": "int64", "b": "string", "y": "string"}


def test_json_lines_are_scanned_with_their_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1, "y": "p"}\n{"a": null, "y": "n"}\n{"a": 3, "y": "p"}\n')
    rows, columns = scan_columns(path, "jsonl")
    assert rows == 3 and columns[0] == {"name": "a", "dtype": "int64", "missing": 1}


def test_utf16_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("a,y\n1,é\n2,x\n".encode("utf-16"))
    assert path.read_bytes().startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    assert detect_encoding(path) == "utf-16"
    assert read_table(path, "csv", encoding="utf-16").to_pydict() == {"a": [1, 2], "y": ["é", "x"]}


def test_target_read_as_text_keeps_labels_as_written(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("a,y\n1,01\n2,1\n3,2\n")
    assert read_table(path, "csv").column("y").to_pylist() == [1, 1, 2]
    assert read_table(path, "csv", text_columns=["y"]).column("y").to_pylist() == ["01", "1", "2"]


def test_errors_name_the_callers_file_not_the_servers_path(tmp_path: Path) -> None:
    path = tmp_path / "secret-dir" / "upload.parquet"
    path.parent.mkdir()
    path.write_text("not parquet")
    with pytest.raises(UnreadableTable) as err:
        read_table(path, "parquet", name="mydata.parquet")
    assert "mydata.parquet" in str(err.value) and str(tmp_path) not in str(err.value)


def test_a_stray_word_in_the_last_row_of_a_numeric_column_is_noted() -> None:
    import numpy as np

    from workers.training.columns import FeatureColumns
    from workers.training.prepared_data import mostly_numeric_text_columns

    values = [str(i % 500) for i in range(99_999)] + ["12 kg"]
    cols = FeatureColumns(
        [], np.empty((100_000, 0)), ["b"], np.array(values, dtype=object)[:, None]
    )
    (note,) = mostly_numeric_text_columns(cols)
    assert "'b'" in note and "'12 kg'" in note and "99.9% of its values" in note
