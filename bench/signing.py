#!/usr/bin/env python
"""PDF signing throughput: pyHanko's documented default path against our ``pdf_sign`` fast path.

    .venv/bin/python bench/signing.py                         # 200 of ours per variant, 30 default
    BENCH_SIGN_N=100 BENCH_SIGN_DEFAULT_N=20 .venv/bin/python bench/signing.py

One process, one RSA-2048 key (a certificate issued by a throwaway development CA), one one-page PDF:

(a) default: for every signature, ``SimpleSigner.load_pkcs12`` then ``signers.sign_pdf`` with no
    ``bytes_reserved``, as pyHanko's documentation shows it (the key is parsed again for every raw
    signature and a dry-run signature sizes the container; reference/performance.md §3b.7); and the
    same with the PKCS#12 loaded once, to show what is left without the bundle's decryption; and pyHanko's
    documented visible signature (``PdfSigner`` with a ``TextStampStyle`` in DejaVu Serif through its
    OpenType engine, since the standard fonts have no Vietnamese), the yardstick for our visible stamp;
(b) ours: ``egov.signing.services.pdf_sign`` (parsed key cached per process, ``bytes_reserved`` set),
    invisible at the default level (PAdES B-LT with our CRLs), invisible B-B, and visible B-LT with a
    Vietnamese stamp and a signature image;
(c) the raw RSA-2048 PKCS#1 v1.5 signing rate of the same key with ``cryptography``.

A sample of every variant's output is verified with ``pdf_verify`` (verdict must be "valid"). Everything
runs in a temporary directory (SQLite database, CA, fonts): nothing is written to var/. The JSON summary
is printed and saved to bench/results/signing.json.
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results"
N_OURS = int(os.environ.get("BENCH_SIGN_N", "200"))
N_DEFAULT = int(os.environ.get("BENCH_SIGN_DEFAULT_N", "30"))
N_RAW = int(os.environ.get("BENCH_SIGN_RAW_N", "2000"))
SAMPLE = int(os.environ.get("BENCH_SIGN_SAMPLE", "5"))
TARGET_RATIO = 10.0


def setup_django(tmp: Path) -> None:
    os.environ.update(
        EGOV_DEBUG="1",
        EGOV_TESTING="0",
        EGOV_LOG_LEVEL="WARNING",
        EGOV_VAR_DIR=str(tmp),
        EGOV_SIGNING_DIR=str(tmp / "signing"),
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        DJANGO_SETTINGS_MODULE="egov.config.settings",
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def one_page_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, "QUYET DINH so 15/QD-UBND")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_certificate():
    from egov.accounts.models import User
    from egov.core.choices import AgencyKind, AgencyLevel, UnitLevel
    from egov.core.models import AdministrativeUnit, Agency
    from egov.signing import services

    unit = AdministrativeUnit.objects.create(code="99999", name="Xã Đo Hiệu Năng", level=UnitLevel.COMMUNE)
    agency = Agency.objects.create(
        code="000.00.99.H26",
        name="Ủy ban nhân dân xã Đo Hiệu Năng",
        abbreviation="UBND",
        level=AgencyLevel.COMMUNE,
        kind=AgencyKind.PEOPLES_COMMITTEE,
        administrative_unit=unit,
    )
    user = User.objects.create(username="bench-leader", full_name="Nguyễn Văn Đo")
    return services.certificate_issue(user=user, organization=agency.name)


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def timed(n: int, fn) -> tuple[float, list[bytes]]:
    outputs = []
    start = time.perf_counter()
    for _ in range(n):
        outputs.append(fn())
    return time.perf_counter() - start, outputs


def check(outputs: list[bytes], label: str) -> dict:
    from egov.signing.verification import pdf_verify

    step = max(1, len(outputs) // SAMPLE)
    sample = outputs[::step][:SAMPLE]
    verdicts = [pdf_verify(o)["verdict"] for o in sample]
    ok = all(v == "valid" for v in verdicts)
    if not ok:
        print(f"!! {label}: sample verdicts {verdicts}", file=sys.stderr)
    return {"checked": len(sample), "all_valid": ok}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="egov-bench-signing-") as tmpdir:
        tmp = Path(tmpdir)
        setup_django(tmp)

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.serialization import pkcs12
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        from egov.signing import conf, services
        from egov.signing.choices import SignatureLevel

        certificate = make_certificate()
        pdf = one_page_pdf()
        passphrase = conf.passphrase()
        pfx = tmp / "signer.p12"
        pfx.write_bytes(bytes(certificate.pkcs12))

        # (a) pyHanko's default path, as documented: load the PKCS#12, sign_pdf, no bytes_reserved.
        def default_path() -> bytes:
            signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(pfx), passphrase=passphrase)
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            return signers.sign_pdf(
                writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=signer
            ).getvalue()

        default_path()  # warm-up (imports, first-use caches)
        default_seconds, default_outputs = timed(N_DEFAULT, default_path)

        # (a') the same with the PKCS#12 loaded once: what is left is pyHanko's own per-signature cost
        # (key re-parsed for each raw signature, dry-run signature to size the container).
        loaded = signers.SimpleSigner.load_pkcs12(pfx_file=str(pfx), passphrase=passphrase)

        def default_reused() -> bytes:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            return signers.sign_pdf(
                writer, signers.PdfSignatureMetadata(field_name="Signature1"), signer=loaded
            ).getvalue()

        reused_seconds, reused_outputs = timed(N_DEFAULT, default_reused)

        # (a'') pyHanko's documented visible signature, set in a font with Vietnamese glyphs (the standard
        # 14 fonts have none): PdfSigner with a TextStampStyle whose text box uses the OpenType engine on
        # the full DejaVu Serif, a new field with the same box as ours. The yardstick for our visible stamp.
        from pyhanko import stamp as pyhanko_stamp
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields

        from egov.signing.stamp import STAMP_FONT_FILE, _find_font

        vietnamese_style = pyhanko_stamp.TextStampStyle(
            stamp_text="Ký bởi: %(signer)s\nThời gian ký: %(ts)s",
            text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(_find_font(STAMP_FONT_FILE)))),
        )

        def default_visible() -> bytes:
            signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(pfx), passphrase=passphrase)
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            return (
                signers.PdfSigner(
                    signers.PdfSignatureMetadata(field_name="Signature1"),
                    signer=signer,
                    stamp_style=vietnamese_style,
                    new_field_spec=fields.SigFieldSpec("Signature1", box=(330, 480, 530, 580)),
                )
                .sign_pdf(writer)
                .getvalue()
            )

        default_visible()
        visible_seconds, visible_outputs = timed(N_DEFAULT, default_visible)

        # (b) ours.
        def ours(**kwargs):
            def run() -> bytes:
                return services.pdf_sign(
                    pdf=pdf,
                    certificate=certificate,
                    reason="Phê duyệt",
                    location="Phú Thọ",
                    field_name="LanhDao",
                    **kwargs,
                )

            return run

        variants = {
            "ours_invisible_auto": ours(visible=False),
            "ours_invisible_b_b": ours(visible=False, level=SignatureLevel.B_B),
            "ours_visible_auto": ours(visible=True, box=(330, 480, 530, 580)),
        }
        results = {}
        for name, fn in variants.items():
            for _ in range(3):  # warm-up: key cache, validation data cache, font subset
                fn()
            seconds, outputs = timed(N_OURS, fn)
            results[name] = {
                "n": N_OURS,
                "seconds": round(seconds, 3),
                "signatures_per_s": round(rate(N_OURS, seconds), 1),
                "ms_per_signature": round(1000 * seconds / N_OURS, 2),
                "sample": check(outputs, name),
            }

        # (c) raw RSA with the same key.
        key, _cert, _chain = pkcs12.load_key_and_certificates(bytes(certificate.pkcs12), passphrase)
        digest_input = b"x" * 32
        raw_seconds, _ = timed(N_RAW, lambda: key.sign(digest_input, padding.PKCS1v15(), hashes.SHA256()))

        default_rate = rate(N_DEFAULT, default_seconds)
        raw_rate = rate(N_RAW, raw_seconds)
        main_rate = results["ours_invisible_auto"]["signatures_per_s"]
        for entry in results.values():
            entry["ratio_to_default"] = round(entry["signatures_per_s"] / default_rate, 1)
            entry["share_of_raw_rsa"] = round(entry["signatures_per_s"] / raw_rate, 4)
        summary = {
            "bench": "signing",
            "python": platform.python_version(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "key": "RSA-2048 (PKCS#12 from the development CA)",
            "pdf_bytes": len(pdf),
            "default": {
                "n": N_DEFAULT,
                "seconds": round(default_seconds, 3),
                "signatures_per_s": round(default_rate, 1),
                "ms_per_signature": round(1000 * default_seconds / N_DEFAULT, 2),
                "sample": check(default_outputs, "default"),
                "share_of_raw_rsa": round(default_rate / raw_rate, 4),
            },
            "default_signer_loaded_once": {
                "n": N_DEFAULT,
                "seconds": round(reused_seconds, 3),
                "signatures_per_s": round(rate(N_DEFAULT, reused_seconds), 1),
                "ms_per_signature": round(1000 * reused_seconds / N_DEFAULT, 2),
                "sample": check(reused_outputs, "default_signer_loaded_once"),
            },
            "default_visible_vietnamese": {
                "n": N_DEFAULT,
                "seconds": round(visible_seconds, 3),
                "signatures_per_s": round(rate(N_DEFAULT, visible_seconds), 1),
                "ms_per_signature": round(1000 * visible_seconds / N_DEFAULT, 2),
                "sample": check(visible_outputs, "default_visible_vietnamese"),
            },
            **results,
            "raw_rsa": {"n": N_RAW, "signatures_per_s": round(raw_rate, 1)},
            "ratio_ours_visible_to_default_visible": round(
                results["ours_visible_auto"]["signatures_per_s"] / rate(N_DEFAULT, visible_seconds), 1
            ),
            "ratio_ours_to_default": round(main_rate / default_rate, 1),
            "ratio_ours_to_default_signer_loaded_once": round(main_rate / rate(N_DEFAULT, reused_seconds), 1),
            "target_ratio": TARGET_RATIO,
            "target_met": main_rate / default_rate >= TARGET_RATIO
            and results["ours_visible_auto"]["signatures_per_s"] / rate(N_DEFAULT, visible_seconds)
            >= TARGET_RATIO,
        }

    for label, key in (
        ("default (load_pkcs12 + sign_pdf)", "default"),
        ("default, PKCS#12 loaded once", "default_signer_loaded_once"),
        ("default, visible, Vietnamese font", "default_visible_vietnamese"),
        ("ours, invisible, B-LT (default level)", "ours_invisible_auto"),
        ("ours, invisible, B-B", "ours_invisible_b_b"),
        ("ours, visible stamp, B-LT", "ours_visible_auto"),
    ):
        entry = summary[key]
        print(
            f"{label:40s} {entry['signatures_per_s']:8.1f} sig/s  {entry['ms_per_signature']:7.2f} ms"
            + (f"  x{entry['ratio_to_default']} default" if "ratio_to_default" in entry else "")
        )
    print(f"{'raw RSA-2048 sign (cryptography)':40s} {summary['raw_rsa']['signatures_per_s']:8.1f} sig/s")
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "signing.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"visible: ours x{summary['ratio_ours_visible_to_default_visible']} pyHanko's visible default")
    samples_ok = summary["default"]["sample"]["all_valid"] and all(
        r["sample"]["all_valid"] for r in results.values()
    )
    return 0 if samples_ok else 1


if __name__ == "__main__":
    sys.exit(main())
