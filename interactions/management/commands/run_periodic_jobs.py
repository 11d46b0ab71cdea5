import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from engage_site.celery import app

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process, in place of celery beat: "
        "`manage.py serve` starts it beside its worker without Redis, and --once suits cron. "
        "With Redis, run `celery beat` and `celery worker`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run every job once, then stop (e.g. from cron)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The tasks modules are found by autodiscovery, which a worker triggers at start-up.
        app.loader.import_default_modules()
        beat_schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        tasks = {name: app.tasks[entry["task"]] for name, entry in beat_schedule.items()}
        intervals = {
            name: entry["schedule"].total_seconds() for name, entry in beat_schedule.items()
        }
        if options["once"]:
            for name in tasks:
                self._run(name, tasks[name])
            return

        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        due = dict.fromkeys(tasks, time.monotonic())
        self.stdout.write(f"Running periodic jobs: {', '.join(tasks)}")
        while not stopping:
            now = time.monotonic()
            for name, task in tasks.items():
                if now >= due[name]:
                    due[name] = now + intervals[name]
                    self._run(name, task)
            time.sleep(0.5)

    def _run(self, name: str, task: Any) -> None:
        try:
            task.apply(throw=True)
        except Exception:
            logger.exception("Periodic job %s failed; it runs again at its next interval", name)
