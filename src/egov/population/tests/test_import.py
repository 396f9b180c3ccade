"""``import_people``: every bad row reported with its line, nothing imported unless the file is clean,
``--skip-bad-rows`` counts that add up, interrupted files. Runs on SQLite and, with ``make test-pg``, on
PostgreSQL (direct COPY, and the staging pass that names duplicates)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from egov.population.choices import Ethnicity, Sex
from egov.population.generator import people
from egov.population.importer import COLUMNS
from egov.population.models import Person

from .conftest import make_person

pytestmark = pytest.mark.django_db


def row(**values) -> dict:
    base = {
        "id_number": "025090000001",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-17",
        "sex": "male",
        "ethnicity": "kinh",
        "religion": "",
        "nationality": "VN",
        "place_of_birth": "Phú Thọ",
        "place_of_birth_commune": "",
        "hometown": "Phú Thọ",
        "permanent_residence_commune": "07909",
        "permanent_residence_address": "Số 1 đường Hùng Vương",
        "temporary_residence_commune": "",
        "temporary_residence_address": "",
        "date_of_death": "",
    }
    base.update(values)
    return base


def write_csv(path, rows, *, columns=COLUMNS, tail: str = "") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue() + tail, encoding="utf-8")
    return str(path)


def run(path, *args) -> tuple[dict, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    failure = None
    try:
        call_command("import_people", path, "--json", "--progress-every", "2", *args, stdout=out, stderr=err)
    except CommandError as exc:
        failure = exc
    summary = json.loads(out.getvalue().strip().splitlines()[-1]) if out.getvalue().strip() else {}
    return summary, err.getvalue(), failure


def reported(stderr: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^Dòng (\d+): (.*)$", stderr, re.M)}


# ---- a good file -------------------------------------------------------------------------------


def test_generated_file_imports_completely(province, tmp_path):
    # GIVEN 300 generated people living in the province's communes
    communes = [
        (province.commune.code, province.commune.name),
        (province.other_commune.code, province.other_commune.name),
    ]
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(people(300, seed=7, communes=communes))
    # WHEN imported
    summary, stderr, failure = run(str(path))
    # THEN every row is in the registry and the counts add up
    assert failure is None, stderr
    assert summary["input"] == summary["accepted"] == summary["imported"] == 300
    assert summary["rejected"] == 0
    assert Person.objects.count() == 300
    assert set(Person.objects.values_list("permanent_residence_commune_id", flat=True)) <= {
        province.commune.pk,
        province.other_commune.pk,
    }
    assert "dòng/giây" in stderr  # the progress line


def test_values_are_normalised(province, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        [
            row(
                full_name="Tra\u0302\u0300n  Thi\u0323 Ma\u0300i",
                sex="Nữ",
                id_number="025190000002",
                ethnicity="Mường",
                permanent_residence_address="  Thôn\t3 ",
                date_of_birth="17/05/1990",
            ),
            row(id_number="025090000003", ethnicity="H'Mông", nationality=""),
            row(id_number="025090000004", ethnicity="Khơ-me", date_of_death="2020-01-02"),
        ],
    )
    summary, stderr, failure = run(path)
    assert failure is None, stderr
    mai = Person.objects.get(id_number="025190000002")
    assert mai.full_name == "Trần Thị Mài" and mai.full_name_search == "tran thi mai"
    assert (mai.sex, mai.ethnicity, mai.permanent_residence_address) == (
        Sex.FEMALE,
        Ethnicity.MUONG,
        "Thôn 3",
    )
    assert str(mai.date_of_birth) == "1990-05-17"
    assert mai.permanent_residence_commune == province.commune
    assert Person.objects.get(id_number="025090000003").ethnicity == Ethnicity.HMONG
    dead = Person.objects.get(id_number="025090000004")
    assert (dead.ethnicity, dead.is_deceased, str(dead.date_of_death)) == (
        Ethnicity.KHMER,
        True,
        "2020-01-02",
    )


def test_optional_columns_may_be_left_out(province, tmp_path):
    path = write_csv(
        tmp_path / "p.csv", [row()], columns=("full_name", "id_number", "date_of_birth", "sex", "ethnicity")
    )
    summary, stderr, failure = run(path)
    assert failure is None, stderr
    assert Person.objects.get().nationality == "VN"


# ---- bad rows: all reported, nothing imported --------------------------------------------------

BAD_ROWS = [
    (row(id_number="02509000001"), "12 chữ số"),
    (row(id_number="02509000001X"), "chữ số 0-9"),
    (row(id_number="003090000001"), "mã tỉnh"),
    (row(id_number="025290000001"), "Chữ số thứ 4"),
    (row(id_number="025190000001"), "giới tính"),
    (row(id_number="025091000001"), "5-6"),
    (row(date_of_birth="1990-02-30"), "Ngày sinh"),
    (row(date_of_birth="2990-01-01", id_number="025990000001"), "sau ngày hôm nay"),
    (row(date_of_birth=""), "Thiếu ngày sinh"),
    (row(full_name=""), "Thiếu họ và tên"),
    (row(full_name="Nguyễn Văn 3"), "chữ số"),
    (row(sex="x"), "Giới tính"),
    (row(ethnicity="Martian"), "Dân tộc"),
    (row(ethnicity=""), "Thiếu dân tộc"),
    (row(nationality="Viet Nam"), "Quốc tịch"),
    (row(permanent_residence_commune="99999"), "99999"),
    (row(date_of_death="1980-01-01"), "Ngày chết"),
    (row(permanent_residence_address="Số 1\x07"), "ký tự điều khiển"),
    (row(hometown="x" * 300), "dài quá"),
]


def bad_file(tmp_path, province):
    make_person(id_number="025090000900", commune=province.commune)  # already in the registry
    rows = [row(id_number="025090000100")]  # line 2, good
    expected = {}
    for offset, (bad, reason) in enumerate(BAD_ROWS):
        rows.append(bad)
        expected[3 + offset] = reason
    line = 3 + len(BAD_ROWS)
    rows.append(row(id_number="025090000100"))  # duplicate of line 2
    expected[line] = "trùng với dòng 2"
    rows.append(row(id_number="025090000900"))  # already in the registry
    expected[line + 1] = "đã có trong cơ sở dữ liệu"
    rows.append(row(id_number="025090000101"))  # good
    path = write_csv(tmp_path / "bad.csv", rows)
    # A row with too few columns, as a cut line would have, then a good last line.
    text = (tmp_path / "bad.csv").read_text(encoding="utf-8")
    (tmp_path / "bad.csv").write_text(
        text
        + "025090000102,Lê Văn Cường,1990-01-01\n"
        + "025090000103,Lê Văn Dũng,1990-01-01,male,kinh,,VN,,,,,,,,\n",
        encoding="utf-8",
    )
    expected[line + 3] = "Sai số cột"
    return path, expected, len(rows) + 2


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(province, tmp_path):
    path, expected, total = bad_file(tmp_path, province)
    summary, stderr, failure = run(path)
    # THEN the command fails, naming each bad line with its reason, and the registry is unchanged
    assert failure is not None and "không nhập dòng nào" in str(failure)
    errors = reported(stderr)
    assert set(errors) == set(expected), stderr
    for line, reason in expected.items():
        assert reason in errors[line], (line, errors[line])
    assert summary["input"] == total
    assert summary["rejected"] == len(expected)
    assert summary["accepted"] + summary["rejected"] == summary["input"]
    assert summary["imported"] == 0
    assert Person.objects.count() == 1  # only the one that was there before


def test_skip_bad_rows_imports_the_good_ones_and_the_counts_add_up(province, tmp_path):
    path, expected, total = bad_file(tmp_path, province)
    report_path = tmp_path / "report.csv"
    summary, stderr, failure = run(path, "--skip-bad-rows", "--report", str(report_path))
    assert failure is None, stderr
    assert summary["input"] == total
    assert summary["rejected"] == len(expected)
    assert summary["accepted"] + summary["rejected"] == summary["input"]
    assert summary["imported"] == summary["accepted"] == total - len(expected)
    assert set(Person.objects.values_list("id_number", flat=True)) == {
        "025090000900",
        "025090000100",
        "025090000101",
        "025090000103",
    }
    with report_path.open(encoding="utf-8") as stream:
        lines = {int(r["line"]) for r in csv.DictReader(stream)}
    assert lines == set(expected)


def test_duplicates_only_within_the_file(province, tmp_path):
    path = write_csv(
        tmp_path / "dup.csv",
        [row(id_number="025090000001"), row(id_number="025090000002"), row(id_number="025090000001")],
    )
    summary, stderr, failure = run(path, "--skip-bad-rows")
    assert failure is None
    assert reported(stderr) == {4: "Số định danh 025090000001 trùng với dòng 2 của tệp."}
    assert (summary["accepted"], summary["rejected"], summary["imported"]) == (2, 1, 2)
    assert Person.objects.count() == 2


def test_rerunning_the_same_file_rejects_every_row_as_already_registered(province, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row(id_number=f"025090{i:06d}") for i in range(1, 6)])
    assert run(path)[2] is None
    summary, stderr, failure = run(path)
    assert failure is not None
    assert summary["rejected"] == 5 and len(reported(stderr)) == 5
    assert Person.objects.count() == 5


# ---- interrupted files -------------------------------------------------------------------------


def test_a_last_line_cut_mid_row_is_reported_and_nothing_is_imported(province, tmp_path):
    path = write_csv(tmp_path / "cut.csv", [row(id_number="025090000001")], tail="025090000002,Nguyễn Văn Bì")
    summary, stderr, failure = run(path)
    assert failure is not None
    assert set(reported(stderr)) == {3}
    assert (summary["input"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
    assert not Person.objects.exists()


def test_a_last_line_cut_in_its_last_field_is_caught_by_the_missing_newline(province, tmp_path):
    complete = "025090000002,Nguyễn Văn Bình,1990-01-01,male,kinh,,VN,,,,,Số 12 đường Hùng Vư,,,"
    path = write_csv(tmp_path / "cut.csv", [row(id_number="025090000001")], tail=complete)
    summary, stderr, failure = run(path)
    assert failure is not None
    assert "bị cắt" in reported(stderr)[3]
    assert not Person.objects.exists()
    # With --skip-bad-rows the complete rows go in and the suspect one is still reported.
    summary, stderr, failure = run(path, "--skip-bad-rows")
    assert (summary["imported"], summary["rejected"]) == (1, 1)


def test_an_unterminated_quote_at_the_end_is_reported(province, tmp_path):
    path = write_csv(tmp_path / "cut.csv", [row(id_number="025090000001")], tail='025090000002,"Nguyễn Văn')
    summary, stderr, failure = run(path)
    assert failure is not None
    assert 3 in reported(stderr)
    assert summary["accepted"] + summary["rejected"] == summary["input"]
    assert not Person.objects.exists()


def test_invalid_utf8_bytes_reject_their_row_only(province, tmp_path):
    path = write_csv(
        tmp_path / "p.csv", [row(id_number="025090000001"), row(id_number="025090000002", full_name="NAMEX")]
    )
    data = (tmp_path / "p.csv").read_bytes().replace(b"NAMEX", b"Nguy\xff\xfen")
    (tmp_path / "p.csv").write_bytes(data)
    summary, stderr, failure = run(path, "--skip-bad-rows")
    assert "UTF-8" in reported(stderr)[3]
    assert (summary["imported"], summary["rejected"]) == (1, 1)


def test_blank_lines_are_not_rows(province, tmp_path):
    path = write_csv(tmp_path / "p.csv", [row(id_number="025090000001")], tail="\n\n")
    summary, _stderr, failure = run(path)
    assert failure is None and summary["input"] == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "rỗng"),
        ("id_number,full_name\n", "thiếu cột"),
        (",".join(COLUMNS) + ",shoe_size\n", "cột lạ"),
    ],
)
def test_unusable_headers_abort(province, tmp_path, content, expected):
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=expected):
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_missing_file_aborts(tmp_path):
    with pytest.raises(CommandError, match="Không mở được"):
        call_command("import_people", str(tmp_path / "nope.csv"), stdout=io.StringIO(), stderr=io.StringIO())
