"""Schemathesis hooks for Dateline: the rules a JSON schema cannot say.

A schema states types, lengths and patterns; it cannot say that an account, an image or a
comment must exist, or that a published article's time must be past and a scheduled one's
future. Generated requests are brought in line with those rules here, and only those; every
other field goes to the server as generated. The runner (`scripts/schemathesis/run`) sets the
environment: an existing account's address and an uploaded image's id.
"""

import copy
import itertools
import os

import schemathesis
import schemathesis.engine.observations as _observations

# Schemathesis 4.32.5 learns links from any string in a response that starts with "http://",
# and stops the whole run with "Invalid IPv6 URL" when such a string does not parse (a title
# the fuzzer wrote as "http://[x" comes back as it was sent). Such a string is no link: treat
# it as none. The runner pins the version, so the private name below is stable.
_same_origin_path = _observations._same_origin_path


def _tolerant_same_origin_path(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


_observations._same_origin_path = _tolerant_same_origin_path

PAST = "2009-07-31T16:00:00Z"
FUTURE = "2999-01-01T00:00:00Z"
AUTHOR_EMAIL = os.environ["DATELINE_ST_AUTHOR_EMAIL"]
MEDIA_ID = int(os.environ["DATELINE_ST_MEDIA_ID"])
# The account schemathesis acts as (the site's owner), its token and password: the run must
# not deactivate, demote or lock itself out halfway.
USER_ID = int(os.environ["DATELINE_ST_USER_ID"])
TOKEN_ID = int(os.environ["DATELINE_ST_TOKEN_ID"])
PASSWORD = os.environ["DATELINE_ST_PASSWORD"]
with open(os.environ["DATELINE_ST_IMAGE"], "rb") as f:
    IMAGE = f.read()


def _article(body, is_patch):
    """An article body whose references exist and whose time agrees with its status."""
    if isinstance(body.get("author_email"), str) and body["author_email"] != "":
        body["author_email"] = AUTHOR_EMAIL
    lead = body.get("lead_image")
    if isinstance(lead, dict) and isinstance(lead.get("media_id"), (int, float)) and not isinstance(lead.get("media_id"), bool):
        lead["media_id"] = MEDIA_ID
    if isinstance(lead, dict) and isinstance(lead.get("alt"), str) and lead["alt"].strip() == "":
        # Alt text may be blank only in a draft; the stored status of a patched one is unknown.
        lead["alt"] = "A description"

    status = body.get("status")
    if status == "published":
        body["published_at"] = PAST
    elif status == "scheduled":
        body["published_at"] = FUTURE
    elif status is None and is_patch:
        # The stored status is unknown here; a time alone could disagree with it.
        body.pop("published_at", None)


_comments_sent = itertools.count()


def _comment(body):
    """A comment body that answers no comment (one on the same article cannot be named here),
    says something new (the same text twice on an article is refused as a duplicate) and, when
    it brings in history, was written in the past."""
    if isinstance(body.get("body"), str) and body["body"].strip():
        body["body"] = body["body"][:9980] + f" #{next(_comments_sent)}"
    if isinstance(body.get("parent_id"), (int, float)) and not isinstance(body.get("parent_id"), bool):
        body["parent_id"] = None
    if isinstance(body.get("created_at"), str):
        body["created_at"] = PAST


def _names(case, id):
    params = case.path_parameters or {}
    return str(params.get("id")) == str(id)


def _negative(case):
    """Whether any part of the case was generated to break the schema."""
    meta = case.meta
    if meta is None:
        return False
    return meta.generation.mode.is_negative or any(
        c.mode.is_negative for c in meta.components.values()
    )


@schemathesis.hook
def map_case(context, case):
    operation = context.operation
    if operation is None:
        return case
    path, method = operation.path, operation.method.upper()
    if path == "/media/{id}" and method == "DELETE" and _names(case, MEDIA_ID):
        # Every generated article points at the shared image; deleting it would make the
        # articles generated after it invalid through no fault of theirs. Other ids are deleted
        # as generated.
        case.path_parameters = {**case.path_parameters, "id": MEDIA_ID + 1_000_000}
        return case
    if (path == "/users/{id}" and _names(case, USER_ID)) or (
        path == "/tokens/{id}" and _names(case, TOKEN_ID)
    ):
        # The run's own account and token: another id, which names nothing.
        case.path_parameters = {**case.path_parameters, "id": 1_000_000}
        return case
    if not isinstance(case.body, dict):
        return case
    body = copy.deepcopy(case.body)
    if path in ("/articles", "/articles/{id}") and method in ("POST", "PATCH"):
        _article(body, method == "PATCH")
    elif path == "/articles/{id}/comments" and method == "POST":
        _comment(body)
    elif path == "/settings" and method == "PATCH":
        _settings(body)
    elif path == "/comments/{id}/block" and method == "POST":
        # A block ends in the future (a time the schema cannot compare with now).
        if isinstance(body.get("until"), str):
            body["until"] = FUTURE
    elif path == "/me" and method == "PATCH":
        if isinstance(body.get("avatar_media_id"), (int, float)) and not isinstance(body.get("avatar_media_id"), bool):
            body["avatar_media_id"] = MEDIA_ID
    elif path == "/me/password" and method == "POST":
        # Only the account's own password opens it (no schema can say which), and the new one
        # must not be a common one (a list no pattern states): change it to itself.
        if isinstance(body.get("current_password"), str):
            body["current_password"] = PASSWORD
        if isinstance(body.get("new_password"), str) and len(body["new_password"]) >= 10:
            body["new_password"] = PASSWORD
    elif path == "/media" and method == "POST" and "file" in body:
        if _negative(case):
            return case
        # Uploads are recognised by decoding; random bytes are never an image. The image is
        # set without marking the body for revalidation: bytes cannot be checked against a JSON
        # schema, and a case that was valid stays valid with a real image in it.
        body["file"] = IMAGE
        object.__setattr__(case, "body", body)
        return case
    else:
        return case
    # Assigning (rather than changing the dict in place) marks the body for revalidation, so
    # a negative case that the rules above made valid is judged as valid.
    case.body = body
    return case


@schemathesis.hook
def before_call(context, case, kwargs):
    """The stateful phase fills fields from earlier responses after `map_case` has run: an
    article may name an image that the same scenario has since deleted. Point it at the shared
    image again, right before the request goes out (an id for an id: validity is unchanged)."""
    operation = case.operation
    if operation.path not in ("/articles", "/articles/{id}") or operation.method.upper() not in ("POST", "PATCH"):
        return
    if not isinstance(case.body, dict):
        return
    lead = case.body.get("lead_image")
    if isinstance(lead, dict) and isinstance(lead.get("media_id"), int) and not isinstance(lead.get("media_id"), bool):
        lead["media_id"] = MEDIA_ID


def _settings(body):
    """Settings whose references exist: an uploaded image as the logo, a time zone of the tz
    database (a list no pattern can state), a menu of "Label | /path/" lines (a grammar no
    pattern states either)."""
    if isinstance(body.get("logo_media_id"), (int, float)) and not isinstance(body.get("logo_media_id"), bool):
        body["logo_media_id"] = MEDIA_ID
    if isinstance(body.get("time_zone"), str):
        body["time_zone"] = "Asia/Baghdad"
    if isinstance(body.get("menu"), str):
        body["menu"] = "Iraq | /topics/iraq/\nSources | /sources/"
