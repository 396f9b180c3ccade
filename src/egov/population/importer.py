"""Bulk import of people from CSV (``manage.py import_people``), validated row by row.

Every row is checked: the ID number's structure and its consistency with the date of birth and the sex
(Circular 07/2016/TT-BCA), dates, required fields, ethnicity, commune codes, lengths; names are stored in
NFC. Duplicates are checked within the file and against the registry. Every rejected row is reported with
its line number and reason, and ``accepted + rejected = input`` always holds (performance goal R7).

All or nothing by default: one bad row and nothing is imported. With ``skip_bad_rows`` the good rows
are imported and the bad ones reported. Either way the whole import is one transaction, so a file that
breaks off (a cut last line, a wrong column count, a crash half-way) never leaves half of it behind.

On PostgreSQL the validated rows stream through one ``COPY`` straight into the registry while Python
validates the next ones (the server inserts in parallel on the other core), and the unique index checks
duplicates for free. Duplicates are the exception; when the index rejects one, the transaction is rolled
back and a second pass loads the file into a temporary table, names every duplicate (within the file and
against the registry) with its line, and moves the rest with one ``INSERT ... SELECT``. A clean file is
therefore read once, at about the speed of a raw ``COPY`` (the staging-table route for every file was
measured at under half of it). On SQLite (laptop demo, tests) rows go through ``bulk_create`` in batches.

The file must end with a newline: a last line without one may have been cut in the middle of its last
field, where no other check could tell, so it is rejected as such.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TextIO

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.choices import UnitLevel
from egov.core.models import AdministrativeUnit

from .choices import ETHNICITY_ALIASES, Ethnicity, Sex
from .ids import FIRST_CENTURY, PROVINCE_PREFIXES, century_digit, id_number_problem
from .models import Person
from .names import FULL_NAME_MAX, clean_name, name_problem, search_key

COLUMNS = (
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "place_of_birth_commune",
    "hometown",
    "permanent_residence_commune",
    "permanent_residence_address",
    "temporary_residence_commune",
    "temporary_residence_address",
    "date_of_death",
)
REQUIRED_COLUMNS = ("id_number", "full_name", "date_of_birth", "sex", "ethnicity")
TEXT_MAX = {
    "religion": 50,
    "place_of_birth": 255,
    "hometown": 255,
    "permanent_residence_address": 255,
    "temporary_residence_address": 255,
}
# The columns written to the staging table / the registry, in this order.
STAGED = (
    "line",
    "id_number",
    "full_name",
    "full_name_search",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "place_of_birth_commune_id",
    "hometown",
    "permanent_residence_commune_id",
    "permanent_residence_address",
    "temporary_residence_commune_id",
    "temporary_residence_address",
    "is_deceased",
    "date_of_death",
)
SEX_VALUES = {
    "male": Sex.MALE.value,
    "female": Sex.FEMALE.value,
    "nam": Sex.MALE.value,
    "nữ": Sex.FEMALE.value,
    "nu": Sex.FEMALE.value,
}
_NATIONALITY = re.compile(r"[A-Z]{2}")
_REPLACEMENT = "\ufffd"
# The fast path leaves to the full check any row with a control character or a whitespace other than
# the ASCII space (tabs, NBSP, Unicode spaces) in its text, a doubled or edge space, or a digit in the name.
# Fields are joined with a private-use character, which no Vietnamese text contains.
_FAST_SEP = "\ue000"
_FAST_SPACES = (" " + _FAST_SEP, _FAST_SEP + " ", "  ")
_FAST_ODD_CHAR = re.compile("[\x00-\x1f\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]")
_DIGIT = re.compile(r"\d")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
ErrorSink = Callable[[int, str], None]


class ImportAborted(Exception):
    """The file cannot be read at all (missing, no header, wrong columns): nothing was imported."""


@dataclass
class ImportReport:
    input_rows: int = 0
    accepted: int = 0
    rejected: int = 0
    imported: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    errors_sample: list[tuple[int, str]] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.accepted + self.rejected == self.input_rows

    def as_dict(self) -> dict:
        return {
            "input": self.input_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "imported": self.imported,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.input_rows / self.seconds) if self.seconds else None,
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
        }


class Progress:
    """A plain progress line on stderr every ``every`` rows: rows, rate and share of the file read."""

    def __init__(self, *, total_bytes: int, stream: TextIO | None, every: int = 100_000) -> None:
        self.total_bytes = max(total_bytes, 1)
        self.stream = stream
        self.every = every
        self.started = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def update(self, rows: int, position: int) -> None:
        if self.stream is None:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        share = min(position / self.total_bytes, 1.0)
        width = 30
        bar = "#" * int(share * width)
        text = _("%(bar)s %(pct)5.1f%%  %(rows)s dòng  %(rate)s dòng/giây") % {
            "bar": f"[{bar:<{width}}]",
            "pct": share * 100,
            "rows": f"{rows:,}",
            "rate": f"{rows / elapsed:,.0f}",
        }
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()

    def done(self, rows: int) -> None:
        self.update(rows, self.total_bytes)
        if self.stream is not None and self.tty:
            self.stream.write("\n")


def _ethnicity_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).casefold()


def ethnicity_lookup() -> dict[str, str]:
    """Every accepted spelling of an ethnic group -> its stored value: the slug, the official name, and
    both compared without diacritics, case, spaces, hyphens or apostrophes, plus older spellings."""
    table: dict[str, str] = {}
    for value, label in Ethnicity.choices:
        table[value] = value
        table[str(label)] = value
        table[_ethnicity_key(str(label))] = value
        table[_ethnicity_key(value)] = value
    table.update(ETHNICITY_ALIASES)
    return table


def commune_ids() -> dict[str, int]:
    """Commune codes -> primary keys (about 3,300 current rows). A retired pre-2025 commune, if loaded,
    is known by its code too, unless a current commune has the same code."""
    table: dict[str, int] = {}
    retired: dict[str, int] = {}
    rows = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).values_list("pk", "code", "valid_to")
    for pk, code, valid_to in rows:
        (table if valid_to is None else retired)[code] = pk
    return {**retired, **table}


def _parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``; ``None`` if neither."""
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return dt.date.fromisoformat(text)
        if len(text) == 10 and text[2] == "/" and text[5] == "/":
            return dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


