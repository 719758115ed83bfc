"""A test LTI 1.3 platform of the tests' own: a real HTTP server on 127.0.0.1 that launches the tool and takes grades.

It plays the LMS side of the two conversations the course has with one:

- the launch (LTI 1.3 core, the IMS security framework's OIDC third-party-initiated login): `launch` posts the
  login initiation to the tool as a browser would, the tool redirects to `/auth`, which answers with an
  auto-submitting form posting a signed id_token and the tool's state back to the tool's redirect_uri; the same
  page works in a real browser;
- grades back (LTI Advantage Assignment and Grade Services 2.0): `/token` swaps a client assertion signed by the
  tool for a bearer token, and the line item and score endpoints record what they receive in `lineitems` and
  `scores`, checking media types, fields and the token's scope as a real platform does.

`refuse` and `delay` make the token and AGS endpoints fail or stall, and `fail_after_scores` fails a run midway, for
the tool's failure paths.
"""
from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.request
from datetime import datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
# A sub-role names its principal role in the path (LTI 1.3 core, A.2.3.1); the spec's best practice also sends the
# principal role, which a caller gets by asking for both: roles=("Instructor", "TeachingAssistant").
SUB_ROLES = {"TeachingAssistant": "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"}
ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}
TOKEN_LIFETIME = 3600


class Refused(Exception):
    """An HTTP error answer: status, and the JSON body that explains it."""

    def __init__(self, status: int, error: str, description: str = ""):
        super().__init__(f"{status} {error}: {description}")
        self.status, self.body = status, {"error": error, "error_description": description}


def role_uri(role: str) -> str:
    """The full IMS URI of a context role given by its short name ("Learner"); a full URI passes through."""
    if "://" in role:
        return role
    return SUB_ROLES.get(role, MEMBERSHIP + role)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_score(score: dict) -> None:
    """Raise Refused(400) unless `score` is a valid AGS score: the fields a platform needs to record it."""
    if not isinstance(score.get("userId"), str) or not score["userId"]:
        raise Refused(400, "invalid_request", "userId must be a non-empty string")
    if score.get("activityProgress") not in ACTIVITY_PROGRESS:
        raise Refused(400, "invalid_request", f"activityProgress must be one of {sorted(ACTIVITY_PROGRESS)}")
    if score.get("gradingProgress") not in GRADING_PROGRESS:
        raise Refused(400, "invalid_request", f"gradingProgress must be one of {sorted(GRADING_PROGRESS)}")
    if "scoreGiven" in score:
        given, maximum = score["scoreGiven"], score.get("scoreMaximum")
        if not (_is_number(given) and _is_number(maximum)):
            raise Refused(400, "invalid_request", "scoreGiven and scoreMaximum must both be numbers")
        if not 0 <= given <= maximum or maximum <= 0:
            raise Refused(400, "invalid_request", f"need 0 <= scoreGiven <= scoreMaximum, 0 < scoreMaximum: "
                                                  f"{given} / {maximum}")
    try:
        stamp = datetime.fromisoformat(str(score.get("timestamp")))
    except ValueError:
        raise Refused(400, "invalid_request", f"timestamp must be ISO 8601: {score.get('timestamp')!r}") from None
    if stamp.tzinfo is None:
        raise Refused(400, "invalid_request", f"timestamp must carry a time zone: {score['timestamp']!r}")


