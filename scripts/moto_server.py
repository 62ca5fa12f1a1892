"""moto in server mode for folio's tests, bound to 127.0.0.1.

DynamoDB applies every conditional write and transaction atomically. moto's
threaded server does not: two requests can both pass a condition before either
writes. So this launcher keeps moto's threaded HTTP server (connections are
accepted concurrently) but runs one request at a time through moto's backends.

Usage: python scripts/moto_server.py PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    port = int(sys.argv[1])
    moto_app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialised(environ, start_response):
        with one_at_a_time:
            return list(moto_app(environ, start_response))

    run_simple(
        "127.0.0.1",
        port,
        serialised,
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
