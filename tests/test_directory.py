"""The partner directory (issue 17, item 1; docs/directory.md): HSDS 3.0 files accepted or refused
whole, import → export giving the file back, search filters, the search API and page, isolation
between organisations, and an administrator's changes with their audit records — on SQLite and
PostgreSQL."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from baken.cli import app as cli_app
from baken.directory import DirectoryService, get_service, synthetic
from baken.directory.hsds_file import MAX_FILE_BYTES, Refused, dump, parse, read
from baken.directory.model import from_hsds
from baken.directory.repository import DirectoryRepository
from baken.directory.search import DirectoryIndex, Query
from baken.domain.conversation import Role
from baken.store.database import Database
from baken.store.tables import audit_log, directory_services
from tests.authz_world import in_db
from tests.support import Server, add_organisation, add_staff_with_role

COOKIE = "__Host-baken_s"

# --- files, without a server ----------------------------------------------------------------------


def test_synthetic_file_parses_and_dumps_back_byte_for_byte() -> None:
    data = dump(synthetic.services(40))
    items = parse(data)
    assert len(items) == 40
    assert dump([item.hsds for item in items]) == data
    kinds = {item.service.service_type for item in items}
    assert kinds == set(synthetic.KIND_TEXT)


def refused(document: Any) -> str:
    with pytest.raises(Refused) as caught:
        parse(orjson.dumps(document))
    return str(caught.value)


def test_unknown_field_is_refused_with_item_and_path() -> None:
    items = synthetic.services(5)
    items[2]["phones"][0]["nummer"] = "x"
    message = refused(items)
    assert "item 2 (id 'svc-00002')" in message
    assert "phones[0].nummer" in message


def test_wrong_type_is_refused_with_item_and_path() -> None:
    items = synthetic.services(5)
    items[4]["minimum_age"] = "18"
    message = refused(items)
    assert "item 4 (id 'svc-00004')" in message and "field minimum_age" in message
    items = synthetic.services(5)
    items[1]["service_at_locations"][0]["location"]["latitude"] = "52.1"
    assert "service_at_locations[0].location.latitude" in refused(items)


def test_missing_required_field_is_refused() -> None:
    items = synthetic.services(3)
    del items[1]["status"]
    message = refused(items)
    assert "item 1 (id 'svc-00001')" in message and "field status" in message
    items = synthetic.services(3)
    del items[0]["organization"]["name"]
    assert "organization.name" in refused(items)


def test_duplicate_id_is_refused() -> None:
    items = synthetic.services(3)
    items.append(copy.deepcopy(items[0]))
    message = refused(items)
    assert "item 3 (id 'svc-00000')" in message and "duplicate id" in message


def test_unknown_baken_code_is_refused() -> None:
    items = synthetic.services(2)
    items[1]["attributes"][0]["taxonomy_term"]["code"] = "spa"
    message = refused(items)
    assert "item 1" in message and "attributes[0].taxonomy_term.code" in message


def test_not_an_array_or_not_json_is_refused() -> None:
    assert "JSON array" in refused({"id": "x"})
    with pytest.raises(Refused, match="not JSON"):
        parse(b"[{")


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(50 * 1000 * 1000)  # 50 MB, sparse: nothing is read
    with pytest.raises(Refused, match="larger than the limit"):
        read(big)
    assert MAX_FILE_BYTES < 50 * 1000 * 1000


def test_baken_facts_are_read_from_hsds() -> None:
    hsds = synthetic.services(3)[2]
    service = from_hsds(hsds)
    assert service.service_type == "sexual_violence_centre"
    assert service.phones == ("06-00000002",)
    assert service.opening_hours_text == "Mon Tue Wed Thu Fri 09:00–17:00"
    assert service.organization_name.startswith("Stichting ")
    assert set(service.exploitation_types) <= {"sexual", "criminal", "labour", "other"}


# --- search, without a server ---------------------------------------------------------------------


def made(sid: str, **fields: Any) -> DirectoryService:
    base: dict[str, Any] = {
        "id": sid,
        "name": sid,
        "description": "",
        "organization_name": "",
        "service_type": "other",
        "phones": (),
        "email": None,
        "url": None,
        "opening_hours_text": None,
        "accepts_warm_handoff": False,
        "baken_organisation_id": None,
        "languages": (),
    }
    base.update(fields)
    return DirectoryService(**base)


def ids(found: list[DirectoryService]) -> list[str]:
    return [s.id for s in found]


def test_search_filters() -> None:
    index = DirectoryIndex(
        [
            made("a-shelter", service_type="shelter", age_min=18, languages=("nl", "en")),
            made(
                "b-youth", service_type="youth_care", age_min=12, age_max=23, regions=("Utrecht",)
            ),
            made("c-legal", service_type="legal_aid", description="Juridisch advies, gratis"),
            made("d-uk", service_type="shelter", languages=("uk",), regions=("Zeeland",)),
        ]
    )
    assert ids(index.search(Query())) == ["a-shelter", "b-youth", "c-legal", "d-uk"]
    assert ids(index.search(Query(need="shelter"))) == ["a-shelter", "d-uk"]
    assert ids(index.search(Query(age=15))) == ["b-youth", "c-legal", "d-uk"]
    assert ids(index.search(Query(age=30, need="youth_care"))) == []
    # Services without languages or regions listed are not limited by them.
    assert ids(index.search(Query(language="EN"))) == ["a-shelter", "b-youth", "c-legal"]
    assert ids(index.search(Query(region="utrecht"))) == ["a-shelter", "b-youth", "c-legal"]
    assert ids(index.search(Query(region="Zeeland", language="uk"))) == ["c-legal", "d-uk"]
    assert ids(index.search(Query(text="GRATIS juridisch"))) == ["c-legal"]
    assert ids(index.search(Query(text="gratis zorg"))) == []
    assert len(index.search(Query(), limit=2)) == 2


def reference(services: list[DirectoryService], query: Query) -> list[str]:
    """The search rules written plainly, to hold the bit-set index to."""
    from baken.directory.search import fold

    def ok(s: DirectoryService) -> bool:
        langs = {fold(x) for x in s.languages}
        regions = {fold(x) for x in s.regions}
        text = fold(" ".join((s.name, s.description, s.organization_name, *s.regions)))
        return (
            (query.need is None or s.service_type == query.need)
            and (query.age is None or s.age_min is None or s.age_min <= query.age)
            and (query.age is None or s.age_max is None or query.age <= s.age_max)
            and (query.language is None or not langs or fold(query.language) in langs)
            and (query.region is None or not regions or fold(query.region) in regions)
            and all(w in text for w in fold(query.text or "").split())
        )

    ordered = sorted(services, key=lambda s: (fold(s.name), s.id))
    return [s.id for s in ordered if ok(s)][:50]


def test_index_agrees_with_the_plain_rules() -> None:
    import random

    rng = random.Random(5)
    services = [from_hsds(h) for h in synthetic.services(300)]
    index = DirectoryIndex(services)
    for _ in range(200):
        query = Query(
            need=rng.choice([None, *synthetic.KIND_TEXT]),
            age=rng.choice([None, 0, 11, 12, 17, 18, 23, 24, 40, 120]),
            language=rng.choice([None, *synthetic.LANGUAGES, "fy"]),
            region=rng.choice([None, *synthetic.REGIONS, "Mars"]),
            text=rng.choice([None, "veilig", "HAVEN 1", "licht brug", "stichting", "zzz"]),
        )
        assert ids(index.search(query)) == reference(services, query), query


# --- with a server: import, export, search, isolation, edits --------------------------------------


def run_cli(server: Server, *args: str) -> Any:
    env = {
        "BAKEN_DATA_DIR": str(server.settings.data_dir),
        "BAKEN_DATABASE_URL": server.settings.database_url,
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def services_of(server: Server, organisation_id: str) -> list[dict[str, Any]]:
    async def work(db: Database) -> list[dict[str, Any]]:
        return await DirectoryRepository(db).export(organisation_id)

    return in_db(server, work)


def audit_kinds(server: Server, organisation_id: str) -> list[tuple[str, str | None]]:
    async def work(db: Database) -> list[tuple[str, str | None]]:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(audit_log.c.kind, audit_log.c.object_id)
                .where(
                    audit_log.c.organisation_id == organisation_id,
                    audit_log.c.kind.like("directory.%"),
                )
                .order_by(audit_log.c.id)
            )
            return [(row.kind, row.object_id) for row in rows]

    return in_db(server, work)


def test_cli_import_export_round_trip_and_refusal(server: Server, tmp_path: Path) -> None:
    slug, organisation_id = add_organisation(server, "dir", "Directory partner")
    original = tmp_path / "in.json"
    original.write_bytes(dump(synthetic.services(30)))
    result = run_cli(server, "directory", "import", str(original), "--org", slug)
    assert result.exit_code == 0, result.output
    assert "30 added, 0 changed, 0 unchanged" in result.output
    out = tmp_path / "out.json"
    result = run_cli(server, "directory", "export", "--out", str(out), "--org", slug)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == original.read_bytes()

    # Upsert: one changed, one new; the others unchanged.
    items = synthetic.services(31)
    items[5]["name"] = "Nieuwe naam"
    changed = tmp_path / "changed.json"
    changed.write_bytes(dump(items))
    result = run_cli(server, "directory", "import", str(changed), "--org", slug)
    assert "1 added, 1 changed, 29 unchanged" in result.output, result.output
    assert [s["name"] for s in services_of(server, organisation_id)][5] == "Nieuwe naam"

    # A bad last item: the whole file is refused, nothing of it changes the directory.
    before = services_of(server, organisation_id)
    bad_items = synthetic.services(31)
    bad_items[0]["name"] = "Mag niet landen"
    bad_items.append({"id": "svc-new", "name": "x", "status": "active", "colour": "red"})
    bad = tmp_path / "bad.json"
    bad.write_bytes(dump(bad_items))
    result = run_cli(server, "directory", "import", str(bad), "--org", slug)
    assert result.exit_code == 1
    assert "item 31 (id 'svc-new')" in result.output and "colour" in result.output
    assert "nothing imported" in result.output
    assert services_of(server, organisation_id) == before
    assert [k for k, _ in audit_kinds(server, organisation_id)] == [
        "directory.import",
        "directory.import",
    ]


def staff(server: Server, role: Role, organisation_id: str) -> str:
    return add_staff_with_role(server, role, organisation_id=organisation_id)[1]


def api(server: Server, token: str, **params: Any) -> httpx.Response:
    return httpx.get(
        server.base + "/api/staff/directory", params=params, cookies={COOKIE: token}, timeout=20
    )


def post(server: Server, token: str, path: str, data: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        server.base + path,
        data=data,
        cookies={COOKIE: token},
        headers={"Origin": server.origin},
        timeout=20,
    )


def import_into(server: Server, organisation_id: str, items: list[dict[str, Any]]) -> None:
    from baken.audit.kinds import SYSTEM

    parsed = parse(dump(items))

    async def work(db: Database) -> None:
        await DirectoryRepository(db).import_items(organisation_id, parsed, SYSTEM)

    in_db(server, work)


def test_search_api_page_and_isolation(server: Server) -> None:
    _a, org_a = add_organisation(server, "dira", "A")
    _b, org_b = add_organisation(server, "dirb", "B")
    import_into(server, org_a, synthetic.services(20, prefix="a"))
    import_into(server, org_b, synthetic.services(3, prefix="b"))
    counselor_a = staff(server, Role.COUNSELOR, org_a)
    admin_b = staff(server, Role.ADMIN, org_b)

    found = api(server, counselor_a, need="shelter").json()["services"]
    assert found and {s["service_type"] for s in found} == {"shelter"}
    assert all(s["id"].startswith("a-") for s in found)
    everything = api(server, counselor_a).json()["services"]
    assert len(everything) == 20
    assert {"accepts_warm_handoff", "phones", "opening_hours_text"} <= set(everything[0])
    youth = api(server, counselor_a, age=30, need="youth_care").json()["services"]
    assert youth == []
    assert api(server, counselor_a, age="old").status_code == 400
    assert api(server, counselor_a, need="spa").json() == {"error": "bad_query", "field": "need"}
    # Another organisation sees only its own.
    assert {s["id"] for s in api(server, admin_b).json()["services"]} == {
        "b-00000",
        "b-00001",
        "b-00002",
    }
    # A service of another organisation is the same 404 as a missing one.
    foreign = httpx.get(
        server.base + "/staff/directory/edit",
        params={"id": "a-00001"},
        cookies={COOKIE: admin_b},
        timeout=20,
    )
    missing = httpx.get(
        server.base + "/staff/directory/edit",
        params={"id": "nothing"},
        cookies={COOKIE: admin_b},
        timeout=20,
    )
    assert foreign.status_code == missing.status_code == 404
    assert post(server, admin_b, "/staff/directory/remove", {"id": "a-00001"}).status_code == 404
    assert len(services_of(server, org_a)) == 20

    async def lookups(db: Database) -> tuple[Any, Any]:
        return await get_service(db, org_a, "a-00001"), await get_service(db, org_b, "a-00001")

    mine, theirs = in_db(server, lookups)
    assert mine is not None and mine.id == "a-00001" and theirs is None

    # Researchers have no access; without a session, none either.
    researcher = staff(server, Role.RESEARCHER, org_a)
    assert api(server, researcher).status_code == 403
    assert httpx.get(server.base + "/api/staff/directory", timeout=20).status_code == 401

    page = httpx.get(
        server.base + "/staff/directory",
        params={"need": "legal_aid", "lang": "en"},
        cookies={COOKIE: counselor_a},
        timeout=20,
    )
    assert page.status_code == 200
    assert "Warm hand-off through Baken" in page.text
    assert 'data-service-id="a-00003"' in page.text  # 3 % 9 → legal_aid
    assert 'data-service-id="a-00004"' not in page.text
    assert "/staff/directory/edit" not in page.text  # counselors do not edit


def test_admin_adds_changes_removes_with_audit(server: Server) -> None:
    _slug, org = add_organisation(server, "dired", "Editors")
    _p, partner = add_organisation(server, "dirp", "Partner")
    import_into(server, org, synthetic.services(2, prefix="e"))
    admin = staff(server, Role.ADMIN, org)
    counselor = staff(server, Role.COUNSELOR, org)
    form = {
        "id": "",
        "name": "Veilige Haven <b>",
        "organization_name": "Stichting Haven",
        "service_type": "shelter",
        "description": "Opvang voor vrouwen",
        "age_min": "18",
        "age_max": "",
        "languages": "nl, EN",
        "regions": "Utrecht",
        "phones": "06-00001111\n06-00002222",
        "email": "info@haven.example.org",
        "url": "https://haven.example.org/",
        "opening_hours_text": "Altijd",
        "accepts_warm_handoff": "yes",
        "baken_organisation_id": partner,
        "genders": "female",
        "exploitation_types": "sexual",
    }
    # Counselors may not change the directory.
    assert post(server, counselor, "/staff/directory/save", form).status_code == 403
    # A bad field: the form comes back with a message, nothing is saved.
    bad = post(server, admin, "/staff/directory/save", {**form, "age_min": "40", "age_max": "20"})
    assert bad.status_code == 400 and len(services_of(server, org)) == 2
    saved = post(server, admin, "/staff/directory/save", form)
    assert saved.status_code == 303
    found = api(server, admin, q="haven").json()["services"]
    assert len(found) == 1
    service = found[0]
    assert service["name"] == "Veilige Haven <b>"
    assert service["languages"] == ["nl", "en"] and service["genders"] == ["female"]
    assert service["accepts_warm_handoff"] is True and service["baken_organisation_id"] == partner
    page = httpx.get(
        server.base + "/staff/directory", params={"q": "haven"}, cookies={COOKIE: admin}
    )
    assert "Veilige Haven &lt;b&gt;" in page.text and "<b>" not in page.text.split("<main")[1]

    # Changing an imported service keeps the HSDS parts the form does not hold.
    imported = services_of(server, org)[0]
    changed = post(
        server,
        admin,
        "/staff/directory/save",
        {
            "id": imported["id"],
            "name": "Andere naam",
            "organization_name": imported["organization"]["name"],
            "service_type": "shelter",
            "phones": imported["phones"][0]["number"],
            "languages": ", ".join(lang["code"] for lang in imported["languages"]),
            "regions": ", ".join(a["name"] for a in imported["service_areas"]),
            "opening_hours_text": "Mon Tue Wed Thu Fri 09:00–17:00",
        },
    )
    assert changed.status_code == 303
    after = services_of(server, org)[0]
    assert after["name"] == "Andere naam"
    assert after["service_at_locations"] == imported["service_at_locations"]
    assert after["schedules"] == imported["schedules"]
    assert after["phones"] == imported["phones"]

    new_id = service["id"]
    assert post(server, admin, "/staff/directory/remove", {"id": new_id}).status_code == 303
    assert api(server, admin, q="haven").json()["services"] == []
    assert audit_kinds(server, org) == [
        ("directory.import", org),
        ("directory.add", new_id),
        ("directory.change", imported["id"]),
        ("directory.remove", new_id),
    ]


def test_export_of_the_stored_rows_is_per_organisation(server: Server) -> None:
    _a, org_a = add_organisation(server, "dirx", "X")
    import_into(server, org_a, synthetic.services(4, prefix="x"))

    async def count(db: Database) -> int:
        async with db.reader.connect() as conn:
            rows = await conn.execute(
                select(directory_services.c.id).where(directory_services.c.organisation_id == org_a)
            )
            return len(rows.all())

    assert in_db(server, count) == 4


def test_an_index_sees_a_change_made_by_another_process(server: Server) -> None:
    from baken.audit.kinds import SYSTEM
    from baken.directory.search import DirectoryIndexes

    _slug, org = add_organisation(server, "dirv", "Versions")
    import_into(server, org, synthetic.services(3, prefix="v"))

    async def work(db: Database) -> tuple[list[str], list[str], list[str]]:
        indexes = DirectoryIndexes(db)  # this process's index
        first = ids(await indexes.search(org, Query()))
        other = Database(server.settings)  # another process: its own engine
        try:
            assert await DirectoryRepository(other).remove(org, "v-00001", SYSTEM)
            after_remove = ids(await indexes.search(org, Query()))
            hsds = (await DirectoryRepository(other).export(org))[0]
            hsds["name"] = "Zzz hernoemd"
            await DirectoryRepository(other).save(org, from_hsds(hsds), hsds, SYSTEM, new=False)
        finally:
            await other.dispose()
        return first, after_remove, ids(await indexes.search(org, Query(text="hernoemd")))

    first, after_remove, renamed = in_db(server, work)
    assert sorted(first) == ["v-00000", "v-00001", "v-00002"]
    assert sorted(after_remove) == ["v-00000", "v-00002"]
    assert renamed == ["v-00000"]
