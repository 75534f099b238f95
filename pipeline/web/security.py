"""Who may use the web interface, and what every request must carry.

- **Credentials** are stored hashed (PBKDF2-SHA256, salted): a credentials file holds a shared
  token's hash on a line of its own and accounts as ``name:hash`` lines; ``CONGVAN_TOKEN_HASH``
  may hold one more hash. :func:`hash_secret` makes a line, :func:`verify_secret` checks one.
- **Sessions** are a signed cookie (HMAC-SHA256 with the server's secret), ``HttpOnly`` and
  ``SameSite=Lax``; a script may send ``Authorization: Bearer <token>`` instead.
- **CSRF**: a signed double-submit cookie. Every POST must send the cookie's value back in the
  form field ``csrf_token`` or the ``X-CSRF-Token`` header (see :func:`csrf_protected`).
- :class:`Guard` (ASGI middleware): Host check against DNS rebinding, request body limit,
  login gate, CSRF cookie, and security headers (CSP without inline script, ``nosniff``…).

>>> line = hash_secret("s3cret", iterations=1000)
>>> line.startswith("pbkdf2_sha256$1000$"), verify_secret("s3cret", line), verify_secret("guess", line)
(True, True, False)
>>> creds = Credentials.parse(["# comment", line, "lan:" + hash_secret("mật khẩu", iterations=1000)])
>>> creds.check(None, "s3cret"), creds.check("lan", "mật khẩu"), creds.check("lan", "s3cret")
('token', 'lan', None)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PBKDF2_ITERATIONS = 310_000
SESSION_COOKIE = "congvan_session"
CSRF_COOKIE = "congvan_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
MULTIPART_SLACK = 256 * 1024
PUBLIC_PATHS = ("/login", "/static/")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


# --- secrets ---------------------------------------------------------------------------------


def hash_secret(secret: str, iterations: int = PBKDF2_ITERATIONS, salt: bytes | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hash>`` (base64) for a token or password."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"pbkdf2_sha256${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """True if ``secret`` hashes to ``stored`` (constant-time comparison); False for a malformed line."""
    try:
        algo, iterations, salt, digest = stored.strip().split("$")
        if algo != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", secret.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


@dataclass
class Credentials:
    """Hashed shared tokens and ``name → hash`` accounts."""

    tokens: list[str] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, lines: Iterable[str]) -> Credentials:
        c = cls()
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, h = line.rpartition(":")
            if sep and not h.startswith("pbkdf2_sha256$"):
                raise ValueError("a credentials line is a hash made by `congvan serve --make-token`, or NAME:hash")
            if sep:
                c.accounts[name.strip()] = h
            elif line.startswith("pbkdf2_sha256$"):
                c.tokens.append(line)
            else:
                raise ValueError("credentials must be stored hashed (pbkdf2_sha256$…), never in clear")
        return c

    @classmethod
    def load(cls, path: Path | None = None, env: str = "CONGVAN_TOKEN_HASH") -> Credentials:
        """From a credentials file and/or the environment variable ``env`` (a hash)."""
        lines = Path(path).read_text(encoding="utf-8").splitlines() if path else []
        if os.environ.get(env):
            lines.append(os.environ[env])
        return cls.parse(lines)

    def __bool__(self) -> bool:
        return bool(self.tokens or self.accounts)

    def check(self, name: str | None, secret: str) -> str | None:
        """The user name for a valid login (``'token'`` for the shared token), else None."""
        if not secret:
            return None
        if name:
            h = self.accounts.get(name.strip())
            return name.strip() if h and verify_secret(secret, h) else None
        if any(verify_secret(secret, h) for h in self.tokens):
            return "token"
        return None


# --- signed values ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def make_session(secret: bytes, user: str, now: float | None = None) -> str:
    """A session cookie value: the user and its expiry, signed."""
    body = _b64(json.dumps({"u": user, "exp": int((now or time.time()) + SESSION_SECONDS)}).encode())
    return f"{body}.{sign(secret, 'session|' + body)}"


def read_session(secret: bytes, value: str | None, now: float | None = None) -> str | None:
    """The user of a valid, unexpired session cookie, else None."""
    if not value or "." not in value:
        return None
    body, sig = value.rsplit(".", 1)
    if not hmac.compare_digest(sig, sign(secret, "session|" + body)):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    return data.get("u") if data.get("exp", 0) > (now or time.time()) else None


def make_csrf(secret: bytes, session: str) -> str:
    """A CSRF token: a random nonce signed together with the session it belongs to."""
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{sign(secret, f'csrf|{nonce}|{session}')}"


def csrf_valid(secret: bytes, token: str | None, session: str) -> bool:
    if not token or "." not in token:
        return False
    nonce, sig = token.rsplit(".", 1)
    return hmac.compare_digest(sig, sign(secret, f"csrf|{nonce}|{session}"))


# --- hosts -----------------------------------------------------------------------------------


def is_local_host(host: str) -> bool:
    """True for an address only this machine can reach.

    >>> is_local_host("127.0.0.1"), is_local_host("localhost"), is_local_host("::1"), is_local_host("0.0.0.0")
    (True, True, True, False)
    """
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


LOCAL_HOST_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _host_name(host_header: str) -> str:
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[: h.find("]") + 1]
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


# --- the middleware --------------------------------------------------------------------------


@dataclass
class GuardConfig:
    secret: bytes
    credentials: Credentials
    max_upload: int  # bytes of file content a request may carry
    allowed_hosts: frozenset[str] | None  # None: any Host header
    https_only: bool = False

    @property
    def max_body(self) -> int:
        """The request body limit: the upload limit plus room for the multipart envelope and form fields."""
        return self.max_upload + MULTIPART_SLACK


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: Host check, body limit, login gate, CSRF cookie, security headers.

    Sets ``scope["user"]`` (the logged-in user, or None) and ``scope["csrf"]`` (the token the
    pages embed in their forms). The CSRF check itself is done by :func:`csrf_protected`.
    """

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app, self.cfg = app, config
        self._valid: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.cfg.allowed_hosts is not None and _host_name(request.headers.get("host", "")) not in self.cfg.allowed_hosts:
            await PlainTextResponse("Host không hợp lệ (invalid Host header)", 400)(scope, receive, send)
            return
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.cfg.max_body):
            await self._too_large(scope, receive, send)
            return
        user = read_session(self.cfg.secret, request.cookies.get(SESSION_COOKIE))
        if user is None and self.cfg.credentials:
            user = self._bearer(request.headers.get("authorization", ""))
            scope["bearer"] = user is not None
        scope["user"] = user
        path = scope["path"]
        if self.cfg.credentials and user is None and not path.startswith(PUBLIC_PATHS):
            if path.startswith("/api/"):
                resp: Response = JSONResponse({"error": "cần đăng nhập (login required)"}, 401,
                                              headers={"www-authenticate": "Bearer"})
            else:
                resp = RedirectResponse("/login", 303)
            await resp(scope, receive, self._headers(send, None))
            return
        session = request.cookies.get(SESSION_COOKIE, "") if user else ""
        token = request.cookies.get(CSRF_COOKIE)
        new_token = None
        if not csrf_valid(self.cfg.secret, token, session):
            token = new_token = make_csrf(self.cfg.secret, session)
        scope["csrf"] = token
        scope["csrf_session"] = session
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.cfg.max_body:
                    raise BodyTooLarge
            return message

        started = False
        inner_send = self._headers(send, new_token)

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await inner_send(message)

        try:
            await self.app(scope, limited, tracking)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        mb = self.cfg.max_upload / 1048576
        msg = f"Tệp tải lên quá lớn (giới hạn {mb:.0f} MB) — upload too large"
        resp = JSONResponse({"error": msg}, 413) if scope["path"].startswith("/api/") else PlainTextResponse(msg, 413)
        resp.headers["connection"] = "close"
        await resp(scope, receive, self._headers(send, None))

    def _headers(self, send: Send, new_csrf: str | None) -> Callable[[Message], Awaitable[None]]:
        secure = "; Secure" if self.cfg.https_only else ""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if new_csrf:
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    def _bearer(self, header: str) -> str | None:
        """The user of a valid ``Authorization: Bearer`` token; valid tokens are remembered by their
        SHA-256 only, so PBKDF2 runs once per token, not once per request."""
        if not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        digest = hashlib.sha256(token.encode()).hexdigest()
        if digest in self._valid:
            return self._valid[digest]
        user = self.cfg.credentials.check(None, token)
        if user is not None:
            self._valid[digest] = user
        return user