class _DecodeWatch:
    """Replaces undecodable bytes with U+FFFD and remembers that it did, so rows are searched for U+FFFD
    only in files that had a decoding error. One codec error handler, registered once, reporting to the
    watch of the import running in the current thread."""

    NAME = "egov-population-import"
    _current = threading.local()

    def __init__(self) -> None:
        self.fired = False
        _DecodeWatch._current.watch = self

    @classmethod
    def handler(cls, exc: UnicodeError):
        watch = getattr(cls._current, "watch", None)
        if watch is not None:
            watch.fired = True
        return (_REPLACEMENT, exc.end)  # type: ignore[attr-defined]


codecs.register_error(_DecodeWatch.NAME, _DecodeWatch.handler)


class RowValidator:
    """Turns CSV records into staged tuples (``STAGED`` order) or error messages."""

    def __init__(self, header: list[str], *, today: dt.date | None = None) -> None:
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ImportAborted(
                _("Dòng tiêu đề thiếu cột bắt buộc: %(cols)s. Các cột: %(all)s.")
                % {"cols": ", ".join(missing), "all": ", ".join(COLUMNS)}
            )
        unknown = [h for h in header if h not in COLUMNS]
        if unknown:
            raise ImportAborted(_("Dòng tiêu đề có cột lạ: %(cols)s.") % {"cols": ", ".join(unknown)})
        if len(set(header)) != len(header):
            raise ImportAborted(_("Dòng tiêu đề có cột trùng tên."))
        self.width = len(header)
        # Absent optional columns read as "" from an extra empty cell appended to each record.
        positions = [header.index(c) if c in header else self.width for c in COLUMNS]
        self.pick = itemgetter(*positions)
        self.pad = self.width < len(COLUMNS)
        self.today = today or timezone.localdate()
        self.ethnicities = ethnicity_lookup()
        self.communes = commune_ids()
        # Century/sex digit + two-digit year for every possible birth year, for the fast path.
        self.g_yy = {
            year: {
                sex: century_digit(year=year, sex=sex) + f"{year % 100:02d}" for sex in (Sex.MALE, Sex.FEMALE)
            }
            for year in range(FIRST_CENTURY, self.today.year + 1)
        }

    def _commune(self, code: str, column: str) -> tuple[int | None, str | None]:
        if not code:
            return None, None
        pk = self.communes.get(code)
        if pk is None and code.isdigit() and len(code) < 5:
            pk = self.communes.get(code.zfill(5))
        if pk is None:
            return None, _(
                "Mã xã, phường “%(code)s” (cột %(column)s) không có trong danh mục đơn vị hành chính."
            ) % {
                "code": code,
                "column": column,
            }
        return pk, None

    def validate(self, record: list[str], line: int) -> tuple[tuple | None, str | None]:
        """Check one record: a fast path for the well-formed row (no message building, no normalising
        to do), and the full check, which names the first problem, for everything else."""
        if len(record) != self.width or self.pad:
            return self.validate_fully(record, line)
        (
            id_number,
            full_name,
            dob_text,
            sex_text,
            ethnicity_text,
            religion,
            nationality,
            place_of_birth,
            pob_code,
            hometown,
            perm_code,
            perm_address,
            temp_code,
            temp_address,
            dod_text,
        ) = self.pick(record)
        sex = SEX_VALUES.get(sex_text)
        ethnicity = self.ethnicities.get(ethnicity_text)
        if (
            dod_text
            or sex is None
            or ethnicity is None
            or len(id_number) != 12
            or len(dob_text) != 10
            or dob_text[4] != "-"
            or not 0 < len(full_name) <= FULL_NAME_MAX
            or (nationality and nationality != "VN")
            or len(religion) > 50
            or len(place_of_birth) > 255
            or len(hometown) > 255
            or len(perm_address) > 255
            or len(temp_address) > 255
            or not id_number.isascii()
            or not id_number.isdigit()
            or id_number[:3] not in PROVINCE_PREFIXES
        ):
            return self.validate_fully(record, line)
        texts = _FAST_SEP.join((full_name, religion, place_of_birth, hometown, perm_address, temp_address))
        if (
            texts[0] == " "
            or texts[-1] == " "
            or "  " in texts
            or _FAST_SPACES[0] in texts
            or _FAST_SPACES[1] in texts
            or _FAST_ODD_CHAR.search(texts)
            or _DIGIT.search(full_name)
            or not unicodedata.is_normalized("NFC", texts)
        ):
            return self.validate_fully(record, line)
        try:
            dob = dt.date.fromisoformat(dob_text)
        except ValueError:
            return self.validate_fully(record, line)
        g_yy = self.g_yy.get(dob.year)
        if g_yy is None or dob > self.today or id_number[3:6] != g_yy[sex]:
            return self.validate_fully(record, line)
        communes = self.communes
        pob_id = perm_id = temp_id = None
        if pob_code:
            pob_id = communes.get(pob_code)
            if pob_id is None:
                return self.validate_fully(record, line)
        if perm_code:
            perm_id = communes.get(perm_code)
            if perm_id is None:
                return self.validate_fully(record, line)
        if temp_code:
            temp_id = communes.get(temp_code)
            if temp_id is None:
                return self.validate_fully(record, line)
        return (
            line,
            id_number,
            full_name,
            search_key(full_name),
            dob_text,
            sex,
            ethnicity,
            religion,
            "VN",
            place_of_birth,
            pob_id,
            hometown,
            perm_id,
            perm_address,
            temp_id,
            temp_address,
            False,
            None,
        ), None

    def validate_fully(self, record: list[str], line: int) -> tuple[tuple | None, str | None]:
        if len(record) != self.width:
            return None, _("Sai số cột: có %(got)d, cần %(want)d (dòng bị cắt hoặc thừa dấu phẩy?).") % {
                "got": len(record),
                "want": self.width,
            }
        if self.pad:
            record = [*record, ""]
        (
            id_number,
            full_name,
            dob_text,
            sex_text,
            ethnicity_text,
            religion,
            nationality,
            place_of_birth,
            pob_code,
            hometown,
            perm_code,
            perm_address,
            temp_code,
            temp_address,
            dod_text,
        ) = self.pick(record)

        id_number = id_number.strip()
        name = clean_name(full_name)
        problem = name_problem(name)
        if problem:
            return None, problem
        dob_text = dob_text.strip()
        if not dob_text:
            return None, _("Thiếu ngày sinh.")
        dob = _parse_date(dob_text)
        if dob is None:
            return None, _("Ngày sinh “%(d)s” không hợp lệ (dạng YYYY-MM-DD hoặc DD/MM/YYYY).") % {
                "d": dob_text
            }
        if dob > self.today:
            return None, _("Ngày sinh %(d)s sau ngày hôm nay.") % {"d": dob.isoformat()}
        sex = SEX_VALUES.get(sex_text) or SEX_VALUES.get(sex_text.strip().lower())
        if sex is None:
            return None, _("Giới tính “%(s)s” không hợp lệ (male/female hoặc nam/nữ).") % {"s": sex_text}
        if not id_number:
            return None, _("Thiếu số định danh cá nhân.")
        problem = id_number_problem(id_number, date_of_birth=dob, sex=sex)
        if problem:
            return None, problem
        ethnicity = self.ethnicities.get(ethnicity_text)
        if ethnicity is None:
            ethnicity = (
                self.ethnicities.get(_ethnicity_key(ethnicity_text)) if ethnicity_text.strip() else None
            )
            if ethnicity is None:
                if not ethnicity_text.strip():
                    return None, _("Thiếu dân tộc.")
                return None, _("Dân tộc “%(e)s” không có trong danh mục 54 dân tộc.") % {"e": ethnicity_text}
        nationality = nationality.strip().upper() or "VN"
        if not _NATIONALITY.fullmatch(nationality):
            return None, _("Quốc tịch “%(n)s” phải là mã hai chữ cái (ví dụ VN).") % {"n": nationality}

        texts = []
        for column, value in (
            ("religion", religion),
            ("place_of_birth", place_of_birth),
            ("hometown", hometown),
            ("permanent_residence_address", perm_address),
            ("temporary_residence_address", temp_address),
        ):
            if value:
                value = clean_name(value)
                if _CONTROL.search(value):
                    return None, _("Cột %(col)s chứa ký tự điều khiển.") % {"col": column}
                if len(value) > TEXT_MAX[column]:
                    return None, _("Cột %(col)s dài quá %(n)d ký tự.") % {
                        "col": column,
                        "n": TEXT_MAX[column],
                    }
            texts.append(value)
        religion, place_of_birth, hometown, perm_address, temp_address = texts

        pob_id, problem = self._commune(pob_code.strip(), "place_of_birth_commune")
        if problem:
            return None, problem
        perm_id, problem = self._commune(perm_code.strip(), "permanent_residence_commune")
        if problem:
            return None, problem
        temp_id, problem = self._commune(temp_code.strip(), "temporary_residence_commune")
        if problem:
            return None, problem

        dod = None
        dod_text = dod_text.strip()
        if dod_text:
            dod = _parse_date(dod_text)
            if dod is None:
                return None, _("Ngày chết “%(d)s” không hợp lệ.") % {"d": dod_text}
            if dod < dob or dod > self.today:
                return None, _("Ngày chết %(d)s phải từ ngày sinh đến hôm nay.") % {"d": dod.isoformat()}
        return (
            line,
            id_number,
            name,
            search_key(name),
            dob.isoformat() if dob_text[4] != "-" else dob_text,
            sex,
            ethnicity,
            religion,
            nationality,
            place_of_birth,
            pob_id,
            hometown,
            perm_id,
            perm_address,
            temp_id,
            temp_address,
            dod is not None,
            dod.isoformat() if dod else None,
        ), None


