"""The HTTP API on SQLite and PostgreSQL: signatures, validation, boards, freeze, learners."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest

from dojo.leaderboard import LeaderboardClient, LeaderboardError
from dojo.leaderboard._auth import NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers

from .conftest import GRADER_KEY, Service

AWARD = {
    "learner": "ann",
    "assignment": "m01",
    "task": "t1",
    "points": 5,
    "max_points": 10,
    "idempotency_key": "award-0001",
}


def post_signed(
    svc: Service,
    path: str,
    body: bytes,
    *,
    key: str = GRADER_KEY,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``body`` signed with ``key`` at the service's clock time."""
    h = {"Content-Type": "application/json", **signed_headers(key, body, svc.clock())}
    h.update(headers or {})
    return svc.http.post(path, content=body, headers=h)


def award_body(**changes: Any) -> bytes:
    return json.dumps({**AWARD, **changes}).encode()


def stored(svc: Service) -> int:
    return svc.store.count_awards(svc.store.cohort(svc.cohort))


def test_signed_award_is_stored_and_repeat_is_idempotent(service: Service) -> None:
    """Check that a signed award answers 201, a resend of the same key 200 with the same award."""
    r1 = post_signed(service, "/api/cohorts/c1/awards", award_body())
    r2 = post_signed(service, "/api/cohorts/c1/awards", award_body())
    assert r1.status_code == 201 and r1.json()["created"] is True
    assert r2.status_code == 200 and r2.json()["created"] is False
    assert r2.json()["award_id"] == r1.json()["award_id"]
    assert stored(service) == 1


def test_forged_altered_stale_and_replayed_posts_are_rejected(service: Service) -> None:
    """Check each signature failure answers 401 with its reason and stores nothing."""
    body = award_body()
    url = "/api/cohorts/c1/awards"
    forged = post_signed(service, url, body, key="wrong-key")
    good = {"Content-Type": "application/json", **signed_headers(GRADER_KEY, body, service.clock())}
    altered = service.http.post(url, content=award_body(points=10), headers=good)
    unsigned = service.http.post(url, content=body, headers={"Content-Type": "application/json"})
    stale_h = signed_headers(GRADER_KEY, body, service.clock() - timedelta(seconds=301))
    stale = service.http.post(
        url, content=body, headers={"Content-Type": "application/json", **stale_h}
    )
    future_h = signed_headers(GRADER_KEY, body, service.clock() + timedelta(seconds=301))
    future = service.http.post(
        url, content=body, headers={"Content-Type": "application/json", **future_h}
    )
    bad_nonce = dict(good, **{NONCE_HEADER: "x"})
    short_nonce = service.http.post(url, content=body, headers=bad_nonce)
    for resp, reason in [
        (forged, "bad signature"),
        (altered, "bad signature"),
        (unsigned, "missing header"),
        (stale, "stale"),
        (future, "stale"),
        (short_nonce, "nonce"),
    ]:
        assert resp.status_code == 401, resp.text
        assert reason in resp.json()["detail"]
    assert stored(service) == 0
    first = service.http.post(url, content=body, headers=good)
    replay = service.http.post(url, content=body, headers=good)
    assert first.status_code == 201
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    assert stored(service) == 1


def test_signature_within_five_minutes_is_accepted(service: Service) -> None:
    """Check that a request signed 299 s ago is still accepted (clock skew allowance)."""
    body = award_body()
    h = signed_headers(GRADER_KEY, body, service.clock() - timedelta(seconds=299))
    r = service.http.post(
        "/api/cohorts/c1/awards", content=body, headers={"Content-Type": "application/json", **h}
    )
    assert r.status_code == 201


BAD_AWARDS = [
    (award_body(points=11), 422, "exceed max_points"),
    (award_body(points=-1), 422, "greater than or equal"),
    (award_body(max_points=0), 422, "greater than or equal"),
    (award_body(points="5"), 422, "points"),
    (award_body(learner="bad id!"), 422, "learner"),
    (award_body(learner=""), 422, "learner"),
    (award_body(task="x" * 65), 422, "task"),
    (award_body(idempotency_key="short"), 422, "idempotency_key"),
    (award_body(learner_name="x" * 81), 422, "learner_name"),
    (award_body(learner_name="bad\x00name"), 422, "control"),
    (award_body(learner_name="   "), 422, "learner_name"),
    (award_body(learner_name="lone \ud800 surrogate"), 422, "unicode"),
    (award_body(learner_name="\u202eevil"), 422, "control"),
    (award_body(extra="field"), 422, "extra"),
    (json.dumps({k: v for k, v in AWARD.items() if k != "points"}).encode(), 422, "points"),
    (b"{not json", 422, "JSON"),
    (b"[]", 422, "object"),
]


