"""The Celery application.

Tasks always run in ``celery worker`` processes. With ``REDIS_URL`` set, tasks go through Redis and
periodic jobs are scheduled by ``celery beat``; run both beside the web processes. Without it,
tasks go through message files under ``DATA_DIR`` (kombu's filesystem transport), and
``manage.py serve`` starts a worker and the periodic jobs (``run_periodic_jobs``) as companion
processes of its own (``engage_site/companions.py``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage_site.settings")

app = Celery("engage_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
