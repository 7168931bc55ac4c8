import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
application = get_wsgi_application()

# The cyclic garbage collector, tuned for a web worker (gunicorn imports this module once in
# each worker). A page allocates tens of thousands of objects that reference counting frees;
# with Python's default threshold (a collection every 700 new objects) the collector runs some
# seventy times a page and walks the survivors each time. Freezing what the start-up made
# (Django, the apps, the settings) keeps the collector from walking it ever again, and a
# collection every WEB_GC_THRESHOLD (50,000) new objects leaves it a few times a page. Measured
# in process on the 1M-partner benchmark data, alternated 30 times: the partner list's first
# page took 11.1 ms of CPU with Python's defaults, 10.4 ms frozen, 9.95 ms frozen with this
# threshold. The pages leave no cycles of their own behind (crm/garbage.py), so a collection
# finds little to free: before they did, one freed some 130 list pages' garbage at once, a
# pause of 60-90 ms of CPU every 130 requests of a worker.
if settings.WEB_GC_THRESHOLD:
    gc.collect()
    gc.freeze()
    gc.set_threshold(settings.WEB_GC_THRESHOLD, 10, 10)
