"""Grades back to the LMS: `python -m autograder sync-lms ASSIGNMENT` (LTI Advantage, Assignment and Grade Services).

    sync(course_dir, assignment, overrides, timeout, out) -> SyncSummary

The steps: read the tool's LTI settings (`<course>/.autograder/lms.json`, written by the hub at LTI launches, each
key overridable on the command line); obtain a bearer token from the platform with a client assertion signed by the
tool's private key (the client-credentials grant of the IMS security framework); find the assignment's line item
(`resourceId` == the assignment) or create it; post one score per student who has a recorded submission and an LMS
user id (nbgrader's `Student.lms_user_id`, the launch's `sub`). Scores are nbgrader's: raw score minus the late
penalty, never below 0, as `nbgrader export` gives them.

Idempotent: what was posted is kept in `<course>/.autograder/<assignment>/lms_sync.json`, rewritten (atomically)
after every score the platform accepted, so a rerun posts only what changed and a run stopped by a failing platform
resumes where it stopped. The gradebook is only read.
"""
from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from autograder.state import write_json

REQUIRED = {"client_id": "--client-id", "token_url": "--token-url", "key_file": "--key-file",
            "lineitems": "--lineitems"}
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
TAG = "line-to-word"  # marks the line items this tool made, among the others of the course
ASSERTION_LIFETIME = 300  # seconds: the security framework asks for a short-lived assertion (five minutes at most)
MAX_PAGES = 100  # lineitem container pages followed through Link rel="next" before giving up on a runaway platform


class MissingSetting(ValueError):
    """An LTI setting that neither lms.json nor the command line gives."""


class PlatformError(RuntimeError):
    """A call to the platform that failed; the message names the URL and what went wrong."""


@dataclass
class SyncSummary:
    lineitem: str
    created: bool
    posted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# -- settings ---------------------------------------------------------------------------------------------------

def settings_path(course_dir: Path) -> Path:
    return course_dir / ".autograder" / "lms.json"


def read_settings(course_dir: Path, overrides: dict) -> dict:
    """lms.json's settings with the command line's `overrides` (None: not given) on top; MissingSetting names the
    first required one absent from both."""
    path = settings_path(course_dir)
    try:
        settings = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError as error:
        raise MissingSetting(f"sync-lms: {path} is not JSON ({error})") from None
    settings.update({k: v for k, v in overrides.items() if v is not None})
    for name, option in REQUIRED.items():
        if not settings.get(name):
            raise MissingSetting(f"sync-lms: no {name!r}: {path} does not give it (an LTI launch of the hub writes "
                                 f"it) and {option} was not passed")
    if not Path(settings["key_file"]).is_file():
        raise MissingSetting(f"sync-lms: key_file {settings['key_file']!r}: no such file (the tool's private key, "
                             f"PEM)")
    return settings


def token_scopes(settings: dict) -> list[str]:
    """The AGS scopes to ask for: line items (read-write, else read-only) and scores, as far as the launch granted
    them (`scope`, the AGS claim's list; all of them when it is not known)."""
    granted = settings.get("scope") or [SCOPE_LINEITEM, SCOPE_SCORE]
    if SCOPE_SCORE not in granted:
        raise MissingSetting(f"sync-lms: the platform's launch did not grant the score scope {SCOPE_SCORE} "
                             f"(granted: {' '.join(granted)})")
    lineitem = SCOPE_LINEITEM if SCOPE_LINEITEM in granted else SCOPE_LINEITEM_READONLY
    return [lineitem, SCOPE_SCORE]


# -- talking to the platform ------------------------------------------------------------------------------------

