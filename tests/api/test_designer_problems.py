"""The editor's check lists a draft's problems in the page's language: Dutch, with the names the
designer wrote kept as written and the "did you mean" hint in Dutch; English for a browser that
asks for English. The API keeps the service's English whatever the browser asks."""

from __future__ import annotations

import html
import re

from tests.api.conftest import Api, signed_in
from tests.api.test_designer_drafts import copy_of_pvt1

TYPO = copy_of_pvt1("pvt1_problemen", 2).replace("initial: uitnodigen", "initial: uitnodign", 1)
UNKNOWN_KEY = copy_of_pvt1("pvt1_problemen", 2).replace("\ninitial:", "\nkleur: rood\ninitial:", 1)


def problems(page: str) -> list[str]:
    """The problems the check lists, each as 'path: message'."""
    found = re.search(
        r'<section class="traject-error-summary" id="problemen">(.*?)</section>', page, re.S
    )
    assert found, "no problems listed"
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    texts = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split()) for item in items]
    return [re.sub(r"^(regel|line) \d+ ", "", text) for text in texts]


async def test_the_check_lists_the_problems_in_the_pages_language(api: Api) -> None:
    assert TYPO.count("uitnodign") == 1 and UNKNOWN_KEY.count("kleur: rood") == 1
    async with signed_in(api, "vormgever") as csrf:
        check = "/designer/pvt1/check"
        dutch = await api.http.post(check, data={"csrf_token": csrf, "source": TYPO})
        assert dutch.status_code == 200
        assert problems(dutch.text) == [
            "initial: onbekende beginstap 'uitnodign' (bedoel je 'uitnodigen'?)"
        ]
        dutch = await api.http.post(check, data={"csrf_token": csrf, "source": UNKNOWN_KEY})
        assert problems(dutch.text) == ["kleur: onbekend trefwoord 'kleur'"]

        english = await api.http.post(
            check,
            data={"csrf_token": csrf, "source": TYPO},
            headers={"Accept-Language": "en"},
        )
        assert problems(english.text) == [
            "initial: unknown initial state 'uitnodign' (did you mean 'uitnodigen'?)"
        ]

        # publishing it is refused on the page, which lists the same problems in Dutch
        refused = await api.http.post(
            "/designer/pvt1_problemen/publish",
            data={"csrf_token": csrf, "source": TYPO, "note": "typfout"},
        )
        assert refused.status_code == 422
        assert "Problemen in de definitie: 1." in html.unescape(refused.text)
        assert problems(refused.text) == [
            "initial: onbekende beginstap 'uitnodign' (bedoel je 'uitnodigen'?)"
        ]

    # the API says them as the service does, whatever language the caller's browser prefers
    answer = await api.http.post(
        "/api/definitions",
        json={"source": TYPO, "note": "typfout"},
        headers={**api.headers("vormgever"), "Accept-Language": "nl"},
    )
    assert answer.status_code == 422
    assert list(answer.json()["errors"].values()) == [
        "unknown initial state 'uitnodign' (did you mean 'uitnodigen'?)"
    ]
