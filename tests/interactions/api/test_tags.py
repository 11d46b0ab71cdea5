"""Tags on contacts through the API (an extension)."""

from typing import Any

from interactions.models import Tag
from tests.conftest import Persona


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
    from tests.factories import ContactFactory

    bobs = ContactFactory(tenant=bob.tenant)
    alice.post(f"contacts/{contact.pk}/tags", {"name": "vip"})
    bob.post(f"contacts/{bobs.pk}/tags", {"name": "vip"})
    assert Tag.objects.filter(name="vip").count() == 2
