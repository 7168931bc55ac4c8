"""The development server of ``make run`` (``manage.py runserver``), as an app of its own so that
its command comes before ``django.contrib.staticfiles``' in ``INSTALLED_APPS``."""
