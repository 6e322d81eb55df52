#!/usr/bin/env python3
"""
Loopback stand-ins for the credential services no local server offers: IAM Identity Center's SSO OIDC and portal,
EC2 instance metadata (IMDSv2) and the ECS/EKS container credentials endpoint.

They speak the wire format of botocore's service models (sso-oidc and sso: paths, JSON members, x-amzn-ErrorType
errors) and of the SDKs' metadata clients. Every credential they hand out is real: obtained from the local Ceph
server's own STS (AssumeRole with a test user's keys), so a client that signs in here can then use the server.

Control (for the tests, under /_standin/):
  POST /_standin/issue          -> a valid access token, refresh token and client registration, as JSON
  POST /_standin/device         {"answers": ["pending", "slow_down", ...]}: what the next device-code polls answer
  GET  /_standin/log            -> every request so far: method, path, user agent, SHA-256 of any bearer token,
                                   the access key id handed out
"""
import argparse
import hashlib
import json
import secrets
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config

from loopback import serve

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.clients = {}           # clientId -> clientSecret
        self.devices = {}           # deviceCode -> clientId
        self.access_tokens = set()
        self.refresh_tokens = {}    # refreshToken -> clientId
        self.poll_answers = []
        self.imds_tokens = set()
        self.role_credentials = {}  # bearer token -> credentials (one set per sign-in, like a cached session)
        self.log = []
        self.sts = boto3.client(
            "sts", endpoint_url=args.sts_endpoint, region_name="us-east-1",
            aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key,
            config=Config(retries={"max_attempts": 2}))

    def assume(self):
        response = self.sts.assume_role(RoleArn=self.args.role_arn, RoleSessionName="standin-" + secrets.token_hex(4),
                                        DurationSeconds=3600)
        return response["Credentials"]

    def new_client(self):
        client_id, client_secret = "client-" + secrets.token_hex(8), "secret-" + secrets.token_urlsafe(24)
        self.clients[client_id] = client_secret
        return client_id, client_secret

    def new_tokens(self, client_id):
        access, refresh = "aoa-" + secrets.token_urlsafe(32), "aor-" + secrets.token_urlsafe(32)
        self.access_tokens.add(access)
        self.refresh_tokens[refresh] = client_id
        return access, refresh


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest() if text else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State = None

    def log_message(self, *args):
        pass

    # --- plumbing -------------------------------------------------------------------------------------------------
    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def send(self, status, payload, content_type="application/json", headers=None):
        data = payload if isinstance(payload, bytes) else (
            payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, error_type, error=None, description=""):
        body = {"error": error, "error_description": description} if error else {"message": description}
        self.send(status, body, headers={"x-amzn-ErrorType": error_type})

    def record(self, **extra):
        entry = {"method": self.command, "path": urlparse(self.path).path,
                 "agent": self.headers.get("User-Agent", ""),
                 "bearer": sha256(self.headers.get("x-amz-sso_bearer_token"))}
        entry.update(extra)
        with self.state.lock:
            self.state.log.append(entry)

    # --- routing --------------------------------------------------------------------------------------------------
    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/_standin/log":
            with self.state.lock:
                return self.send(200, list(self.state.log))
        if path == "/federation/credentials":
            return self.role_credentials()
        if path.startswith("/latest/meta-data/iam/"):
            return self.instance_metadata(path)
        if path == "/container/credentials":
            return self.container_credentials()
        self.record()
        self.error(404, "ResourceNotFoundException", description="no such path " + path)

    def do_PUT(self):
        if urlparse(self.path).path == "/latest/api/token":
            self.record()
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.send(400, "missing TTL header", "text/plain")
            token = "imds-" + secrets.token_urlsafe(16)
            with self.state.lock:
                self.state.imds_tokens.add(token)
            return self.send(200, token, "text/plain")
        self.send(404, "not found", "text/plain")

    def do_POST(self):
        path = urlparse(self.path).path
        body = self.body()
        state = self.state
        if path == "/_standin/issue":
            with state.lock:
                client_id, client_secret = state.new_client()
                access, refresh = state.new_tokens(client_id)
            return self.send(200, {"accessToken": access, "refreshToken": refresh, "clientId": client_id,
                                   "clientSecret": client_secret})
        if path == "/_standin/device":
            with state.lock:
                state.poll_answers = list(body.get("answers", []))
            return self.send(200, {})
        self.record()
        if path == "/client/register":
            if body.get("clientType") != "public" or not body.get("clientName"):
                return self.error(400, "InvalidClientMetadataException", "invalid_client_metadata", "clientName and clientType=public are required")
            with state.lock:
                client_id, client_secret = state.new_client()
            now = int(time.time())
            return self.send(200, {"clientId": client_id, "clientSecret": client_secret,
                                   "clientIdIssuedAt": now, "clientSecretExpiresAt": now + 90 * 86400})
        if path == "/device_authorization":
            if state.clients.get(body.get("clientId")) != body.get("clientSecret") or not body.get("startUrl"):
                return self.error(400, "InvalidClientException", "invalid_client", "Invalid client")
            device_code = "dev-" + secrets.token_urlsafe(16)
            user_code = secrets.token_hex(2).upper() + "-" + secrets.token_hex(2).upper()
            with state.lock:
                state.devices[device_code] = body["clientId"]
            return self.send(200, {"deviceCode": device_code, "userCode": user_code,
                                   "verificationUri": "https://device.sso.example.test/",
                                   "verificationUriComplete": "https://device.sso.example.test/?user_code=" + user_code,
                                   "expiresIn": 600, "interval": 1})
        if path == "/token":
            return self.create_token(body)
        self.error(404, "ResourceNotFoundException", description="no such path " + path)

    # --- operations -----------------------------------------------------------------------------------------------
    def create_token(self, body):
        state = self.state
        client_id = body.get("clientId")
        if state.clients.get(client_id) != body.get("clientSecret"):
            return self.error(400, "InvalidClientException", "invalid_client", "Invalid client")
        grant = body.get("grantType")
        with state.lock:
            if grant == "refresh_token":
                if state.refresh_tokens.pop(body.get("refreshToken"), None) != client_id:
                    return self.error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided")
            elif grant == DEVICE_GRANT:
                if state.devices.get(body.get("deviceCode")) != client_id:
                    return self.error(400, "InvalidGrantException", "invalid_grant", "Invalid device code provided")
                answer = state.poll_answers.pop(0) if state.poll_answers else "approved"
                errors = {"pending": ("AuthorizationPendingException", "authorization_pending"),
                          "slow_down": ("SlowDownException", "slow_down"),
                          "denied": ("AccessDeniedException", "access_denied"),
                          "expired": ("ExpiredTokenException", "expired_token")}
                if answer in errors:
                    error_type, error = errors[answer]
                    return self.error(400, error_type, error, answer)
                del state.devices[body["deviceCode"]]
            else:
                return self.error(400, "UnsupportedGrantTypeException", "unsupported_grant_type", str(grant))
            access, refresh = state.new_tokens(client_id)
        self.send(200, {"accessToken": access, "tokenType": "Bearer", "expiresIn": 8 * 3600, "refreshToken": refresh})

    def role_credentials(self):
        state = self.state
        token = self.headers.get("x-amz-sso_bearer_token")
        query = parse_qs(urlparse(self.path).query)
        if token not in state.access_tokens:
            self.record()
            return self.error(401, "UnauthorizedException", description="Session token not found or invalid")
        if query.get("account_id") != [self.state.args.account_id] or not query.get("role_name"):
            self.record()
            return self.error(404, "ResourceNotFoundException", description="No access to this role in this account")
        with state.lock:
            credentials = state.role_credentials.get(token)
            if credentials is None:
                credentials = state.role_credentials[token] = state.assume()
        self.record(accessKeyId=credentials["AccessKeyId"])
        self.send(200, {"roleCredentials": {
            "accessKeyId": credentials["AccessKeyId"], "secretAccessKey": credentials["SecretAccessKey"],
            "sessionToken": credentials["SessionToken"],
            "expiration": int(credentials["Expiration"].timestamp() * 1000)}})

    def machine_credentials(self):
        credentials = self.state.assume()
        return {"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": iso(datetime.now(timezone.utc)),
                "AccessKeyId": credentials["AccessKeyId"], "SecretAccessKey": credentials["SecretAccessKey"],
                "Token": credentials["SessionToken"], "Expiration": iso(credentials["Expiration"])}

    def instance_metadata(self, path):
        if self.headers.get("X-aws-ec2-metadata-token") not in self.state.imds_tokens:
            self.record()
            return self.send(401, "", "text/plain")   # IMDSv2 only: no session token, no answer
        if path == "/latest/meta-data/iam/info":
            self.record()
            return self.send(200, {"Code": "Success", "LastUpdated": iso(datetime.now(timezone.utc)),
                                   "InstanceProfileArn": f"arn:aws:iam::{self.state.args.account_id}:instance-profile/standin",
                                   "InstanceProfileId": "AIPASTANDIN000000000"})
        if not path.startswith("/latest/meta-data/iam/security-credentials"):
            self.record()
            return self.send(404, "", "text/plain")
        role = path[len("/latest/meta-data/iam/security-credentials"):].strip("/")
        if not role:
            self.record()
            return self.send(200, "standin-instance-role", "text/plain")
        if role != "standin-instance-role":
            self.record()
            return self.send(404, "", "text/plain")
        payload = self.machine_credentials()
        self.record(accessKeyId=payload["AccessKeyId"])
        self.send(200, payload)

    def container_credentials(self):
        if self.headers.get("Authorization") != self.state.args.container_token:
            self.record()
            return self.send(401, {"message": "bad authorization token"})
        payload = self.machine_credentials()
        payload["RoleArn"] = self.state.args.role_arn
        self.record(accessKeyId=payload["AccessKeyId"])
        self.send(200, payload)


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-file", required=True, help="where to write the port once listening")
    parser.add_argument("--sts-endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--role-arn", required=True, help="the role every handed-out credential is for")
    parser.add_argument("--account-id", required=True, help="the account the portal gives the role in")
    parser.add_argument("--container-token", required=True, help="the Authorization value the container endpoint expects")
    args = parser.parse_args()
    Handler.state = State(args)
    serve(Handler, args.port_file)


if __name__ == "__main__":
    main()
