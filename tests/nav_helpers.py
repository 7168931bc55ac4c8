"""The fake NAV taxpayer query (crm/integrations/nav_fake.py) on loopback, for tests."""

import threading
from contextlib import contextmanager

from django.test import override_settings

from crm.integrations.nav_fake import make_server

LOGIN, PASSWORD, SIGNATURE_KEY, OWN_TAX_NUMBER = "crmtest01", "jelszó-123", "sk-test-42", "12345676"


@contextmanager
def nav_service(*, delay=0.0, timeout=5, password=PASSWORD, data=None):
    """The fake running in a thread, the settings pointing at it with our credentials
    (``password`` is the one the fake expects: another one makes it refuse us)."""
    server = make_server(
        port=0,
        login=LOGIN,
        password=password,
        signature_key=SIGNATURE_KEY,
        tax_number=OWN_TAX_NUMBER,
        data=data,
        delay=delay,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        with nav_settings(f"http://127.0.0.1:{server.server_port}/invoiceService/v3", timeout):
            yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def nav_settings(url: str, timeout: int = 5):
    return override_settings(
        NAV_TAXPAYER_URL=url,
        NAV_LOGIN=LOGIN,
        NAV_PASSWORD=PASSWORD,
        NAV_SIGNATURE_KEY=SIGNATURE_KEY,
        NAV_TAX_NUMBER=OWN_TAX_NUMBER + "-2-41",
        NAV_TIMEOUT=timeout,
    )
