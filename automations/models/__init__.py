from automations.models.automations import Automation
from automations.models.runs import AutomationRun, RunAttempt

__all__ = ["Automation", "AutomationRun", "RunAttempt"]
