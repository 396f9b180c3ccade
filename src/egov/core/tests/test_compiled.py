"""Queries and inserts compiled once (``core.compiled``) do exactly what the ORM does, and refuse what they
cannot do faithfully."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Value
from django.db.models.functions import Upper
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment, User
from egov.accounts.selectors import officers_holding, officers_with_role
from egov.catalog.models import ProcedureOffering, ProcessStep, RequiredDocument
from egov.catalog.selectors import OFFERING_BY_CODES, offering_by_codes, process_steps, required_documents
from egov.core.compiled import CompiledQuery, insert
from egov.notifications.models import Notification
from egov.testing.factories import AgencyFactory, UserFactory, officer, procedure_with_process

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_offering_by_codes_is_the_orm_row_with_its_relations_loaded():
    agency = AgencyFactory(code="000.00.01.H26")
    other = AgencyFactory(code="000.00.02.H26")
    offering = procedure_with_process(agency=agency)
    procedure_with_process(agency=other)  # another procedure at another agency
    ProcedureOffering.objects.create(
        procedure=offering.procedure, agency=other, process_template=offering.process_template
    )
    expected = ProcedureOffering.objects.select_related("procedure", "agency", "process_template").get(
        procedure=offering.procedure, agency=agency
    )

    found = offering_by_codes(offering.procedure.code, "000.00.01.H26")

    assert values(found) == values(expected)
    with CaptureQueriesContext(connection) as queries:
        assert values(found.procedure) == values(expected.procedure)
        assert values(found.agency) == values(expected.agency)
        assert values(found.process_template) == values(expected.process_template)
    assert len(queries) == 0
    assert offering_by_codes(offering.procedure.code, "000.00.02.H26").agency_id == other.pk
    # The two placeholders are not swapped, and an unknown pair is None.
    assert offering_by_codes("000.00.01.H26", offering.procedure.code) is None
    assert offering_by_codes(offering.procedure.code, "000.00.99.H26") is None


def test_papers_steps_and_officers_are_the_orm_lists_in_the_orm_order():
    agency = AgencyFactory(code="000.00.01.H26")
    offering = procedure_with_process(agency=agency, documents=3)
    template_id = offering.process_template_id
    a = officer(agency, Role.SPECIALIST, username="b-specialist")
    b = officer(agency, Role.SPECIALIST, username="a-specialist")
    gone = officer(agency, Role.SPECIALIST, username="c-specialist")
    RoleAssignment.objects.filter(user=gone).update(is_active=False)
    User.objects.filter(pk=b.pk).update(is_active=False)
    officer(agency, Role.LEADER, username="leader")

    assert [values(r) for r in required_documents(offering.procedure_id)] == [
        values(r) for r in RequiredDocument.objects.filter(procedure_id=offering.procedure_id)
    ]
    assert [values(s) for s in process_steps(template_id)] == [
        values(s) for s in ProcessStep.objects.filter(template_id=template_id).order_by("position")
    ]
    assert [s.position for s in process_steps(template_id)] == [1, 2, 3, 4]
    holding = officers_holding(agency.pk, Role.SPECIALIST)
    assert [u.pk for u in holding] == [u.pk for u in officers_with_role(agency.pk, Role.SPECIALIST)] == [a.pk]
    assert officers_holding(agency.pk, Role.CLERK) == []


def test_wrong_number_of_values_is_refused():
    with pytest.raises(TypeError):
        OFFERING_BY_CODES.rows("1.000001")


def test_a_placeholder_that_is_not_exactly_once_in_the_parameters_is_refused():
    # Twice in the parameters: which one should the value replace?
    query = CompiledQuery(
        lambda code: User.objects.filter(Q(username=code) | Q(email=code)), "egov-placeholder"
    )
    with pytest.raises(ValueError, match="exactly once"):
        query.rows("someone")
    with pytest.raises(ValueError, match="at least one placeholder"):
        CompiledQuery(lambda: User.objects.all())


# ---- CompiledInsert -------------------------------------------------------------------------------


def test_insert_writes_what_save_writes_and_sets_the_keys():
    agency = AgencyFactory(code="000.00.01.H26")
    user = officer(agency, Role.RECEPTION, username="motcua")
    saved = Notification(recipient=user, event="e", title="Một", body="Nội dung", dedupe_key="k1")
    saved.save()
    rows = [
        Notification(recipient=user, event="e", title="Hai", body="Nội dung", dedupe_key="k2"),
        Notification(recipient=user, event="e", title="Ba", url="/x", dedupe_key="k3"),
    ]

    assert insert(rows) is rows

    assert all(r.pk and not r._state.adding and r._state.db == "default" for r in rows)
    assert rows[0].created_at is not None  # auto_now_add, as save() does
    for row in [saved, *rows]:
        stored = Notification.objects.get(pk=row.pk)
        assert values(stored) == values(row)
    assert sorted([saved.pk, *(r.pk for r in rows)]) == [saved.pk, rows[0].pk, rows[1].pk]


def test_insert_ignoring_conflicts_skips_duplicates_like_bulk_create():
    user = UserFactory(username="nguoi-nhan")
    insert([Notification(recipient=user, event="e", title="Một", dedupe_key="same")])
    insert(
        [
            Notification(recipient=user, event="e", title="Lặp", dedupe_key="same"),
            Notification(recipient=user, event="e", title="Mới", dedupe_key="new"),
        ],
        ignore_conflicts=True,
    )
    assert sorted(Notification.objects.values_list("dedupe_key", "title")) == [
        ("new", "Mới"),
        ("same", "Một"),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([Notification(recipient=user, event="e", title="Lặp", dedupe_key="same")])


def test_insert_refuses_mixed_rows_and_expressions_and_keeps_receivers():
    user = UserFactory(username="nguoi-nhan")
    kept = Notification(recipient=user, event="e", title="Một", dedupe_key="a")
    kept.save()
    with pytest.raises(ValueError, match="all new"):
        insert([Notification(recipient=user, event="e", title="Hai", dedupe_key="b"), kept])
    with pytest.raises(ValueError, match="expression"):
        insert([Notification(recipient=user, event="e", title=Upper(Value("x")), dedupe_key="c")])
    assert Notification.objects.count() == 1

    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.dedupe_key, created))

    post_save.connect(receiver, sender=Notification)
    try:
        insert([Notification(recipient=user, event="e", title="Hai", dedupe_key="d")])
    finally:
        post_save.disconnect(receiver, sender=Notification)
    assert seen == [("d", True)]  # a model with receivers goes through save(): none is skipped


def test_insert_takes_the_key_of_a_parent_saved_after_assignment_and_refuses_an_unsaved_one():
    parent = UserFactory.build(username="nguoi-nhan")
    child = Notification(recipient=parent, event="e", title="Một", dedupe_key="k")
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([child])
    parent.save()
    insert([child])
    assert Notification.objects.get().recipient_id == parent.pk
