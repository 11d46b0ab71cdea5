import uuid

from django.db import models
from django.utils import timezone

from automations.models.automations import Automation
from interactions.public import Contact, Tenant


class AutomationRun(models.Model):
    """One contact entering one automation: the claim, and the progress through its actions.

    The claim key comes from the entry rule (``automations.services.claim_key``); the unique
    constraint on ``(automation, contact, claim_key)`` is what makes "once per contact" hold when
    events are handed over twice or by two dispatchers at once: the loser's insert is a no-op.
    The id is the run id every delivery carries, so receivers can drop repeats.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    # Not a foreign key: the run (and its claim) outlives a deleted interaction.
    interaction_id = models.UUIDField()
    interaction_received_at = models.DateTimeField()
    claim_key = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Index of the next action to run, and the failed attempts at it so far.
    next_action = models.PositiveSmallIntegerField(default=0)
    action_failures = models.PositiveSmallIntegerField(default=0)
    # The relay (re)dispatches pending runs once this has passed.
    due_at = models.DateTimeField(default=timezone.now)
    # A worker executing the run holds it until then; a dead worker's hold simply expires.
    locked_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "contact", "claim_key"], name="automation_run_claim"
            )
        ]
        indexes = [
            # The relay: pending runs that are due, oldest first.
            models.Index(
                fields=["due_at"],
                condition=models.Q(status="pending"),
                name="automation_run_due",
            ),
            # The run log of an automation, newest first (and the API's keyset pages).
            models.Index(fields=["automation", "-created_at", "-id"], name="automation_run_log"),
            # The contact card panel and "every N days" (the contact's last run).
            models.Index(
                fields=["contact", "automation", "-created_at"], name="automation_run_by_contact"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id}: {self.contact_id} ({self.status})"


class RunAttempt(models.Model):
    """One try at one action of a run: when, how long, and how it went."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(AutomationRun, on_delete=models.CASCADE, related_name="attempts")
    action_index = models.PositiveSmallIntegerField()
    action_type = models.CharField(max_length=16)
    number = models.PositiveSmallIntegerField(help_text="1 for the first try at this action.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.action_index}.{self.number} {self.outcome}"
