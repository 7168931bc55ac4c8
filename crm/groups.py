"""The default permission groups, and the helper later apps' data migrations use to add their
functions to them. Admins change the groups freely afterwards; nothing re-adds a removed one.
"""

DEFAULT_GROUPS = {
    "sales_rep": "Értékesítő",
    "sales_manager": "Értékesítési vezető",
    "marketing": "Marketing",
    "finance": "Pénzügy",
    "administrator": "Adminisztrátor",
}


_ORG_MODELS = ["company", "membership", "department", "role", "supervisorlink", "user"]

# The platform's functions of each default group (data migration crm/0002). Later apps add
# theirs with ``grant`` in their own data migrations.
CORE_GRANTS = {
    # reps run the queries their managers share with them (partners/0013)
    "sales_rep": ["crm.view_company", "crm.run_query_builder"],
    "sales_manager": [
        "crm.view_company",
        "crm.view_user",
        "crm.export_data",
        "crm.run_query_builder",
    ],
    "marketing": ["crm.view_company", "crm.export_data"],
    "finance": [
        "crm.view_company",
        "crm.export_data",
        "crm.view_all_company_records",
        "crm.run_query_builder",
    ],
    "administrator": [
        *(
            f"crm.{action}_{model}"
            for model in _ORG_MODELS
            for action in ("view", "add", "change", "delete")
        ),
        "auth.view_group",
        "auth.add_group",
        "auth.change_group",
        "auth.delete_group",
        "auth.view_permission",
        "crm.view_all_company_records",
        "crm.export_data",
        "crm.run_query_builder",
    ],
}


_TEMPLATES = ["crm.view_messagetemplate", "crm.change_messagetemplate", "crm.add_messagetemplate"]
# The outbox's functions (data migration crm/0006).
MESSAGING_GRANTS = {
    "sales_rep": ["crm.view_message"],
    "sales_manager": ["crm.view_message"],
    "marketing": ["crm.view_message", "crm.resend_message", *_TEMPLATES],
    "finance": ["crm.view_message", "crm.resend_message"],
    "administrator": [
        "crm.view_message",
        "crm.resend_message",
        *_TEMPLATES,
        "crm.delete_messagetemplate",
        "crm.view_suppression",
        "crm.delete_suppression",
    ],
}
ALL_GRANTS = [CORE_GRANTS, MESSAGING_GRANTS]


def register_grants(grants: dict[str, list[str]]) -> None:
    """An app's default functions (also granted by its data migration), so that
    ``ensure_default_groups`` recreates a missing group with them; called from ``ready()``."""
    if grants not in ALL_GRANTS:
        ALL_GRANTS.append(grants)


def ensure_default_groups() -> None:
    """Creates the default groups that do not exist (with the platform's functions); an
    existing group is left exactly as the admins made it."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    for key, name in DEFAULT_GROUPS.items():
        if not Group.objects.filter(name=name).exists():
            for grants in ALL_GRANTS:
                grant(apps, None, {key: grants.get(key, [])})


def grant(apps, schema_editor, grants: dict[str, list[str]]) -> None:
    """In a data migration: gives each default group (by key) the listed ``app.codename``
    functions, creating the groups and the permission rows when they do not exist yet."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if apps is global_apps:
            create_permissions(app_config, verbosity=0)
            continue
        # In a migration, permissions are not created yet: create them now (Django's recipe).
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for key, perms in grants.items():
        group, _ = Group.objects.get_or_create(name=DEFAULT_GROUPS[key])
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
