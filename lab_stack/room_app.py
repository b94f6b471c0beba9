"""The workshop's MLflow app (`mlflow server --app-name lab-room`): MLflow's basic-auth app plus the room's rules.

MLflow loads an app named by `--app-name` from the `mlflow.app` entry points (pyproject.toml);
this one is MLflow's own `basic-auth` app, unchanged, with three things around it, each through
a door MLflow or uvicorn offers for it (no private function of MLflow is replaced):

- A bound on request bodies (an ASGI wrapper around the app uvicorn serves): a body larger
  than the lessons need is refused with 413 before it is read. Two 300 MB bodies used to keep
  both workers' loops busy past uvicorn's 5 s health check, and uvicorn killed them both.
- Sign-in (the auth app's `authorization_function`): a verified password stays cached for an
  hour, but keyed by the account's stored password hash, read with one indexed query per
  request (MLflow asks several times a request; the first answer holds for that request): a
  password changed or an account deleted takes effect at once on every worker.
- The room's rules, a Flask before-request hook that runs after the auth app's own: learners may
  not call the demo-data routes (they write into any workspace named in a header), and each
  learner's writes are rate-limited (429, which MLflow's client retries with back-off).

Figures are set by environment variables the lab passes to the server (mlflow_server.py).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
import time

from lab_utils.errors import LabError

MB = 2**20
# Lesson artifacts are a few MB (the largest, lesson 08's forest of 100 trees, under 10 MB);
# an API body (log-batch: 1,000 metrics at most) is well under 1 MB.
MAX_ARTIFACT_BYTES = int(os.environ.get("LAB_MLFLOW_MAX_ARTIFACT_MB", "64")) * MB
MAX_API_BYTES = int(os.environ.get("LAB_MLFLOW_MAX_REQUEST_MB", "8")) * MB
# Writes per learner and worker: a burst, then a steady rate (a lesson's burst, lesson 02's
# search, stays under the burst; a loop of thousands of calls is slowed, not the room).
WRITE_BURST = float(os.environ.get("LAB_MLFLOW_WRITE_BURST", "150"))
WRITES_PER_SECOND = float(os.environ.get("LAB_MLFLOW_WRITES_PER_SECOND", "5"))
AUTH_CACHE_SECONDS = float(os.environ.get("LAB_MLFLOW_AUTH_CACHE_SECONDS", "3600"))
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Routes whose POST only reads (searches): not counted as writes.
READ_POSTS = ("/search", "/get-", "/batch-get", "/query", "/graphql")


def _message(english: str, **values) -> str:
    from lab_utils.i18n import _

    return _(english).format(**values)


# --- request bodies ----------------------------------------------------------------------

def _limit_for(path: str) -> int:
    return MAX_ARTIFACT_BYTES if "/mlflow-artifacts/" in path else MAX_API_BYTES


def _too_large(limit: int) -> bytes:
    return json.dumps({
        "error_code": "RESOURCE_EXHAUSTED",
        "message": _message("This request's body is larger than the workshop server accepts ({limit} MB): "
                            "log smaller files, or ask the instructor.", limit=limit // MB),
    }).encode()


class _BodyTooLarge(LabError):
    """Raised inside the app's read of a body that passed its bound; answered with 413."""


