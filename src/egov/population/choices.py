"""Choices of the population registry: sex, the 54 ethnic groups, relationship to the household head."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    """Sex as recorded at birth registration; it sets the parity of the ID number's century digit."""

    MALE = "male", _("Nam")
    FEMALE = "female", _("Nữ")


class Ethnicity(models.TextChoices):
    """The 54 ethnic groups of Viet Nam, in the order of the General Statistics Office list
    (Decision 1019/QĐ-TCTK of 12/11/2008, used by the 2009 and 2019 censuses).

    Stored values are ASCII slugs, not the list's two-digit codes: the first twenty codes were checked
    against the GSO text but the rest could not be, and a wrong code in 10 million rows is far worse than
    a readable slug. The labels are the official Vietnamese names (proper nouns, not translated).
    """

    KINH = "kinh", "Kinh"
    TAY = "tay", "Tày"
    THAI = "thai", "Thái"
    MUONG = "muong", "Mường"
    KHMER = "khmer", "Khmer"
    HOA = "hoa", "Hoa"
    NUNG = "nung", "Nùng"
    HMONG = "hmong", "H'Mông"
    DAO = "dao", "Dao"
    GIA_RAI = "gia_rai", "Gia Rai"
    E_DE = "e_de", "Ê Đê"
    BA_NA = "ba_na", "Ba Na"
    SAN_CHAY = "san_chay", "Sán Chay"
    CHAM = "cham", "Chăm"
    CO_HO = "co_ho", "Cơ Ho"
    XO_DANG = "xo_dang", "Xơ Đăng"
    SAN_DIU = "san_diu", "Sán Dìu"
    HRE = "hre", "Hrê"
    RA_GLAI = "ra_glai", "Ra Glai"
    MNONG = "mnong", "Mnông"
    THO = "tho", "Thổ"
    XTIENG = "xtieng", "Xtiêng"
    KHO_MU = "kho_mu", "Khơ Mú"
    BRU_VAN_KIEU = "bru_van_kieu", "Bru Vân Kiều"
    CO_TU = "co_tu", "Cơ Tu"
    GIAY = "giay", "Giáy"
    TA_OI = "ta_oi", "Tà Ôi"
    MA = "ma", "Mạ"
    GIE_TRIENG = "gie_trieng", "Giẻ Triêng"
    CO = "co", "Co"
    CHO_RO = "cho_ro", "Chơ Ro"
    XINH_MUN = "xinh_mun", "Xinh Mun"
    HA_NHI = "ha_nhi", "Hà Nhì"
    CHU_RU = "chu_ru", "Chu Ru"
    LAO = "lao", "Lào"
    KHANG = "khang", "Kháng"
    LA_CHI = "la_chi", "La Chí"
    PHU_LA = "phu_la", "Phù Lá"
    LA_HU = "la_hu", "La Hủ"
    LA_HA = "la_ha", "La Ha"
    PA_THEN = "pa_then", "Pà Thẻn"
    LU = "lu", "Lự"
    NGAI = "ngai", "Ngái"
    CHUT = "chut", "Chứt"
    LO_LO = "lo_lo", "Lô Lô"
    MANG = "mang", "Mảng"
    CO_LAO = "co_lao", "Cơ Lao"
    BO_Y = "bo_y", "Bố Y"
    CONG = "cong", "Cống"
    SI_LA = "si_la", "Si La"
    PU_PEO = "pu_peo", "Pu Péo"
    RO_MAM = "ro_mam", "Rơ Măm"
    BRAU = "brau", "Brâu"
    O_DU = "o_du", "Ơ Đu"


# Other spellings met in real files (older GSO lists, census forms, hyphenated forms), keyed like
# ``ethnicity_key``: the names are compared without diacritics, spaces, hyphens or apostrophes.
ETHNICITY_ALIASES: dict[str, str] = {
    "viet": Ethnicity.KINH,
    "khome": Ethnicity.KHMER,
    "han": Ethnicity.HOA,
    "mong": Ethnicity.HMONG,
    "meo": Ethnicity.HMONG,
    "giarai": Ethnicity.GIA_RAI,
    "rade": Ethnicity.E_DE,
    "stieng": Ethnicity.XTIENG,
    "khmu": Ethnicity.KHO_MU,
    "vankieu": Ethnicity.BRU_VAN_KIEU,
    "katu": Ethnicity.CO_TU,
    "tahoi": Ethnicity.TA_OI,
    "raglay": Ethnicity.RA_GLAI,
    "colao": Ethnicity.CO_LAO,
    "pupeo": Ethnicity.PU_PEO,
    "pupieo": Ethnicity.PU_PEO,
    "odu": Ethnicity.O_DU,
    "romam": Ethnicity.RO_MAM,
    "lolo": Ethnicity.LO_LO,
    "sanchi": Ethnicity.SAN_CHAY,
    "caolan": Ethnicity.SAN_CHAY,
}


class Relationship(models.TextChoices):
    """Relationship to the head of household, as written in the household register (sổ hộ khẩu)."""

    HEAD = "head", _("Chủ hộ")
    WIFE = "wife", _("Vợ")
    HUSBAND = "husband", _("Chồng")
    CHILD = "child", _("Con")
    FATHER = "father", _("Cha")
    MOTHER = "mother", _("Mẹ")
    GRANDFATHER = "grandfather", _("Ông")
    GRANDMOTHER = "grandmother", _("Bà")
    GRANDCHILD = "grandchild", _("Cháu")
    OLDER_BROTHER = "older_brother", _("Anh")
    OLDER_SISTER = "older_sister", _("Chị")
    YOUNGER_SIBLING = "younger_sibling", _("Em")
    OTHER = "other", _("Khác")
