"""The run lists (API and run log page) filter by status and contact; a bad filter is a 400 naming
the parameter on the API and a plain sentence on the page; a continuation token keeps its filter."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from automations.models import Automation, AutomationRun
from interactions.models import Contact
from interactions.services.events import interaction_events_dispatch
from tests.automations.conftest import purchase_schema, webhook_automation
from tests.conftest import Persona, staff_client
from tests.factories import ContactFactory, make_interaction

TAG = [{"type": "tag", "name": "t"}]


@dataclass
class RunLog:
    automation: Automation
    ann: Contact
    bo: Contact
    runs: dict[str, set[str]]  # run ids by status

    def url(self, query: str = "") -> str:
        return f"automations/{self.automation.public_id}/runs{query}"

    def page(self, query: str = "") -> str:
        return f"/automations/{self.automation.public_id}/runs{query}"


def make_runs(persona: Persona, ann_runs: int, bo_runs: int) -> RunLog:
    """Half of Ann's runs failed, the others are pending; all of Bo's runs succeeded."""
    schema = purchase_schema(persona.tenant)
    automation = webhook_automation(
        persona.tenant, "https://x.example/", actions=TAG, entry_rule="every_time"
    )
    ann = ContactFactory(tenant=persona.tenant)
    bo = ContactFactory(tenant=persona.tenant)
    for contact, count in ((ann, ann_runs), (bo, bo_runs)):
        for _ in range(count):
            make_interaction(contact, schema, payload={"store": "x"})
    interaction_events_dispatch()
    AutomationRun.objects.filter(contact=bo).update(status=AutomationRun.Status.SUCCEEDED)
    ann_ids = list(AutomationRun.objects.filter(contact=ann).values_list("pk", flat=True))
    AutomationRun.objects.filter(pk__in=ann_ids[::2]).update(status=AutomationRun.Status.FAILED)
    runs: dict[str, set[str]] = {status: set() for status in AutomationRun.Status.values}
    for pk, status in AutomationRun.objects.values_list("pk", "status"):
        runs[status].add(str(pk))
    return RunLog(automation=automation, ann=ann, bo=bo, runs=runs)


@pytest.fixture
def log(alice: Persona) -> RunLog:
    return make_runs(alice, ann_runs=4, bo_runs=2)


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["items"]}


def next_href(body: dict[str, Any]) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == "next"), None)


def test_it_lists_only_runs_in_the_status_asked_for(alice: Persona, log: RunLog) -> None:
    assert ids(alice.get(log.url("?status=failed"))) == log.runs["failed"]
    assert ids(alice.get(log.url("?status=succeeded"))) == log.runs["succeeded"]


def test_it_lists_runs_in_any_of_several_statuses(alice: Persona, log: RunLog) -> None:
    wanted = log.runs["failed"] | log.runs["pending"]
    assert ids(alice.get(log.url("?status=failed,pending"))) == wanted
    assert ids(alice.get(log.url("?status=failed&status=pending"))) == wanted


def test_a_blank_status_is_no_filter(alice: Persona, log: RunLog) -> None:
    assert ids(alice.get(log.url("?status="))) == set().union(*log.runs.values())


def test_it_lists_one_contact_s_runs_and_combines_filters(alice: Persona, log: RunLog) -> None:
    bo_runs = ids(alice.get(log.url(f"?contactId={log.bo.pk}")))
    assert bo_runs == log.runs["succeeded"]
    assert ids(alice.get(log.url(f"?contactId={log.bo.pk}&status=failed"))) == set()
    assert ids(alice.get(log.url(f"?contactId={log.ann.pk}&status=failed"))) == log.runs["failed"]


def test_another_tenant_s_contact_matches_no_run(alice: Persona, bob: Persona, log: RunLog) -> None:
    stranger = ContactFactory(tenant=bob.tenant)
    assert ids(alice.get(log.url(f"?contactId={stranger.pk}"))) == set()


def test_it_refuses_an_unknown_status_naming_the_parameter(alice: Persona, log: RunLog) -> None:
    response = alice.get(log.url("?status=failed,retrying"))
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "A filter parameter is not valid.",
        "errors": [
            {
                "field": "status",
                "code": "enum",
                "message": "must be one of pending, succeeded, failed",
            }
        ],
    }


def test_it_refuses_a_contact_id_that_is_no_uuid(alice: Persona, log: RunLog) -> None:
    response = alice.get(log.url("?contactId=ann"))
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "A filter parameter is not valid.",
        "errors": [{"field": "contactId", "code": "invalid", "message": "must be a UUID"}],
    }


def test_another_tenant_gets_not_found_whatever_the_filter(
    alice: Persona, bob: Persona, log: RunLog
) -> None:
    for query in ("?status=failed", f"?contactId={log.ann.pk}", "?status=bogus"):
        response = bob.get(log.url(query))
        assert response.status_code == 404, query
        assert response.json()["errorCode"] == "AutomationNotFound"


INVALID_CONTINUATION = {
    "statusCode": 400,
    "errorCode": "InvalidContinuation",
    "message": "The continuation token is not valid for this listing.",
    "errors": [
        {
            "field": "continuation",
            "code": "invalid",
            "message": "is not a continuation of this listing",
        }
    ],
}


def test_the_next_link_keeps_the_filter_and_tokens_stay_with_their_filter(alice: Persona) -> None:
    log = make_runs(alice, ann_runs=102, bo_runs=1)  # 51 failed, 51 pending, 1 succeeded
    first = alice.get(log.url("?status=pending,failed"))
    assert len(first.json()["items"]) == 50
    href = next_href(first.json())
    assert href is not None
    query = parse_qs(urlsplit(href).query)
    assert query["status"] == ["failed,pending"] and set(query) == {"status", "continuation"}

    failed_first = alice.get(log.url("?status=failed")).json()
    failed_next = next_href(failed_first)
    assert failed_next is not None
    failed_last = alice.client.get(failed_next).json()
    seen = {item["id"] for item in failed_first["items"] + failed_last["items"]}
    assert seen == log.runs["failed"] and next_href(failed_last) is None

    unfiltered_next = next_href(alice.get(log.url()).json())
    assert unfiltered_next is not None
    token = parse_qs(urlsplit(unfiltered_next).query)["continuation"][0]
    refused = alice.get(log.url(f"?status=failed&continuation={token}"))
    assert (refused.status_code, refused.json()) == (400, INVALID_CONTINUATION)
    failed_token = parse_qs(urlsplit(failed_next).query)["continuation"][0]
    refused = alice.get(log.url(f"?continuation={failed_token}"))
    assert (refused.status_code, refused.json()) == (400, INVALID_CONTINUATION)


def test_the_openapi_document_describes_the_filters(client: Client) -> None:
    document = client.get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/v2/automations/{automation_id}/runs"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["status"]["schema"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["failed", "pending", "succeeded"]},
    }
    assert (parameters["status"]["style"], parameters["status"]["explode"]) == ("form", False)
    assert parameters["contactId"]["schema"] == {"type": "string", "format": "uuid"}


def run_rows(response: Any) -> set[str]:
    assert response.status_code == 200
    html = response.content.decode()
    return {part.split('"', 1)[0] for part in html.split('data-run="')[1:]}


def test_the_run_log_page_filters_by_status(alice: Persona, log: RunLog) -> None:
    marketer = staff_client(alice.tenant, "mia")
    filtered = marketer.get(log.page("?status=failed"))
    assert run_rows(filtered) == log.runs["failed"]
    html = filtered.content.decode()
    assert '<label for="run-status">Status</label>' in html
    assert '<option value="failed" selected>Failed</option>' in html
    assert run_rows(marketer.get(log.page())) == set().union(*log.runs.values())
    assert (
        "No runs match this filter."
        in marketer.get(log.page(f"?status=pending&contactId={log.bo.pk}")).content.decode()
    )


def test_the_run_log_page_explains_a_bad_filter_and_shows_every_run(
    alice: Persona, log: RunLog
) -> None:
    marketer = staff_client(alice.tenant, "mia")
    page = marketer.get(log.page("?status=retrying"))
    assert run_rows(page) == set().union(*log.runs.values())
    assert (
        "The status filter must be one of pending, succeeded, failed; showing every run."
        in page.content.decode()
    )


def test_the_run_log_pages_keep_the_filter(alice: Persona) -> None:
    log = make_runs(alice, ann_runs=102, bo_runs=1)  # 51 failed
    marketer = staff_client(alice.tenant, "mia")
    first = marketer.get(log.page("?status=failed"))
    assert 'href="?status=failed&amp;page=2" rel="next"' in first.content.decode()
    second = marketer.get(log.page("?status=failed&page=2"))
    assert run_rows(first) | run_rows(second) == log.runs["failed"]
    assert len(run_rows(second)) == 1


def test_another_tenant_s_run_log_page_is_not_found_with_a_filter(
    alice: Persona, bob: Persona, log: RunLog
) -> None:
    intruder = staff_client(bob.tenant, "bea")
    assert intruder.get(log.page("?status=failed")).status_code == 404