class BodyLimit:
    """Refuse (413) a request whose body is larger than its route's bound, before reading it
    when it declares its length, as soon as it passes the bound when it is sent in chunks."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = _limit_for(scope.get("path", ""))
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await self._refuse(send, limit)
        received = 0
        started = exceeded = False

        async def counting_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal started
            if exceeded:  # the app's own answer to the interruption (a 500) becomes the 413
                if not started:
                    started = True
                    await self._refuse(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = _too_large(limit)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# --- sign-in -----------------------------------------------------------------------------

_HMAC_KEY = secrets.token_bytes(32)
_verified: dict[tuple[str, bytes, str], float] = {}  # (user, HMAC of password, stored hash) -> expiry
_verified_lock = threading.Lock()


def _account(username: str) -> tuple[str, bool] | None:
    """(stored password hash, is admin) of an account, read now from the accounts database."""
    from mlflow.server.auth import store
    from mlflow.server.auth.db.models import SqlUser

    with store.ManagedSessionMaker() as session:
        row = session.query(SqlUser.password_hash, SqlUser.is_admin).filter(SqlUser.username == username).one_or_none()
    return (row[0], bool(row[1])) if row else None


def _unauthorized():
    from flask import make_response

    response = make_response("You are not authenticated. Please see the workshop's env file for your sign-in.")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="mlflow"'
    return response


def authenticate_request():
    """MLflow's `authorization_function` for the room: HTTP basic auth, its cache keyed by the
    stored hash, so it holds only while the password and the account stay as they were."""
    from flask import g, request
    from werkzeug.security import check_password_hash

    # MLflow asks again within one request (its admin check, each permission check): the
    # first answer holds for the request, and the account is read once.
    if (signed_in := g.get("lab_authorization")) is not None:
        return signed_in
    authorization = request.authorization
    if authorization is None or authorization.type != "basic" or not authorization.username:
        return _unauthorized()
    username, password = authorization.username, authorization.password or ""
    account = _account(username)
    if account is None:
        return _unauthorized()
    stored, is_admin = account
    key = (username, hmac.new(_HMAC_KEY, password.encode(), "sha256").digest(), stored)
    now = time.monotonic()
    with _verified_lock:
        fresh = _verified.get(key, 0) > now
    if not fresh:
        if not check_password_hash(stored, password):
            return _unauthorized()
        if AUTH_CACHE_SECONDS > 0:
            with _verified_lock:
                if len(_verified) > 10_000:
                    _verified.clear()
                _verified[key] = now + AUTH_CACHE_SECONDS
    g.lab_user_is_admin = is_admin
    g.lab_authorization = authorization
    return authorization


# --- the room's rules --------------------------------------------------------------------

class _Bucket:
    def __init__(self):
        self.tokens, self.time = WRITE_BURST, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(WRITE_BURST, self.tokens + (now - self.time) * WRITES_PER_SECOND)
        self.time = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


_buckets: dict[str, _Bucket] = {}
_buckets_lock = threading.Lock()


def _refusal(status: int, error_code: str, message: str, **headers):
    from flask import make_response

    response = make_response(json.dumps({"error_code": error_code, "message": message}))
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response.headers.update(headers)
    return response


def room_rules():
    """Runs after the auth app's check (the request is signed in and allowed by MLflow)."""
    from flask import g, request

    username = getattr(g, "mlflow_authenticated_user", None)
    if username is None:  # an unprotected route (health, static files)
        return None
    is_admin = getattr(g, "lab_user_is_admin", None)
    if is_admin is None:
        from mlflow.server.auth import sender_is_admin

        is_admin = sender_is_admin()
    if is_admin:
        return None
    if "/mlflow/demo/" in request.path:
        return _refusal(403, "PERMISSION_DENIED", _message(
            "Demo data is off in a workshop: it would be written into whichever workspace the request names."))
    if request.method in WRITE_METHODS and not any(part in request.path for part in READ_POSTS):
        with _buckets_lock:
            allowed = _buckets.setdefault(username, _Bucket()).take()
        if not allowed:
            return _refusal(429, "REQUEST_LIMIT_EXCEEDED", _message(
                "Too many writes at once from {user}: the workshop server takes {rate:g} per second per "
                "learner after a burst of {burst:g}; MLflow's client waits and retries.",
                user=username, rate=WRITES_PER_SECOND, burst=WRITE_BURST), **{"Retry-After": "1"})
    return None


def create_app():
    """The app uvicorn serves: MLflow's basic-auth app, the room's hook after its own, bodies bounded."""
    from mlflow.server import app as flask_app
    from mlflow.server.auth import create_app as basic_auth_app

    served = basic_auth_app(flask_app)
    flask_app.before_request(room_rules)  # registered after the auth app's: runs after it
    if served is flask_app:  # gunicorn or waitress (the lab runs uvicorn): Flask's own bound
        flask_app.config["MAX_CONTENT_LENGTH"] = max(MAX_ARTIFACT_BYTES, MAX_API_BYTES)
        return flask_app
    return BodyLimit(served)
