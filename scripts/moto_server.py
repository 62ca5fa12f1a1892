"""moto in server mode for folio's tests, bound to 127.0.0.1.

DynamoDB applies every conditional write and transaction atomically. moto's
threaded server does not: two requests can both pass a condition before either
writes. So this launcher keeps moto's threaded HTTP server (connections are
accepted concurrently) but runs one request at a time through moto's backends.

It also teaches moto's Cognito what folio relies on and moto does not serve:
refresh token rotation ("RefreshTokenRotationType" and "GetTokensFromRefreshToken",
Amazon Cognito User Pools API Reference). With `RefreshTokenRotation.Feature`
ENABLED on an app client, `GetTokensFromRefreshToken` returns a new refresh token
and the submitted one stops working after `RetryGracePeriodSeconds` (0 to 60):
presented later it is refused with `RefreshTokenReuseException`; and a refresh
through `InitiateAuth` is refused, since rotation "must be completed with
GetTokensFromRefreshToken" (the page names no error for that: the stricter
InvalidParameterException here). With rotation off, it returns new ID and access
tokens only.

And DynamoDB's: a TransactWriteItems call with a ClientRequestToken is idempotent
("TransactWriteItems", Amazon DynamoDB API Reference: "multiple identical calls have
the same effect as one single call"; the token is valid for 10 minutes after the
first request that uses it completes; the same token with other parameters is an
IdempotentParameterMismatch). moto ignores the token, so a transaction that
committed but whose answer arrived after the client's timeout was applied again on
the client's retry, and a dedup marker or a version condition then failed against
the client's own first write.

Usage: python scripts/moto_server.py PORT
       python scripts/moto_server.py --zygote

The zygote imports moto and loads what its first DynamoDB, Cognito and S3 requests
would load, once, then reads commands on stdin: `start PORT` forks a server on PORT
and answers its pid; `stop PID` kills that server and answers `stopped` once it is
gone. When stdin closes (the test process ended), it kills what it started and
exits. A test binary starts one zygote instead of importing moto a hundred times.
"""

import json
import os
import signal
import sys
import threading
import time

from moto.cognitoidp import models as cognito
from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.core.responses import ActionResult
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


class RefreshTokenReuseException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "RefreshTokenReuseException",
            "Refresh token has been invalidated by refresh token rotation",
        )


# Rotated-out refresh token -> the time it stops working (the grace period's end).
SPENT: dict[str, float] = {}


def rotation(client) -> tuple[bool, int]:
    config = (getattr(client, "extended_config", None) or {}).get("RefreshTokenRotation") or {}
    grace = int(config.get("RetryGracePeriodSeconds") or 0)
    return config.get("Feature") == "ENABLED", max(0, min(grace, 60))


def pool_and_client(client_id: str):
    for account in cognito.cognitoidp_backends.values():
        for region, backend in account.items():
            if region == "global":
                continue
            for pool in backend.user_pools.values():
                if client_id in pool.clients:
                    return pool, pool.clients[client_id]
    raise ResourceNotFoundError(client_id)


def get_tokens_from_refresh_token(self):
    client_id = self._get_param("ClientId")
    token = self._get_param("RefreshToken")
    pool, client = pool_and_client(client_id)
    if client.generate_secret and self._get_param("ClientSecret") != client.secret:
        raise NotAuthorizedError("Client secret is missing or wrong")
    if token in SPENT and time.time() >= SPENT[token]:
        raise RefreshTokenReuseException()
    entry = pool.refresh_tokens.get(token)
    if entry is None:
        raise NotAuthorizedError("Invalid Refresh Token")
    issued_to, username, origin_jti = entry
    if issued_to != client_id or not username:
        raise NotAuthorizedError("Invalid Refresh Token")
    access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(token)
    result = {
        "IdToken": id_token,
        "AccessToken": access_token,
        "ExpiresIn": expires_in,
        "TokenType": "Bearer",
    }
    rotates, grace = rotation(client)
    if rotates:
        new_token, _ = pool.create_refresh_token(client_id, username)
        pool.refresh_tokens[new_token] = (client_id, username, origin_jti)
        SPENT.setdefault(token, time.time() + grace)
        result["RefreshToken"] = new_token
    return ActionResult({"AuthenticationResult": result})


