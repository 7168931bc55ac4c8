from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .linkables import registry
from .models import DocumentType, Folder


class AttachForm(BootstrapMixin, forms.Form):
    """The first step of attaching: what the document is, where it goes, what it belongs to.
    The links come from the page it was started on (``?partner=12``), only records the user
    sees."""

    title = forms.CharField(
        label=_("Title"),
        max_length=250,
        required=False,
        help_text=_("Empty: the file's name."),
    )
    type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    folder = forms.ModelChoiceField(
        label=_("Folder"),
        queryset=Folder.objects.none(),
        required=False,
        empty_label=_("– no folder –"),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["folder"].queryset = Folder.objects.writable_by(user).order_by("tree_id", "lft")
        self.fields["folder"].label_from_instance = lambda f: "· " * f.level + f.name
        for kind in registry.ordered():
            self.fields[kind.key] = forms.IntegerField(
                required=False, widget=forms.HiddenInput, min_value=1
            )
        self.style_fields()

    def clean_tags(self):
        raw = self.cleaned_data.get("tags") or ""
        seen = []
        for tag in (t.strip() for t in raw.split(",")):
            if tag and tag.lower() not in (s.lower() for s in seen):
                seen.append(tag[:50])
        return seen[:20]

    def linked_records(self) -> list:
        """The records to link (visible to the user), from the cleaned or initial data."""
        records = []
        data = self.cleaned_data if hasattr(self, "cleaned_data") else self.initial
        for kind in registry.ordered():
            pk = data.get(kind.key)
            if pk:
                record = kind.visible(self.user).filter(pk=pk).first()
                if record is not None:
                    records.append((kind, record))
        return records

    def clean(self):
        cleaned = super().clean()
        for kind in registry.ordered():
            pk = cleaned.get(kind.key)
            if pk and not kind.visible(self.user).filter(pk=pk).exists():
                raise forms.ValidationError(
                    _("The %(kind)s to link is not found.") % {"kind": kind.label}
                )
        return cleaned


class DocumentEditForm(BootstrapMixin, forms.Form):
    """The details of a document, changed later; ``version`` is the one the form was loaded
    with, so a stale form does not overwrite a newer save (``crm.versioning``)."""

    title = forms.CharField(label=_("Title"), max_length=250)
    type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    folder = forms.ModelChoiceField(
        label=_("Folder"),
        queryset=Folder.objects.none(),
        required=False,
        empty_label=_("– no folder –"),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    clean_tags = AttachForm.clean_tags

    def __init__(self, *args, user, document, **kwargs):
        initial = {
            "title": document.title,
            "type": document.type,
            "folder": document.folder_id,
            "description": document.description,
            "tags": ", ".join(document.tags),
            "version": document.version,
        }
        super().__init__(*args, initial=initial, **kwargs)
        # the folders the user may write to, and the one it is in now
        writable = Folder.objects.writable_by(user).values("pk")
        self.fields["folder"].queryset = Folder.objects.filter(
            Q(pk__in=writable) | Q(pk=document.folder_id or 0)
        ).order_by("tree_id", "lft")
        self.fields["folder"].label_from_instance = lambda f: "· " * f.level + f.name
        self.style_fields()


class AuditFilterForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        from .models import Action

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Every action")), *Action.choices]
        self.style_fields()
