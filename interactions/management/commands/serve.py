import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication

from engage_site.addresses import DEFAULT_BIND, local_url
from engage_site.companions import companions_start, companions_stop
from engage_site.wsgi import application


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = (
        "Serve the app with gunicorn. Without REDIS_URL it also runs a Celery worker on the "
        "embedded broker and the periodic jobs, as companion processes that stop with it; with "
        "REDIS_URL run celery worker and beat beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=DEFAULT_BIND, help="HOST:PORT (default: %(default)s)")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--task-concurrency",
            type=int,
            default=2,
            help="processes of the companion Celery worker (without REDIS_URL only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        companions = []
        if not settings.REDIS_URL:
            companions = companions_start(
                base_dir=settings.BASE_DIR, concurrency=options["task_concurrency"]
            )
        try:
            _Server(
                {
                    "bind": options["bind"],
                    "workers": options["workers"],
                    "threads": options["threads"],
                    "accesslog": "-",
                    # Method and path only: a query string is never logged, whatever it holds.
                    "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                    # Above the API's own limits (engage_site.api.views: 4094 and 8190), so the
                    # API answers 414 and 431 in its error shape; past these gunicorn answers
                    # itself, in HTML (see the README). 8190 is gunicorn's largest request line.
                    "limit_request_line": 8190,
                    "limit_request_field_size": 16380,
                    "when_ready": self._say_where,
                }
            ).run()
        finally:
            companions_stop(companions)

    def _say_where(self, server: Any) -> None:
        """Once the sockets are bound: the address really served (the port gunicorn got, even
        for port 0), and what runs beside it."""
        urls = [
            local_url(*listener.sock.getsockname()[:2])
            if listener.sock.family in (socket.AF_INET, socket.AF_INET6)
            else str(listener)
            for listener in server.LISTENERS
        ]
        beside = (
            "with a worker and the periodic jobs (Ctrl-C stops all)"
            if not settings.REDIS_URL
            else "(Ctrl-C stops it); run celery worker and beat beside it"
        )
        self.stdout.write(f"Serving on {', '.join(urls)} {beside} …")
        self.stdout.flush()
