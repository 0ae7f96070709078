"""An endpoint stopped while its watcher is mid-check must not reopen behind stop()'s back."""

from __future__ import annotations

import socket
import threading
import time

from ccrgui.lab.faults import Faults
from ccrgui.lab.topology import default_topology
from ccrgui.lab.wsman.server import WSManServer


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_stop_during_a_watch_check_leaves_the_endpoint_closed() -> None:
    stopping = threading.Event()
    server: WSManServer | None = None

    def is_down() -> bool:
        # The watcher asks while stop() runs: answer "up" only once the listener is closed,
        # the moment at which a watcher racing stop() would reopen it.
        if stopping.is_set() and server is not None:
            deadline = time.monotonic() + 3.0
            while server._httpd is not None and time.monotonic() < deadline:
                time.sleep(0.01)
        return False

    server = WSManServer(
        "EXNODE1",
        resolve=lambda: None,
        faults=Faults(),
        accounts=default_topology().accounts,
        is_down=is_down,
    )
    server.start()
    port = server.port
    assert _listening(port)
    stopping.set()
    time.sleep(0.1)  # the watcher is now inside is_down(), waiting for the listener to close
    server.stop()
    time.sleep(0.2)
    assert not server.up
    assert not _listening(port)
