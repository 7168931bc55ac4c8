import copy
import re
import threading

import phonenumbers
from cachetools import TTLCache
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin, PreparedChoices, SharedFieldsForm
from crm.scoped_views import VersionedForm
from crm.validators import normalise_registration_number, normalise_tax_number

from . import attributes, reference, taxcheck
from .models import (
    AttributeTarget,
    Contact,
    ContactType,
    County,
    Industry,
    Partner,
    PartnerAddress,
    Status,
    Tag,
)

SEPARATORS = re.compile(r"[;,\n]+")


class ListField(forms.CharField):
    """Several values in one box, separated by new lines, commas or semicolons."""

    widget = forms.Textarea(attrs={"rows": 2})

    def item(self, value: str) -> str:
        return value

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        items = [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]
        return list(dict.fromkeys(self.item(part) for part in items))


class EmailsField(ListField):
    def item(self, value: str) -> str:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                _("%(value)s is not a valid e-mail address."), params={"value": value}
            ) from None
        return value.lower()


class PhonesField(ListField):
    """Phone numbers in international form (``+36 30 123 4567``); Hungarian ones may be
    typed the domestic way (``06 30 123 4567``)."""

    def item(self, value: str) -> str:
        return normalise_phone(value)


def normalise_phone(value: str) -> str:
    text = value.strip()
    if text.startswith("06"):
        text = "+36" + text[2:]
    try:
        number = phonenumbers.parse(text, "HU")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(
            _("%(value)s is not a phone number; write it like +36 30 123 4567."),
            params={"value": value},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class PartnerForm(BootstrapMixin, VersionedForm):
    # A text box, not type="url": browsers refuse "pelda.hu" there, which the field accepts
    # (https:// assumed).
    website = forms.URLField(
        label=_("website"),
        required=False,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )
    phones = PhonesField(label=_("phones"), required=False)
    emails = EmailsField(label=_("e-mails"), required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Save it anyway: it is a different company"), required=False
    )
    # Posted by "Fill from registry", which re-renders the form without saving it.
    PREVIEW_FIELD = "registry_fill"

    class Meta:
        model = Partner
        fields = [
            "name",
            "short_name",
            "tax_number",
            "eu_vat_number",
            "registration_number",
            "postcode",
            "city",
            "street",
            "county",
            "phones",
            "emails",
            "website",
            "industry",
            "headcount",
            "tags",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.order_by("code")
        self.fields["tags"].queryset = Tag.objects.order_by("name")
        self.attribute_names = attributes.add_fields(
            self, AttributeTarget.PARTNER, self.instance.attributes or {}
        )
        self.duplicates = []
        self.nav_check = None  # NAV's verdict on a new or changed tax number (taxcheck)
        self.style_fields()

    def clean_tax_number(self):
        value = self.cleaned_data.get("tax_number") or ""
        number = normalise_tax_number(value) if value.strip() else None
        self._check_with_nav(number)
        return number

    def _check_with_nav(self, number: str | None) -> None:
        """A new or changed tax number that passed the checksum is asked about at NAV
        (``partners.taxcheck``): refused if NAV calls it invalid; without NAV's verdict the
        checksum alone decides. An unchanged number is not asked about again."""
        if not number or (self.instance.pk and number == self.instance.tax_number):
            return
        self.nav_check = taxcheck.check(number)
        if self.nav_check.state == taxcheck.INVALID:
            raise ValidationError(taxcheck.INVALID_MESSAGE, code="tax_number_nav")

    def clean_registration_number(self):
        value = self.cleaned_data.get("registration_number") or ""
        return normalise_registration_number(value) if value.strip() else ""

    def clean(self):
        cleaned = super().clean()
        from .services import duplicates_of

        if "name" not in cleaned:
            return cleaned
        confirmed = cleaned.get("confirm_duplicate")
        # An edit that keeps the name checks the numbers only: the partner was saved with that
        # name already. A changed registration number is checked, a kept one is not.
        renamed = not self.instance.pk or "name" in self.changed_data
        registration = cleaned.get("registration_number") or ""
        if self.instance.pk and registration == self.instance.registration_number:
            registration = ""
        self.duplicates = duplicates_of(
            name=cleaned["name"] if renamed and not confirmed else "",
            tax_number=cleaned.get("tax_number"),
            registration_number="" if confirmed else registration,
            exclude_pk=self.instance.pk,
        )
        same_tax = [
            p for p in self.duplicates if p.tax_number and p.tax_number == cleaned.get("tax_number")
        ]
        same_registration = [
            p for p in self.duplicates if registration and p.registration_number == registration
        ]
        if same_tax:
            # Never saved anyway: a tax number belongs to one company (the database says so too).
            found = _("A partner with this tax number already exists.")
            what_to_do = _(
                "It is %(name)s: open it, or take it on for your company, instead of saving"
                " it again."
            ) % {"name": same_tax[0].name}
            self.add_error("tax_number", f"{found} {what_to_do}")
        elif confirmed or not self.saving:
            pass
        elif same_registration:
            self.add_error(
                "registration_number",
                _(
                    "%(name)s already has this company registration number. Check that this is"
                    " a different company, then tick the box to save it anyway."
                )
                % {"name": same_registration[0].name},
            )
        elif self.duplicates and not self.instance.pk:
            self.add_error(
                None,
                _(
                    "Partners with a similar name exist. Check that this is a new company,"
                    " then tick the box to save it anyway."
                ),
            )
        return cleaned

    @property
    def saving(self) -> bool:
        """Whether the form was posted to be saved: not when "Fill from registry" re-renders it
        (its button posts ``PREVIEW_FIELD``); the similar names are only listed then."""
        return self.is_bound and not self.data.get(self.PREVIEW_FIELD)

    def save(self, commit=True):
        self.instance.attributes = attributes.collect(self, self.instance.attributes)
        return super().save(commit=commit)


class AddressForm(BootstrapMixin, forms.ModelForm):
    """A site or mailing address of a partner (the seat is on the partner form itself)."""

    class Meta:
        model = PartnerAddress
        fields = ["kind", "postcode", "city", "street", "county"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class BaseAddressFormSet(forms.BaseFormSet):
    def usable(self) -> bool:
        """Valid, or not posted at all (then the addresses stay as they are)."""
        return not self.is_bound or self.is_valid()

    def addresses(self) -> list[dict] | None:
        """The filled-in, not deleted addresses, as dicts for ``partner_addresses_set``;
        None when the form did not post them."""
        if not self.is_bound:
            return None
        return [
            {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in self.forms
            # an existing address the user left as it was is kept too (it is not "changed");
            # an empty extra row has no cleaned data
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


AddressFormSet = forms.formset_factory(
    AddressForm, formset=BaseAddressFormSet, extra=1, can_delete=True, max_num=20
)


def address_formset(data=None, partner=None) -> BaseAddressFormSet:
    initial = []
    if partner is not None and partner.pk:
        initial = list(partner.addresses.values("kind", "postcode", "city", "street", "county"))
    if data is not None and "addr-TOTAL_FORMS" not in data:
        data = None  # a post without the address rows (an API-like client): leave them alone
    return AddressFormSet(data, initial=initial, prefix="addr")


def assignable_responsibles(user, *, keep: int | None = None):
    """Whom ``user`` may make a contact's responsible user: the active people of their current
    own company (as a task may be given to a colleague), and the contact's present one
    (``keep``), so that saving other changes never fails on a choice made elsewhere."""
    from django.contrib.auth import get_user_model

    from crm.scoping import current_company_id

    company_id = current_company_id(user) if user is not None else None
    offered = Q(is_active=True, memberships__company_id=company_id) if company_id else Q(pk=None)
    if keep is not None:
        offered |= Q(pk=keep)
    people = get_user_model().objects.filter(offered).distinct()
    return people.order_by("last_name", "first_name", "pk")


class ContactForm(BootstrapMixin, VersionedForm):
    phones = PhonesField(label=_("phones"), required=False)
    emails = EmailsField(label=_("e-mails"), required=False)
    types = forms.ModelMultipleChoiceField(
        label=_("types"),
        queryset=ContactType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Contact
        fields = [
            "title",
            "family_name",
            "given_name",
            "position",
            "emails",
            "phones",
            "language",
            "responsible",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "responsible": {
                "invalid_choice": _(
                    "Choose an active colleague of your own company as the responsible user."
                )
            }
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["types"].queryset = ContactType.objects.all()
        self.fields["responsible"].queryset = assignable_responsibles(
            user, keep=self.instance.responsible_id
        )
        self.fields["responsible"].empty_label = _("nobody")
        self.fields["responsible"].help_text = _(
            "Sees this contact, as do their supervisors, even without seeing the partner."
        )
        if self.instance.pk and not self.is_bound:
            self.fields["types"].initial = list(self.instance.types.values_list("pk", flat=True))
        self.attribute_names = attributes.add_fields(
            self, AttributeTarget.CONTACT, self.instance.attributes or {}
        )
        self.style_fields()

    def save(self, commit=True):
        self.instance.attributes = attributes.collect(self, self.instance.attributes)
        return super().save(commit=commit)


class _PartnerFilterFields(BootstrapMixin, forms.Form):
    """The partner list's filters (``PartnerFilterForm``); every value is optional and
    validated (a bad value is a message, never a 500)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all")), *Status.choices]
    )
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    subtree = forms.BooleanField(label=_("and team"), required=False)
    industry = forms.ModelChoiceField(
        label=_("Industry"),
        required=False,
        queryset=Industry.objects.order_by("code"),
        empty_label=_("all"),
    )
    county = forms.ChoiceField(
        label=_("County"), required=False, choices=[("", _("all")), *County.choices]
    )
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    tag = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=Tag.objects.all(), empty_label=_("all")
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("name", _("name")),
            ("city", _("city")),
            ("-created", _("newest first")),
        ],
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self):
        super().__init__()
        reference_choices(self, industry=reference.industries(), tag=reference.tags())
        attribute_filter_fields(self, AttributeTarget.PARTNER)
        self.style_fields()


class _ContactFilterFields(BootstrapMixin, forms.Form):
    """The contact list's filters (``ContactFilterForm``)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    type = forms.ModelChoiceField(
        label=_("Type"), required=False, queryset=ContactType.objects.all(), empty_label=_("all")
    )
    # "Owner" and "responsible user" are both "felelős" in Hungarian: whose, the labels say
    owner = forms.TypedChoiceField(
        label=_("Partner's owner"), required=False, coerce=int, empty_value=None
    )
    responsible = forms.TypedChoiceField(
        label=_("Contact's responsible user"), required=False, coerce=int, empty_value=None
    )
    county = forms.ChoiceField(
        label=_("County"), required=False, choices=[("", _("all")), *County.choices]
    )
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    tag = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=Tag.objects.all(), empty_label=_("all")
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self):
        super().__init__()
        reference_choices(self, type=reference.contact_types(), tag=reference.tags())
        attribute_filter_fields(self, AttributeTarget.CONTACT)
        self.style_fields()


# The owner filter's choices, by (language, the people): a company's few hundred people.
_owner_choices: TTLCache = TTLCache(500, 300)
_owner_lock = threading.Lock()


def _sources() -> tuple:
    """The reference lists the shared fields' choices are drawn from: a change to any of them
    (a new list object) builds the fields again."""
    return (
        reference.industries(),
        reference.tags(),
        reference.contact_types(),
        reference.attribute_definitions(),
    )


class SharedFieldsFilterForm(SharedFieldsForm):
    """A list's filter form whose fields are shared (``crm.forms.SharedFieldsForm``); only the
    owner filter's choices belong to the request."""

    def sources(self) -> tuple:
        return _sources()

    def __init__(self, data=None, *, owners=()):
        super().__init__(data)
        self.attribute_definitions = self.built.attribute_definitions
        owner = copy.copy(self.fields["owner"])
        owner.widget = copy.copy(owner.widget)
        owner.choices = _owner_options(owners)
        self.fields["owner"] = owner

    @property
    def attribute_fields(self) -> list:
        """The bound filters of the user-defined attributes, in order (the filter row draws
        them after the fixed ones)."""
        return [self[name] for name in self.fields if name.startswith("attr_")]


def _owner_options(owners) -> PreparedChoices:
    people = tuple((person.pk, str(person)) for person in owners)
    key = (get_language(), people)
    with _owner_lock:
        found = _owner_choices.get(key)
    if found is None:
        found = PreparedChoices([("", _("anyone")), *people])
        with _owner_lock:
            _owner_choices[key] = found
    return found


class PartnerFilterForm(SharedFieldsFilterForm):
    prototype = _PartnerFilterFields


class ContactFilterForm(SharedFieldsFilterForm):
    prototype = _ContactFilterFields

    def __init__(self, data=None, *, owners=(), responsibles=()):
        super().__init__(data, owners=owners)
        # any colleague: a filter, not access (the list stays within visible_to)
        responsible = copy.copy(self.fields["responsible"])
        responsible.widget = copy.copy(responsible.widget)
        responsible.choices = _owner_options(responsibles)
        self.fields["responsible"] = responsible


def reference_choices(form: forms.Form, **lists) -> None:
    """The options of model select boxes from cached reference lists (``partners.reference``)
    instead of a count and a server-side cursor per rendering; choosing one is still checked
    against the field's queryset."""
    for name, rows in lists.items():
        field = form.fields[name]
        field.choices = [("", field.empty_label), *((row.pk, str(row)) for row in rows)]


def attribute_filter_fields(form: forms.Form, target: str) -> None:
    """List filters for the choice and yes/no user-defined attributes of ``target``."""
    form.attribute_definitions = {}
    for definition in attributes.definitions(target):
        if definition.kind not in ("choice", "multiple", "boolean"):
            continue
        if definition.kind == "boolean":
            field = attributes.form_field(definition)
            field.required = False
        else:
            field = forms.ChoiceField(
                label=definition.label,
                required=False,
                choices=[("", _("all")), *definition.choice_list()],
            )
        name = attributes.FIELD_PREFIX + definition.key
        form.fields[name] = field
        form.attribute_definitions[name] = definition


class AssignForm(BootstrapMixin, forms.Form):
    owners = forms.TypedMultipleChoiceField(
        label=_("Owners"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {u.pk: u for u in users}
        self.fields["owners"].choices = [(u.pk, str(u)) for u in users]
        self.style_fields()
