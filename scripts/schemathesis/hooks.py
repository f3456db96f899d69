"""Schemathesis hooks for redis-hack (loaded through SCHEMATHESIS_HOOKS).

Two auth providers, so generated requests reach the handlers behind auth:
- the user's bearer token, obtained the way a person gets one: POST
  /v1/register, read the code from maildev's REST API, POST /v1/verify. A 401
  (the run itself logs out with DELETE /v1/session) makes schemathesis fetch a
  fresh token, which is a fresh user.
- the publisher key, for POST /v1/topics/{topic}/openings.
Both come from the environment that scripts/fuzz-api.sh sets.
"""

import json
import os
import re
import secrets
import time
import urllib.request

import schemathesis

BASE = os.environ["RH_FUZZ_BASE"]
MAILDEV = os.environ["RH_FUZZ_MAILDEV"]
PUBLISHER_KEY = os.environ["RH_FUZZ_PUBLISHER_KEY"]
PUBLISH_PATH = "/v1/topics/{topic}/openings"


def _post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read() or b"null")


def _code_for(email):
    """The 6-digit code in the newest email to `email`, waiting up to 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(MAILDEV + "/api/email", timeout=10) as res:
            mails = json.loads(res.read())
        for mail in reversed(mails):
            if any(to.get("address") == email for to in mail.get("to", [])):
                found = re.search(r"\b(\d{6})\b", mail.get("text") or "")
                if found:
                    return found.group(1)
        time.sleep(0.2)
    raise RuntimeError(f"no code reached maildev for {email} within 10 s")


def new_user_token():
    email = f"fuzz-{secrets.token_hex(6)}@example.com"
    _post("/v1/register", {"email": email, "state": "Bihar", "district": "Patna"})
    answer = _post("/v1/verify", {"email": email, "code": _code_for(email), "device": "schemathesis"})
    return answer["token"]


def _bearer(case, token):
    case.headers = case.headers or {}
    case.headers["Authorization"] = f"Bearer {token}"


@schemathesis.auth().skip_for(path=PUBLISH_PATH)
class UserToken:
    def get(self, case, ctx):
        return new_user_token()

    def set(self, case, data, ctx):
        _bearer(case, data)


@schemathesis.auth().apply_to(path=PUBLISH_PATH)
class PublisherKey:
    def get(self, case, ctx):
        return PUBLISHER_KEY

    def set(self, case, data, ctx):
        _bearer(case, data)
