"""Recording I/O: round trips, options, chunking and every kind of bad input."""

from __future__ import annotations

import math
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from processing.quality import find_gaps, find_saturation
from processing.types import GRAVITY_MPS2, ImuSamples
from spinewatch import recording_csv
from spinewatch.errors import ConfigError, InputDataError, RecordingError
from spinewatch.recordings import (
    CsvRecordingWriter,
    RecordingOptions,
    RecordingWarning,
    open_recording,
    read_recording,
    read_recording_with_magnetometer,
    write_recording,
)

FORMATS = ("csv", "npz", "parquet")
HEADER = "t,ax,ay,az,gx,gy,gz\n"


def random_samples(n: int, seed: int = 0, rate_hz: float = 100.0) -> ImuSamples:
    """n samples with jittered times and arbitrary values (not physical)."""
    rng = np.random.default_rng(seed)
    t = 1000.0 + np.arange(n) / rate_hz + rng.uniform(0, 0.2 / rate_hz, n)
    return ImuSamples(t, rng.normal(0, 5, (n, 3)), rng.normal(0, 2, (n, 3)))


def csv_text(rows: list[str], header: str = HEADER) -> str:
    return header + "".join(r + "\n" for r in rows)


def regular_rows(n: int, rate_hz: float = 100.0, start: int = 0) -> list[str]:
    return [f"{(start + i) / rate_hz},0.1,0.2,9.8,0.01,0.02,0.03" for i in range(n)]


