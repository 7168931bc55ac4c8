"""Constant statements prepared once per connection (crm.prepared): the same rows and models
as a plain query, logged like any other query, and really prepared on the server."""

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from crm.models import Company
from crm.prepared import fetch_models, loaded, prepared_cursor

SQL = "SELECT c.*, upper(c.name) AS shout FROM crm_company c WHERE c.id = %(pk)s"


@pytest.mark.parametrize("prepared", [True, False])
def test_models_come_back_with_their_fields_and_extras(db, prepared):
    company = Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")
    with (
        override_settings(DATABASE_PREPARED_STATEMENTS=prepared),
        CaptureQueriesContext(connection) as captured,
    ):
        (found,) = fetch_models(Company, SQL, {"pk": company.pk})
    assert found == company and found.name == "Első Kft." and found.shout == "ELSŐ KFT."
    assert found.tax_number == company.tax_number
    # logged with the value written in, so query counts and the benchmark's capture see it
    assert f"c.id = {company.pk}" in captured.captured_queries[-1]["sql"]


def test_the_statement_is_prepared_on_the_server(db):
    company = Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")
    for _ in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(SQL, {"pk": company.pk})
            assert cursor.fetchone()[0] == company.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%upper(c.name) AS shout%"],
        )
        assert cursor.fetchone()[0] == 1


def test_each_statement_maps_its_own_columns_and_a_changed_width_is_mapped_again(db):
    """How columns become fields is worked out once per model and statement: two statements of
    one model with other columns each get theirs; a statement whose result changed width (a
    migration under a running worker) is worked out again."""
    from crm import prepared

    company = Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")
    other = "SELECT 7 AS seven, c.name, c.id FROM crm_company c WHERE c.id = %(pk)s"
    for _ in range(2):
        (first,) = fetch_models(Company, SQL, {"pk": company.pk})
        (second,) = fetch_models(Company, other, {"pk": company.pk})
        assert (first.name, first.shout, first.tax_number) == (
            "Első Kft.",
            "ELSŐ KFT.",
            "10773381-2-44",
        )
        assert (second.pk, second.name, second.seven) == (company.pk, "Első Kft.", 7)
        assert "tax_number" in second.get_deferred_fields()
    prepared._plans[Company, other].width += 1  # as if the table had lost a column
    prepared._plans[Company, other].picks.reverse()
    (again,) = fetch_models(Company, other, {"pk": company.pk})
    assert (again.pk, again.name, again.seven) == (company.pk, "Első Kft.", 7)


def test_loaded_models_are_what_from_db_gives(db):
    """Loaded without ``__init__``: the same values, deferred fields read on access, saved as
    an update, and a model with ``post_init`` receivers still gets them."""
    company = Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")
    names = ["id", "name"]
    fast = loaded(Company, names, [company.pk, "Első Kft."])
    slow = Company.from_db("default", names, [company.pk, "Első Kft."])
    assert vars(fast).keys() == vars(slow).keys()
    assert (fast._state.adding, fast._state.db) == (slow._state.adding, slow._state.db)
    assert fast.get_deferred_fields() == slow.get_deferred_fields() and "tax_number" in (
        fast.get_deferred_fields()
    )
    assert fast.tax_number == "10773381-2-44"  # read now, as a deferred field is
    fast.name = "Második Kft."
    fast.save(update_fields=["name"])
    assert Company.objects.count() == 1 and Company.objects.get().name == "Második Kft."

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Company)
    try:
        again = loaded(Company, names, [company.pk, "Első Kft."])
    finally:
        post_init.disconnect(receiver, sender=Company)
    assert seen == [again]
