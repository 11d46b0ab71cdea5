"""A believable year of a retailer's customers, for the demo tenant: who they are and what they did.

Pure and deterministic: contact number ``n`` always gets the same person and the same kind of year
(relative to the ``now`` given), so a rerun of ``bootstrap_demo`` can add the contacts it lacks
without touching the ones it made before. Activity is skewed as in real shops: most customers come
a few times a year and a few come every week; weekends and December are busy; people browse more
than they buy, buy more than they review, and reviews lean to five stars with a tail of ones.
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

STORES = ("Stockholm", "Göteborg", "Malmö", "Uppsala")
REPAIR_STORES = ("Stockholm", "Göteborg", "Malmö")
CATEGORIES = ("Jackets", "Knitwear", "Trousers", "Shoes", "Bags", "Accessories")

# (sku, name, category, price in SEK); earlier rows sell more (a Zipf-like popularity).
CATALOG: tuple[tuple[str, str, str, int], ...] = (
    ("JKT-1001", "Rain jacket", "Jackets", 1899),
    ("SHO-4001", "Leather boots", "Shoes", 2199),
    ("KNT-2001", "Merino sweater", "Knitwear", 999),
    ("TRS-3001", "Chinos", "Trousers", 799),
    ("ACC-6001", "Wool scarf", "Accessories", 349),
    ("BAG-5001", "Canvas tote", "Bags", 449),
    ("JKT-1002", "Down parka", "Jackets", 3499),
    ("SHO-4002", "Sneakers", "Shoes", 1299),
    ("KNT-2002", "Cardigan", "Knitwear", 1099),
    ("TRS-3002", "Jeans", "Trousers", 899),
    ("ACC-6002", "Beanie", "Accessories", 249),
    ("BAG-5002", "Leather backpack", "Bags", 1999),
    ("JKT-1003", "Denim jacket", "Jackets", 1199),
    ("SHO-4003", "Sandals", "Shoes", 699),
    ("KNT-2003", "Cotton hoodie", "Knitwear", 699),
    ("TRS-3003", "Hiking trousers", "Trousers", 1299),
    ("ACC-6003", "Leather belt", "Accessories", 499),
    ("BAG-5003", "Weekend bag", "Bags", 1599),
    ("JKT-1004", "Wool coat", "Jackets", 2999),
    ("SHO-4004", "Running shoes", "Shoes", 1499),
    ("KNT-2004", "Turtleneck", "Knitwear", 899),
    ("TRS-3004", "Corduroy trousers", "Trousers", 999),
    ("ACC-6004", "Leather gloves", "Accessories", 599),
    ("BAG-5004", "Crossbody bag", "Bags", 899),
    ("JKT-1005", "Fleece jacket", "Jackets", 899),
    ("SHO-4005", "Rubber boots", "Shoes", 599),
    ("KNT-2005", "Alpaca sweater", "Knitwear", 1499),
    ("TRS-3005", "Linen trousers", "Trousers", 849),
    ("ACC-6005", "Sunglasses", "Accessories", 799),
    ("BAG-5005", "Laptop sleeve", "Bags", 399),
)
_POPULARITY = [1 / (rank + 1) ** 0.9 for rank in range(len(CATALOG))]
# The demo catalog's facts beyond the interactions' (sku, name, category, price): a brand and a
# broader category per category, and an icon per category (``static/interactions/products/``).
BRANDS = {
    "Jackets": "Nordvik",
    "Knitwear": "Ullgård",
    "Trousers": "Fjällspår",
    "Shoes": "Stegfast",
    "Bags": "Bärbar",
    "Accessories": "Nordvik",
}
DEPARTMENTS = {
    "Jackets": "Outerwear",
    "Knitwear": "Clothing",
    "Trousers": "Clothing",
    "Shoes": "Footwear",
    "Bags": "Accessories",
    "Accessories": "Accessories",
}
# SKUs the interactions name that the demo catalog leaves out (so a card shows unknown SKUs too),
# and those it has as inactive (out of the range).
NOT_IN_CATALOG = ("TRS-3002", "BAG-5005", "ACC-6005")
INACTIVE = ("SHO-4003", "KNT-2005")


def demo_catalog(static_url: str) -> list[dict[str, Any]]:
    """The demo tenant's products as ``POST products`` takes them: every SKU the interactions
    name but ``NOT_IN_CATALOG``, with an icon under ``static_url`` (an absolute URL ending in /)."""
    return [
        {
            "sku": sku,
            "name": name,
            "brand": BRANDS[category],
            "categories": [DEPARTMENTS[category], category],
            "price": {"amount": float(price), "currency": "SEK"},
            "imageUrl": f"{static_url}interactions/products/{category.lower()}.svg",
            "url": f"https://shop.example.com/products/{sku.lower()}",
            "attributes": {"season": "winter" if category in ("Jackets", "Knitwear") else "all"},
            "active": sku not in INACTIVE,
        }
        for sku, name, category, price in CATALOG
        if sku not in NOT_IN_CATALOG
    ]


FIRST_NAMES = (
    "Astrid", "Bo", "Cecilia", "David", "Ebba", "Filip", "Greta", "Hugo", "Ingrid", "Johan",
    "Karin", "Lars", "Maja", "Nils", "Olivia", "Per", "Rut", "Sven", "Tove", "Ulf", "Vera",
    "William", "Ylva", "Åsa", "Elsa", "Oskar", "Alva", "Liam", "Saga", "Erik", "Freja", "Axel",
    "Linnea", "Anton", "Wilma", "Gustav", "Signe", "Leo", "Stina", "Emil",
)  # fmt: skip
LAST_NAMES = (
    "Lind", "Ek", "Berg", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
    "Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Holm", "Sandberg",
    "Lundqvist", "Forsberg", "Nyström", "Håkansson", "Björk", "Wallin", "Engström", "Dahl",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.se", "example.net", "example.org")

REVIEW_TITLES = {
    5: ("Love it", "Perfect fit", "Best purchase this year", "Great quality"),
    4: ("Very good", "Nice, runs a bit small", "Happy with it", "Good value"),
    3: ("OK", "Does the job", "Expected more", "Fine for the price"),
    2: ("Disappointing", "Wore out fast", "Not as pictured"),
    1: ("Fell apart", "Returned it", "Poor quality"),
}
REVIEW_TEXTS = {
    5: "Warm, light and it still looks new after months of use.",
    4: "Good quality; the sizing is slightly off but it works.",
    3: "Average. It does what it should, nothing more.",
    2: "The seams came loose after a few weeks.",
    1: "Broke within a month. The store was helpful though.",
}
REPAIRS = (("Zip", 149.0), ("Sole", 399.0), ("Seam", 119.0), ("Strap", 179.0), ("Button", 59.0))

# Relative traffic by weekday (Monday first) and by month (January first).
_WEEKDAY = (0.8, 0.8, 0.9, 1.0, 1.2, 1.6, 1.1)
_MONTH = (0.8, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 0.9, 0.9, 1.0, 1.4, 1.8)
YEAR_DAYS = 365
DEMO_ID_PREFIX = "demo-"


def demo_external_id(number: int) -> str:
    """The external id that marks sample contact ``number``, so a rerun knows it is there."""
    return f"{DEMO_ID_PREFIX}{number:05d}"


@dataclass(frozen=True)
class DemoContact:
    """One generated customer: the contact's fields, its tags and its interactions (documents as
    ``POST interactions`` takes them, without ``contactId``)."""

    external_id: str
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    contact_type: str
    extra_attributes: dict[str, Any]
    tags: tuple[str, ...]
    joined: datetime
    interactions: list[dict[str, Any]] = field(default_factory=list)


class _Calendar:
    """Days of the past year weighted by weekday and season, drawn from quickly."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.days = [now - timedelta(days=ago) for ago in range(YEAR_DAYS)]
        weights = [_WEEKDAY[day.weekday()] * _MONTH[day.month - 1] for day in self.days]
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def moment(self, rng: random.Random, *, since_days: int, hours: tuple[int, int]) -> datetime:
        """A time in the last ``since_days`` days, in opening ``hours`` (local to ``now``)."""
        cutoff = self.cumulative[min(since_days, YEAR_DAYS) - 1]
        day = self.days[_bisect(self.cumulative, rng.random() * cutoff)]
        moment = day.replace(
            hour=rng.randint(*hours), minute=rng.randint(0, 59), second=rng.randint(0, 59)
        )
        # Later today has not happened yet: the same hour yesterday instead.
        return moment - timedelta(days=1) if moment > self.now else moment


