import logging
import signal
import time
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process, for installs without "
        "Redis. "
        "With Redis, run `celery beat` and `celery worker` instead."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        beat_schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        schedule = {
            name: entry["schedule"].total_seconds() for name, entry in beat_schedule.items()
        }
        due = dict.fromkeys(schedule, time.monotonic())
        self.stdout.write(f"Running periodic jobs: {', '.join(schedule)}")
        while not stopping:
            now = time.monotonic()
            for name, interval in schedule.items():
                if now < due[name]:
                    continue
                due[name] = now + interval
                task = current_app.tasks[beat_schedule[name]["task"]]
                try:
                    task.apply(throw=True)
                except Exception:
                    logger.exception("Periodic job %s failed; it runs again in %ss", name, interval)
            time.sleep(0.5)
