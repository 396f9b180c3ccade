"""``generate_people``: valid, consistent, unique, reproducible, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from egov.population.choices import Ethnicity, Sex
from egov.population.generator import people
from egov.population.ids import id_number_problem
from egov.population.importer import COLUMNS
from egov.population.names import clean_name

COMMUNES = [("07909", "Phường Việt Trì"), ("07927", "Xã Hy Cương")]


def test_generated_people_are_valid_and_unique():
    seen = set()
    records = list(people(5_000, seed=3, communes=COMMUNES, today=dt.date(2026, 1, 1)))
    for record in records:
        row = dict(zip(COLUMNS, record, strict=True))
        dob = dt.date.fromisoformat(row["date_of_birth"])
        assert dob <= dt.date(2026, 1, 1)
        assert id_number_problem(row["id_number"], date_of_birth=dob, sex=row["sex"]) is None
        assert row["id_number"] not in seen
        seen.add(row["id_number"])
        assert clean_name(row["full_name"]) == row["full_name"] and len(row["full_name"].split()) == 3
        assert row["ethnicity"] in Ethnicity.values
        assert row["permanent_residence_commune"] in {"07909", "07927"}
        if row["date_of_death"]:
            assert dob <= dt.date.fromisoformat(row["date_of_death"]) <= dt.date(2026, 1, 1)
    sexes = [r[3] for r in records]
    assert 0.45 < sexes.count(Sex.MALE) / len(sexes) < 0.55
    kinh = sum(1 for r in records if r[4] == Ethnicity.KINH) / len(records)
    assert 0.75 < kinh < 0.92  # the demo province also has many Mường
    assert {r[0][:3] for r in records} >= {"025", "026", "017"}  # Phú Thọ, Vĩnh Phúc, Hòa Bình before 2025


def test_same_seed_same_people():
    first = list(people(50, seed=9, communes=COMMUNES, today=dt.date(2026, 1, 1)))
    again = list(people(50, seed=9, communes=COMMUNES, today=dt.date(2026, 1, 1)))
    other = list(people(50, seed=10, communes=COMMUNES, today=dt.date(2026, 1, 1)))
    assert first == again and first != other


def test_without_communes_the_residence_is_left_empty():
    record = dict(zip(COLUMNS, next(people(1, seed=1, communes=[])), strict=True))
    assert record["permanent_residence_commune"] == "" and record["hometown"]


@pytest.mark.django_db
def test_command_writes_a_csv_file(tmp_path):
    path = tmp_path / "people.csv"
    call_command("generate_people", "123", "--seed", "5", "--output", str(path), stderr=io.StringIO())
    with path.open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 124
    assert path.read_bytes().endswith(b"\n")
