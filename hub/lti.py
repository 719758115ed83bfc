"""LTI 1.3 login: the course opened from an LMS (Canvas, Moodle, ...), with `L2W_HUB_LOGIN=lti13`.

jupyterhub-ltiauthenticator does the OIDC third-party-initiated login and checks each launch's id_token (signature
against the platform's JWKS, issuer, audience, expiry, age, the state and nonce cookies). On top of it the course's
authenticator:

- refuses launches from another LMS course (the context claim) or another deployment, and a launch seen before
  (the upstream nonce check trusts a cookie, which whoever captured a launch also has);
- names the account after a stable claim, maps the LMS roles to the course's groups (formgrader for instructors
  and teaching assistants, the assignment list for learners) and, in server mode, creates its system account;
- puts each learner into nbgrader's gradebook with the names, email and LMS id the platform sent;
- records the platform's grade service endpoint (AGS) for `python -m autograder sync-lms` in
  `<course>/.autograder/lms.json`;
- serves the tool's public key as a JWKS at /hub/lti13/jwks, the "public JWK URL" an LMS asks for.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import pwd
import threading
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.handlers import LTI13ConfigHandler, LTI13LoginInitHandler
from tornado.web import HTTPError
from traitlets import Bool, Instance, default

from . import course
from .settings import COURSE_ID, HubSettings

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CONTEXT_CLAIM = CLAIM + "context"
DEPLOYMENT_CLAIM = CLAIM + "deployment_id"
ROLES_CLAIM = CLAIM + "roles"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
# Context (course membership) roles: ".../membership#Instructor", or a sub-role
# ".../membership/Instructor#TeachingAssistant".
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
# Principal context roles that grade: the course's instructors (a teaching assistant is a sub-role of Instructor)
# and its administrators (an administrator *of this course*). Institution and system roles (".../institution/person#",
# ".../system/person#") are deliberately not read: Canvas sends institution#Instructor to anyone who teaches
# anywhere in the school, also when they take this course as a learner, and an LMS administrator who should grade
# is added to the course as a teacher in the LMS, where that is seen and audited.
GRADING_ROLES = {"Instructor", "Administrator"}
LEARNING_ROLES = {"Learner"}
FORMGRADE_GROUP = f"formgrade-{COURSE_ID}"
STUDENT_GROUP = f"nbgrader-{COURSE_ID}"
# Where the grade service endpoint is recorded for `python -m autograder sync-lms`: its exact keys are the contract.
LMS_RECORD = Path(".autograder") / "lms.json"
LMS_RECORD_KEYS = ("issuer", "client_id", "deployment_id", "token_url", "key_file", "kid", "lineitems", "scope")


# --- Who the launch is ------------------------------------------------------------------------------------------

def username_for(issuer: str, sub: str) -> str:
    """The account name of the platform's user `sub`: "lti-" and 16 hex digits of a hash of issuer and sub.

    `sub` is the one claim that never changes for a person on a platform (names and emails do; Canvas's sub is an
    opaque id, Moodle's a number), but it may hold any characters and any length, while the name must be a valid
    system account (server mode: at most 32 characters, lower case) and a path component (homes, submissions). A
    hash fits both; 64 bits make a collision in any class impossible in practice, and the issuer keeps two
    platforms' equal subs apart. The gradebook keeps the person's names, email and sub beside this id.
    """
    digest = hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()
    return f"lti-{digest[:16]}"


def principal_roles(roles: list[str]) -> set[str]:
    """The principal context roles among the LTI role URIs ("Instructor" for a teaching assistant too)."""
    found = set()
    for role in roles:
        if role.startswith(MEMBERSHIP + "#"):
            found.add(role[len(MEMBERSHIP) + 1:])
        elif role.startswith(MEMBERSHIP + "/"):
            found.add(role[len(MEMBERSHIP) + 1:].split("#", 1)[0])
    return found


def course_group(roles: list[str]) -> str | None:
    """The course group for these LTI roles: formgrade for a grader (even one also a learner), else the students'
    group for a learner, else None (a mentor, a guest: no part in this course's hub)."""
    principals = principal_roles(roles)
    if principals & GRADING_ROLES:
        return FORMGRADE_GROUP
    if principals & LEARNING_ROLES:
        return STUDENT_GROUP
    return None


class SeenNonces:
    """The nonces of accepted launches, each kept until its id_token expires: a launch posted again is refused.

    In memory: a hub restart forgets them, which leaves a launch captured before the restart usable only until its
    id_token expires (minutes; the validator also refuses one issued more than max_age, 600 s, ago)."""

    def __init__(self):
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, nonce: str, expires: float) -> bool:
        """True the first time `nonce` is seen (and remember it until `expires`); False for every later time."""
        now = time.time()
        with self._lock:
            for old in [n for n, until in self._expiry.items() if until < now]:
                del self._expiry[old]
            if nonce in self._expiry:
                return False
            self._expiry[nonce] = expires
            return True


# --- The tool's key -----------------------------------------------------------------------------------------------

def ensure_tool_key(path: Path) -> bool:
    """Create the tool's RSA private key (PEM, 0600, in a 0700 folder) if it is not there; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return True


def public_jwk(key_file: Path) -> dict:
    """The tool's public key as a JWK, its kid the RFC 7638 thumbprint (stable for the key, new with a new key)."""
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "alg": "RS256", "use": "sig"}