class PeopleImport:
    """One import run. ``run()`` returns the report; errors go to ``on_error(line, message)`` as found."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        skip_bad_rows: bool = False,
        batch: int = 5000,
        on_error: ErrorSink | None = None,
        progress_stream: TextIO | None = None,
        progress_every: int = 100_000,
        sample_errors: int = 1000,
    ) -> None:
        self.path = os.fspath(path)
        self.skip_bad_rows = skip_bad_rows
        self.batch = max(int(batch), 1)
        self.on_error_sink = on_error
        self.progress_stream = progress_stream
        self.progress_every = progress_every
        self.sample_errors = sample_errors
        self.report = ImportReport()
        self._replaying = False

    # ---- reporting ---------------------------------------------------------------------------------
    def reject(self, line: int, message: str, *, row_error: bool = True) -> None:
        """Count and report a rejected row. Row errors (not duplicates) found again by the staging pass
        were reported by the first pass and are only counted."""
        self.report.rejected += 1
        if row_error and self._replaying:
            return
        if len(self.report.errors_sample) < self.sample_errors:
            self.report.errors_sample.append((line, message))
        if self.on_error_sink is not None:
            self.on_error_sink(line, message)

    # ---- reading -----------------------------------------------------------------------------------
    def _open(self) -> None:
        """Open the file, read the header and load the look-up tables, before any ``COPY`` starts (the
        connection cannot run queries while a ``COPY`` is in progress)."""
        try:
            self._size = os.path.getsize(self.path)
            self._raw = open(self.path, "rb")  # noqa: SIM115 - closed by _records
        except OSError as exc:
            raise ImportAborted(
                _("Không mở được tệp %(path)s: %(err)s") % {"path": self.path, "err": exc}
            ) from exc
        try:
            self._ends_with_newline = True
            if self._size:
                self._raw.seek(-1, os.SEEK_END)
                self._ends_with_newline = self._raw.read(1) in (b"\n", b"\r")
                self._raw.seek(0)
            self._watch = _DecodeWatch()
            text = io.TextIOWrapper(self._raw, encoding="utf-8-sig", errors=_DecodeWatch.NAME, newline="")
            self._reader = csv.reader(text)
            try:
                header = next(self._reader)
            except StopIteration:
                raise ImportAborted(_("Tệp rỗng: không có dòng tiêu đề.")) from None
            except (csv.Error, UnicodeError) as exc:
                raise ImportAborted(_("Dòng tiêu đề không đọc được: %(err)s") % {"err": exc}) from exc
            self._validator = RowValidator(header)
        except BaseException:
            self._raw.close()
            raise

    def _records(self) -> Iterator[tuple | None]:
        """Validated staged tuples, ``None`` for a rejected row (already reported); counts input rows."""
        raw, reader, watch = self._raw, self._reader, self._watch
        try:
            progress = Progress(
                total_bytes=self._size, stream=self.progress_stream, every=self.progress_every
            )
            every = self.progress_every
            report = self.report
            validate = self._validator.validate
            # One record of look-ahead, so the last one is known to be the last.
            previous: list[str] | None = None
            previous_line = 0
            end_line = 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    record = None
                except csv.Error as exc:
                    # An unterminated quote at the end of a cut file, a NUL byte...: the rest of the file
                    # cannot be split into rows reliably, so it all counts as one rejected row.
                    if previous is not None:
                        report.input_rows += 1
                        yield self._check(validate, previous, previous_line, watch)
                        previous = None
                    report.input_rows += 1
                    self.reject(
                        end_line + 1,
                        _("Không đọc được dòng (tệp bị cắt hoặc sai định dạng CSV): %(e)s") % {"e": exc},
                    )
                    yield None
                    break
                if previous is not None:
                    report.input_rows += 1
                    if record is None and not self._ends_with_newline:
                        self.reject(
                            previous_line,
                            _(
                                "Dòng cuối không kết thúc bằng ký tự xuống dòng: tệp có thể bị cắt giữa chừng."
                            ),
                        )
                        yield None
                    else:
                        yield self._check(validate, previous, previous_line, watch)
                    if report.input_rows % every == 0:
                        progress.update(report.input_rows, raw.tell())
                if record is None:
                    break
                previous_line = end_line + 1
                end_line = reader.line_num
                if not record:
                    previous = None  # blank lines are not rows
                    continue
                previous = record
            progress.done(report.input_rows)
        finally:
            raw.close()

    def _check(self, validate, record: list[str], line: int, watch: _DecodeWatch) -> tuple | None:
        if watch.fired and any(_REPLACEMENT in value for value in record):
            self.reject(line, _("Dòng chứa byte không phải UTF-8."))
            return None
        row, problem = validate(record, line)
        if problem is not None:
            self.reject(line, problem)
            return None
        self.report.accepted += 1
        return row

    # ---- running -----------------------------------------------------------------------------------
    def run(self) -> ImportReport:
        started = self._started = time.monotonic()
        self._open()
        try:
            if connection.vendor == "postgresql":
                self._run_postgresql()
            else:
                self._run_generic()
        finally:
            self._raw.close()
            self.report.seconds = time.monotonic() - started
        return self.report

    def _finish(self) -> bool:
        """Whether to keep what was loaded: always with --skip-bad-rows, else only a clean file."""
        return self.skip_bad_rows or self.report.rejected == 0

    def _run_generic(self) -> None:
        now = timezone.now()
        first_line: dict[str, int] = {}
        with transaction.atomic():
            pending: list[tuple] = []

            def flush() -> None:
                if not pending:
                    return
                ids = [row[1] for row in pending]
                existing: set[str] = set()
                for start in range(0, len(ids), 500):
                    existing.update(
                        Person.objects.filter(id_number__in=ids[start : start + 500]).values_list(
                            "id_number", flat=True
                        )
                    )
                people = []
                for row in pending:
                    if row[1] in existing:
                        self._duplicate_in_registry(row[0], row[1])
                        continue
                    people.append(_person(row, now))
                if self._finish():
                    Person.objects.bulk_create(people, batch_size=self.batch)
                    self.report.imported += len(people)
                pending.clear()

            for row in self._records():
                if row is None:
                    continue
                seen = first_line.get(row[1])
                if seen is not None:
                    self._duplicate_in_file(row[0], row[1], seen)
                    continue
                first_line[row[1]] = row[0]
                pending.append(row)
                if len(pending) >= self.batch:
                    flush()
            flush()
            if not self._finish():
                self.report.imported = 0
                transaction.set_rollback(True)

    def _duplicate_in_file(self, line: int, id_number: str, first: int) -> None:
        self.report.accepted -= 1
        self.reject(
            line,
            _("Số định danh %(id)s trùng với dòng %(first)d của tệp.") % {"id": id_number, "first": first},
            row_error=False,
        )

    def _duplicate_in_registry(self, line: int, id_number: str) -> None:
        self.report.accepted -= 1
        self.reject(
            line,
            _("Số định danh %(id)s đã có trong cơ sở dữ liệu dân cư.") % {"id": id_number},
            row_error=False,
        )

    def _run_postgresql(self) -> None:
        """Direct ``COPY`` into the registry (one pass, the server inserting while Python validates the
        next rows); if the unique index rejects a duplicate, roll back and take the staging path, which
        names every duplicate. Duplicates are the exception, so the common file is read once."""
        try:
            self._copy_direct()
        except (IntegrityError, psycopg.errors.UniqueViolation) as exc:
            cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
            if getattr(cause, "sqlstate", None) != "23505":  # unique_violation, and nothing else
                raise
            self._second_pass()
            self._copy_staged()

    def _second_pass(self) -> None:
        """Start over for the staging pass: same file, so the same row errors, reported once only."""
        self._raw.close()
        self.report = ImportReport(errors_sample=self.report.errors_sample)
        self._replaying = True
        self._open()

    def _copy_direct(self) -> None:
        columns = ", ".join(STAGED[1:])
        with transaction.atomic(), connection.cursor() as cursor:
            # created_at and updated_at take their database default, now(): the transaction's start.
            with cursor.copy(f"COPY population_person ({columns}) FROM STDIN") as copy:  # noqa: S608
                write = copy.write_row
                for row in self._records():
                    if row is not None:
                        # Rows after a bad one still go in by default: the unique index then checks
                        # them for duplicates too, and the transaction is rolled back at the end.
                        write(row[1:])
            self.report.phases["read_validate_copy"] = time.monotonic() - self._started
            if self._finish():
                self.report.imported = self.report.accepted
            else:
                transaction.set_rollback(True)

    def _copy_staged(self) -> None:
        staged_columns = ", ".join(STAGED)
        person_columns = ", ".join(STAGED[1:])
        with transaction.atomic(), connection.cursor() as cursor:
            # A sort of millions of rows; the session default (4 MB) would spill to disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Left over only inside an enclosing transaction (a test), where ON COMMIT has not come yet.
            cursor.execute("DROP TABLE IF EXISTS population_import, population_import_duplicate")
            cursor.execute(
                """
                CREATE TEMPORARY TABLE population_import (
                    line bigint NOT NULL,
                    id_number varchar(12) NOT NULL,
                    full_name varchar(100) NOT NULL,
                    full_name_search varchar(100) NOT NULL,
                    date_of_birth date NOT NULL,
                    sex varchar(6) NOT NULL,
                    ethnicity varchar(16) NOT NULL,
                    religion varchar(50) NOT NULL,
                    nationality varchar(2) NOT NULL,
                    place_of_birth varchar(255) NOT NULL,
                    place_of_birth_commune_id bigint,
                    hometown varchar(255) NOT NULL,
                    permanent_residence_commune_id bigint,
                    permanent_residence_address varchar(255) NOT NULL,
                    temporary_residence_commune_id bigint,
                    temporary_residence_address varchar(255) NOT NULL,
                    is_deceased boolean NOT NULL,
                    date_of_death date
                ) ON COMMIT DROP
                """
            )
            with cursor.copy(f"COPY population_import ({staged_columns}) FROM STDIN") as copy:  # noqa: S608
                write = copy.write_row
                for row in self._records():
                    if row is not None:
                        write(row)
            cursor.execute("ANALYZE population_import")
            # Every duplicate with its line: later copies of an ID within the file (the first one stays),
            # and IDs already in the registry.
            cursor.execute(
                """
                CREATE TEMPORARY TABLE population_import_duplicate ON COMMIT DROP AS
                SELECT line, id_number, first_line FROM (
                    SELECT line, id_number, min(line) OVER (PARTITION BY id_number) AS first_line
                    FROM population_import
                ) d WHERE line <> first_line
                UNION ALL
                SELECT s.line, s.id_number, NULL FROM population_import s
                WHERE EXISTS (SELECT 1 FROM population_person p WHERE p.id_number = s.id_number)
                """
            )
            cursor.execute(
                "SELECT DISTINCT ON (line) line, id_number, first_line FROM population_import_duplicate "
                "ORDER BY line, first_line NULLS FIRST"
            )
            while rows := cursor.fetchmany(10_000):
                for line, id_number, first in rows:
                    if first is None:
                        self._duplicate_in_registry(line, id_number)
                    else:
                        self._duplicate_in_file(line, id_number, first)
            if not self._finish():
                transaction.set_rollback(True)
                return
            cursor.execute(
                f"""
                INSERT INTO population_person ({person_columns}, created_at, updated_at)
                SELECT {person_columns}, now(), now() FROM population_import s
                WHERE NOT EXISTS (SELECT 1 FROM population_import_duplicate d WHERE d.line = s.line)
                """  # noqa: S608
            )
            self.report.imported = cursor.rowcount


def _person(row: tuple, now: dt.datetime) -> Person:
    values = dict(zip(STAGED[1:], row[1:], strict=True))
    return Person(**values, created_at=now, updated_at=now)


def print_error(stream: TextIO = sys.stderr) -> ErrorSink:
    def sink(line: int, message: str) -> None:
        stream.write(_("Dòng %(line)d: %(message)s") % {"line": line, "message": message} + "\n")

    return sink
