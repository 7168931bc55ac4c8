"""The audience API: a saved query shared by a manager yields, for each rep, only the partners
(or contacts) that rep may see, as a queryset; a query the user does not see yields nothing."""

import pytest
from django.db.models import QuerySet

from crm.querybuilder.audience import audience
from crm.querybuilder.models import SavedQuery
from partners.models import Contact, Partner

from .conftest import fresh
from .saved_fixtures import ensure_querybuilder_defaults

pytestmark = pytest.mark.django_db

ALL_PARTNERS = {"base": "partners", "columns": ["name"], "filter": {"any": False, "items": []}}


@pytest.fixture
def shared(org, data):
    from django.contrib.auth.models import Group

    from crm.groups import DEFAULT_GROUPS

    ensure_querybuilder_defaults()
    query = SavedQuery.objects.create(
        name="Minden partner", spec=ALL_PARTNERS, owner=org.supervisor, company=org.company
    )
    query.shared_with_groups.add(Group.objects.get(name=DEFAULT_GROUPS["sales_rep"]))
    return query


def names(ids) -> set[str]:
    return set(Partner.objects.filter(pk__in=ids).values_list("name", flat=True))


def test_two_reps_each_get_their_own_partners(shared, org):
    owners = audience(shared, fresh(org.owner))
    assert isinstance(owners, QuerySet)  # a subquery, not a list in memory
    assert names(owners) == {"Pesti Gép Kft.", "Gödöllői Fa Bt."}
    assert names(audience(shared.pk, fresh(org.peer))) == {"Szegedi Szerszám Zrt."}
    assert len(names(audience(shared, fresh(org.supervisor)))) == 3


def test_contacts_of_the_selected_partners(shared, org):
    spec = {
        "base": "contacts",
        "columns": ["family_name"],
        "filter": {
            "any": False,
            "items": [{"field": "partner.county", "op": "equals", "value": "PE"}],
        },
    }
    SavedQuery.objects.filter(pk=shared.pk).update(spec=spec)
    ids = audience(shared, fresh(org.owner), kind="contact")
    assert set(Contact.objects.filter(pk__in=ids).values_list("family_name", flat=True)) == {
        "Kovács",
        "Nagy",
    }
    assert not audience(shared, fresh(org.peer), kind="contact").exists()


def test_a_query_the_user_does_not_see_is_refused(shared, org):
    with pytest.raises(SavedQuery.DoesNotExist):
        audience(shared, fresh(org.other_company_user))
    with pytest.raises(SavedQuery.DoesNotExist):
        audience(shared, fresh(org.outsider))
    with pytest.raises(ValueError):
        audience(shared, fresh(org.owner), kind="invoice")
