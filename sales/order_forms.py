"""Forms of the order and delivery screens: the list's filters, the order's edit form (header
and, while nothing is delivered, its lines' quantities) and a delivery's quantities per line.
Quantities are read the Hungarian way (``1 234,5``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .forms import DateInput
from .models import Order, OrderStatus
from .numbers import LocalDecimalField
from .templatetags.sales_tags import qty

OPEN_STATUSES = (OrderStatus.OPEN, OrderStatus.PARTLY_DELIVERED)


class OrderFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Number, title or partner"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("To be delivered")),
            (OrderStatus.OPEN, OrderStatus.OPEN.label),
            (OrderStatus.PARTLY_DELIVERED, OrderStatus.PARTLY_DELIVERED.label),
            (OrderStatus.DELIVERED, OrderStatus.DELIVERED.label),
            (OrderStatus.CANCELLED, OrderStatus.CANCELLED.label),
            ("all", _("All")),
        ],
    )
    mine = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        choices=[("", _("Me and my team")), ("1", _("Mine"))],
    )
    ordered_from = forms.DateField(label=_("Ordered from"), required=False, widget=DateInput())
    ordered_to = forms.DateField(label=_("Ordered until"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


def _quantity_field(label: str, *, initial=None, help_text: str = "") -> LocalDecimalField:
    return LocalDecimalField(
        label=label,
        required=False,
        initial=initial,
        max_digits=12,
        decimal_places=3,
        help_text=help_text,
    )


class OrderForm(BootstrapMixin, forms.ModelForm):
    """The order's header; with ``lines`` (nothing delivered yet) a quantity per line too,
    named ``line-<id>`` (zero removes the line)."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Order
        fields = [
            "title",
            "contact",
            "customer_reference",
            "requested_delivery_on",
            "delivery_address",
            "notes",
        ]
        widgets = {
            "requested_delivery_on": DateInput(),
            "delivery_address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = self.instance.partner.contacts.filter(
            erased_at__isnull=True
        )
        if not self.is_bound:
            self.fields["base_version"].initial = self.instance.version
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line-{line.pk}"] = _quantity_field(
                f"{line.name} ({line.unit})", initial=line.quantity
            )
        self.style_fields()

    def line_fields(self):
        return [(line, self[f"line-{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict:
        return {
            line.pk: self.cleaned_data[f"line-{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line-{line.pk}") is not None
        }


class DeliveryForm(BootstrapMixin, forms.Form):
    """What a delivery hands over: a quantity per order line that still has some to deliver
    (``line-<id>``, offered with what remains), the day and who received it."""

    delivered_on = forms.DateField(label=_("delivered on"), widget=DateInput())
    received_by = forms.CharField(label=_("received by"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        # a posted form keeps every line, so a quantity typed for a line that somebody else
        # delivered meanwhile is refused with what remains instead of being dropped
        self.lines = [line for line in lines if self.is_bound or line.quantity_remaining > 0]
        for line in self.lines:
            self.fields[f"line-{line.pk}"] = _quantity_field(
                line.name,
                initial=line.quantity_remaining,
                help_text=_("%(remaining)s %(unit)s remains")
                % {"remaining": qty(line.quantity_remaining), "unit": line.unit},
            )
        self.style_fields()

    def line_fields(self):
        return [(line, self[f"line-{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict:
        return {line.pk: self.cleaned_data.get(f"line-{line.pk}") for line in self.lines}
