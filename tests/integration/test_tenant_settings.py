"""Tenant settings: strict mode, raw retention and downsampling tiers (as InfluxQL retention policies)."""
import time

from httpclient import query, request, write

MINUTE = 60 * 1000000000


def test_strict_mode_refuses_unknown_series(server):
    port = server.http_port
    assert request(port, "GET", "/api/v1/tenant").json()["strict"] is False
    answer = request(port, "PATCH", "/api/v1/tenant", json_body={"strict": True})
    assert answer.status == 200 and answer.json()["strict"] is True
    refused = write(port, "newthing v=1 1")
    assert refused.status == 400 and "strict" in refused.json()["error"]
    assert request(port, "POST", "/api/v1/twins/unknown-1/telemetry", json_body={"v": 1}).status == 422
    assert request(port, "POST", "/api/v1/twins", json_body={"id": "known-1"}).status == 201
    assert request(port, "POST", "/api/v1/twins/known-1/telemetry", json_body={"v": 1}).status == 204
    assert write(port, "m,twin=known-1 v=2 2").status == 204
    assert request(port, "PATCH", "/api/v1/tenant", json_body={"tiers": ["1x"]}).status == 422
    assert request(port, "PATCH", "/api/v1/tenant", json_body={"retention": "soon"}).status == 422


def test_tiers_downsample_and_retention_drops_old_points(server_factory):
    server = server_factory("--allow-anonymous", config_text='[telemetry]\ncheckpoint_interval = 1\ntiers = "1m"\n')
    port = server.http_port
    settings = request(port, "GET", "/api/v1/tenant").json()
    assert settings["effectiveTiers"] == [{"name": "1m", "every": "1m"}]
    now = time.time_ns()
    start = (now // MINUTE - 3) * MINUTE  # three complete minutes ago
    lines = "\n".join("plant,twin=kiln-1 temp=%d %d" % (i, start + i * 10 * 1000000000) for i in range(18))
    assert write(port, lines).status == 204
    deadline = time.time() + 20
    series = []
    while time.time() < deadline:
        answer = query(port, 'SELECT "temp", "temp_min", "temp_max", "temp_count" FROM "1m"."plant"', epoch="ns").json()
        series = answer["results"][0].get("series", [])
        if series and len(series[0]["values"]) == 3:
            break
        time.sleep(0.3)
    assert [row[1:] for row in series[0]["values"]] == [[2.5, 0, 5, 6], [8.5, 6, 11, 6], [14.5, 12, 17, 6]]
    rp = query(port, "SHOW RETENTION POLICIES").json()["results"][0]["series"][0]["values"]
    assert [r[0] for r in rp] == ["autogen", "1m"]
    assert "retention policy not found" in query(port, 'SELECT temp FROM "5m"."plant"').json()["results"][0]["error"]
    read = request(port, "GET", "/api/v1/twins/kiln-1/telemetry?field=temp&tier=1m&from=%d&to=%d" % (start, now)).json()
    assert [p["value"] for p in read["series"][0]["points"]] == [2.5, 8.5, 14.5]

    # Raw retention of one day: points from 2020 disappear at the next maintenance, today's stay.
    assert write(port, "old,twin=kiln-2 v=1 1577836800000000000\nold,twin=kiln-2 v=2 %d" % now).status == 204
    assert request(port, "PATCH", "/api/v1/tenant", json_body={"retention": "1d"}).json()["retention"] == "1d"
    deadline = time.time() + 20
    while time.time() < deadline:
        values = query(port, "SELECT v FROM old", epoch="ns").json()["results"][0]["series"][0]["values"]
        if len(values) == 1:
            break
        time.sleep(0.3)
    assert values == [[now, 2]]


def test_series_per_tenant_are_bounded(server_factory):
    server = server_factory("--allow-anonymous", config_text="[telemetry]\nmax_series_per_tenant = 3\n")
    port = server.http_port
    assert write(port, "flood,id=1 v=1 1\nflood,id=2 v=1 1\nflood,id=3 v=1 1").status == 204
    refused = write(port, "flood,id=4 v=1 1\nflood,id=1 v=2 2")
    assert refused.status == 400
    assert "max-series-per-database limit exceeded: (3)" in refused.json()["error"]
    # Existing series still take points, and no twin was made for the refused one.
    values = query(port, "SELECT v FROM flood WHERE id = '1'", epoch="ns").json()["results"][0]["series"][0]["values"]
    assert values == [[1, 1], [2, 2]]
    assert request(port, "GET", "/api/v1/twins/flood.4").status == 404
    assert request(port, "POST", "/api/v1/twins/other-1/telemetry", json_body={"v": 1}).status == 422
