"""Tags on contacts through the API (an extension), and Idempotency-Key on adding one."""

from typing import Any

from interactions.models import ContactTag, IdempotencyRecord, Tag
from tests.conftest import Persona
from tests.factories import ContactFactory

KEY_REUSED = {
    "statusCode": 422,
    "errorCode": "IdempotencyKeyReused",
    "message": "This Idempotency-Key was already used with another request.",
}


def keyed(persona: Persona, contact: Any, body: Any, key: str) -> Any:
    return persona.post(f"contacts/{contact.pk}/tags", body, headers={"Idempotency-Key": key})


def test_a_tag_is_added_listed_and_removed(alice: Persona, contact: Any) -> None:
    assert alice.get(f"contacts/{contact.pk}/tags").json() == []
    assert alice.post(f"contacts/{contact.pk}/tags", {"name": "vip"}).json() == ["vip"]
    assert alice.post(f"contacts/{contact.pk}/tags", {"name": "newsletter"}).json() == [
        "newsletter",
        "vip",
    ]
    assert alice.post(f"contacts/{contact.pk}/tags", {"name": "vip"}).json() == [
        "newsletter",
        "vip",
    ]
    assert alice.delete(f"contacts/{contact.pk}/tags/vip").status_code == 204
    assert alice.get(f"contacts/{contact.pk}/tags").json() == ["newsletter"]
    assert Tag.objects.filter(tenant=alice.tenant).count() == 2  # the tag itself stays


def test_removing_a_tag_the_contact_lacks_is_404(alice: Persona, contact: Any) -> None:
    response = alice.delete(f"contacts/{contact.pk}/tags/vip")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "NotFound",
        "message": "The contact has no such tag.",
    }


def test_a_tag_name_must_be_a_short_string(alice: Persona, contact: Any) -> None:
    for name, code in ((None, "type"), ("", "type"), ("x" * 101, "maxLength"), ("a\nb", "invalid")):
        response = alice.post(f"contacts/{contact.pk}/tags", {"name": name})
        assert response.status_code == 400
        assert response.json()["errorCode"] == "InvalidRequest"
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("name", code)]


def test_tags_of_two_tenants_are_separate(alice: Persona, bob: Persona, contact: Any) -> None:
    bobs = ContactFactory(tenant=bob.tenant)
    alice.post(f"contacts/{contact.pk}/tags", {"name": "vip"})
    bob.post(f"contacts/{bobs.pk}/tags", {"name": "vip"})
    assert Tag.objects.filter(name="vip").count() == 2


def test_a_retry_with_the_same_key_replays_the_first_answer_and_adds_nothing(
    alice: Persona, contact: Any
) -> None:
    first = keyed(alice, contact, {"name": "vip"}, "tag-1")
    retry = keyed(alice, contact, {"name": "vip"}, "tag-1")
    assert first.status_code == 200
    assert (retry.status_code, retry.json()) == (200, ["vip"])
    assert (Tag.objects.count(), ContactTag.objects.count()) == (1, 1)

    # A replay answers what the first request answered and does not add the tag again.
    assert alice.delete(f"contacts/{contact.pk}/tags/vip").status_code == 204
    replay = keyed(alice, contact, {"name": "vip"}, "tag-1")
    assert (replay.status_code, replay.json()) == (200, ["vip"])
    assert alice.get(f"contacts/{contact.pk}/tags").json() == []
    assert ContactTag.objects.count() == 0


def test_the_same_key_with_another_tag_is_422(alice: Persona, contact: Any) -> None:
    assert keyed(alice, contact, {"name": "vip"}, "tag-1").status_code == 200
    response = keyed(alice, contact, {"name": "newsletter"}, "tag-1")

    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]
    assert alice.get(f"contacts/{contact.pk}/tags").json() == ["vip"]


def test_the_same_key_and_tag_for_another_contact_is_422(alice: Persona, contact: Any) -> None:
    other = ContactFactory(tenant=alice.tenant)
    assert keyed(alice, contact, {"name": "vip"}, "tag-1").status_code == 200
    response = keyed(alice, other, {"name": "vip"}, "tag-1")

    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert alice.get(f"contacts/{other.pk}/tags").json() == []
    assert ContactTag.objects.count() == 1


def test_a_refused_tag_gives_its_key_back_so_the_fixed_request_can_use_it(
    alice: Persona, contact: Any
) -> None:
    refused = keyed(alice, contact, {"name": "a\nb"}, "fix-me")
    assert refused.status_code == 400
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("name", "invalid")]
    assert not IdempotencyRecord.objects.exists()
    assert not Tag.objects.exists()

    fixed = keyed(alice, contact, {"name": "vip"}, "fix-me")
    retry = keyed(alice, contact, {"name": "vip"}, "fix-me")

    assert (fixed.status_code, fixed.json()) == (200, ["vip"])
    assert (retry.status_code, retry.json()) == (200, ["vip"])
    assert ContactTag.objects.count() == 1
