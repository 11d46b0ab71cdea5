"""Emails written by tenants: Django templates that see only the contact's and the interaction's
fields.

Templates are compiled by an engine of their own (no loaders, no tag libraries, no context
processors, no debug), only an allow-list of tags may appear, and the context holds plain copies of
the fields (strings, numbers, dicts) rather than model instances, so a template can't call a
method, follow a relation or read a setting.

A named pure module (no ORM, no settings, nothing sent): the document check
(``action_documents.py``) and the sender (``services/actions.py``) both use it, and sending
stays in the service so that these rules can be tested without a mail backend.
"""

from collections.abc import Mapping
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType

ALLOWED_TAGS = frozenset(
    {
        "if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith",
        "firstof", "comment", "endcomment", "spaceless", "endspaceless", "autoescape",
        "endautoescape", "now", "cycle",
    }
)  # fmt: skip

_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, debug=False, autoescape=False)


def template_problem(source: str) -> str | None:
    """Why ``source`` can't be a tenant's email template, or None."""
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.split_contents()[0] if token.contents.strip() else ""
            if name not in ALLOWED_TAGS:
                return f"the tag {{% {name} %}} is not allowed"
    try:
        _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        return str(error)
    return None


def template_render(source: str, context: Mapping[str, Any]) -> str:
    problem = template_problem(source)
    if problem:
        raise TemplateSyntaxError(problem)
    return _ENGINE.from_string(source).render(Context(dict(context), autoescape=False))
