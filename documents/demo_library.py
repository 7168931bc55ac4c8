"""Demo data of subscriptions and the sales collateral library: a manager follows the
contracts folder in a daily digest, a rep is told at once of a new price list, and the
collateral folder holds a product sheet and a reference list beside the price list."""

from django.contrib.auth import get_user_model

from .models import Folder
from .subscriptions import Mode, Subscription, subscribe


def load_library() -> None:
    if Subscription.objects.exists():
        return
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_FOLLOWERS)}
    contracts = Folder.objects.filter(name="Szerződések").order_by("pk").first()
    collateral = Folder.objects.filter(is_collateral=True).order_by("pk").first()
    if contracts and "nagy.peter" in users:
        subscribe(user=users["nagy.peter"], mode=Mode.DAILY, folder=contracts)
    if collateral and "kovacs.anna" in users:
        subscribe(user=users["kovacs.anna"], mode=Mode.IMMEDIATE, folder=collateral)


DEMO_FOLLOWERS = ("nagy.peter", "kovacs.anna")
