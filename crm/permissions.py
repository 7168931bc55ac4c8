"""Functions (Django permissions) named in the user's language. Django stores a permission's
name once, in English, when the migrations run ("Can add partner", or the English text of a
model's ``Meta.permissions``), and the admin shows that text: a Hungarian admin read English
functions. ``permission_label`` names one in the active language: the model permissions from
their action and the model's verbose name, the others through the message catalogue (their
English name is the ``Meta.permissions`` text, marked for translation there)."""

from django import forms
from django.utils.translation import gettext, gettext_lazy

ACTIONS = {
    "add": gettext_lazy("Can add %(model)s"),
    "change": gettext_lazy("Can change %(model)s"),
    "delete": gettext_lazy("Can delete %(model)s"),
    "view": gettext_lazy("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """``permission``'s name in the active language (its content type read with it)."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in ACTIONS and model_name == model._meta.model_name:
        return str(ACTIONS[action]) % {"model": model._meta.verbose_name}
    return gettext(permission.name)


def permission_choice_label(permission) -> str:
    """As Django's admin lists a permission (``app | model | name``), in the active language."""
    model = permission.content_type.model_class()
    where = (
        f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name}"
        if model is not None
        else f"{permission.content_type.app_label} | {permission.content_type.model}"
    )
    return f"{where} | {permission_label(permission)}"


class PermissionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_choice_label(obj)


class PermissionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return permission_choice_label(obj)
