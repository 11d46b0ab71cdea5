"""The Celery application.

With ``REDIS_URL`` set, tasks go to Redis and run in ``celery worker`` processes, and periodic
jobs are scheduled by ``celery beat``. Without it, tasks run eagerly in the calling process and
``manage.py serve`` runs the periodic jobs in a companion process (``run_periodic_jobs``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage_site.settings")

app = Celery("engage_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
