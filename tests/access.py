"""The access test kit every app uses: personas and a check that runs a view as each of them.

    def test_memo_detail(org, client):
        memo = MemoFactory(org=org)            # owned by org.owner in org.company
        check_access(client, org, reverse("memo-detail", args=[memo.pk]),
                     allowed={"owner", "supervisor", "second_supervisor", "boss", "superuser"})

Personas (all but ``outsider`` and ``other_company_user`` belong to ``org.company``):

- ``owner``: a sales rep who owns the record;
- ``supervisor`` and ``second_supervisor``: both supervise the owner (a user may have several);
- ``boss``: the supervisor's supervisor;
- ``peer``: another rep under the same supervisor;
- ``other_company_user``: a sales manager of the other own company, who sees all of it;
- ``outsider``: an active user with no company and no groups;
- ``deactivated``: was the owner's supervisor, now inactive;
- ``superuser``.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from crm.groups import DEFAULT_GROUPS
from crm.models import Company, Membership, SupervisorLink
from tests.factories import UserFactory

PERSONAS = (
    "owner",
    "supervisor",
    "second_supervisor",
    "boss",
    "peer",
    "other_company_user",
    "outsider",
    "deactivated",
    "superuser",
)


@dataclass
class Org:
    company: Company
    other_company: Company
    users: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


def member(user, company, *group_keys: str):
    Membership.objects.create(user=user, company=company)
    for key in group_keys:
        user.groups.add(Group.objects.get(name=DEFAULT_GROUPS[key]))
    if user.current_company_id is None:
        user.current_company = company
        user.save(update_fields=["current_company"])
    return user


def build_org(*model_perms: str) -> Org:
    """The persona organisation. ``model_perms`` (``app.codename``) are given to the sales
    rep and sales manager groups, as the app's data migration would."""
    from django.contrib.auth.models import Permission

    for key in ("sales_rep", "sales_manager"):
        group = Group.objects.get(name=DEFAULT_GROUPS[key])
        for perm in model_perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    company = Company.objects.create(name="Első Kft.", tax_number="10773381-2-44")
    other = Company.objects.create(name="Második Zrt.", tax_number="12345676-2-41")
    make = UserFactory
    org = Org(company=company, other_company=other)
    u = org.users
    u["owner"] = member(
        make(username="owner", last_name="Tulaj", first_name="Olga"), company, "sales_rep"
    )
    u["peer"] = member(
        make(username="peer", last_name="Társ", first_name="Péter"), company, "sales_rep"
    )
    u["supervisor"] = member(
        make(username="supervisor", last_name="Fő", first_name="Ferenc"), company, "sales_manager"
    )
    u["second_supervisor"] = member(
        make(username="second_supervisor", last_name="Másik", first_name="Mária"),
        company,
        "sales_manager",
    )
    u["boss"] = member(
        make(username="boss", last_name="Igazgató", first_name="Ildikó"), company, "sales_manager"
    )
    u["deactivated"] = member(
        make(username="deactivated", last_name="Volt", first_name="Vilma"), company, "sales_manager"
    )
    u["other_company_user"] = member(
        make(username="other_company_user", last_name="Más", first_name="Márton"),
        other,
        "sales_manager",
        "finance",
    )
    u["outsider"] = make(username="outsider", last_name="Kívül", first_name="Kálmán")
    u["superuser"] = make(
        username="superuser", last_name="Admin", first_name="Adél", is_superuser=True, is_staff=True
    )
    for sub, sup in (
        ("owner", "supervisor"),
        ("owner", "second_supervisor"),
        ("peer", "supervisor"),
        ("supervisor", "boss"),
        ("owner", "deactivated"),
    ):
        SupervisorLink.objects.create(user=u[sub], supervisor=u[sup])
    u["deactivated"].is_active = False
    u["deactivated"].save(update_fields=["is_active"])
    return org


def check_access(
    client,
    org: Org,
    url,
    *,
    allowed: set[str],
    method: str = "get",
    data: dict | None = None,
    ok_status: tuple[int, ...] = (200, 302),
    denied_status: tuple[int, ...] = (404,),
    row=None,
) -> dict[str, int]:
    """Runs ``url`` as every persona. Allowed ones must get ``ok_status``; the others
    ``denied_status`` (the deactivated user is sent to the log-in page instead). When ``row``
    is given, a refused request must leave it unchanged in the database. ``url`` may be a
    callable returning ``(url, row)``, called for each persona (for deletes: a fresh row each)."""
    outcome = {}
    make = url if callable(url) else None
    for persona in PERSONAS:
        user = org.users[persona]
        if make is not None:
            url, row = make()
        before = _snapshot(row)
        client.logout()
        client.force_login(user)
        response = getattr(client, method)(url, data or {})
        outcome[persona] = response.status_code
        if persona == "deactivated":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
                f"{persona}: {response.status_code}"
            )
        elif persona in allowed:
            assert response.status_code in ok_status, f"{persona}: {response.status_code}"
        else:
            assert response.status_code in denied_status, f"{persona}: {response.status_code}"
        if persona not in allowed and row is not None:
            assert _snapshot(row) == before, f"{persona} changed the row"
    client.logout()
    return outcome


def _snapshot(row):
    if row is None:
        return None
    fresh = type(row)._base_manager.filter(pk=row.pk).values().first()
    return fresh
