"""``manage.py runserver`` whose request threads close their database connections when the
browser's connection ends, and which leaves static files to WhiteNoise's middleware.

Django's development server starts a thread for each browser connection and, unlike its test
server (``ThreadedWSGIServer``), never closes the database connections those threads opened.
With persistent connections (``DATABASE_CONN_MAX_AGE``) a finished thread's connection was
closed only when the garbage collector freed it, which web processes run rarely
(``WEB_GC_THRESHOLD``, crm/wsgi.py): a browser session left six idle connections behind, and
an afternoon of clicking under ``make run`` filled PostgreSQL's ``max_connections``.
"""

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.servers.basehttp import WSGIServer
from django.db import connections


class ClosingWSGIServer(WSGIServer):
    """Runs ``close_request`` in the request's own thread (``ThreadingMixIn``), so the
    connections it closes are that thread's."""

    def close_request(self, request):
        connections.close_all()
        super().close_request(request)


class Command(StaticRunserver):
    server_cls = ClosingWSGIServer

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # WhiteNoise's middleware serves static files, also in development (as
        # whitenoise.runserver_nostatic did).
        parser.set_defaults(use_static_handler=False)
