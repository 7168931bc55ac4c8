"""Generic views for scoped records: list, detail, create, edit, delete.

Each starts from ``visible_to`` / ``editable_by`` (``crm/scoping.py``). The list pages by
keyset (``?after=<id>``), so a page costs the same queries whatever the number of rows.
Apps subclass these and set ``model``, ``fields`` and templates.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views import generic

from .scoping import current_company_id, get_editable_or_403, get_visible_or_404
from .versioning import Conflict, save_versioned


class ScopedListView(LoginRequiredMixin, generic.ListView):
    page_size = 50
    select_related: tuple[str, ...] = ("owner",)

    def base_queryset(self):
        """The rows before scoping: filters of the screen go here, never access rules."""
        queryset = self.model.objects.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        after = self.request.GET.get("after", "")
        rows = self.base_queryset().visible_page(
            self.request.user,
            after=int(after) if after.isdigit() else None,
            size=self.page_size,
        )
        has_next = len(rows) > self.page_size
        rows = rows[: self.page_size]
        kwargs.setdefault("object_list", rows)
        context = super().get_context_data(**kwargs)
        context["next_after"] = rows[-1].pk if has_next and rows else None
        return context

    def paginate_queryset(self, queryset, page_size):  # keyset instead of OFFSET pages
        return None


class ScopedDetailView(LoginRequiredMixin, generic.DetailView):
    def get_object(self, queryset=None):
        return get_visible_or_404(self.model, self.request.user, pk=self.kwargs["pk"])


class VersionedForm(forms.ModelForm):
    """A model form that carries the version it was loaded with."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["base_version"].initial = self.instance.version


class ScopedCreateView(LoginRequiredMixin, generic.CreateView):
    """New records belong to the user's current company and are owned by the user."""

    def dispatch(self, request, *args, **kwargs):
        opts = self.model._meta
        if request.user.is_authenticated and not request.user.has_perm(
            f"{opts.app_label}.add_{opts.model_name}"
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        company_id = current_company_id(self.request.user)
        if company_id is None:
            form.add_error(None, _("You belong to no own company yet; ask the administrator."))
            return self.form_invalid(form)
        form.instance.company_id = company_id
        form.instance.owner = self.request.user
        form.instance.created_by = self.request.user
        return super().form_valid(form)


class ScopedUpdateView(LoginRequiredMixin, generic.UpdateView):
    """Edits only what ``editable_by`` allows; a stale form gets a conflict message, and what
    the user typed stays in the form."""

    def get_object(self, queryset=None):
        return get_editable_or_403(self.model, self.request.user, pk=self.kwargs["pk"])

    def form_valid(self, form):
        base = form.cleaned_data.get("base_version") or self.object.version
        try:
            save_versioned(
                form.instance,
                expected_version=base,
                fields=[name for name in form._meta.fields if name in form.fields],
            )
        except Conflict as conflict:
            if conflict.current is None:
                messages.error(self.request, _("Somebody deleted this record meanwhile."))
                return HttpResponseRedirect(self.list_url())
            names = ", ".join(
                str(self.model._meta.get_field(name).verbose_name)
                for name in conflict.changed_fields
            )
            who = conflict.changed_by or _("another user")
            form.add_error(
                None,
                _(
                    "%(who)s saved this record while you were editing it (changed: %(fields)s). "
                    "Check the current values below the form, then save again to overwrite them."
                )
                % {"who": who, "fields": names or "–"},
            )
            # The next save is checked against the version the user has now seen.
            data = form.data.copy()
            data["base_version"] = conflict.current.version
            form.data = data
            return self.render_to_response(self.get_context_data(form=form, conflict=conflict))
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(self.get_success_url())

    def list_url(self) -> str:
        """Where to go when the record is gone; apps point it at their list."""
        return "/"


class ScopedDeleteView(LoginRequiredMixin, generic.DeleteView):
    def get_object(self, queryset=None):
        return get_editable_or_403(
            self.model, self.request.user, action="delete", pk=self.kwargs["pk"]
        )
