"""The population registry: people, households, and the log of every officer's read of a person.

Legal frame: Law on Residence 68/2020/QH14 (permanent and temporary residence, households), Law on
Identification 26/2023/QH15 and Decree 137/2015/NĐ-CP (personal ID numbers, the national population
database), Decree 13/2023/NĐ-CP on personal data (every processing of personal data is on record).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Ethnicity, Relationship, Sex

COMMUNE = "core.AdministrativeUnit"


class Person(models.Model):
    """A citizen in the registry, identified for life by the 12-digit personal ID number.

    Index discipline (performance goal R3): ``id_number`` is a ``varchar(12)`` with a plain unique B-tree
    (a ``UniqueConstraint``, so PostgreSQL gets no extra ``varchar_pattern_ops`` index to maintain), and
    every lookup binds it as text; a ``char(12)`` column would silently lose the index. Parent and spouse
    links have partial indexes over the rows that have them: most rows have none, and an index of NULLs
    would only slow the bulk import.

    No database-level foreign keys on this table (``db_constraint=False``), a measured decision: the
    PostgreSQL foreign-key triggers fire once per row and per key even when the key is NULL, which more
    than doubled the time of a bulk import (performance goal R7). Integrity holds without them because
    every id written here is read from its table in the same transaction (the importer resolves commune
    codes, services pass model instances), people and administrative units are never deleted (a death
    sets ``is_deceased``; a retired unit gets ``valid_to``), and ``on_delete=PROTECT`` is still enforced
    by the ORM. ``selectors.registry_dangling_references`` checks it (``manage.py registry_check``, nightly),
    and a test runs it (docs/adr/0002).
    """

    id_number = models.CharField(_("số định danh cá nhân"), max_length=12)
    full_name = models.CharField(_("họ, chữ đệm và tên"), max_length=100)
    full_name_search = models.CharField(
        _("họ tên không dấu"), max_length=100, editable=False, help_text=_("Dùng cho tìm kiếm không dấu.")
    )
    date_of_birth = models.DateField(_("ngày, tháng, năm sinh"))
    sex = models.CharField(_("giới tính"), max_length=6, choices=Sex.choices)
    ethnicity = models.CharField(_("dân tộc"), max_length=16, choices=Ethnicity.choices)
    religion = models.CharField(_("tôn giáo"), max_length=50, blank=True)
    nationality = models.CharField(
        _("quốc tịch"), max_length=2, default="VN", help_text=_("Mã quốc gia ISO 3166-1 (hai chữ cái).")
    )
    place_of_birth = models.CharField(_("nơi sinh"), max_length=255, blank=True)
    place_of_birth_commune = models.ForeignKey(
        COMMUNE,
        verbose_name=_("xã, phường nơi sinh"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    hometown = models.CharField(_("quê quán"), max_length=255, blank=True)
    permanent_residence_commune = models.ForeignKey(
        COMMUNE,
        verbose_name=_("xã, phường nơi thường trú"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    permanent_residence_address = models.CharField(_("địa chỉ thường trú"), max_length=255, blank=True)
    temporary_residence_commune = models.ForeignKey(
        COMMUNE,
        verbose_name=_("xã, phường nơi tạm trú"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    temporary_residence_address = models.CharField(_("địa chỉ tạm trú"), max_length=255, blank=True)
    father = models.ForeignKey(
        "self",
        verbose_name=_("cha"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_as_father",
        db_index=False,
        db_constraint=False,
    )
    mother = models.ForeignKey(
        "self",
        verbose_name=_("mẹ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children_as_mother",
        db_index=False,
        db_constraint=False,
    )
    spouse = models.ForeignKey(
        "self",
        verbose_name=_("vợ hoặc chồng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    is_deceased = models.BooleanField(_("đã chết"), default=False)
    date_of_death = models.DateField(_("ngày chết"), null=True, blank=True)
    # The database default serves the bulk import, whose COPY leaves these columns out.
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(
        _("cập nhật lúc"), default=timezone.now, db_default=Now(), editable=False
    )

    class Meta:
        verbose_name = _("công dân")
        verbose_name_plural = _("công dân")
        constraints = [
            models.UniqueConstraint(fields=["id_number"], name="person_id_number_unique"),
            models.CheckConstraint(
                condition=Q(id_number__regex=r"^[0-9]{12}$"), name="person_id_number_12_digits"
            ),
            models.CheckConstraint(
                condition=Q(date_of_death__isnull=True) | Q(is_deceased=True),
                name="person_death_date_only_if_deceased",
            ),
        ]
        indexes = [
            models.Index(fields=["father"], name="person_father_idx", condition=Q(father__isnull=False)),
            models.Index(fields=["mother"], name="person_mother_idx", condition=Q(mother__isnull=False)),
            models.Index(fields=["spouse"], name="person_spouse_idx", condition=Q(spouse__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.id_number})"


class Household(models.Model):
    """A household (hộ gia đình) registered at one address, with its head (Law on Residence 2020 art. 24)."""

    code = models.CharField(_("mã hộ"), max_length=20, unique=True)
    head = models.ForeignKey(
        Person, verbose_name=_("chủ hộ"), on_delete=models.PROTECT, related_name="households_headed"
    )
    address = models.CharField(_("địa chỉ"), max_length=255)
    commune = models.ForeignKey(
        COMMUNE, verbose_name=_("xã, phường"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ngày tạo"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("hộ gia đình")
        verbose_name_plural = _("hộ gia đình")

    def __str__(self) -> str:
        return self.code


class HouseholdMember(models.Model):
    """A person's place in a household, with the relationship to its head."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("hộ gia đình"),
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,  # the unique (household, person) index serves "members of a household"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("công dân"), on_delete=models.PROTECT, related_name="memberships"
    )
    relationship = models.CharField(_("quan hệ với chủ hộ"), max_length=20, choices=Relationship.choices)
    joined_on = models.DateField(_("ngày nhập hộ"), default=timezone.localdate)

    class Meta:
        verbose_name = _("thành viên hộ")
        verbose_name_plural = _("thành viên hộ")
        constraints = [
            models.UniqueConstraint(fields=["household", "person"], name="household_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} - {self.get_relationship_display()}"


class PersonAccessLog(models.Model):
    """One read of a person's record by an officer: who, whose, why, which fields, when.

    Append-only (Decree 13/2023/NĐ-CP arts. 9 and 27: the data subject may know who processed their data
    and why). Rows are written in the same transaction as the read and are never updated or deleted.

    No database-level foreign keys: a foreign-key check takes a ``FOR KEY SHARE`` lock on the person and
    on the officer, i.e. it would write to those rows on every read, and concurrent reads by one officer
    would contend for the same user row. The ids come from the rows just read; ``PROTECT`` still
    holds in the ORM.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tra cứu"),
        on_delete=models.PROTECT,
        related_name="person_reads",
        db_constraint=False,
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("công dân"),
        on_delete=models.PROTECT,
        related_name="access_logs",
        db_index=False,  # the (person, at) index below serves every query by person
        db_constraint=False,
    )
    purpose = models.CharField(_("mục đích"), max_length=500)
    dossier_code = models.CharField(_("mã hồ sơ"), max_length=40, blank=True)
    fields = models.JSONField(_("thông tin đã xem"), default=list)
    channel = models.CharField(_("kênh"), max_length=10, default="web")
    at = models.DateTimeField(_("thời điểm"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("nhật ký truy cập thông tin công dân")
        verbose_name_plural = _("nhật ký truy cập thông tin công dân")
        indexes = [models.Index(fields=["person", "at"], name="person_access_person_at_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.person_id} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Append-only: an audit row that could be rewritten would prove nothing.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("PersonAccessLog rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("PersonAccessLog rows are append-only")


class CitizenLink(models.Model):
    """Links a citizen's user account to their registry record, once their identity is verified
    (e.g. through VNeID level 2); only then may they see who read their data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tài khoản"),
        on_delete=models.CASCADE,
        related_name="citizen_link",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("công dân"), on_delete=models.PROTECT, related_name="citizen_links"
    )
    verified_at = models.DateTimeField(_("xác thực lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("liên kết tài khoản công dân")
        verbose_name_plural = _("liên kết tài khoản công dân")

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.person}"