def test_bad_award_input_is_refused_with_a_clear_4xx_and_nothing_stored(service: Service) -> None:
    """Check that each kind of bad input gets a 4xx naming the problem and stores nothing."""
    for body, status, needle in BAD_AWARDS:
        r = post_signed(service, "/api/cohorts/c1/awards", body)
        assert r.status_code == status, (body, r.text)
        assert needle.lower() in r.text.lower(), (body, r.text)
    assert stored(service) == 0
    assert service.store.audit(service.store.cohort("c1"))[-1].action == "cohort.create"


def test_award_to_unknown_cohort_is_404(service: Service) -> None:
    """Check that awarding to a cohort that does not exist says so."""
    r = post_signed(service, "/api/cohorts/nope/awards", award_body())
    assert r.status_code == 404 and "'nope'" in r.json()["detail"]


def test_conflicting_awards_are_409_and_store_nothing(service: Service) -> None:
    """Check that a reused key with other content, or a changed task maximum, is a 409."""
    assert post_signed(service, "/api/cohorts/c1/awards", award_body()).status_code == 201
    r = post_signed(service, "/api/cohorts/c1/awards", award_body(points=6))
    assert r.status_code == 409 and "different award" in r.json()["detail"]
    r = post_signed(
        service, "/api/cohorts/c1/awards", award_body(max_points=20, idempotency_key="award-0002")
    )
    assert r.status_code == 409 and "max_points=10" in r.json()["detail"]
    assert stored(service) == 1


def test_fifty_parallel_posts_of_one_award_store_one(service: Service) -> None:
    """Check that 50 concurrent HTTP posts of the same award (fresh nonces) store exactly one."""
    body = award_body(points=7)

    def send(_: int) -> int:
        with httpx.Client(base_url=service.url, timeout=30) as http:
            h = {
                "Content-Type": "application/json",
                **signed_headers(GRADER_KEY, body, service.clock()),
            }
            return http.post("/api/cohorts/c1/awards", content=body, headers=h).status_code

    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(send, range(50)))
    assert sorted(codes) == [200] * 49 + [201]
    assert stored(service) == 1
    board = service.grader().board("c1")
    assert [(e["total"]) for e in board["entries"]] == [7]


def test_board_ranks_and_windows_through_the_client(service: Service) -> None:
    """Check overall, module and windowed boards as the client returns them."""
    g = service.grader()
    clock = service.clock
    clock.advance(days=-30)  # February: outside this month and week
    g.award("c1", "ann", "m01/t1", 10, 10, "key-ann-1")
    clock.advance(days=30)
    g.award("c1", "bob", "m01/t1", 6, 10, "key-bob-1")
    g.award("c1", "bob", "t9", 3, 5, "key-bob-2", module="m02")
    clock.advance(minutes=1)
    g.award("c1", "cat", "m02/t1", 9, 10, "key-cat-1")
    names = lambda b: [(e["id"] or e["learner"], e["total"]) for e in b["entries"]]  # noqa: E731
    overall = g.board("c1")
    assert [e["total"] for e in overall["entries"]] == [10, 9, 9]
    assert [e["name"] for e in overall["entries"]] == ["ann", "bob", "cat"]  # bob reached 9 first
    assert [e["name"] for e in g.board("c1", window="week")["entries"]] == ["bob", "cat", "ann"]
    assert [e["total"] for e in g.board("c1", window="month")["entries"]] == [9, 9, 0]
    m02 = g.board("c1", module="m02")
    assert [(e["name"], e["total"]) for e in m02["entries"]] == [("cat", 9), ("bob", 3), ("ann", 0)]
    assert m02["modules"] == ["m01", "m02"]
    assert len(g.board("c1", limit=1)["entries"]) == 1
    assert names(service.admin().board("c1"))[0] == ("ann", 10)
    with pytest.raises(LeaderboardError) as err:
        g.board("c1", module="m99")
    assert err.value.status == 404 and "m01, m02" in str(err.value)


def test_my_position_is_included_beyond_the_top_n(service: Service) -> None:
    """Check that a learner outside the top N still gets their own position."""
    g = service.grader()
    for i in range(5):
        g.award("c1", f"l{i}", "m01/t1", 10 - i, 10, f"key-top-{i}")
    learner = LeaderboardClient(service.url)
    joined = learner.join("c1", service.join_code, "Zoe", learner="zoe")
    g.award("c1", "zoe", "m01/t1", 1, 10, "key-zoe-1")
    board = learner.board("c1", limit=3)
    assert len(board["entries"]) == 3
    assert board["me"]["learner"] == joined["public_id"] and board["me"]["rank"] == 6
    public = LeaderboardClient(service.url).board("c1", limit=3, learner=joined["public_id"])
    assert public["me"]["rank"] == 6


