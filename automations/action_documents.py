"""Pure: the shape of an automation's action documents, and what is wrong with a list of them.

``{"type": "webhook", "url": "https://…"}``, ``{"type": "email", "subject": "…", "body": "…"}``
(Liquid templates over ``contact``, ``interaction`` and ``automation``, checked by
``email_templates.py``), ``{"type": "tag", "name": "…"}``.

A named pure module (no ORM, no network; of the settings only the email template limits), like
``triggers.py``: forms, the API and the services check documents here, and
``services/actions.py`` performs them. The webhook URL's face check lives here too, so the
delivery code (``services/webhooks.py``) depends on this module and never the reverse. A webhook
host written as an IP address is checked against the address policy the caller passes
(``webhook_targets``); names are checked when sending only.
"""

from typing import Any
from urllib.parse import urlsplit

from automations.email_templates import TemplateLimits, template_problem
from automations.webhook_targets import AddressPolicy, host_problem
from engage_site.api.problems import Problem
from interactions.public import tag_name_problems

WEBHOOK, EMAIL, TAG = "webhook", "email", "tag"
ACTION_TYPES = (WEBHOOK, EMAIL, TAG)
MAX_ACTIONS = 10
MAX_URL_LENGTH = 2000
MAX_SUBJECT_LENGTH = 200
_FIELDS = {WEBHOOK: {"type", "url"}, EMAIL: {"type", "subject", "body"}, TAG: {"type", "name"}}


def url_problem(url: str) -> str | None:
    """Why ``url`` can't be a webhook target on its face (scheme, host), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    return None


def webhook_url_problem(url: str, *, policy: AddressPolicy) -> Problem | None:
    """What is wrong with a webhook action's URL when saving it (field ``url``), or None: its
    face, and a host written as an address the policy refuses."""
    problem = url_problem(url)
    if problem:
        return Problem("url", "invalid", problem)
    problem = host_problem(urlsplit(url).hostname or "", policy=policy)
    if problem:
        return Problem("url", "forbidden", problem)
    return None


def _string(action: dict[str, Any], key: str, where: str, limit: int) -> list[Problem]:
    value = action.get(key)
    if not isinstance(value, str) or not value.strip():
        return [Problem(f"{where}.{key}", "required", "must be a non-empty string")]
    if len(value) > limit:
        return [Problem(f"{where}.{key}", "maxLength", f"must be at most {limit} characters")]
    return []


def action_problems(actions: Any, *, policy: AddressPolicy) -> list[Problem]:
    """Every problem of a list of action documents; ``policy`` says which webhook hosts written
    as IP addresses are refused."""
    if not isinstance(actions, list) or not actions:
        return [Problem("actions", "required", "must be a non-empty list")]
    if len(actions) > MAX_ACTIONS:
        return [Problem("actions", "limit", f"must have at most {MAX_ACTIONS} actions")]
    problems: list[Problem] = []
    for index, action in enumerate(actions):
        where = f"actions.{index}"
        if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
            problems.append(
                Problem(f"{where}.type", "enum", f"must be one of {', '.join(ACTION_TYPES)}")
            )
            continue
        kind = action["type"]
        unknown = sorted(set(action) - _FIELDS[kind])
        problems += [
            Problem(f"{where}.{key}", "unknown", "is not a field of this action") for key in unknown
        ]
        if kind == WEBHOOK:
            found = _string(action, "url", where, MAX_URL_LENGTH)
            if not found and (refused := webhook_url_problem(action["url"], policy=policy)):
                found = [Problem(f"{where}.{refused.field}", refused.code, refused.message)]
            problems += found
        elif kind == EMAIL:
            limits = TemplateLimits.configured()
            for key, limit in (("subject", MAX_SUBJECT_LENGTH), ("body", limits.max_chars)):
                found = _string(action, key, where, limit)
                if not found and (problem := template_problem(action[key], limits=limits)):
                    found = [Problem(f"{where}.{key}", "invalid", problem)]
                problems += found
        else:
            problems += [
                Problem(f"{where}.name", problem.code, problem.message)
                for problem in tag_name_problems(action.get("name"))
            ]
    return problems