def write_text(tmp_path: Path, text: str, name: str = "rec.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def read_error(path: Path, options: RecordingOptions | None = None) -> str:
    """The one-line message of the RecordingError that reading ``path`` raises."""
    with pytest.raises(RecordingError) as info:
        read_recording(path, options)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


@pytest.fixture(params=[True, False], ids=["pyarrow", "numpy"])
def csv_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Runs a test with the pyarrow block parser and with the numpy fallback."""
    if not request.param:
        monkeypatch.setattr(recording_csv, "_pacsv", None)
    return bool(request.param)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("with_mag", [False, True])
def test_round_trip(tmp_path: Path, fmt: str, with_mag: bool) -> None:
    samples = random_samples(1234)
    mag = np.random.default_rng(5).normal(0, 40, (1234, 3)) if with_mag else None
    path = tmp_path / f"rec.{fmt}"
    write_recording(path, samples, mag)
    back, back_mag = read_recording_with_magnetometer(path)
    np.testing.assert_array_equal(back.t_s, samples.t_s)  # time round-trips exactly
    np.testing.assert_allclose(back.acc_mps2, samples.acc_mps2, rtol=1e-9, atol=0)
    np.testing.assert_allclose(back.gyr_rads, samples.gyr_rads, rtol=1e-9, atol=0)
    if mag is None:
        assert back_mag is None
    else:
        assert back_mag is not None
        np.testing.assert_allclose(back_mag, mag, rtol=1e-9, atol=0)
    with open_recording(path) as reader:
        assert reader.has_magnetometer == with_mag
        assert reader.sample_rate_hz == pytest.approx(100.0, rel=0.01)
        assert reader.columns[:7] == ("t", "ax", "ay", "az", "gx", "gy", "gz")


def test_csv_header_and_precision(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    samples = ImuSamples(np.array([0.1, 1e9 + 0.123456]), np.full((2, 3), 1 / 3), np.zeros((2, 3)))
    write_recording(path, samples)
    lines = path.read_text().splitlines()
    assert lines[0] == "t,ax,ay,az,gx,gy,gz"
    assert lines[1].startswith("0.1,0.333333333333,")
    np.testing.assert_array_equal(read_recording(path).t_s, samples.t_s)


@pytest.mark.parametrize("fmt", FORMATS)
def test_chunking_does_not_change_data(tmp_path: Path, fmt: str) -> None:
    samples = random_samples(5000, seed=2)
    path = tmp_path / f"rec.{fmt}"
    write_recording(path, samples)
    whole = read_recording(path, RecordingOptions(chunk_rows=100_000))
    with open_recording(path, RecordingOptions(chunk_rows=7)) as reader:
        chunks = list(reader)
    assert all(len(c) == 7 for c in chunks[:-1])
    assert 1 <= len(chunks[-1]) <= 7
    small = ImuSamples.concat(chunks)
    for name in ("t_s", "acc_mps2", "gyr_rads"):
        np.testing.assert_array_equal(getattr(small, name), getattr(whole, name))
        np.testing.assert_allclose(getattr(small, name), getattr(samples, name), rtol=1e-9)


def test_csv_parsers_agree_across_blocks(tmp_path: Path, csv_parser: bool) -> None:
    samples = random_samples(30_000, seed=3)
    path = tmp_path / "rec.csv"
    write_recording(path, samples)
    # chunk_rows=7 makes 64 kB blocks, so lines straddle many block borders.
    back = read_recording(path, RecordingOptions(chunk_rows=7))
    np.testing.assert_array_equal(back.t_s, samples.t_s)
    np.testing.assert_allclose(back.acc_mps2, samples.acc_mps2, rtol=1e-9)


def test_csv_layout_is_flexible(tmp_path: Path, csv_parser: bool) -> None:
    text = (
        "\ufeff# exported by some logger\n"
        "\n"
        " GZ ; label ; t ; ax ; AY ; az ; gx ; gy ; temp\r\n"
        " 3 ; still ; 0.00 ; 1 ; 2 ; 9.8 ; 1 ; 2 ; 25.1\r\n"
        " 3 ; still ; 0.01 ; 1 ; 2 ; 9.8 ; 1 ; 2 ; 25.1\r\n"
        "\r\n"
        "# a comment in the middle\r\n"
        " 3 ; moving ; 0.02 ; 1 ; 2 ; 9.8 ; 1 ; 2 ; 25.2"  # no final newline
    )
    back = read_recording(write_text(tmp_path, text))
    np.testing.assert_allclose(back.t_s, [0.0, 0.01, 0.02])
    np.testing.assert_allclose(back.acc_mps2, [[1, 2, 9.8]] * 3)
    np.testing.assert_allclose(back.gyr_rads, [[1, 2, 3]] * 3)


def test_whitespace_separated(tmp_path: Path, csv_parser: bool) -> None:
    text = "t ax ay az gx gy gz\n0  1 2 3\t4 5 6\n0.5 1 2 3 4 5 6\n"
    back = read_recording(write_text(tmp_path, text))
    np.testing.assert_allclose(back.t_s, [0.0, 0.5])
    np.testing.assert_allclose(back.gyr_rads, [[4, 5, 6]] * 2)


def test_npz_grouped_and_compressed(tmp_path: Path) -> None:
    samples = random_samples(3000, seed=4)
    path = tmp_path / "rec.npz"
    np.savez_compressed(path, t=samples.t_s, acc=samples.acc_mps2, gyr=samples.gyr_rads)
    back = read_recording(path, RecordingOptions(chunk_rows=500))
    np.testing.assert_array_equal(back.acc_mps2, samples.acc_mps2)
    np.testing.assert_array_equal(back.gyr_rads, samples.gyr_rads)
    fortran = tmp_path / "fortran.npz"
    np.savez(
        fortran,
        t=samples.t_s,
        acc=np.asfortranarray(samples.acc_mps2),
        gyr=samples.gyr_rads.astype(np.float32),
    )
    back = read_recording(fortran)
    np.testing.assert_array_equal(back.acc_mps2, samples.acc_mps2)
    np.testing.assert_allclose(back.gyr_rads, samples.gyr_rads, rtol=1e-6)


# -------------------------------------------------------------------- options


def test_units(tmp_path: Path) -> None:
    text = csv_text(["0,0,0,1,0,0,180", "0.01,0,0,1,0,0,90"])
    path = write_text(tmp_path, text)
    back = read_recording(path, RecordingOptions(acc_unit="g", gyr_unit="deg/s"))
    np.testing.assert_allclose(back.acc_mps2[:, 2], GRAVITY_MPS2)
    np.testing.assert_allclose(back.gyr_rads[:, 2], [math.pi, math.pi / 2])
    default = read_recording(path)
    np.testing.assert_allclose(default.gyr_rads[:, 2], [180, 90])


def test_missing_time_uses_rate(tmp_path: Path) -> None:
    text = csv_text(["1,2,3,4,5,6"] * 5, header="ax,ay,az,gx,gy,gz\n")
    path = write_text(tmp_path, text)
    with open_recording(path, RecordingOptions(rate_hz=50.0)) as reader:
        assert reader.sample_rate_hz == 50.0
        back = ImuSamples.concat(list(reader))
    np.testing.assert_allclose(back.t_s, np.arange(5) / 50.0)


def test_missing_time_without_rate(tmp_path: Path) -> None:
    path = write_text(tmp_path, csv_text(["1,2,3,4,5,6"], header="ax,ay,az,gx,gy,gz\n"))
    message = read_error(path)
    assert "no time column 't'" in message
    assert "--rate HZ" in message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"acc_unit": "mg"},
        {"gyr_unit": "rpm"},
        {"rate_hz": 0.0},
        {"rate_hz": math.nan},
        {"chunk_rows": 0},
    ],
)
def test_bad_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RecordingOptions(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ bad input


def test_wrong_columns(tmp_path: Path) -> None:
    path = write_text(tmp_path, csv_text(["0,1,2,3,4,5,6"], header="t,ax,ay,az,wx,wy,wz\n"))
    message = read_error(path)
    assert "missing columns gx, gy, gz" in message
    assert "found: t, ax, ay, az, wx, wy, wz;" in message
    assert "needed: t, ax, ay, az, gx, gy, gz" in message


def test_headerless_file(tmp_path: Path) -> None:
    path = write_text(tmp_path, "0,1,2,3,4,5,6\n0.01,1,2,3,4,5,6\n")
    assert "looks like data, not a header" in read_error(path)


def test_non_numeric_cell(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(5)
    rows[2] = "0.02,0.1,oops,9.8,0.01,0.02,0.03"
    message = read_error(write_text(tmp_path, csv_text(rows)))
    assert f"{tmp_path / 'rec.csv'}, line 4:" in message
    assert "non-numeric value 'oops' in column 'ay'" in message


def test_bad_line_deep_in_file_after_rows_were_yielded(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(20_000)
    rows[15_000] = "150.0,0.1,0.2,9.8,0.01,x0.02,0.03"
    path = write_text(tmp_path, csv_text(rows))
    yielded = 0
    expected = r"rec\.csv, line 15002: non-numeric value 'x0\.02'"
    with (
        pytest.raises(RecordingError, match=expected),
        open_recording(path, RecordingOptions(chunk_rows=1000)) as reader,
    ):
        for chunk in reader:
            yielded += len(chunk)
    assert 10_000 <= yielded <= 15_000


def test_nan_rows_are_dropped_and_reported(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(20)
    rows[5] = "0.05,nan,0.2,9.8,0.01,0.02,0.03"
    rows[6] = "0.06,0.1,0.2,9.8,inf,0.02,0.03"
    rows[12] = "0.12,0.1,,9.8,0.01,0.02,0.03"
    path = write_text(tmp_path, csv_text(rows))
    with pytest.warns(RecordingWarning) as record, open_recording(path) as reader:
        back = ImuSamples.concat(list(reader))
        stats = reader.stats
    assert len(record) == 1
    text = str(record[0].message)
    assert str(path) in text and "dropped 3 rows" in text and "first on line 7" in text
    assert len(back) == 17
    assert 0.05 not in back.t_s and 0.12 not in back.t_s
    assert stats.rows_read == 20 and stats.rows_dropped == 3 and stats.rows_kept == 17
    assert stats.dropped_positions == [7, 8, 14]
    assert stats.drop_reasons == {"missing or NaN": 2, "infinite": 1}
    # The holes are reported as gaps, not filled.
    assert stats.gap_count == 2
    first = stats.gaps[0]
    assert first.start_s == pytest.approx(0.04) and first.end_s == pytest.approx(0.07)
    assert stats.gaps[0].missing_samples == 2
    assert stats.missing_samples == 3
    summary = reader.stats_dict()
    assert summary["dropped_lines"] == [7, 8, 14]
    assert summary["sample_rate_hz"] == pytest.approx(100.0)
    assert summary["gaps"] == [[0.04, 0.07, 2], [0.11, 0.13, 1]]


def test_nan_rows_with_rate_leave_gaps(tmp_path: Path) -> None:
    rows = ["1,2,3,4,5,6"] * 6
    rows[3] = "1,2,nan,4,5,6"
    path = write_text(tmp_path, csv_text(rows, header="ax,ay,az,gx,gy,gz\n"))
    with pytest.warns(RecordingWarning):
        back = read_recording(path, RecordingOptions(rate_hz=10.0))
    np.testing.assert_allclose(back.t_s, [0.0, 0.1, 0.2, 0.4, 0.5])
    assert find_gaps(back.t_s, 10.0).after_gap.tolist() == [False, False, False, True, False]


def test_all_rows_nan(tmp_path: Path) -> None:
    path = write_text(tmp_path, csv_text(["0,nan,0,0,0,0,0", "1,nan,0,0,0,0,0"]))
    with pytest.warns(RecordingWarning):
        assert "all 2 rows have missing, NaN or infinite values" in read_error(path)


def test_time_going_backwards(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(6)
    rows[4] = "0.025,0.1,0.2,9.8,0.01,0.02,0.03"
    message = read_error(write_text(tmp_path, csv_text(rows)))
    assert ", line 6: time goes backwards: 0.025 s after 0.03 s on line 5" in message


def test_duplicate_time(tmp_path: Path) -> None:
    rows = regular_rows(6)
    rows[4] = rows[3]
    message = read_error(write_text(tmp_path, csv_text(rows)))
    assert ", line 6: duplicate time 0.03 s (also on line 5)" in message


def test_time_backwards_across_chunks(tmp_path: Path) -> None:
    rows = regular_rows(20_000)
    rows[12_345] = "1.0,0.1,0.2,9.8,0.01,0.02,0.03"
    path = write_text(tmp_path, csv_text(rows))
    expected = r"line 12347: time goes backwards: 1 s after 123\.44 s"
    with pytest.raises(RecordingError, match=expected):
        read_recording(path, RecordingOptions(chunk_rows=7))


def test_duplicate_time_npz(tmp_path: Path) -> None:
    samples = random_samples(100)
    t = samples.t_s.copy()
    t[50] = t[49]
    path = tmp_path / "rec.npz"
    np.savez(
        path,
        t=t,
        ax=samples.acc_mps2[:, 0],
        ay=samples.acc_mps2[:, 1],
        az=samples.acc_mps2[:, 2],
        gx=samples.gyr_rads[:, 0],
        gy=samples.gyr_rads[:, 1],
        gz=samples.gyr_rads[:, 2],
    )
    assert "index 50: duplicate time" in read_error(path)


def test_empty_file(tmp_path: Path) -> None:
    assert read_error(write_text(tmp_path, "")).endswith(
        "empty file (a CSV recording starts with a header such as t,ax,ay,az,gx,gy,gz)"
    )


def test_header_only(tmp_path: Path) -> None:
    assert "no data rows, only a header" in read_error(write_text(tmp_path, HEADER))
    assert "no data rows" in read_error(write_text(tmp_path, HEADER + "\n\n", "blank.csv"))


@pytest.mark.parametrize("newline", ["", "\n", "\n\n"])
def test_truncated_last_line(tmp_path: Path, newline: str, csv_parser: bool) -> None:
    text = csv_text(regular_rows(4)) + "0.04,0.1,0.2" + newline
    message = read_error(write_text(tmp_path, text))
    assert ", line 6: truncated last line: 3 of 7 fields" in message
    assert "delete the incomplete last line" in message


def test_short_line_in_the_middle(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(6)
    rows[2] = "0.02,0.1,0.2"
    rows[3] = "0.03,0.1,0.2,9.8,0.01,0.02,0.03,99"
    message = read_error(write_text(tmp_path, csv_text(rows)))
    assert ", line 4: 3 fields, but the header (line 1) has 7" in message


def test_too_many_fields(tmp_path: Path, csv_parser: bool) -> None:
    rows = regular_rows(6)
    rows[3] = "0.03,0.1,0.2,9.8,0.01,0.02,0.03,99"
    assert ", line 5: 8 fields, but the header (line 1) has 7" in read_error(
        write_text(tmp_path, csv_text(rows))
    )


def test_binary_file_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    path.write_bytes(b"\x93NUMPY\xff\xfe\x00garbage\n")
    assert "not a UTF-8 text file" in read_error(path)


def test_corrupt_npz(tmp_path: Path) -> None:
    path = tmp_path / "rec.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(RecordingError, match=r"not a valid \.npz file") as info:
        read_recording(path)
    assert isinstance(info.value.__cause__, zipfile.BadZipFile)
    assert str(path) in str(info.value)


def test_truncated_npz(tmp_path: Path) -> None:
    path = tmp_path / "rec.npz"
    write_recording(path, random_samples(50_000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "npz" in read_error(path)


def test_corrupt_npz_member_data(tmp_path: Path) -> None:
    path = tmp_path / "rec.npz"
    samples = random_samples(20_000)
    np.savez_compressed(path, t=samples.t_s, acc=samples.acc_mps2, gyr=samples.gyr_rads)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    message = read_error(path)
    assert "corrupt" in message or "truncated" in message or "not a valid" in message


def test_npz_lengths_differ(tmp_path: Path) -> None:
    path = tmp_path / "rec.npz"
    np.savez(path, t=np.arange(5.0), acc=np.zeros((5, 3)), gyr=np.zeros((4, 3)))
    assert "arrays have different lengths" in read_error(path)


def test_npz_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "rec.npz"
    np.savez(path, time=np.arange(5.0), acc=np.zeros((5, 3)), gyr=np.zeros((5, 3)))
    assert "no time column 't'" in read_error(path)


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "rec.parquet"
    path.write_bytes(b"PAR1 definitely not parquet")
    message = read_error(path)
    assert "not a valid Parquet file" in message


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "rec.parquet"
    write_recording(path, random_samples(10_000))
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    assert "Parquet" in read_error(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    assert "unknown recording format '.json'" in read_error(tmp_path / "rec.json")
    assert "cannot open" in read_error(tmp_path / "absent.csv")
    assert "file not found" in read_error(tmp_path / "absent.npz")
    assert "file not found" in read_error(tmp_path / "absent.parquet")


# ---------------------------------------------------------------- quality link


def test_saturated_samples_are_flagged_after_reading(tmp_path: Path) -> None:
    samples = random_samples(400, seed=6)
    acc = samples.acc_mps2.copy()
    acc[100:110, 0] = 4 * GRAVITY_MPS2  # a ±4 g sensor clipping for 10 samples
    acc[300:302, 1] = -4 * GRAVITY_MPS2  # two samples: too short to be sure
    path = tmp_path / "rec.csv"
    write_recording(path, ImuSamples(samples.t_s, acc, samples.gyr_rads))
    back = read_recording(path, RecordingOptions(chunk_rows=64))
    result = find_saturation(back.acc_mps2, back.gyr_rads)
    assert np.flatnonzero(result.acc_saturated).tolist() == list(range(100, 110))
    assert result.gyr_count == 0


def test_gaps_in_stats(tmp_path: Path) -> None:
    t = np.concatenate([np.arange(100) / 100, 2.0 + np.arange(100) / 100])
    samples = ImuSamples(t, np.zeros((200, 3)), np.zeros((200, 3)))
    path = tmp_path / "rec.npz"
    write_recording(path, samples)
    with open_recording(path, RecordingOptions(chunk_rows=30)) as reader:
        list(reader)
    assert reader.stats.gap_count == 1
    gap = reader.stats.gaps[0]
    assert (gap.start_s, gap.end_s, gap.missing_samples) == (0.99, 2.0, 100)


# -------------------------------------------------------------------- writers


def test_append_writer(tmp_path: Path) -> None:
    samples = random_samples(300, seed=7)
    mag = np.random.default_rng(1).normal(0, 40, (300, 3))
    path = tmp_path / "live.csv"
    with CsvRecordingWriter(path, with_magnetometer=True) as writer:
        writer.write(samples.slice(0, 100), mag[:100])
        writer.flush()
        writer.write(samples.slice(100, 150), mag[100:150])
        assert writer.rows_written == 150
    # A crash left half a line behind: appending removes it first.
    with path.open("a") as fp:
        fp.write("1234.5,0.1")
    with pytest.warns(RecordingWarning, match="removed an incomplete last line"):
        writer = CsvRecordingWriter(path, with_magnetometer=True, append=True).open()
    with pytest.raises(InputDataError, match="strictly increase"):
        writer.write(samples.slice(149, 160), mag[149:160])
    writer.write(samples.slice(150, 300), mag[150:300])
    writer.flush(sync=True)
    writer.close()
    back, back_mag = read_recording_with_magnetometer(path)
    np.testing.assert_array_equal(back.t_s, samples.t_s)
    assert back_mag is not None
    np.testing.assert_allclose(back_mag, mag, rtol=1e-9)


def test_append_header_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "live.csv"
    write_recording(path, random_samples(5))
    with pytest.raises(RecordingError, match="line 1: cannot append: header is"):
        CsvRecordingWriter(path, with_magnetometer=True, append=True).open()


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    samples = random_samples(5)
    with pytest.raises(InputDataError, match="mag_ut must have shape"):
        write_recording(tmp_path / "a.csv", samples, np.zeros((4, 3)))
    backwards = ImuSamples(samples.t_s[::-1].copy(), samples.acc_mps2, samples.gyr_rads)
    with pytest.raises(InputDataError, match="strictly increase"):
        write_recording(tmp_path / "b.npz", backwards)
    with pytest.raises(RecordingError, match="unknown recording format"):
        write_recording(tmp_path / "c.xlsx", samples)
    with pytest.raises(RecordingError, match="cannot write"):
        write_recording(tmp_path / "missing" / "d.csv", samples)


def test_no_warning_for_clean_files(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    write_recording(path, random_samples(50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_recording(path)
