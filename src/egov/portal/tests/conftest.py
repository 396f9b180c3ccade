"""The portal tests reuse the one-stop shop's fixture (an agency, a procedure, one officer per role)."""

from egov.dossiers.tests.conftest import office  # noqa: F401
