"""Synthetic but realistic people for demos, tests and benchmarks (``manage.py generate_people``).

SYNTHETIC DATA: every person is invented. Names follow the real frequency of Vietnamese family names,
ID numbers are valid and consistent with the date of birth and sex, and residences are communes of the
demo province (Phú Thọ, code 25) when they are loaded. Rows are written one at a time, so ten million
rows need no more memory than ten.

ID numbers are unique without remembering them: within each (prefix, century/sex digit, year) bucket a
counter runs through a fixed permutation of 0..999,999, which looks random and never repeats.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from typing import TextIO

from .choices import Ethnicity, Sex
from .ids import FIRST_CENTURY, PRE_2025_PROVINCE_PREFIXES
from .importer import COLUMNS

# Share of the population by family name (approximate national shares; the rest spread over others).
FAMILY_NAMES = [
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 3.0),
    ("Huỳnh", 2.1),
    ("Phan", 4.5),
    ("Vũ", 2.3),
    ("Võ", 1.6),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đinh", 0.9),
    ("Đào", 0.8),
    ("Trịnh", 0.7),
    ("Mai", 0.6),
    ("Trương", 0.6),
    ("Tạ", 0.4),
    ("Hà", 0.5),
    ("Cao", 0.4),
    ("Lương", 0.3),
    ("Kiều", 0.2),
]
MIDDLE_NAMES = {
    Sex.MALE: [
        "Văn",
        "Hữu",
        "Đức",
        "Minh",
        "Quang",
        "Công",
        "Thành",
        "Xuân",
        "Ngọc",
        "Đình",
        "Anh",
        "Gia",
        "Trọng",
        "Hoàng",
        "Tuấn",
        "Mạnh",
    ],
    Sex.FEMALE: [
        "Thị",
        "Thị",
        "Thị",
        "Ngọc",
        "Thu",
        "Thanh",
        "Minh",
        "Khánh",
        "Bảo",
        "Phương",
        "Mai",
        "Hồng",
        "Kim",
        "Hải",
        "Thùy",
        "Diệu",
    ],
}
GIVEN_NAMES = {
    Sex.MALE: [
        "An",
        "Anh",
        "Bảo",
        "Bình",
        "Cường",
        "Dũng",
        "Duy",
        "Đạt",
        "Đức",
        "Hải",
        "Hiếu",
        "Hoàng",
        "Hùng",
        "Huy",
        "Khang",
        "Khoa",
        "Kiên",
        "Long",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phong",
        "Phúc",
        "Quân",
        "Quang",
        "Sơn",
        "Tài",
        "Thắng",
        "Thành",
        "Tiến",
        "Toàn",
        "Trung",
        "Tuấn",
        "Tùng",
        "Việt",
        "Vinh",
        "Vũ",
        "Lâm",
        "Thịnh",
        "Hưng",
    ],
    Sex.FEMALE: [
        "An",
        "Anh",
        "Chi",
        "Dung",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hiền",
        "Hoa",
        "Hồng",
        "Hương",
        "Huyền",
        "Lan",
        "Liên",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngân",
        "Ngọc",
        "Nhung",
        "Oanh",
        "Phương",
        "Quỳnh",
        "Thảo",
        "Thanh",
        "Thu",
        "Thủy",
        "Trang",
        "Trinh",
        "Tuyết",
        "Uyên",
        "Vân",
        "Yến",
        "Nhàn",
        "Hậu",
    ],
}
# The demo province after 1 July 2025 merged Phú Thọ (025), Vĩnh Phúc (026) and Hòa Bình (017): its
# people carry those three birth-registration prefixes, plus some born elsewhere.
HOME_PREFIXES = [("025", 35.0), ("026", 30.0), ("017", 25.0)]
ETHNICITIES = [
    (Ethnicity.KINH, 84.0),
    (Ethnicity.MUONG, 13.0),
    (Ethnicity.DAO, 1.0),
    (Ethnicity.TAY, 0.6),
    (Ethnicity.SAN_CHAY, 0.4),
    (Ethnicity.HMONG, 0.3),
    (Ethnicity.NUNG, 0.2),
    (Ethnicity.THAI, 0.3),
    (Ethnicity.SAN_DIU, 0.2),
]
RELIGIONS = [("", 90.0), ("Phật giáo", 6.0), ("Công giáo", 3.5), ("Tin lành", 0.5)]
STREETS = [
    "Hùng Vương",
    "Trần Phú",
    "Nguyễn Tất Thành",
    "Lê Lợi",
    "Hai Bà Trưng",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Nguyễn Du",
]
PERMUTATION_MULTIPLIER = 7_919  # prime, coprime with 10**6, so i -> (a*i + b) mod 10**6 is a bijection


class _Weighted:
    """Fast weighted choice: one ``random()`` and one ``bisect`` (``random.choices`` rebuilds sums)."""

    def __init__(self, items: list[tuple[object, float]]) -> None:
        self.values = [v for v, _w in items]
        self.cum = list(itertools.accumulate(w for _v, w in items))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def demo_communes() -> list[tuple[str, str]]:
    """(code, name) of the communes to live in: those of province 25 if loaded, else any, else none."""
    from egov.core.choices import UnitLevel
    from egov.core.models import AdministrativeUnit

    units = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, valid_to__isnull=True)
    own = list(units.filter(parent__code="25").order_by("code").values_list("code", "name"))
    return own or list(units.order_by("code").values_list("code", "name")[:5000])


def people(
    count: int,
    *,
    seed: int | None = None,
    communes: list[tuple[str, str]] | None = None,
    today: dt.date | None = None,
) -> Iterator[list[str]]:
    """``count`` CSV records in ``importer.COLUMNS`` order."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    communes = communes if communes is not None else demo_communes()
    family = _Weighted(FAMILY_NAMES)
    ethnicity = _Weighted(ETHNICITIES)
    religion = _Weighted(RELIGIONS)
    others = [p for p in PRE_2025_PROVINCE_PREFIXES if p not in {"025", "026", "017"}]
    prefix_pick = _Weighted([*HOME_PREFIXES, ("other", 10.0)])
    counters: dict[str, int] = {}
    # Derived from the seed so runs differ; two files from different runs may still share some numbers.
    offset = rng.randrange(1_000_000)
    oldest = max(FIRST_CENTURY, today.year - 100)
    # Ages: a fairly flat pyramid up to 60, thinning out after.
    age_weights = _Weighted(
        [
            (age, 1.0 if age < 60 else max(0.05, 1.0 - (age - 60) / 40))
            for age in range(0, today.year - oldest)
        ]
    )
    middle = {s: MIDDLE_NAMES[s] for s in Sex}
    given = {s: GIVEN_NAMES[s] for s in Sex}
    names_of = PRE_2025_PROVINCE_PREFIXES
    randrange = rng.randrange
    for _i in range(count):
        sex = Sex.MALE if rng.random() < 0.495 else Sex.FEMALE
        age = age_weights.pick(rng)
        year = today.year - age
        day_of_year = randrange(365)
        dob = dt.date(year, 1, 1) + dt.timedelta(days=day_of_year)
        if dob > today:
            dob = today
            year = dob.year
        prefix = prefix_pick.pick(rng)
        if prefix == "other":
            prefix = others[randrange(len(others))]
        g = (year // 100 - 19) * 2 + (1 if sex == Sex.FEMALE else 0)
        bucket = f"{prefix}{g}{year % 100:02d}"
        n = counters.get(bucket, 0)
        if n >= 1_000_000:
            raise ValueError(f"more than a million people in bucket {bucket}")
        counters[bucket] = n + 1
        id_number = f"{bucket}{(PERMUTATION_MULTIPLIER * n + offset) % 1_000_000:06d}"
        mids = middle[sex]
        name = f"{family.pick(rng)} {mids[randrange(len(mids))]} {given[sex][randrange(len(given[sex]))]}"
        if communes:
            home_code, home_name = communes[randrange(len(communes))]
            born_here = prefix in ("025", "026", "017")
            pob_code, pob_name = communes[randrange(len(communes))] if born_here else ("", names_of[prefix])
            address = (
                f"Số {randrange(1, 300)}, đường {STREETS[randrange(len(STREETS))]}"
                if rng.random() < 0.4
                else f"Thôn {randrange(1, 20)}"
            )
            if rng.random() < 0.05:
                temp_code = communes[randrange(len(communes))][0]
                temp_address = f"Tổ {randrange(1, 40)}"
            else:
                temp_code = temp_address = ""
            hometown = home_name if rng.random() < 0.7 else names_of[prefix]
        else:
            home_code = pob_code = temp_code = temp_address = ""
            pob_name = hometown = names_of[prefix]
            address = f"Thôn {randrange(1, 20)}"
        dod = ""
        if age > 40 and rng.random() < 0.01:
            dod = (dob + dt.timedelta(days=randrange(365 * (age - 1), 365 * age))).isoformat()
            if dod > today.isoformat():
                dod = today.isoformat()
        yield [
            id_number,
            name,
            dob.isoformat(),
            sex.value,
            ethnicity.pick(rng).value,
            religion.pick(rng),
            "VN",
            pob_name,
            pob_code,
            hometown,
            home_code,
            address,
            temp_code,
            temp_address,
            dod,
        ]


def write_people(stream: TextIO, count: int, **kwargs) -> int:
    """Write a header and ``count`` people to ``stream`` as CSV (LF line ends); returns ``count``."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    batch: list[list[str]] = []
    for record in people(count, **kwargs):
        batch.append(record)
        if len(batch) == 10_000:
            writer.writerows(batch)
            written += len(batch)
            batch.clear()
    writer.writerows(batch)
    return written + len(batch)
