"""What every stand-in server shares: serve on a free loopback port and say which, atomically, in a file; and a boto3
client for the local Ceph server they read and write."""
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


def s3_client(endpoint, access_key, secret_key):
    """boto3 for the local server: path-style, two attempts, checksums only where required (Ceph rejects the SDK's default)."""
    # Imported here: stand-ins that never reach the local server (listing.py) start without loading boto3.
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key=secret_key,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"))
