"""The test LTI platform itself: what it signs checks out with its JWKS, and its token and AGS endpoints refuse
what a real platform refuses. The tool-side tests (tests/hub/test_lti*.py, tests/grader/test_sync_lms.py) rely on
both."""
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import lti_platform
from lti_platform import Platform


def assertion(platform, key, **override):
    now = int(time.time())
    claims = {"iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_url, "iat": now,
              "exp": now + 300, "jti": uuid.uuid4().hex, **override}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "tool-1"})


def token(platform, key, scope=(lti_platform.SCOPE_LINEITEM, lti_platform.SCOPE_SCORE), **override):
    return requests.post(platform.token_url, data={
        "grant_type": "client_credentials", "client_assertion_type": lti_platform.ASSERTION_TYPE,
        "client_assertion": assertion(platform, key, **override), "scope": " ".join(scope)}, timeout=10)


def test_the_auth_page_posts_an_id_token_its_jwks_verifies(platform):
    claims = platform.launch_claims("user-7", roles=("Instructor", "TeachingAssistant"))
    platform.expect_launch("hint-9", claims)
    page = requests.get(platform.auth_url, params={
        "response_type": "id_token", "scope": "openid", "response_mode": "form_post", "prompt": "none",
        "client_id": platform.client_id, "redirect_uri": "http://127.0.0.1:1/callback", "login_hint": "hint-9",
        "nonce": "n-1", "state": "s-1"}, timeout=10)
    form = lti_platform._FormReader()
    form.feed(page.text)
    assert form.action == "http://127.0.0.1:1/callback" and form.fields["state"] == "s-1"
    jwk = requests.get(platform.jwks_url, timeout=10).json()["keys"][0]
    decoded = jwt.decode(form.fields["id_token"], jwt.PyJWK(jwk).key, algorithms=["RS256"],
                         audience=platform.client_id, issuer=platform.issuer)
    assert decoded["nonce"] == "n-1" and decoded["sub"] == "user-7"
    assert decoded[lti_platform.LTI + "roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]
    assert platform.last_form == (form.action, form.fields["id_token"], "s-1")


def test_the_auth_page_refuses_a_wrong_response_type(platform):
    platform.expect_launch("hint-1", platform.launch_claims("u"))
    page = requests.get(platform.auth_url, params={"response_type": "code", "scope": "openid", "nonce": "n",
                                                   "response_mode": "form_post", "client_id": platform.client_id,
                                                   "redirect_uri": "http://127.0.0.1:1/cb", "login_hint": "hint-1"},
                        timeout=10)
    assert page.status_code == 400 and "response_type" in page.text


def test_a_token_creates_a_line_item_and_posts_a_score(platform, tool_key):
    answer = token(platform, tool_key)
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    made = requests.post(platform.lineitems_url(), json=None, timeout=10, data=b'{"label": "ps1", '
                         b'"scoreMaximum": 3, "resourceId": "ps1"}',
                         headers={**headers, "Content-Type": lti_platform.LINEITEM_TYPE})
    assert made.status_code == 201, made.text
    item = made.json()
    listed = requests.get(platform.lineitems_url(), params={"resource_id": "ps1"}, headers=headers, timeout=10)
    assert listed.json() == [item] and listed.headers["Content-Type"] == lti_platform.CONTAINER_TYPE
    assert requests.get(platform.lineitems_url(), params={"resource_id": "ps2"}, headers=headers,
                        timeout=10).json() == []
    score = {"userId": "u1", "scoreGiven": 2.5, "scoreMaximum": 3, "activityProgress": "Completed",
             "gradingProgress": "FullyGraded", "timestamp": "2026-12-01T10:00:00+00:00"}
    posted = requests.post(item["id"] + "/scores", json=score, timeout=10,
                           headers={**headers, "Content-Type": lti_platform.SCORE_TYPE})
    assert posted.status_code == 204, posted.text
    assert platform.scores == [{**score, "lineitem": item["id"]}]


@pytest.mark.parametrize("change, status", [
    ({"Content-Type": "application/json"}, 415),
    ({"Authorization": "Bearer not-a-token"}, 401),
    ({"scoreGiven": 4}, 400),
    ({"timestamp": "2026-12-01T10:00:00"}, 400),
])
def test_a_bad_score_is_refused(platform, tool_key, change, status):
    access = token(platform, tool_key).json()["access_token"]
    item = platform.create_lineitem(platform.context_id, {"label": "ps1", "scoreMaximum": 3})
    headers = {"Authorization": f"Bearer {access}", "Content-Type": lti_platform.SCORE_TYPE}
    headers.update({k: v for k, v in change.items() if k[0].isupper()})
    score = {"userId": "u1", "scoreGiven": 1, "scoreMaximum": 3, "activityProgress": "Completed",
             "gradingProgress": "FullyGraded", "timestamp": "2026-12-01T10:00:00Z"}
    score.update({k: v for k, v in change.items() if k[0].islower()})
    answer = requests.post(item["id"] + "/scores", json=score, headers=headers, timeout=10)
    assert answer.status_code == status, answer.text
    assert platform.scores == []


def test_a_token_for_line_items_only_cannot_post_scores(platform, tool_key):
    access = token(platform, tool_key, scope=(lti_platform.SCOPE_LINEITEM,)).json()["access_token"]
    item = platform.create_lineitem(platform.context_id, {"label": "ps1", "scoreMaximum": 3})
    answer = requests.post(item["id"] + "/scores", data=b"{}", timeout=10, headers={
        "Authorization": f"Bearer {access}", "Content-Type": lti_platform.SCORE_TYPE})
    assert answer.status_code == 403


def test_the_token_endpoint_refuses_a_forged_stale_or_replayed_assertion(platform, tool_key):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert token(platform, forger).status_code == 401
    assert token(platform, tool_key, exp=int(time.time()) - 10).status_code == 401
    assert token(platform, tool_key, aud=platform.issuer).status_code == 401
    assert token(platform, tool_key, iss="someone-else").status_code == 401
    assert token(platform, tool_key, jti="once").status_code == 200
    refused = token(platform, tool_key, jti="once")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_refuse_answers_every_token_call_with_its_status(platform, tool_key):
    platform.refuse = 503
    assert token(platform, tool_key).status_code == 503


def test_the_token_endpoint_finds_the_tool_key_at_its_jwks_url(platform):
    with Platform() as tool:  # another platform's JWKS endpoint serves as the tool's
        platform.tool_public_key, platform.tool_jwks_url = None, tool.jwks_url
        now = int(time.time())
        signed = jwt.encode({"iss": platform.client_id, "sub": platform.client_id, "aud": platform.token_url,
                             "iat": now, "exp": now + 60, "jti": "j"}, tool.key, algorithm="RS256",
                            headers={"kid": tool.kid})
        answer = requests.post(platform.token_url, timeout=10, data={
            "grant_type": "client_credentials", "client_assertion_type": lti_platform.ASSERTION_TYPE,
            "client_assertion": signed, "scope": lti_platform.SCOPE_SCORE})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == lti_platform.SCOPE_SCORE