# --- What a launch records ----------------------------------------------------------------------------------------

def _give_to_grader(s: HubSettings, path: Path) -> None:
    """Server mode, as root: a file the hub wrote into the course directory belongs to the grader account, as the
    rest of it does (formgrader and the grade sync run as that account)."""
    if s.mode == "server" and os.geteuid() == 0:
        grader = pwd.getpwnam(s.grader_user)
        os.chown(path, grader.pw_uid, grader.pw_gid)


def record_student(s: HubSettings, student_id: str, claims: dict) -> None:
    """Add the learner to nbgrader's gradebook, or bring their names and email up to date; lms_user_id is the
    platform's sub, the id its grade service knows them by. Claims the platform withheld (privacy) are left as
    they were."""
    from nbgrader.api import Gradebook

    fields = {"first_name": claims.get("given_name"), "last_name": claims.get("family_name"),
              "email": claims.get("email")}
    fields = {name: value for name, value in fields.items() if value}
    with Gradebook(s.db_url, course_id=COURSE_ID) as gradebook:
        gradebook.update_or_create_student(student_id, lms_user_id=claims["sub"], **fields)
    if s.db_url.startswith("sqlite:///"):
        _give_to_grader(s, Path(s.db_url[len("sqlite:///"):]))


def lms_record(s: HubSettings, claims: dict, kid: str) -> dict | None:
    """What `python -m autograder sync-lms` needs to send grades back, from a launch's grade service (AGS) claim;
    None when the launch carries none (the tool's grade services not enabled in the LMS)."""
    endpoint = claims.get(AGS_CLAIM) or {}
    if not endpoint.get("lineitems"):
        return None
    return {
        "issuer": s.lti.issuer,
        "client_id": s.lti.client_id,
        "deployment_id": claims.get(DEPLOYMENT_CLAIM) or s.lti.deployment_id,
        "token_url": s.lti.token_url,
        "key_file": str(s.lti.key_file),
        "kid": kid,
        "lineitems": endpoint["lineitems"],
        "scope": list(endpoint.get("scope", [])),
    }


def write_lms_record(s: HubSettings, record: dict) -> Path:
    """Write lms.json into the course directory when it changed, atomically (sync-lms may be reading it)."""
    path = s.course_dir / LMS_RECORD
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    if path.exists() and path.read_text() == text:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _give_to_grader(s, path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    _give_to_grader(s, tmp)
    os.replace(tmp, path)
    return path


# --- Handlers -----------------------------------------------------------------------------------------------------

class CourseLoginInitHandler(LTI13LoginInitHandler):
    """The login initiation (/hub/lti13/oauth_login), with the course's two changes."""

    def post(self):
        # Someone who opens the hub's own "Sign in" button arrives here without the platform's parameters.
        if not self.get_argument("iss", ""):
            raise HTTPError(400, "This course hub is opened from your course's page in the LMS (Canvas, Moodle): "
                                 "follow the course's link there.")
        return super().post()

    get = post

    def _set_oauth_cookie(self, key: str, value):
        """The state and nonce cookies must come back with the platform's form_post, a cross-site POST: browsers
        send such cookies only when they are SameSite=None, which they accept only with Secure (HTTPS)."""
        cross_site = {"samesite": "None", "secure": True} if self.request.protocol == "https" else {}
        self._set_cookie(key, value, expires_days=1, httponly=True, encrypted=True, **cross_site)


class ToolJWKSHandler(BaseHandler):
    """/hub/lti13/jwks: the tool's public key, which the platform uses to check the tool's signed token requests."""

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"keys": [self.authenticator.tool_jwk]}))


