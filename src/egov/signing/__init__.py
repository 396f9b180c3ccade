"""Digital signatures on PDFs (PAdES) and their public verification.

Map of the app:

* ``models.SigningCertificate``: an official's or an agency's certificate, key encrypted at rest;
* ``ca``: the development CA (root + issuing CA, CRLs) under ``EGOV_SIGNING_DIR``;
  ``manage.py signing_dev_ca`` and ``manage.py signing_revoke``;
* ``providers``: ``SignatureProvider`` (where the key lives: PKCS#12 now, PKCS#11 token/HSM later);
* ``services``: ``certificate_issue``, ``certificate_revoke``, ``crl_publish``, ``pdf_sign``;
* ``stamp``: the visible stamp (Vietnamese text, signature and seal images, placement rules of
  Decree 30/2020 Appendix I);
* ``trust`` and ``verification.pdf_verify``: what we trust and the checks behind ``POST /api/v1/verify``
  and the public page ``/verify/``.
"""
