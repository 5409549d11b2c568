"""Every list of the API is paged the same way: `page` and `size` in, `{items, total, page, size,
pages}` out. Walking the pages of a list gives exactly the items of one big page, in the same
order, each once; a page past the end is empty with the true total; a size or page out of range
is a 422 that names the field."""

from __future__ import annotations

import secrets
from typing import Any

from tests.api.conftest import Api
from tests.conftest import DEFINITIONS

BIG = 200  # the largest page


async def walk(api: Api, user: str, url: str, size: int, **params: Any) -> list[Any]:
    """All items of a list, page by page, checking each page's numbers on the way."""
    first = await api.get(user, url, params={**params, "page": 1, "size": size})
    assert first.status_code == 200, first.text
    body = first.json()
    total, pages = body["total"], body["pages"]
    assert pages == max(1, -(-total // size)) and body["page"] == 1 and body["size"] == size
    items = list(body["items"])
    for n in range(2, pages + 1):
        page = (await api.get(user, url, params={**params, "page": n, "size": size})).json()
        assert (page["total"], page["pages"], page["page"], page["size"]) == (total, pages, n, size)
        items += page["items"]
        assert len(page["items"]) == (size if n < pages else total - size * (pages - 1))
    assert len(items) == total
    past = (await api.get(user, url, params={**params, "page": pages + 1, "size": size})).json()
    assert past["items"] == [] and past["total"] == total and past["page"] == pages + 1
    return items


async def same_as_one_page(api: Api, user: str, url: str, size: int, **params: Any) -> list[Any]:
    walked = await walk(api, user, url, size, **params)
    assert len(walked) <= BIG, "the list outgrew one big page: page the comparison"
    whole = (await api.get(user, url, params={**params, "size": BIG})).json()
    assert whole["pages"] == 1 and whole["items"] == walked
    return walked


async def refuses_bad_paging(api: Api, user: str, url: str) -> None:
    for params, field in (
        ({"size": 0}, "size"),
        ({"size": BIG + 1}, "size"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
    ):
        response = await api.get(user, url, params=params)
        assert response.status_code == 422, (url, params, response.text)
        assert field in response.json()["errors"], response.text


async def test_definitions_are_paged(api: Api) -> None:
    walked = await same_as_one_page(api, "leiden", "/api/definitions", 2)
    names = [d["definition"] for d in walked]
    assert len(names) >= 3 and len(set(names)) == len(names)  # more than one page, each once
    assert {"pvt1", "vip18"} <= set(names) and "zaanstad_pvt" not in names
    titles = [d["title"] for d in walked]
    assert titles == sorted(titles)
    default = (await api.get("leiden", "/api/definitions")).json()
    assert default["size"] == 25 and default["page"] == 1
    await refuses_bad_paging(api, "leiden", "/api/definitions")


async def test_users_are_paged(api: Api) -> None:
    walked = await same_as_one_page(api, "leiden", "/api/users", 3)
    names = [u["display_name"] for u in walked]
    assert {"Leiden", "Docent", "Vormgever", "Procesontwerper"} <= set(names)
    assert names == sorted(names) and len({u["id"] for u in walked}) == len(walked)
    assert not {"Klantmanager", "Teamleider"} & set(names)  # only the own municipality
    group = await same_as_one_page(api, "leiden", "/api/users", 1, group="klantmanager")
    assert len(group) >= 2 and all("klantmanager" in u["groups"] for u in group)
    assert "Docent" not in {u["display_name"] for u in group}
    await refuses_bad_paging(api, "leiden", "/api/users")


async def test_versions_are_paged(api: Api) -> None:
    name = f"paging_{secrets.token_hex(3)}"
    base = (
        (DEFINITIONS / "pvt1.yaml")
        .read_text(encoding="utf-8")
        .replace("definition: pvt1", f"definition: {name}", 1)
        .replace("title: Participatieverklaringstraject PVT1", "title: Zz paginering PVT1", 1)
    )
    for version in (1, 2, 3):
        source = base.replace("version: 1", f"version: {version}", 1)
        published = await api.post(
            "vormgever", "/api/definitions", {"source": source, "note": f"versie {version}"}
        )
        assert published.status_code == 201, published.text
    url = f"/api/definitions/{name}/versions"
    walked = await same_as_one_page(api, "vormgever", url, 2)
    assert [v["version"] for v in walked] == [3, 2, 1]  # newest first, over two pages
    assert [v["note"] for v in walked] == ["versie 3", "versie 2", "versie 1"]
    second = (await api.get("vormgever", url, params={"page": 2, "size": 2})).json()
    assert [v["version"] for v in second["items"]] == [1]
    assert (await api.get("leiden", url)).json()["total"] == 3  # coordinators see them too
    assert (await api.get("teamleider", url)).status_code == 404  # not zaanstad's
    await refuses_bad_paging(api, "vormgever", url)


async def test_tasks_are_paged(api: Api) -> None:
    started = [await api.start(first_name=f"Pagina{n}") for n in range(3)]
    ours = {await api.open_task(c["id"], "aanwezigheid_kernwaarden") for c in started}
    response = await api.get("klantmanager", "/api/tasks", params={"view": "team", "size": 2})
    counts = dict(kv.split("=") for kv in response.headers["X-Task-Counts"].split(","))
    walked = await same_as_one_page(api, "klantmanager", "/api/tasks", 2, view="team")
    assert int(counts["team"]) == len(walked) >= 3
    ids = [t["id"] for t in walked]
    assert ours <= set(ids) and len(set(ids)) == len(ids)
    assert {t["case_id"] for t in walked} >= {c["id"] for c in started}
    everything = await same_as_one_page(api, "teamleider", "/api/tasks", 3, view="all")
    assert ours <= {t["id"] for t in everything}
    await refuses_bad_paging(api, "klantmanager", "/api/tasks")


async def test_the_audit_log_is_paged(api: Api) -> None:
    case = await api.start(first_name="Audit")
    for _ in range(15):  # each read of the case is a row of its log (and the municipality's)
        assert (await api.get("klantmanager", f"/api/cases/{case['id']}")).status_code == 200
    url = f"/api/cases/{case['id']}/audit"
    of_case = await same_as_one_page(api, "teamleider", url, 2)
    actions = [e["action"] for e in of_case]
    assert len(of_case) >= 16 and actions.count("case_read") >= 15 and "case_started" in actions
    assert all(e["case_id"] == case["id"] for e in of_case)
    assert [e["at"] for e in of_case] == sorted((e["at"] for e in of_case), reverse=True)

    # the municipality's log: the first three pages of five are the first page of fifteen
    pages = []
    for n in (1, 2, 3):
        page = (await api.get("teamleider", "/api/audit", params={"page": n, "size": 5})).json()
        assert page["pages"] == -(-page["total"] // 5) and len(page["items"]) == 5
        pages += page["items"]
    fifteen = (await api.get("teamleider", "/api/audit", params={"size": 15})).json()
    assert fifteen["items"] == pages
    assert [e["at"] for e in pages] == sorted((e["at"] for e in pages), reverse=True)
    await refuses_bad_paging(api, "teamleider", "/api/audit")
    await refuses_bad_paging(api, "teamleider", url)
