from datetime import date

from django.db import models

from interactions.models.contacts import Contact
from interactions.models.schemas import InteractionSchema
from interactions.models.tenants import Tenant

# The ``starts_on`` of an ``all`` row: the period that starts with the calendar and never ends.
ALL_TIME = date(1, 1, 1)


class ContactActivity(models.Model):
    """How many interactions of one schema a contact has in a period: in all (with the first and
    the last), in a month, in a day (the tenant's local days).

    Kept in the transaction of every interaction write and delete
    (``interactions.services.contact_activity``), so the contact card reads its summary and its
    chart from a few rows (at most a row per schema and day in a year, or per schema and month)
    whatever the contact's history. Day and month rows leave out the interactions the chart can't
    place (within a day of the calendar's ends); ``all`` rows count them.
    """

    class Period(models.TextChoices):
        ALL = "all"  # starts_on is ALL_TIME
        MONTH = "month"
        DAY = "day"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    # Indexed by the unique constraint, which starts with it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_index=False)
    schema = models.ForeignKey(InteractionSchema, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    starts_on = models.DateField()
    count = models.PositiveBigIntegerField()
    # On ``all`` rows only.
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "contact activity"
        constraints = [
            # The upsert's conflict target; in this order it also serves the card's reads (a
            # contact's rows of one period, by start).
            models.UniqueConstraint(
                fields=["contact", "period", "starts_on", "schema"], name="contact_activity_once"
            ),
            models.CheckConstraint(
                condition=models.Q(period="all", first_at__isnull=False, last_at__isnull=False)
                | models.Q(
                    period__in=["month", "day"], first_at__isnull=True, last_at__isnull=True
                ),
                name="contact_activity_ends_on_all_rows",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.schema_id} {self.period} {self.starts_on}: {self.count}"
