"""Forms of the invoice screens: a new invoice (a quantity per line, filled in with what is
left, and the payment terms), payment, cancellation, the list's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms import BootstrapMixin

from .forms import DateInput
from .models import PaymentMethod
from .numbers import LocalDecimalField


class InvoiceCreateForm(BootstrapMixin, forms.Form):
    """``q_<key>`` per invoiceable line (``sales.invoices.Invoiceable``), then the terms."""

    payment_method = forms.ChoiceField(
        label=_("payment method"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    due_on = forms.DateField(
        label=_("due date"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: the company's payment term (a transfer), or today."),
    )
    fulfilled_on = forms.DateField(label=_("fulfilment date"), required=False, widget=DateInput())
    exchange_rate = LocalDecimalField(
        label=_("exchange rate (HUF)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=4,
        help_text=_("Forints to one unit of the currency (the MNB rate of the day)."),
    )
    notes = forms.CharField(
        label=_("notes"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, invoiceables, currency: str, from_order: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoiceables = invoiceables
        for item in invoiceables:
            if item.remaining <= 0:
                continue
            self.fields[f"q_{item.key}"] = LocalDecimalField(
                label=item.order_line.name,
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=3,
                initial=item.remaining.normalize(),
            )
        if not from_order:
            del self.fields["fulfilled_on"]  # the delivery's day
        if currency == "HUF":
            del self.fields["exchange_rate"]
        else:
            self.fields["exchange_rate"].required = True
            self.fields["exchange_rate"].error_messages["required"] = _(
                "An invoice in a foreign currency needs the exchange rate of the day (HUF)."
            )
        self.style_fields()

    def rows(self):
        """(invoiceable, its field or None) in the order of the lines, for the template."""
        return [
            (item, self[f"q_{item.key}"] if item.remaining > 0 else None)
            for item in self.invoiceables
        ]

    def terms(self):
        names = ("payment_method", "due_on", "fulfilled_on", "exchange_rate")
        return [self[name] for name in names if name in self.fields]

    def quantities(self) -> dict:
        return {
            item.key: self.cleaned_data.get(f"q_{item.key}") or 0
            for item in self.invoiceables
            if item.remaining > 0
        }


class PaidForm(BootstrapMixin, forms.Form):
    paid_on = forms.DateField(label=_("paid on"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=300, widget=forms.TextInput(attrs={"maxlength": 300})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


FILTERS = [
    ("", _("all")),
    ("open", _("open")),
    ("overdue", _("overdue")),
    ("paid", _("paid")),
    ("cancelled", _("cancelled")),
]


class InvoiceFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("status"), choices=FILTERS, required=False)
    mine = forms.BooleanField(label=_("only mine"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