def test_freeze_hides_later_scores_from_everyone_but_admins(service: Service) -> None:
    """Check the frozen board: public sees freeze-time state, admins see live state."""
    g, admin, clock = service.grader(), service.admin(), service.clock
    g.award("c1", "ann", "m01/t1", 5, 10, "key-f-0001")
    admin.set_freeze("c1", clock() + timedelta(minutes=10))
    clock.advance(minutes=5)
    g.award("c1", "bob", "m01/t1", 6, 10, "key-f-0002")  # before the freeze: shown
    clock.advance(minutes=10)
    g.award("c1", "ann", "m01/t1", 10, 10, "key-f-0003")  # after: hidden from the public
    g.award("c1", "cat", "m01/t1", 10, 10, "key-f-0004")  # new learner after the freeze
    public = g.board("c1")
    assert public["frozen"] is True
    assert [(e["name"], e["total"]) for e in public["entries"]] == [("bob", 6), ("ann", 5)]
    assert public["learners"] == 2
    live = admin.board("c1")
    assert live["frozen"] is False
    assert [(e["name"], e["total"]) for e in live["entries"]] == [
        ("ann", 10),
        ("cat", 10),
        ("bob", 6),
    ]
    ann = next(e for e in public["entries"] if e["name"] == "ann")["learner"]
    assert LeaderboardClient(service.url).progress("c1", ann)["total"] == 5
    assert g.cohort("c1")["frozen"] is True
    admin.set_freeze("c1", None)
    assert [e["total"] for e in g.board("c1")["entries"]] == [10, 10, 6]


def test_hidden_and_banned_learners_are_left_out(service: Service) -> None:
    """Check that admins can hide and ban learners, who then vanish from boards and pages."""
    g, admin = service.grader(), service.admin()
    for i, name in enumerate(["ann", "bob", "cat"]):
        g.award("c1", name, "m01/t1", 10 - i, 10, f"key-h-{i:04d}")
    pid = {e["name"]: e["learner"] for e in g.board("c1")["entries"]}
    admin.update_learner("c1", "ann", hidden=True)
    admin.update_learner("c1", "bob", banned=True)
    board = g.board("c1")
    assert [(e["name"], e["rank"]) for e in board["entries"]] == [("cat", 1)]
    assert service.http.get(f"/api/cohorts/c1/learners/{pid['bob']}").status_code == 404
    listed = {lr["learner"]: lr for lr in admin._get("/api/cohorts/c1/learners")}
    assert listed["ann"]["hidden"] and listed["bob"]["banned"]
    admin.update_learner("c1", "ann", hidden=False)
    assert [e["name"] for e in g.board("c1")["entries"]] == ["ann", "cat"]
    learner = LeaderboardClient(service.url)
    learner.join("c1", service.join_code, "Dee", learner="dee")
    admin.update_learner("c1", "dee", hidden=True)
    assert learner.me("c1")["rank"] is None  # a hidden learner still sees their own progress


def test_first_solve_bonus_via_api(service: Service) -> None:
    """Check that the cohort's first-solve bonus is applied to the first full-marks solver."""
    g, admin = service.grader(), service.admin()
    admin._patch("/api/cohorts/c1", {"first_solve_bonus": 3})
    g.award("c1", "ann", "m01/t1", 9, 10, "key-b-0001")
    service.clock.advance(seconds=1)
    g.award("c1", "bob", "m01/t1", 10, 10, "key-b-0002")
    service.clock.advance(seconds=1)
    g.award("c1", "ann", "m01/t1", 10, 10, "key-b-0003")
    assert [(e["name"], e["total"]) for e in g.board("c1")["entries"]] == [("bob", 13), ("ann", 10)]