class CourseConfigHandler(LTI13ConfigHandler):
    """/hub/lti13/config, Canvas's "Enter URL" configuration: upstream's JSON, plus the tool's public JWK URL, and
    only the grade service scopes the course uses (upstream also asks for Canvas's data services)."""

    _writing_config = False

    async def get(self):
        self._writing_config = True
        await super().get()

    def write(self, chunk):
        # Upstream builds its JSON inline in get() and writes it once: that one write is where it is extended.
        if not self._writing_config:
            return super().write(chunk)
        self._writing_config = False
        config = json.loads(chunk)
        base = f"{self.authenticator.get_uri_scheme(self.request)}://{self.request.host}"
        config["public_jwk_url"] = base + self.authenticator.jwks_url(self.hub.server.base_url)
        config["scopes"] = [scope for scope in config["scopes"] if "/lti-ags/" in scope]
        super().write(json.dumps(config))


# --- The authenticator --------------------------------------------------------------------------------------------

class CourseLTI13Authenticator(LTI13Authenticator):
    """LTI 1.3 launches into this course: see the module's docstring."""

    login_handler = CourseLoginInitHandler
    config_handler = CourseConfigHandler
    hub_settings = Instance(HubSettings, config=True, help="The hub's settings (login must be lti13)")
    # The LMS decides who is in the course: anyone it launches with a valid token for this course may log in, and
    # their groups follow their roles there at every launch.
    manage_groups = Bool(True, config=True)
    allow_all = Bool(True, config=True)

    @default("hub_settings")
    def _hub_settings_from_env(self):
        return HubSettings.from_env()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_nonces = SeenNonces()
        ensure_tool_key(self.hub_settings.lti.key_file)
        self.tool_jwk = public_jwk(self.hub_settings.lti.key_file)

    def jwks_url(self, base_url: str) -> str:
        return url_path_join(base_url, "lti13", "jwks")

    def get_handlers(self, app):
        return [*super().get_handlers(app), (self.jwks_url(""), ToolJWKSHandler)]

    async def authenticate(self, handler, data=None):
        """The account for a launch whose id_token upstream has verified: checked against this course, named,
        grouped, and its system account, gradebook entry and grade service record made ready."""
        claims = data or {}
        self.check_course(claims)
        self.check_first_use(claims)
        group = course_group(claims.get(ROLES_CLAIM) or [])
        if group is None:
            raise HTTPError(403, "Your role in this LMS course gives you no place on its hub: it serves the "
                                 "course's instructors, teaching assistants and learners.")
        name = username_for(claims["iss"], claims["sub"])
        await asyncio.to_thread(self.prepare_account, name, group, claims)
        return {"name": name, "groups": [group]}

    def check_course(self, claims: dict) -> None:
        """Refuse an anonymous launch, or one from another LMS course or deployment, saying which."""
        s = self.hub_settings.lti
        if not claims.get("sub"):
            raise HTTPError(400, "This launch names no user (an anonymous launch); the course hub needs one.")
        context = (claims.get(CONTEXT_CLAIM) or {}).get("id")
        if context != s.context_id:
            raise HTTPError(403, f"This hub serves the LMS course {s.context_id!r}; this launch came from "
                                 f"{context!r}. Open the course hub from its own course.")
        deployment = claims.get(DEPLOYMENT_CLAIM)
        if s.deployment_id and deployment != s.deployment_id:
            raise HTTPError(403, f"This hub is registered as deployment {s.deployment_id!r}; this launch is from "
                                 f"deployment {deployment!r}.")

    def check_first_use(self, claims: dict) -> None:
        """Refuse an id_token posted a second time (its nonce seen already)."""
        if not self.seen_nonces.first_use(str(claims.get("nonce")), float(claims.get("exp", 0))):
            raise HTTPError(403, "This launch was used already; open the course again from the LMS.")

    def prepare_account(self, name: str, group: str, claims: dict) -> None:
        """What must exist before the account's server starts: its system user (server mode), its gradebook entry
        (learners), and the grade service record (any launch that carries one)."""
        s = self.hub_settings
        if s.mode == "server":
            course.ensure_system_user(name, s.system_home_base / name)
        if group == STUDENT_GROUP:
            record_student(s, name, claims)
        record = lms_record(s, claims, self.tool_jwk["kid"])
        if record is not None:
            write_lms_record(s, record)
