"""The URL to open for an address the server binds (``serve`` and ``bootstrap_demo`` print it)."""

import ipaddress

DEFAULT_BIND = "127.0.0.1:8000"
# gunicorn's port when a bind names only the host.
_DEFAULT_PORT = 8000


def local_url(host: str, port: int) -> str:
    """``http://host:port``, with a wildcard host (listening on every interface) replaced by the
    loopback address of its family, which reaches it from this machine."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    shown = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{shown}:{port}"


def bind_url(bind: str) -> str:
    """The URL of a gunicorn ``--bind`` value (``HOST:PORT``, ``[V6]:PORT``, ``HOST``); a Unix
    socket (``unix:PATH``) or a file descriptor (``fd://N``) is returned as given."""
    if bind.startswith(("unix:", "fd://")):
        return bind
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":")
    elif bind.count(":") == 1:
        host, port = bind.split(":")
    else:
        host, port = bind, ""
    return local_url(host or "127.0.0.1", int(port) if port.isdigit() else _DEFAULT_PORT)
