"""The test database: found on any platform embedded-postgres supports, and never silently absent in CI."""

import os

import pytest

from .conftest import embedded_postgres_bin, no_database


def test_the_embedded_postgres_binaries_are_this_platforms_as_the_npm_package_resolves_them():
    bin_dir = embedded_postgres_bin()
    assert {"initdb", "pg_ctl", "postgres"} <= set(os.listdir(bin_dir))
    assert bin_dir.parts[-4] == "@embedded-postgres"  # …/@embedded-postgres/<platform>-<arch>/native/bin


def test_without_postgresql_the_load_tests_fail_in_ci_and_are_skipped_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: the load tests need PostgreSQL: no binaries"):
        no_database("no binaries")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no binaries; and no DATABASE_URL"):
        no_database("no binaries")