def test_admin_endpoints_need_the_admin_token(service: Service) -> None:
    """Check that admin endpoints refuse anonymous, learner and wrong tokens."""
    learner = LeaderboardClient(service.url)
    learner.join("c1", service.join_code, "Ann")
    for headers in ({}, {"Authorization": f"Bearer {learner.token}"}):
        for method, path in [
            ("PATCH", "/api/cohorts/c1"),
            ("GET", "/api/cohorts/c1/audit"),
            ("GET", "/api/cohorts/c1/learners"),
            ("PATCH", "/api/cohorts/c1/admin/learners/ann"),
        ]:
            r = service.http.request(method, path, json={}, headers=headers)
            assert r.status_code == 401, (method, path, r.text)
    r = service.http.get("/api/cohorts/c1/audit", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and "neither" in r.json()["detail"]
    assert service.grader().cohort("c1")["join_code"] is None
    assert service.admin().cohort("c1")["join_code"] == service.join_code


def test_audit_log_over_http(service: Service) -> None:
    """Check that the admin sees every change in the audit log, in order."""
    g, admin = service.grader(), service.admin()
    g.award("c1", "ann", "m01/t1", 5, 10, "key-a-0001")
    admin.update_learner("c1", "ann", pseudonym="Owl")
    entries = admin.audit("c1")
    assert [e["action"] for e in entries] == ["cohort.create", "award", "learner.update"]
    assert entries[2]["detail"] == {"pseudonym": "Owl"}
    assert admin.audit("c1", after=entries[1]["id"])[0]["action"] == "learner.update"


def test_join_me_and_pseudonym(service: Service) -> None:
    """Check joining (right and wrong code), the learner's own view and pseudonyms on boards."""
    learner = LeaderboardClient(service.url)
    with pytest.raises(LeaderboardError) as err:
        learner.join("c1", "AAAA-AAAA", "Ann")
    assert err.value.status == 403
    out = learner.join(
        "c1", service.join_code.lower(), "Ann Smith", pseudonym="Night Owl", learner="ann"
    )
    assert out["name"] == "Night Owl"
    service.grader().award("c1", "ann", "m01/t1", 4, 10, "key-j-0001")
    me = learner.me("c1")
    assert (me["total"], me["rank"], me["modules"][0]["points"]) == (4, 1, 4)
    board = service.grader().board("c1")
    assert board["entries"][0]["name"] == "Night Owl"
    assert "Ann Smith" not in json.dumps(board) and board["entries"][0]["learner"] != "ann"
    r = service.http.patch(
        "/api/cohorts/c1/me",
        json={"pseudonym": None},
        headers={"Authorization": f"Bearer {learner.token}"},
    )
    assert r.status_code == 200 and r.json()["pseudonym"] is None
    assert service.grader().board("c1")["entries"][0]["name"] == "Ann Smith"
    with pytest.raises(LeaderboardError) as err:
        LeaderboardClient(service.url).join("c1", service.join_code, "Other", learner="ann")
    assert err.value.status == 409


def test_learner_endpoints_are_rate_limited(make_service: Any) -> None:
    """Check that learner endpoints answer 429 with Retry-After once the budget is spent."""
    svc = make_service(learner_rate=3, learner_period=60.0)
    body = {"join_code": svc.join_code, "display_name": "Spam"}
    codes = [svc.http.post("/api/cohorts/c1/join", json=body).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]
    r = svc.http.post("/api/cohorts/c1/join", json=body)
    assert int(r.headers["Retry-After"]) >= 1
    svc.clock.advance(seconds=20)  # one token back
    assert svc.http.post("/api/cohorts/c1/join", json=body).status_code == 201
    assert svc.http.get("/api/cohorts/c1/board").status_code == 200  # boards are not limited


def test_create_cohort_is_signed(service: Service) -> None:
    """Check that creating a cohort over HTTP needs the grader key and returns its secrets."""
    r = service.http.post("/api/cohorts", json={"name": "c2"})
    assert r.status_code == 401
    out = service.grader().create_cohort("c2", title="Workshop <2>", first_solve_bonus=5)
    assert out["admin_token"] and out["join_code"] and out["title"] == "Workshop <2>"
    with pytest.raises(LeaderboardError) as err:
        service.grader().create_cohort("c2")
    assert err.value.status == 409
    with pytest.raises(LeaderboardError) as err:
        service.grader().create_cohort("Bad Name")
    assert err.value.status == 422


def test_openapi_document_describes_the_api(service: Service) -> None:
    """Check that the OpenAPI document lists the API and its input and output schemas."""
    doc = service.http.get("/openapi.json").json()
    assert "/api/cohorts/{cohort}/awards" in doc["paths"]
    assert "/api/cohorts/{cohort}/board" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert {"AwardIn", "AwardOut", "BoardOut", "JoinIn", "ProgressOut"} <= set(schemas)
    assert not any(p.startswith("/c/") for p in doc["paths"])
    award_params = {
        p["name"] for p in doc["paths"]["/api/cohorts/{cohort}/awards"]["post"]["parameters"]
    }
    assert {"X-Dojo-Timestamp", "X-Dojo-Nonce", "X-Dojo-Signature"} <= award_params


def test_no_grader_key_means_no_awards(make_service: Any) -> None:
    """Check that a service started without a grader key refuses every award."""
    svc = make_service(grader_key=None)
    r = post_signed(svc, "/api/cohorts/c1/awards", award_body())
    assert r.status_code == 401 and "no grader key" in r.json()["detail"]


def test_header_names(service: Service) -> None:
    """Check the documented header names of the signature scheme."""
    assert (TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER) == (
        "X-Dojo-Timestamp",
        "X-Dojo-Nonce",
        "X-Dojo-Signature",
    )
