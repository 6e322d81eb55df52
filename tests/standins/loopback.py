"""What every stand-in server shares: serve on a free loopback port and say which, atomically, in a file."""
import os
from http.server import ThreadingHTTPServer


def listen(handler_class, port_file, backlog=None):
    """A server on a free loopback port, that port written to port_file (atomically); serve_forever is the caller's."""
    server_class = ThreadingHTTPServer
    if backlog:
        # The standard 5 drops connections when a client opens many at once (the .NET SDK's pool does).
        server_class = type("BackloggedServer", (ThreadingHTTPServer,), {"request_queue_size": backlog})
    server = server_class(("127.0.0.1", 0), handler_class)
    with open(port_file + ".tmp", "w") as pending:
        pending.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    return server


def serve(handler_class, port_file):
    listen(handler_class, port_file).serve_forever()
