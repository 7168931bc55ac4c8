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


def grant(apps, schema_editor, grants: dict[str, list[str]]) -> None:
    """In a data migration: gives each default group (by key) the listed ``app.codename``
    functions, creating the groups and the permission rows when they do not exist yet."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; create them now (Django's recipe).
    for app_config in apps.get_app_configs():
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