class _FormReader(HTMLParser):
    """The action and hidden inputs of the first form of an HTML page, as a browser would submit it."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")


class Platform:
    """An LTI 1.3 platform on a free 127.0.0.1 port; `start()` it, or use it as a context manager."""

    def __init__(self, client_id="line-to-word", deployment_id="1", context_id="course-42"):
        self.client_id, self.deployment_id, self.context_id = client_id, deployment_id, context_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.tool_jwks_url: str | None = None
        self.tool_public_key = None
        self.redirect_uris: list[str] = []  # empty: any redirect_uri the tool names is accepted
        self.refuse: int | None = None
        self.delay: float = 0
        self.page_size: int | None = None  # line items per page of the container; None: all on one
        self.fail_after_scores: int | None = None  # scores accepted before every further score post answers 503
        self.lineitems: list[dict] = []
        self.scores: list[dict] = []
        self.token_requests: list[dict] = []
        self.auth_requests: list[dict] = []
        self.last_form: tuple[str, str, str] | None = None
        self._launches: dict[str, tuple[dict, dict]] = {}
        self._tokens: dict[str, tuple[set, float]] = {}
        self._jtis: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifetime -----------------------------------------------------------------------------------------------

    def start(self) -> "Platform":
        """Listen on a free loopback port, serving from a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="lti-platform", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Platform":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    @property
    def auth_url(self) -> str:
        return self.issuer + "/auth"

    @property
    def token_url(self) -> str:
        return self.issuer + "/token"

    def lineitems_url(self, context_id=None) -> str:
        return self.issuer + f"/contexts/{context_id or self.context_id}/lineitems"

    def jwks(self) -> dict:
        """The platform's public keys, as its JWKS endpoint serves them."""
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)

    # -- the launch ---------------------------------------------------------------------------------------------

    def launch_claims(self, sub, roles=("Learner",), *, name="Ada Lovelace", given_name="Ada",
                      family_name="Lovelace", email="ada@example.edu", context_id=None, target_link_uri="",
                      resource_link_id="rl-1", ags=True) -> dict:
        """The claims of an LtiResourceLinkRequest for user `sub`, without iss, aud, exp, iat and nonce."""
        context = context_id or self.context_id
        claims = {
            "sub": sub, "name": name, "given_name": given_name, "family_name": family_name, "email": email,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": target_link_uri,
            LTI + "resource_link": {"id": resource_link_id, "title": "Line to Word"},
            LTI + "context": {"id": context, "label": "L2W", "title": "Line to Word",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "roles": [role_uri(r) for r in roles],
            LTI + "tool_platform": {"guid": "test-platform", "name": "Test platform", "product_family_code": "test"},
        }
        if ags:
            claims[AGS_ENDPOINT] = {"scope": [SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE],
                                    "lineitems": self.lineitems_url(context)}
        return claims

    def id_token(self, claims, *, nonce, key=None, kid=None, aud=None, iss=None, exp_in=300, iat=None) -> str:
        """`claims` signed RS256 as an id_token; `key` (another private key) forges one, the other arguments
        override the claims a tool must check."""
        issued = int(time.time()) if iat is None else int(iat)
        payload = {**claims, "iss": iss or self.issuer, "aud": aud or self.client_id, "azp": self.client_id,
                   "iat": issued, "exp": issued + exp_in, "nonce": nonce}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def expect_launch(self, login_hint, claims, **id_token_kwargs) -> None:
        """What `/auth` signs when the tool's authentication request carries `login_hint`."""
        with self._lock:
            self._launches[login_hint] = (claims, id_token_kwargs)

    def launch(self, session, login_url, target_link_uri, claims, *, login_hint="hint-1", **id_token_kwargs):
        """The whole third-party-initiated login, with `session` (a requests.Session) as the browser: the
        final response of the tool's redirect_uri, redirects followed."""
        self.expect_launch(login_hint, claims, **id_token_kwargs)
        initiation = {"iss": self.issuer, "login_hint": login_hint, "target_link_uri": target_link_uri,
                      "lti_message_hint": f"message-{login_hint}", "client_id": self.client_id,
                      "lti_deployment_id": self.deployment_id}
        page = session.post(login_url, data=initiation)
        page.raise_for_status()
        form = _FormReader()
        form.feed(page.text)
        if form.action is None or "id_token" not in form.fields:
            raise AssertionError(f"the tool's login did not reach the platform's form: {page.status_code} "
                                 f"{page.url}\n{page.text[:500]}")
        return session.post(form.action, data=form.fields)

    def replay(self, session, redirect_uri, id_token, state):
        """Post an id_token again, as an attacker who captured one would (see `last_form`)."""
        return session.post(redirect_uri, data={"id_token": id_token, "state": state})

    def authenticate(self, params: dict) -> str:
        """The /auth page for an OIDC authentication request: an auto-submitting form with the id_token."""
        self.auth_requests.append(params)
        expected = {"response_type": "id_token", "scope": "openid", "response_mode": "form_post",
                    "client_id": self.client_id}
        for name, value in expected.items():
            if params.get(name) != value:
                raise Refused(400, "invalid_request", f"{name} must be {value!r}, not {params.get(name)!r}")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or (self.redirect_uris and redirect_uri not in self.redirect_uris):
            raise Refused(400, "invalid_request", f"redirect_uri {redirect_uri!r} is not registered")
        if not params.get("nonce"):
            raise Refused(400, "invalid_request", "nonce is required")
        with self._lock:
            launch = self._launches.get(params.get("login_hint"))
        if launch is None:
            raise Refused(400, "login_required", f"no launch expected for login_hint {params.get('login_hint')!r}")
        claims, kwargs = launch
        token = self.id_token(claims, nonce=params["nonce"], **kwargs)
        state = params.get("state", "")
        self.last_form = (redirect_uri, token, state)
        return _auto_submit_page(redirect_uri, {"id_token": token, "state": state})

    # -- the token endpoint -------------------------------------------------------------------------------------

    def tool_key(self, kid):
        """The tool's public key that checks its client assertions: `tool_public_key`, or `tool_jwks_url`'s."""
        if self.tool_public_key is not None:
            if isinstance(self.tool_public_key, (bytes, str)):
                return serialization.load_pem_public_key(_bytes(self.tool_public_key))
            return self.tool_public_key
        if not self.tool_jwks_url:
            raise Refused(401, "invalid_client", "the platform knows no public key of the tool")
        with urllib.request.urlopen(self.tool_jwks_url, timeout=10) as answer:
            keys = json.load(answer)["keys"]
        for jwk in keys:
            if kid is None or jwk.get("kid") == kid:
                return jwt.PyJWK(jwk, algorithm="RS256").key
        raise Refused(401, "invalid_client", f"no key with kid {kid!r} at the tool's JWKS")

    def check_assertion(self, assertion: str) -> dict:
        """The claims of a valid client assertion (signed by the tool, about itself, for this token endpoint,
        not expired, its jti never seen); Refused(401) otherwise."""
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            claims = jwt.decode(assertion, self.tool_key(kid), algorithms=["RS256"], audience=self.token_url,
                                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except jwt.PyJWTError as error:
            raise Refused(401, "invalid_client", f"client assertion rejected: {error}") from None
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            raise Refused(401, "invalid_client", f"iss and sub must be the client_id {self.client_id!r}")
        with self._lock:
            if claims["jti"] in self._jtis:
                raise Refused(401, "invalid_client", f"jti {claims['jti']!r} was already used")
            self._jtis.add(claims["jti"])
        return claims

    def issue_token(self, form: dict) -> dict:
        """The token endpoint: a client-credentials grant with a JWT client assertion, for AGS scopes."""
        record = {"form": form}
        self.token_requests.append(record)
        if form.get("grant_type") != "client_credentials":
            raise Refused(400, "unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise Refused(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        record["claims"] = self.check_assertion(form.get("client_assertion", ""))
        granted = [s for s in form.get("scope", "").split() if s in AGS_SCOPES]
        if not granted:
            raise Refused(400, "invalid_scope", f"scope must name some of {' '.join(AGS_SCOPES)}")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (set(granted), time.time() + TOKEN_LIFETIME)
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "scope": " ".join(granted)}

    def check_bearer(self, authorization: str | None, *scopes: str) -> None:
        """Refused(401) without a live token of ours, Refused(403) when it grants none of `scopes`."""
        kind, _, token = (authorization or "").partition(" ")
        with self._lock:
            granted, expires = self._tokens.get(token, (None, 0))
        if kind.lower() != "bearer" or granted is None or expires < time.time():
            raise Refused(401, "invalid_token", "a bearer token from the platform's token endpoint is required")
        if not granted & set(scopes):
            raise Refused(403, "insufficient_scope", f"the token grants none of {' '.join(scopes)}")

    # -- Assignment and Grade Services --------------------------------------------------------------------------

    def find_lineitems(self, context_id: str, query: dict) -> list[dict]:
        """The context's line items, filtered as AGS allows: resource_link_id, resource_id, tag."""
        fields = {"resource_link_id": "resourceLinkId", "resource_id": "resourceId", "tag": "tag"}
        prefix = self.lineitems_url(context_id) + "/"
        found = [item for item in self.lineitems if item["id"].startswith(prefix)]
        for param, field in fields.items():
            if param in query:
                found = [item for item in found if item.get(field) == query[param]]
        return found

    def lineitems_page(self, context_id: str, query: dict) -> tuple[list[dict], str | None]:
        """One page of `find_lineitems` and the URL of the next (AGS pages with Link rel="next"), `page_size`
        items a page when set."""
        found = self.find_lineitems(context_id, query)
        if not self.page_size:
            return found, None
        page = int(query.get("page", 1))
        start = (page - 1) * self.page_size
        if start + self.page_size >= len(found):
            return found[start:], None
        following = urlencode({**query, "page": page + 1})
        return found[start:start + self.page_size], f"{self.lineitems_url(context_id)}?{following}"

    def create_lineitem(self, context_id: str, item: dict) -> dict:
        """A new line item in the context, with its own URL as its id."""
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            raise Refused(400, "invalid_request", "a line item needs a non-empty label")
        if not _is_number(item.get("scoreMaximum")) or item["scoreMaximum"] <= 0:
            raise Refused(400, "invalid_request", "a line item needs a positive scoreMaximum")
        with self._lock:
            created = {**item, "id": f"{self.lineitems_url(context_id)}/{len(self.lineitems) + 1}"}
            self.lineitems.append(created)
        return created

    def lineitem(self, url: str) -> dict:
        for item in self.lineitems:
            if item["id"] == url:
                return item
        raise Refused(404, "not_found", f"no line item {url}")

    def record_score(self, lineitem_url: str, score: dict) -> None:
        """Keep a valid score for an existing line item, in the order received."""
        if self.fail_after_scores is not None and len(self.scores) >= self.fail_after_scores:
            raise Refused(503, "unavailable", f"the test platform takes no more than {self.fail_after_scores} scores")
        self.lineitem(lineitem_url)
        check_score(score)
        with self._lock:
            self.scores.append({**score, "lineitem": lineitem_url})


def _bytes(text) -> bytes:
    return text.encode() if isinstance(text, str) else text


def _auto_submit_page(action: str, fields: dict) -> str:
    """An HTML page whose form posts `fields` to `action` as soon as it loads (OIDC form_post response mode)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return (f'<!doctype html><html><head><title>Launching</title></head>'
            f'<body onload="document.forms[0].submit()"><form method="post" action="{html.escape(action)}">'
            f'{inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>')


def _handler_for(platform: Platform):
    """The request handler class that routes to `platform`'s methods."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass  # the tests read what the platform recorded, not an access log on stderr

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def _serve(self, method):
            path, _, query = self.path.partition("?")
            params = {k: v[0] for k, v in parse_qs(query).items()}
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if path == "/jwks":
                    return self._json(200, platform.jwks())
                if path == "/auth":
                    if method == "POST":
                        params = {**params, **{k: v[0] for k, v in parse_qs(body.decode()).items()}}
                    return self._send(200, "text/html; charset=utf-8", platform.authenticate(params).encode())
                self._hold_back()
                if path == "/token" and method == "POST":
                    return self._json(200, platform.issue_token({k: v[0] for k, v in parse_qs(body.decode()).items()}))
                if path.startswith("/contexts/"):
                    return self._ags(method, path, params, body)
                raise Refused(404, "not_found", f"{method} {path}")
            except Refused as refused:
                self._json(refused.status, refused.body)

        def _hold_back(self):
            """The token and AGS endpoints stall for `delay` and answer `refuse`, when the test says so."""
            if platform.delay:
                time.sleep(platform.delay)
            if platform.refuse is not None:
                raise Refused(platform.refuse, "refused", "the test platform refuses this call")

        def _ags(self, method, path, params, body):
            parts = path.strip("/").split("/")  # contexts, ctx, lineitems[, n[, scores]]
            if len(parts) < 3 or parts[2] != "lineitems":
                raise Refused(404, "not_found", path)
            context_id, url = parts[1], platform.issuer + path
            auth = self.headers.get("Authorization")
            if len(parts) == 3 and method == "GET":
                platform.check_bearer(auth, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
                items, following = platform.lineitems_page(context_id, params)
                link = {"Link": f'<{following}>; rel="next"'} if following else {}
                return self._json(200, items, CONTAINER_TYPE, link)
            if len(parts) == 3 and method == "POST":
                platform.check_bearer(auth, SCOPE_LINEITEM)
                return self._json(201, platform.create_lineitem(context_id, self._body(body, LINEITEM_TYPE)),
                                  LINEITEM_TYPE)
            if len(parts) == 4 and method == "GET":
                platform.check_bearer(auth, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
                return self._json(200, platform.lineitem(url), LINEITEM_TYPE)
            if len(parts) == 5 and parts[4] == "scores" and method == "POST":
                platform.check_bearer(auth, SCOPE_SCORE)
                platform.record_score(url.rsplit("/", 1)[0], self._body(body, SCORE_TYPE))
                return self._send(204, None, b"")
            raise Refused(404, "not_found", f"{method} {path}")

        def _body(self, body: bytes, media_type: str) -> dict:
            """The JSON body of a request that must declare `media_type`."""
            declared = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if declared != media_type:
                raise Refused(415, "unsupported_media_type", f"Content-Type must be {media_type}, not {declared!r}")
            try:
                return json.loads(body)
            except ValueError:
                raise Refused(400, "invalid_request", "the body is not JSON") from None

        def _json(self, status, value, media_type="application/json", headers=None):
            self._send(status, media_type, json.dumps(value).encode(), headers)

        def _send(self, status, media_type, data: bytes, headers=None):
            self.send_response(status)
            if media_type:
                self.send_header("Content-Type", media_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
