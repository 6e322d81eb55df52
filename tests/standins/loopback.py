"""What every stand-in server shares: serve on a free loopback port and say which, atomically, in a file."""
import os
from http.server import ThreadingHTTPServer


def serve(handler_class, port_file):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    with open(port_file + ".tmp", "w") as pending:
        pending.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()
