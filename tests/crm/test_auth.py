"""Log in, log out, password change and reset, throttling: in Hungarian first, English too."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "jelszo-Teszt-2026"
pytestmark = pytest.mark.django_db


def test_home_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_hungarian_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="hu">' in html
    assert "Bejelentkezés" in html
    assert "Elfelejtette a jelszavát?" in html


def test_login_page_in_english_after_switching(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Forgotten your password?" in html


def test_login_shows_the_home_page_with_the_users_name(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Jó napot, János!" in html
    assert "Kiss János" in html  # family name first in the user menu


def test_wrong_password_says_so_in_hungarian_and_keeps_the_user_name(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "rossz"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Írjon be egy helyes" in html
    assert f'value="{user.username}"' in html


def test_logout_needs_post_and_ends_the_session(logged_in_client):
    response = logged_in_client.post(reverse("logout"))
    assert response.status_code == 302
    assert logged_in_client.get("/").status_code == 302


def test_repeated_failures_lock_the_login(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "rossz"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Túl sok próbálkozás" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_change_rejects_a_weak_password_and_keeps_the_old_one(logged_in_client, user):
    response = logged_in_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "túlságosan gyakori" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change(logged_in_client, user):
    response = logged_in_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Uj-Jelszo-2027!",
            "new_password2": "Uj-Jelszo-2027!",
        },
        follow=True,
    )
    assert "A jelszavát módosítottuk." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("Uj-Jelszo-2027!")


def test_password_reset_by_email_over_smtp(client, smtp_server):
    user = UserFactory(
        username="szabo.eva", first_name="Éva", last_name="Szabó", email="szabo.eva@example.hu"
    )
    response = client.post(
        reverse("password_reset"), {"email": "szabo.eva@example.hu"}, follow=True
    )
    assert "E-mail elküldve" in response.content.decode()

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["szabo.eva@example.hu"]
    body = envelope.content.decode()
    assert "Kedves Szabó Éva!" in body or "Kedves =?utf-8?" in body or "Szab" in body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", body).group(1)

    form_page = client.get(link, follow=True)
    assert "Új jelszó beállítása" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Friss-Jelszo-99", "new_password2": "Friss-Jelszo-99"},
        follow=True,
    )
    assert "Az új jelszava beállítva." in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("Friss-Jelszo-99")


def test_password_reset_for_unknown_address_looks_the_same_and_sends_nothing(client, smtp_server):
    response = client.post(reverse("password_reset"), {"email": "senki@example.hu"}, follow=True)
    assert "E-mail elküldve" in response.content.decode()
    assert smtp_server.messages == []


def test_password_reset_with_the_mail_server_refusing_is_no_error_page(client, smtp_server, caplog):
    """Django logs the failure and shows the same page as for any address (no enumeration)."""
    UserFactory(username="toth.bela", email="toth.bela@example.hu")
    smtp_server.refuse_with = "554 Transaction failed"
    response = client.post(
        reverse("password_reset"), {"email": "toth.bela@example.hu"}, follow=True
    )
    assert response.status_code == 200
    assert "E-mail elküldve" in response.content.decode()
    assert "Failed to send password reset email" in caplog.text


def test_an_unknown_page_is_a_hungarian_404(logged_in_client, settings):
    settings.DEBUG = False
    response = logged_in_client.get("/nincs-ilyen-oldal/")
    assert response.status_code == 404
    assert "Nem található" in response.content.decode()


def test_behind_a_proxy_the_lock_is_per_client_address(client, user, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": user.username, "password": "rossz"},
            HTTP_X_FORWARDED_FOR="198.51.100.7, 127.0.0.1",
        )
    locked = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 127.0.0.1",
    )
    assert locked.status_code == 429
    other = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.8, 127.0.0.1",
    )
    assert other.status_code == 302