class Throttle:
    """Failed logins per client: after ``limit`` failures within ``window`` seconds, the next are refused."""

    def __init__(self, limit: int = 10, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < self.window]
            self._failures[client] = recent
            return len(recent) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic())


def session_cookie(value: str, https_only: bool = False, max_age: int = SESSION_SECONDS) -> str:
    """A ``Set-Cookie`` value for the session (empty value and ``max_age=0`` to log out)."""
    secure = "; Secure" if https_only else ""
    return f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"


# --- the CSRF check --------------------------------------------------------------------------


class CSRFError(Exception):
    """A state-changing request without a valid CSRF token."""


async def check_csrf(request: Request, secret: bytes) -> None:
    """Raise :class:`CSRFError` unless the request carries the CSRF cookie's value back, validly signed.

    A script authenticated by ``Authorization: Bearer`` is exempt: a browser never sends that
    header by itself, so a forged cross-site request cannot carry it.
    """
    if request.scope.get("bearer"):
        return
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    session = request.scope.get("csrf_session", "")
    if not (cookie and sent and hmac.compare_digest(cookie, sent) and csrf_valid(secret, sent, session)):
        raise CSRFError("thiếu hoặc sai mã chống giả mạo (CSRF token)")


def csrf_protected(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a POST handler so it runs only with a valid CSRF token (403 otherwise).

    :func:`pipeline.web.app.create_app` refuses to start if a POST route is not wrapped.
    """

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            await check_csrf(request, request.app.state.config.secret)
        except CSRFError as exc:
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": str(exc)}, 403)
            return PlainTextResponse(f"403 — {exc}. Hãy tải lại trang rồi thử lại.", 403)
        return await handler(request)

    wrapped.csrf_protected = True  # type: ignore[attr-defined]
    return wrapped