def _call(method: str, url: str, timeout: float, headers: dict, body: bytes | None = None) -> tuple[object, Message]:
    """(decoded JSON body or None, response headers) of one HTTP call; PlatformError on an error status, a timeout
    or no connection, naming the URL."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            data = answer.read()
            return (json.loads(data) if data.strip() else None), answer.headers  # names matched in any case
    except urllib.error.HTTPError as error:
        detail = " ".join(error.read(300).decode(errors="replace").split())  # one line, even from an HTML page
        raise PlatformError(f"{method} {url}: the platform answered HTTP {error.code} {error.reason}"
                            + (f": {detail}" if detail else "")) from None
    except OSError as error:  # URLError wraps a refused or timed-out connect; a slow read times out bare
        raise PlatformError(f"{method} {url}: {_unreachable(error, timeout)}") from None
    except ValueError:
        raise PlatformError(f"{method} {url}: the platform's answer is not JSON") from None


def _unreachable(error: OSError, timeout: float) -> str:
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError):
        return f"timed out after {timeout:g} s (--timeout)"
    return f"cannot reach the platform ({reason})"


def client_assertion(settings: dict, now: float) -> str:
    """The JWT the tool signs to authenticate at the token endpoint: about itself (iss = sub = client_id), for that
    endpoint (aud), short-lived, with a fresh jti so that it cannot be replayed."""
    import jwt

    claims = {"iss": settings["client_id"], "sub": settings["client_id"], "aud": settings["token_url"],
              "iat": int(now), "exp": int(now) + ASSERTION_LIFETIME, "jti": uuid.uuid4().hex}
    headers = {"kid": settings["kid"]} if settings.get("kid") else None
    return jwt.encode(claims, Path(settings["key_file"]).read_bytes(), algorithm="RS256", headers=headers)


def request_token(settings: dict, timeout: float) -> str:
    """A bearer token for the AGS scopes, from the client-credentials grant with a JWT client assertion."""
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(settings, time.time()), "scope": " ".join(token_scopes(settings))}
    answer, _ = _call("POST", settings["token_url"], timeout, body=urlencode(form).encode(),
                      headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise PlatformError(f"POST {settings['token_url']}: the answer holds no access_token: {answer!r}")
    return answer["access_token"]


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query (a platform's lineitems URL may already carry one)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(parse_qsl(parts.query) + list(params.items()))))


def _next_page(headers: Message) -> str | None:
    """The URL of the Link header's rel="next", by which AGS pages a line item container."""
    for link in headers.get("Link", "").split(","):
        target, _, rel = link.partition(";")
        if 'rel="next"' in rel.replace(" ", ""):
            return target.strip().strip("<>")
    return None


def find_lineitems(settings: dict, token: str, assignment: str, timeout: float) -> list[dict]:
    """The container's line items whose resourceId is `assignment` (filtered here too: a platform may ignore the
    resource_id filter), every page read."""
    url, found = with_query(settings["lineitems"], resource_id=assignment), []
    headers = {"Authorization": f"Bearer {token}", "Accept": CONTAINER_TYPE}
    for _ in range(MAX_PAGES):
        items, answer_headers = _call("GET", url, timeout, headers)
        found += [item for item in items or [] if item.get("resourceId") == assignment]
        url = _next_page(answer_headers)
        if url is None:
            return found
    raise PlatformError(f"GET {settings['lineitems']}: more than {MAX_PAGES} pages of line items")


def lineitem_for(settings: dict, token: str, assignment: str, max_score: float,
                 timeout: float) -> tuple[dict, bool]:
    """(the assignment's line item, whether it was created now): ours (tagged) first, else any with its
    resourceId, else a new one."""
    found = find_lineitems(settings, token, assignment, timeout)
    if found:
        return sorted(found, key=lambda item: item.get("tag") != TAG)[0], False
    item = {"label": assignment, "scoreMaximum": max_score, "resourceId": assignment, "tag": TAG}
    created, _ = _call("POST", settings["lineitems"], timeout, body=json.dumps(item).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE})
    if not isinstance(created, dict) or not created.get("id"):
        raise PlatformError(f"POST {settings['lineitems']}: the created line item has no id: {created!r}")
    return created, True


def scores_url(lineitem_id: str) -> str:
    """The score publish service of a line item: its URL with /scores appended to the path (before any query)."""
    parts = urlsplit(lineitem_id)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def post_score(lineitem_id: str, token: str, score: dict, timeout: float) -> None:
    _call("POST", scores_url(lineitem_id), timeout, body=json.dumps(score).encode(),
          headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE})


