from egov.dossiers.tests.conftest import office  # noqa: F401 - the one-stop fixture, reused
