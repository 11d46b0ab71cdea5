"""Email templates move from Django template syntax to Liquid.

Each stored subject and body is converted where the conversion is mechanical: variables and the
filters with a Liquid twin, ``if``/``elif``/``else`` over plain comparisons, ``for`` (with
``empty``), ``forloop`` counters, comments. Anything else (``with``, ``cycle``, ``now``,
``firstof``, ``spaceless``, ``not``/``in`` tests, ``and`` mixed with ``or``, filters without a
twin, loops over the contact's or the interaction's mappings, which give keys in Django but
``[key, value]`` pairs in Liquid) is refused: that template is left as it was, the automation is
listed on stdout, and its runs fail with the Liquid error in the run log until someone edits it.

Self-contained on purpose (no app imports): it converts what was stored when it runs, whatever
the app's template rules become later.
"""

import re
from typing import Any

from django.db import migrations
from django.template.base import Lexer, TokenType, smart_split

_FILTERS = {
    "upper": "upcase",
    "lower": "downcase",
    "length": "size",
    "default": "default",
    "join": "join",
    "first": "first",
    "last": "last",
    "escape": "escape",
    "striptags": "strip_html",
    "linebreaksbr": "newline_to_br",
    "safe": None,  # nothing is escaped in email templates: dropped
}
_FORLOOP = {
    "counter": "index",
    "counter0": "index0",
    "revcounter": "rindex",
    "revcounter0": "rindex0",
    "first": "first",
    "last": "last",
}
# Known mappings: a loop over one gives keys in Django, [key, value] pairs in Liquid.
_MAPPINGS = {"contact", "contact.attributes", "interaction", "interaction.payload", "automation"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_LITERAL = re.compile(r"""-?\d+(\.\d+)?|"[^"\\]*"|'[^'\\]*'""")
_OPERATORS = {"==", "!=", "<", ">", "<=", ">="}


class Refused(Exception):
    pass


def _path(text: str) -> str:
    if _LITERAL.fullmatch(text):
        return text
    parts = text.split(".")
    if not _NAME.fullmatch(parts[0]) or parts[0] in {"True", "False", "None"}:
        raise Refused(f"{text!r} is not a plain variable")
    if parts[0] == "forloop" and len(parts) > 1:
        if parts[1] not in _FORLOOP:
            raise Refused(f"forloop.{parts[1]} has no Liquid equivalent")
        parts[1] = _FORLOOP[parts[1]]
    out = parts[0]
    for part in parts[1:]:
        if part.isdigit():
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}"
        else:
            raise Refused(f"{text!r} has no Liquid equivalent")
    return out


def _split_filters(text: str) -> list[str]:
    """``text`` split on the ``|`` that are outside quotes."""
    parts, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "|":
            parts.append(current)
            current = ""
            continue
        current += char
    return [*parts, current]


def _variable(contents: str) -> str:
    value, *filters = (part.strip() for part in _split_filters(contents))
    out = _path(value)
    for spec in filters:
        name, _, argument = spec.partition(":")
        name = name.strip()
        if name not in _FILTERS:
            raise Refused(f"the filter {name} has no Liquid equivalent")
        if _FILTERS[name] is None:
            continue
        out += f" | {_FILTERS[name]}" + (f": {_path(argument.strip())}" if argument else "")
    return "{{ " + out + " }}"


def _condition(bits: list[str]) -> str:
    if not bits:
        raise Refused("an empty condition")
    if "and" in bits and "or" in bits:
        raise Refused("and mixed with or groups differently in Liquid")
    out: list[str] = []
    for bit in bits:
        if bit in {"and", "or"} or bit in _OPERATORS:
            out.append(bit)
        elif "|" in bit or bit in {"not", "in", "is"}:
            raise Refused(f"the test {bit!r} has no Liquid equivalent")
        else:
            out.append(_path(bit))
    return " ".join(out)


def _block(bits: list[str], stack: list[str]) -> str:
    tag = bits[0]
    if tag in {"if", "elif"}:
        if tag == "if":
            stack.append("if")
        return "{% " + ("if" if tag == "if" else "elsif") + " " + _condition(bits[1:]) + " %}"
    if tag in {"else", "endif", "endfor"}:
        if tag != "else":
            stack.pop()
        return "{% " + tag + " %}"
    if tag == "for":
        rest = bits[1:]
        reverse = rest[-1:] == ["reversed"]
        rest = rest[:-1] if reverse else rest
        if len(rest) != 3 or rest[1] != "in" or "," in rest[0] or not _NAME.fullmatch(rest[0]):
            raise Refused("only {% for x in list %} converts")
        if rest[2] in _MAPPINGS or rest[2].rpartition(".")[2] in {"items", "keys", "values"}:
            raise Refused(f"a loop over {rest[2]} gives [key, value] pairs in Liquid")
        stack.append("for")
        return f"{{% for {rest[0]} in {_path(rest[2])}{' reversed' if reverse else ''} %}}"
    if tag == "empty":
        return "{% else %}"
    if (tag == "autoescape" and bits[1:] == ["off"]) or tag == "endautoescape":
        return ""  # email templates are never escaped
    raise Refused(f"{{% {tag} %}} has no Liquid equivalent")


def to_liquid(source: str) -> str:
    """``source`` (Django template syntax) as Liquid; raises Refused if that isn't mechanical."""
    out: list[str] = []
    stack: list[str] = []
    in_comment = False
    for token in Lexer(source).tokenize():
        if in_comment:
            in_comment = not (
                token.token_type == TokenType.BLOCK and token.contents == "endcomment"
            )
            continue
        if token.token_type == TokenType.TEXT:
            out.append(token.contents)
        elif token.token_type == TokenType.VAR:
            out.append(_variable(token.contents))
        elif token.token_type == TokenType.BLOCK:
            bits = list(smart_split(token.contents))
            if bits and bits[0] == "comment":
                in_comment = True
            elif bits:
                out.append(_block(bits, stack))
        # TokenType.COMMENT ({# … #}) is dropped: it rendered nothing.
    if stack or in_comment:
        raise Refused("an unclosed block")
    return "".join(out)


def _convert(apps: Any, schema_editor: Any) -> None:
    from liquid import Environment
    from liquid.exceptions import LiquidError

    liquid = Environment()
    automation_model = apps.get_model("automations", "Automation")
    for automation in automation_model.objects.order_by("pk").iterator(chunk_size=500):
        actions = [dict(action) for action in automation.actions]
        changed = False
        for index, action in enumerate(actions):
            if not isinstance(action, dict) or action.get("type") != "email":
                continue
            for key in ("subject", "body"):
                source = action.get(key)
                if not isinstance(source, str):
                    continue
                try:
                    converted = to_liquid(source)
                    liquid.from_string(converted)
                except (Refused, LiquidError) as refused:
                    reason = refused.message if isinstance(refused, LiquidError) else refused
                    print(
                        f"\n  automation {automation.public_id} (tenant {automation.tenant_id}) "
                        f"action {index} {key}: left as it was: {reason}"
                    )
                    continue
                if converted != source:
                    action[key] = converted
                    changed = True
        if changed:
            automation.actions = actions
            automation.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("automations", "0001_initial")]

    operations = [migrations.RunPython(_convert, migrations.RunPython.noop, elidable=True)]