def refuse_initiate_auth_refresh_under_rotation(original):
    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        if auth_flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            _, client = pool_and_client(client_id)
            if rotation(client)[0]:
                raise InvalidParameterException(
                    "Refresh token rotation is enabled for this client: use GetTokensFromRefreshToken"
                )
        return original(self, client_id, auth_flow, auth_parameters)

    return initiate_auth


CognitoIdpResponse.get_tokens_from_refresh_token = get_tokens_from_refresh_token
cognito.CognitoIdpBackend.initiate_auth = refuse_initiate_auth_refresh_under_rotation(
    cognito.CognitoIdpBackend.initiate_auth
)


# TransactWriteItems tokens that committed -> (the window's end, the call's items).
COMMITTED: dict[str, tuple[float, str]] = {}
TOKEN_WINDOW_SECS = 600


class IdempotentParameterMismatch(JsonRESTError):
    def __init__(self) -> None:
        super().__init__(
            "IdempotentParameterMismatchException",
            "The request uses the same client token as a previous, but non-identical request.",
        )


def idempotent_transact_write_items(original):
    def transact_write_items(self):
        token = self.body.get("ClientRequestToken")
        if not token:
            return original(self)
        items = json.dumps(self.body.get("TransactItems"), sort_keys=True)
        now = time.time()
        for old in [t for t, (until, _) in COMMITTED.items() if until < now]:
            del COMMITTED[old]
        if token in COMMITTED:
            if COMMITTED[token][1] != items:
                raise IdempotentParameterMismatch()
            return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
        result = original(self)
        COMMITTED[token] = (time.time() + TOKEN_WINDOW_SECS, items)
        return result

    return transact_write_items


DynamoHandler.transact_write_items = idempotent_transact_write_items(
    DynamoHandler.transact_write_items
)


def application():
    """moto's WSGI app, one request at a time."""
    moto_app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialised(environ, start_response):
        with one_at_a_time:
            return list(moto_app(environ, start_response))

    return serialised


def serve(port: int, app) -> None:
    run_simple("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)


# One harmless call per service folio uses: moto loads a service's backend and
# models on its first request.
WARM_UP = [
    ("dynamodb", "POST", "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0"),
    ("cognito-idp", "POST", "AWSCognitoIdentityProviderService.ListUserPools",
     "application/x-amz-json-1.1"),
    ("s3", "GET", None, None),
]


def warm(app) -> None:
    from werkzeug.test import EnvironBuilder

    for service, method, target, content_type in WARM_UP:
        headers = {
            "Host": f"{service}.us-east-1.amazonaws.com" if service != "s3" else "s3.amazonaws.com",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/"
            f"{service}/aws4_request, SignedHeaders=host, Signature=0",
        }
        if target:
            headers["X-Amz-Target"] = target
            headers["Content-Type"] = content_type
        body = b'{"MaxResults": 1}' if target else None
        environ = EnvironBuilder(method=method, path="/", headers=headers, data=body).get_environ()
        list(app(environ, lambda status, headers, exc_info=None: None))


def zygote() -> None:
    app = application()
    warm(app)
    children = set()
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        command, _, argument = line.strip().partition(" ")
        if command == "start":
            pid = os.fork()
            if pid == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                try:
                    serve(int(argument), app)
                finally:
                    os._exit(0)
            children.add(pid)
            print(pid, flush=True)
        elif command == "stop":
            pid = int(argument)
            if pid in children:
                children.discard(pid)
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            print("stopped", flush=True)
    for pid in children:
        os.kill(pid, signal.SIGKILL)


def main() -> None:
    if sys.argv[1] == "--zygote":
        zygote()
    else:
        serve(int(sys.argv[1]), application())


if __name__ == "__main__":
    main()
