"""Emails written by tenants: Liquid templates that see only the contact's and the interaction's
fields, rendered under hard limits.

A tenant's template runs on every worker, over contacts that may hold thousands of attributes, so
nothing it does may be unbounded: the loops it runs (counted over the whole render, not per loop,
so a row of loops can't add up past the limit), the text it writes, the values it assigns, how
deep it nests, and its own size. A template over a limit raises ``TemplateError`` — the same
template over the same data would hit it again, so the caller treats it as final, never as a
reason to retry.

The engine has no loader and no ``include``/``render`` tags (a template can't reach another
file), undefined variables render empty (as in the Django templates this replaced: a contact
lacking an attribute still gets the email), autoescaping is off (subject and body are plain
text) and it runs in strict mode, because Liquid's lax mode would also swallow the limit errors.
The context holds plain copies of the fields (strings, numbers, dicts), not model instances.

A named module with no ORM and nothing sent: the document check (``action_documents.py``) and the
sender (``services/actions.py``) both use it. The limits come from settings
(``AUTOMATIONS_EMAIL_TEMPLATE_*``) unless a caller passes its own.
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from liquid import Environment, RenderContext
from liquid.exceptions import (
    BlockNestingError,
    ContextDepthError,
    LiquidError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
)
from liquid.template import BoundTemplate

# Tags that load other templates: with no loader they could only fail, and a tenant's template
# must stay one self-contained text.
REFUSED_TAGS = ("include", "render")


class TemplateError(Exception):
    """A template that can't be used: bad syntax, a refused tag or filter, or a limit reached."""


@dataclass(frozen=True)
class TemplateLimits:
    max_chars: int = 20_000
    loop_iterations: int = 10_000
    output_bytes: int = 256 * 1024
    depth: int = 30

    @classmethod
    def configured(cls) -> "TemplateLimits":
        return cls(
            max_chars=settings.AUTOMATIONS_EMAIL_TEMPLATE_MAX_CHARS,
            loop_iterations=settings.AUTOMATIONS_EMAIL_TEMPLATE_LOOP_LIMIT,
            output_bytes=settings.AUTOMATIONS_EMAIL_TEMPLATE_OUTPUT_BYTES,
            depth=settings.AUTOMATIONS_EMAIL_TEMPLATE_DEPTH_LIMIT,
        )


def _limit_message(error: LiquidError, limits: TemplateLimits) -> str:
    if isinstance(error, LoopIterationLimitError):
        return f"its loops would run more than {limits.loop_iterations} iterations"
    if isinstance(error, OutputStreamLimitError):
        return f"it would write more than {limits.output_bytes} bytes"
    if isinstance(error, LocalNamespaceLimitError):
        return f"its assigned variables would hold more than {limits.output_bytes} bytes"
    if isinstance(error, ContextDepthError | BlockNestingError):
        return f"its blocks are nested more than {limits.depth} deep"
    return str(error.message)


def _reason(error: LiquidError, limits: TemplateLimits) -> str:
    """A one-line reason (Liquid's own messages quote the whole source line)."""
    reason = _limit_message(error, limits)
    where = error.context()
    return f"{reason} (line {where[0]})" if where else reason


