"""The errors of the automations domain, each with its stable wire code.

Run execution has its own internal failures (``ActionFailed`` in ``services/actions.py``,
``WebhookError`` in ``services/webhooks.py``): they are recorded on the run's attempts and never
reach an API response, so they live beside the code that raises and catches them.
"""

from engage_site.api.exceptions import NotFound


class AutomationNotFound(NotFound):
    error_code = "AutomationNotFound"
    default_message = "No automation has this id."


class AutomationRunNotFound(NotFound):
    error_code = "AutomationRunNotFound"
    default_message = "No run of this automation has this id."