def _bisect(cumulative: list[float], value: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal beyond."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _document(schema_id: str, moment: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    return {"schemaId": schema_id, "createdDate": _stamp(moment), "payload": payload}


class DemoHistory:
    """The demo's customers, each made from its number alone."""

    def __init__(self, now: datetime) -> None:
        self.calendar = _Calendar(now)

    def contact(self, number: int) -> DemoContact:
        rng = random.Random(f"demo-contact-{number}")  # noqa: S311 - sample data, not secrets
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number * 7 + number // len(FIRST_NAMES)) % len(LAST_NAMES)]
        # The first contact is a regular, so the card the summary links to has plenty to show.
        activity = 3.0 if number == 0 else min(rng.lognormvariate(0.0, 0.8), 6.0)
        home = rng.choices(STORES, weights=(5, 3, 2, 1))[0]
        member = number == 0 or rng.random() < 0.65
        tags: tuple[str, ...] = ("VIP",) if activity > 2.2 and member else ()
        if rng.random() < 0.2:
            tags += ("Newsletter",)
        # Most have been customers for years; the rest joined during the year.
        long_standing = number == 0 or rng.random() < 0.7
        since = YEAR_DAYS if long_standing else rng.randint(14, YEAR_DAYS)
        joined_days_ago = rng.randint(YEAR_DAYS + 1, 6 * YEAR_DAYS) if since == YEAR_DAYS else since
        domain = EMAIL_DOMAINS[rng.randrange(len(EMAIL_DOMAINS))]
        local = f"{first}.{last}{number}".lower().translate(str.maketrans("åäö", "aao"))
        demo = DemoContact(
            external_id=demo_external_id(number),
            first_name=first,
            last_name=last,
            email=f"{local}@{domain}",
            mobile_phone=f"+4670{rng.randint(1_000_000, 9_999_999)}",
            contact_type="Member" if member else "Contact",
            extra_attributes={"homeStore": home},
            tags=tags,
            joined=self.now - timedelta(days=joined_days_ago, minutes=rng.randint(0, 1439)),
        )
        demo.interactions.extend(self._year(rng, activity=activity, home=home, since=since))
        demo.interactions.sort(key=lambda document: document["createdDate"])
        return demo

    def _year(
        self, rng: random.Random, *, activity: float, home: str, since: int
    ) -> Iterator[dict[str, Any]]:
        share = since / YEAR_DAYS
        favourite = rng.choice(CATEGORIES)
        weights = [
            popularity * (3.0 if product[2] == favourite else 1.0)
            for popularity, product in zip(_POPULARITY, CATALOG, strict=True)
        ]

        def product() -> tuple[str, str, str, int]:
            return rng.choices(CATALOG, weights=weights)[0]

        def moment(hours: tuple[int, int] = (10, 19)) -> datetime:
            return self.calendar.moment(rng, since_days=since, hours=hours)

        bought: list[tuple[datetime, tuple[str, str, str, int], str]] = []
        for _ in range(_poisson(rng, 60 * activity * share)):
            sku, _name, category, _price = product()
            channel = "app" if rng.random() < 0.4 else "web"
            payload: dict[str, Any] = {"productSku": sku, "category": category, "channel": channel}
            yield _document("product-view", moment((7, 23)), payload)
        for _ in range(_poisson(rng, 10 * activity * share)):
            store = home if rng.random() < 0.8 else rng.choice(STORES)
            when = moment()
            purchased = rng.random() < 0.45
            payload = {
                "store": store,
                "durationMinutes": max(3, round(rng.gauss(22, 9))),
                "purchased": purchased,
            }
            yield _document("store-visit", when, payload)
            if purchased:
                bought.append((when + timedelta(minutes=rng.randint(5, 40)), product(), store))
        for _ in range(_poisson(rng, 4 * activity * share)):
            bought.append((moment((7, 23)), product(), ""))
        for when, (sku, _name, category, price), store in bought:
            when = min(when, self.calendar.now)
            quantity = 1 if rng.random() < 0.85 else 2
            payload = {
                "productSku": sku,
                "category": category,
                "quantity": quantity,
                "amount": float(price * quantity),
                "channel": "store" if store else "online",
            }
            if store:
                payload["store"] = store
            yield _document("purchase", when, payload)
            review = self._review(rng, when, sku) if rng.random() < 0.18 else None
            if review is not None:
                yield review
        for _ in range(_poisson(rng, 0.6 * activity * share)):
            sku = product()[0]
            item, cost = rng.choice(REPAIRS)
            when = moment()
            store = home if home in REPAIR_STORES else rng.choice(REPAIR_STORES)
            payload = {
                "item": item,
                "productSku": sku,
                "cost": cost,
                "repairedOn": when.date().isoformat(),
                "store": store,
            }
            yield _document("repair", when, payload)
        yield from self._reuse(rng, since=since)

    def _review(self, rng: random.Random, bought: datetime, sku: str) -> dict[str, Any] | None:
        """A review some days after the purchase; None when that day has not come yet."""
        rating = rng.choices((5, 4, 3, 2, 1), weights=(45, 27, 11, 7, 10))[0]
        later = bought + timedelta(days=rng.randint(2, 14))
        when = later.replace(hour=rng.randint(8, 22), minute=rng.randint(0, 59))
        if when > self.now:
            return None
        payload: dict[str, Any] = {
            "productSku": sku,
            "rating": rating,
            "title": rng.choice(REVIEW_TITLES[rating]),
            "recommends": rating >= 4 or (rating == 3 and rng.random() < 0.3),
        }
        if rng.random() < 0.6:
            payload["text"] = REVIEW_TEXTS[rating]
        return _document("product-review", when, payload)

    def _reuse(self, rng: random.Random, *, since: int) -> Iterator[dict[str, Any]]:
        """The documentation's example schema: a spring campaign for second-hand items."""
        if rng.random() >= 0.15:
            return
        spring = [day for day in self.calendar.days[:since] if day.month in (3, 4, 5)]
        for _ in range(rng.randint(1, 2)):
            if not spring:
                return
            when = rng.choice(spring).replace(hour=rng.randint(10, 18), minute=rng.randint(0, 59))
            payload = {
                "price": rng.choice((100, 150, 250, 400)),
                "name": rng.choice(("Reused jacket", "Reused boots", "Reused knit")),
                "created": _stamp(when - timedelta(days=rng.randint(200, 2000))),
            }
            yield _document("Reuse-Spring-2023", when, payload)

    @property
    def now(self) -> datetime:
        return self.calendar.now