def _checked_filter(name: str, function: Callable[..., Any], limit: int) -> Callable[..., Any]:
    """``function`` refusing to build a string longer than the output limit.

    The output limit only counts what is written; without this a filter could build a huge value
    in memory first (``replace`` on a long value is quadratic, ``join`` multiplies a separator
    by the items). Those two are checked before they run, every filter after.
    """

    @functools.wraps(function)
    def checked(value: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "replace" and isinstance(value, str) and len(args) >= 2:
            old, new = str(args[0]), str(args[1])
            if old and len(value) + value.count(old) * max(0, len(new) - len(old)) > limit:
                raise OutputStreamLimitError("output stream limit reached", token=None)
        if name == "join" and isinstance(value, list | tuple):
            separator = str(args[0]) if args else " "
            if len(separator) * len(value) > limit:
                raise OutputStreamLimitError("output stream limit reached", token=None)
        result = function(value, *args, **kwargs)
        if isinstance(result, str) and len(result) > limit:
            raise OutputStreamLimitError("output stream limit reached", token=None)
        return result

    return checked


class _CountingContext(RenderContext):
    """Counts every loop iteration of the render against the limit.

    Liquid's own limit multiplies the lengths of the loops nested at one point, which stops
    nested loops at once but lets loops side by side each run up to the limit.
    """

    iterations = 0

    @contextmanager
    def loop(self, namespace: Mapping[str, object], forloop: Any) -> Iterator[RenderContext]:
        self.iterations += forloop.length
        limit = self.env.loop_iteration_limit
        if limit is not None and self.iterations > limit:
            raise LoopIterationLimitError("loop iteration limit reached", token=None)
        with super().loop(namespace, forloop) as context:
            yield context


class _Template(BoundTemplate):
    context_class = _CountingContext


@functools.cache
def _environment(limits: TemplateLimits) -> Environment:
    class Limited(Environment):
        template_class = _Template
        loop_iteration_limit = limits.loop_iterations
        output_stream_limit = limits.output_bytes
        local_namespace_limit = limits.output_bytes
        context_depth_limit = limits.depth
        block_nesting_limit = limits.depth

    environment = Limited(autoescape=False, strict_filters=True)
    for tag in REFUSED_TAGS:
        del environment.tags[tag]
    for name, function in list(environment.filters.items()):
        environment.filters[name] = _checked_filter(name, function, limits.output_bytes)
    return environment


def _compiled(source: str, limits: TemplateLimits) -> BoundTemplate:
    if len(source) > limits.max_chars:
        raise TemplateError(f"must be at most {limits.max_chars} characters")
    try:
        return _environment(limits).from_string(source)
    except LiquidError as error:
        raise TemplateError(_reason(error, limits)) from None


def template_render(
    source: str, context: Mapping[str, Any], *, limits: TemplateLimits | None = None
) -> str:
    """``source`` rendered over ``context``; raises TemplateError if it can't be."""
    limits = limits or TemplateLimits.configured()
    template = _compiled(source, limits)
    try:
        return template.render(dict(context))
    except LiquidError as error:
        raise TemplateError(_reason(error, limits)) from None


def template_names(source: str, *, limits: TemplateLimits | None = None) -> set[str]:
    """The top-level names ``source`` reads (``contact``, ``product``, …), so a sender fetches
    only what a template uses; none for a template that can't be compiled (it can't render)."""
    try:
        template = _compiled(source, limits or TemplateLimits.configured())
    except TemplateError:
        return set()
    return set(template.analyze(include_partials=False).globals)


def _private_name(segments: Any) -> str | None:
    for segment in segments:
        if isinstance(segment, list) and (found := _private_name(segment)):
            return found
        if isinstance(segment, str) and segment.startswith("_"):
            return segment
    return None


def template_problem(source: str, *, limits: TemplateLimits | None = None) -> str | None:
    """Why ``source`` can't be a tenant's email template, or None.

    Besides the syntax, it refuses names starting with ``_`` (they only ever render empty, but
    nobody writes ``__class__`` by accident) and renders the template once over no data, so that
    a template over a limit whatever the contact (a long ``(1..n)`` loop, a huge literal) is
    refused when saved with the same reason a run would fail with.
    """
    limits = limits or TemplateLimits.configured()
    try:
        template = _compiled(source, limits)
        for variables in template.analyze(include_partials=False).variables.values():
            for variable in variables:
                if name := _private_name(variable.segments):
                    return f"the name {name} is not allowed (names can't start with _)"
        template_render(source, {}, limits=limits)
    except TemplateError as error:
        return str(error)
    return None
