"""The edit forms' common ending: run the update service, and show a lost update or a
service's validation error on the form in the user's language."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .versioning import Conflict


def save_edit(request, form, save, *, gone_url: str):
    """Runs an update service for an edit form: (True, None) when saved; (a redirect, None)
    when the record was deleted meanwhile; (False, the conflict or None) when the form must be
    shown again with the reason (a newer save, or a validation error of the service)."""
    try:
        save()
    except Conflict as exc:
        if exc.current is None:
            messages.error(request, _("Somebody deleted this record meanwhile."))
            return redirect(gone_url), None
        conflict_message(form, exc, form._meta.model)
        return False, exc
    except ValidationError as error:
        add_errors(form, error)
        return False, None
    messages.success(request, _("Saved."))
    return True, None


def conflict_message(form, conflict: Conflict, model) -> None:
    names = ", ".join(
        str(model._meta.get_field(name).verbose_name) for name in conflict.changed_fields
    )
    form.add_error(
        None,
        _(
            "%(who)s saved this record while you were editing it (changed: %(fields)s). "
            "Check the current values below the form, then save again to overwrite them."
        )
        % {"who": conflict.changed_by or _("another user"), "fields": names or "–"},
    )
    data = form.data.copy()
    data["base_version"] = conflict.current.version
    form.data = data


def add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
