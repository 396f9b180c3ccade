"""The 29 administrative document types of Decree 30/2020/NĐ-CP art. 7 with their Appendix III abbreviations.

Công văn and thư công have no abbreviation (their notation is agency-unit, e.g. ``12/UBND-VX``).
"""

from django.db import migrations

TYPES = [
    ("nghi_quyet", "Nghị quyết (cá biệt)", "NQ"),
    ("quyet_dinh", "Quyết định (cá biệt)", "QĐ"),
    ("chi_thi", "Chỉ thị", "CT"),
    ("quy_che", "Quy chế", "QC"),
    ("quy_dinh", "Quy định", "QyĐ"),
    ("thong_cao", "Thông cáo", "TC"),
    ("thong_bao", "Thông báo", "TB"),
    ("huong_dan", "Hướng dẫn", "HD"),
    ("chuong_trinh", "Chương trình", "CTr"),
    ("ke_hoach", "Kế hoạch", "KH"),
    ("phuong_an", "Phương án", "PA"),
    ("de_an", "Đề án", "ĐA"),
    ("du_an", "Dự án", "DA"),
    ("bao_cao", "Báo cáo", "BC"),
    ("bien_ban", "Biên bản", "BB"),
    ("to_trinh", "Tờ trình", "TTr"),
    ("hop_dong", "Hợp đồng", "HĐ"),
    ("cong_van", "Công văn", ""),
    ("cong_dien", "Công điện", "CĐ"),
    ("ban_ghi_nho", "Bản ghi nhớ", "BGN"),
    ("ban_thoa_thuan", "Bản thỏa thuận", "BTT"),
    ("giay_uy_quyen", "Giấy ủy quyền", "GUQ"),
    ("giay_moi", "Giấy mời", "GM"),
    ("giay_gioi_thieu", "Giấy giới thiệu", "GGT"),
    ("giay_nghi_phep", "Giấy nghỉ phép", "GNP"),
    ("phieu_gui", "Phiếu gửi", "PG"),
    ("phieu_chuyen", "Phiếu chuyển", "PC"),
    ("phieu_bao", "Phiếu báo", "PB"),
    ("thu_cong", "Thư công", ""),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for position, (code, name, abbreviation) in enumerate(TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code, defaults={"name": name, "abbreviation": abbreviation, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("documents", "DocumentType").objects.filter(code__in=[c for c, _n, _a in TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
