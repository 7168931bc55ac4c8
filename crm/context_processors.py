from django.conf import settings

from .menu import menu


def shell(request) -> dict:
    """What the base layout needs on every page: the menu and the languages."""
    user = getattr(request, "user", None)
    entries = menu.for_user(user, request.path) if user and user.is_authenticated else []
    return {"main_menu": entries, "shell_languages": settings.LANGUAGES}