# -- the gradebook and the record -------------------------------------------------------------------------------

def gradebook_rows(db_url: str, assignment: str) -> tuple[float, list[dict]]:
    """(the assignment's max score, one row per recorded submission: student, lms_user_id, scoreGiven,
    gradingProgress), read from nbgrader's gradebook, which is left as it was."""
    from nbgrader.api import Gradebook

    from autograder.classreport import net_score

    with Gradebook(db_url) as gb:
        found = gb.find_assignment(assignment)
        maximum = float(found.max_score or 0.0)
        rows = [{"student": s.student_id, "lms_user_id": s.student.lms_user_id, "scoreGiven": net_score(s),
                 "gradingProgress": "PendingManual" if s.needs_manual_grade else "FullyGraded"}
                for s in gb.assignment_submissions(assignment)]
    return maximum, sorted(rows, key=lambda row: row["student"])


def score_message(row: dict, maximum: float, now: datetime) -> dict:
    """The AGS score of one student (application/vnd.ims.lis.v1.score+json). The timestamp is when it is sent: a
    platform ignores a score older than the last it recorded, so a changed score must carry a later one."""
    return {"userId": row["lms_user_id"], "scoreGiven": row["scoreGiven"], "scoreMaximum": maximum,
            "activityProgress": "Completed", "gradingProgress": row["gradingProgress"],
            "timestamp": now.isoformat(timespec="milliseconds")}


def record_path(course_dir: Path, assignment: str) -> Path:
    return course_dir / ".autograder" / assignment / "lms_sync.json"


def read_record(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def write_record(path: Path, record: dict) -> None:
    """Replace the record in one step: a run killed mid-write leaves the previous record, never half of one."""
    write_json(path, record, mode=0o600, indent=1, sort_keys=True)


# -- the command ------------------------------------------------------------------------------------------------

def recorded_entry(row: dict, maximum: float, lineitem_id: str) -> dict:
    """What the record keeps of a student's posted score: when any of it changes, the score is posted again."""
    return {"lms_user_id": row["lms_user_id"], "scoreGiven": row["scoreGiven"], "scoreMaximum": maximum,
            "gradingProgress": row["gradingProgress"], "lineitem": lineitem_id}


def post_changed(rows: list[dict], maximum: float, item: dict, token: str, path: Path, timeout: float,
                 summary: SyncSummary, out: TextIO) -> None:
    """Post each student's score that differs from the record, rewriting the record after every accepted one, so
    that a failure midway (PlatformError) loses nothing already sent."""
    record = read_record(path)
    for row in rows:
        if not row["lms_user_id"]:
            print(f"skipped {row['student']}: no LMS user id (not yet launched from the LMS)", file=out)
            summary.skipped.append(row["student"])
            continue
        entry = recorded_entry(row, maximum, item["id"])
        if record.get(row["student"]) == entry:
            summary.unchanged.append(row["student"])
            continue
        post_score(item["id"], token, score_message(row, maximum, datetime.now(timezone.utc)), timeout)
        record[row["student"]] = entry
        write_record(path, record)
        summary.posted.append(row["student"])


def sync(course_dir: Path, assignment: str, overrides: dict, timeout: float = 20.0,
         out: TextIO = sys.stdout) -> SyncSummary:
    """Post the assignment's changed scores to the LMS; MissingSetting or PlatformError when it cannot."""
    from autograder.grade import Course, _check_assignment

    course = Course(course_dir, assignment)
    _check_assignment(course)
    root = Path(course.coursedir.root)
    settings = read_settings(root, overrides)
    maximum, rows = gradebook_rows(course.db_url, assignment)
    token = request_token(settings, timeout)
    item, created = lineitem_for(settings, token, assignment, maximum, timeout)
    print(f"line item {item['id']} ({'created' if created else 'found'})", file=out)
    summary = SyncSummary(lineitem=item["id"], created=created)
    post_changed(rows, maximum, item, token, record_path(root, assignment), timeout, summary, out)
    return summary
