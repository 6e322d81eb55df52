"""
What the stand-ins' self-tests share: a fresh local Ceph server (tests/s3server/LocalS3.psm1's Start-LocalS3, run
through `dotnet pwsh`), the stand-in processes beside it, boto3 clients, and the checks' bookkeeping.

The server is started as an ordinary test server (not a sandbox) whose owner is this Python process: Stop-LocalS3 ends it
when the self-test ends, and if the self-test is killed, the next Start-LocalS3 anywhere finds its owner gone and cleans
it up. With --server-json PATH a self-test uses a server that is already running (its server.json) and leaves it running.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

from loopback import s3_client  # noqa: F401 (the self-tests take it from here)


HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODULE = os.path.join(REPO, "tests", "s3server", "LocalS3.psm1")


def pwsh(script, timeout=180):
    done = subprocess.run(["dotnet", "pwsh", "-NoProfile", "-NonInteractive", "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"pwsh failed ({done.returncode}): {done.stderr[-2000:]}{done.stdout[-2000:]}")
    return done.stdout


class LocalS3:
    def __init__(self, server_json=None):
        self.owned = server_json is None
        if server_json:
            self.info = json.load(open(server_json))
        else:
            # Owner = this process (the stale-server cleanup keeps it while we live, reclaims it if we are killed).
            out = pwsh(f"$ErrorActionPreference = 'Stop'; Import-Module '{MODULE}'; $s = Start-LocalS3 -NoDelay; "
                       f"Set-Content (Join-Path $s.Root 'owner.pid') {os.getpid()}; $s | ConvertTo-Json -Compress")
            self.info = json.loads(out.strip().splitlines()[-1])
        self.endpoint = self.info["Endpoint"]
        self.access_key, self.secret_key = self.info["AccessKey"], self.info["SecretKey"]
        self.conf = self.info["CephConf"]

    def stop(self):
        if self.owned:
            path = os.path.join(self.info["Root"], "server.json")
            pwsh(f"Import-Module '{MODULE}'; Stop-LocalS3 -Server (Get-Content '{path}' -Raw | ConvertFrom-Json)")

    def user(self, uid):
        """A second RGW user (another 'account'); returns its keys."""
        access, secret = "S3RSELF" + uid.upper()[:10].ljust(10, "X"), "selftest-secret-" + uid
        subprocess.run(["radosgw-admin", "-c", self.conf, "user", "create", f"--uid={uid}", f"--display-name={uid}",
                        f"--access-key={access}", f"--secret={secret}"], check=True, capture_output=True)
        return access, secret

    def client(self, access=None, secret=None):
        return s3_client(self.endpoint, access or self.access_key, secret or self.secret_key)


class StandIn:
    """A stand-in script run on a free loopback port (it writes the port to a file when it is ready)."""

    def __init__(self, folder, script, *arguments, name=None):
        name = name or os.path.splitext(script)[0]
        port_file = os.path.join(folder, name + ".port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.err = os.path.join(folder, name + ".err")
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, script), "--port-file", port_file, *arguments],
                                        stdout=open(os.path.join(folder, name + ".out"), "w"), stderr=open(self.err, "w"))
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{script} did not start: " + open(self.err).read())
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def control(self, method, path, body=None):
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        assert response.status == 200, (path, response.status, data[:500])
        return json.loads(data)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Checks:
    def __init__(self):
        self.checks, self.passed, self.failed = [], 0, 0

    def __call__(self, function):
        self.checks.append(function)
        return function

    def run(self, ctx, only=None):
        for function in self.checks:
            if only and function.__name__ not in only:
                continue
            started = time.time()
            try:
                function(ctx)
                self.passed += 1
                print(f"PASS {function.__name__} ({time.time() - started:.1f} s)", flush=True)
            except Exception:
                self.failed += 1
                print(f"FAIL {function.__name__}\n{traceback.format_exc()}", flush=True)
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed or not self.passed else 0


def run(description, folder_prefix, checks, set_up):
    """
    A self-test's main: --server-json and --check from the command line, a fresh local server (or the given one), a
    folder for the stand-ins' files, set_up(ctx) to make the fixtures and start the stand-in (ctx.standin), the checks,
    and everything stopped again whatever happens. Returns the exit code.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-json", help="use this running server (its server.json) instead of starting one")
    parser.add_argument("--check", nargs="*", help="run only these checks")
    args = parser.parse_args()

    class Context:
        pass

    ctx = Context()
    ctx.folder = tempfile.mkdtemp(prefix=folder_prefix)
    ctx.server = LocalS3(args.server_json)
    ctx.standin = None
    try:
        ctx.s3 = ctx.server.client()
        set_up(ctx)
        return checks.run(ctx, args.check)
    finally:
        if ctx.standin:
            ctx.standin.stop()
        ctx.server.stop()
