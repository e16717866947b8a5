"""InfluxDB 1.x compatible /ping, /write and /query against the real server."""
from httpclient import query, request, write

T0 = 1767225600000000000  # 2026-01-01T00:00:00Z
S = 1000000000


def series_values(answer, index=0):
    result = answer.json()["results"][index]
    assert "error" not in result, result
    return result.get("series", [])


def test_ping_answers_204_with_a_version(server):
    answer = request(server.http_port, "GET", "/ping")
    assert answer.status == 204
    assert answer.headers["X-Influxdb-Version"]


def test_write_then_query_aggregates_per_bucket_and_tag(server):
    lines = "\n".join(
        "machine,site=p1,device=d%d temperature=%s,rpm=%di %d" % (d, 20 + d + i / 10, 1000 + i, T0 + i * 30 * S)
        for d in range(2) for i in range(8))
    assert write(server.http_port, lines).status == 204
    q = ("SELECT mean(temperature), max(rpm), count(temperature) FROM machine WHERE time >= %d AND time < %d "
         "GROUP BY time(1m), device fill(none)" % (T0, T0 + 240 * S))
    series = series_values(query(server.http_port, q, epoch="s"))
    assert [s["tags"]["device"] for s in series] == ["d0", "d1"]
    assert series[0]["columns"] == ["time", "mean", "max", "count"]
    # d0: minute 0 holds points 0 and 1 (20.0, 20.1), rpm 1000 and 1001.
    assert series[0]["values"][0] == [T0 // S, 20.05, 1001, 2]
    assert len(series[0]["values"]) == 4
    # Without GROUP BY tag the two devices are aggregated together.
    q2 = "SELECT sum(rpm) FROM machine WHERE time >= %d AND time < %d" % (T0, T0 + 240 * S)
    total = series_values(query(server.http_port, q2, method="POST"))[0]["values"][0][1]
    assert total == 2 * sum(1000 + i for i in range(8))


def test_raw_select_with_tag_filter_order_and_limit(server):
    lines = "\n".join("env,room=a t=%d.5 %d\nenv,room=b t=%d %d" % (i, T0 + i * S, 100 + i, T0 + i * S) for i in range(5))
    assert write(server.http_port, lines).status == 204
    series = series_values(query(server.http_port, "SELECT t FROM env WHERE room = 'b' ORDER BY time DESC LIMIT 2", epoch="ns"))
    assert series[0]["values"] == [[T0 + 4 * S, 104], [T0 + 3 * S, 103]]
    series = series_values(query(server.http_port, "SELECT * FROM env WHERE room =~ /^a$/ LIMIT 1", epoch="ns"))
    assert series[0]["columns"] == ["time", "room", "t", "twin"]
    assert series[0]["values"][0][:3] == [T0, "a", 0.5]


def test_fill_options(server):
    lines = "g v=1 %d\ng v=3 %d" % (T0, T0 + 120 * S)
    assert write(server.http_port, lines).status == 204
    base = "SELECT mean(v) FROM g WHERE time >= %d AND time < %d GROUP BY time(1m) " % (T0, T0 + 180 * S)
    values = lambda fill: [r[1] for r in series_values(query(server.http_port, base + fill))[0]["values"]]
    assert values("fill(null)") == [1, None, 3]
    assert values("fill(0)") == [1, 0, 3]
    assert values("fill(previous)") == [1, 1, 3]
    assert values("fill(linear)") == [1, 2, 3]
    assert values("fill(none)") == [1, 3]


def test_show_statements(server):
    assert write(server.http_port, "cpu,host=h1,region=eu load=0.5,ok=true 1\nmem,host=h2 used=3i 1").status == 204
    answer = query(server.http_port, "SHOW DATABASES; SHOW MEASUREMENTS; SHOW TAG KEYS FROM cpu; "
                                     "SHOW TAG VALUES WITH KEY = host; SHOW FIELD KEYS FROM cpu; SHOW RETENTION POLICIES")
    results = answer.json()["results"]
    assert results[0]["series"][0]["values"] == [["default"]]
    assert results[1]["series"][0]["values"] == [["cpu"], ["mem"]]
    assert ["host"] in results[2]["series"][0]["values"] and ["region"] in results[2]["series"][0]["values"]
    assert {tuple(v) for s in results[3]["series"] for v in s["values"]} == {("host", "h1"), ("host", "h2")}
    assert results[4]["series"][0]["values"] == [["load", "float"], ["ok", "boolean"]]
    assert results[5]["series"][0]["values"][0][0] == "autogen"


def test_create_database_makes_a_tenant_to_write_to(server):
    assert write(server.http_port, "x v=1 1", db="plant2").status == 404
    created = query(server.http_port, "CREATE DATABASE plant2", db=None, method="POST")
    assert created.status == 200 and "error" not in created.json()["results"][0]
    # Development mode is InfluxDB without authentication: db picks the tenant, and tenants stay apart.
    assert write(server.http_port, "x v=1 1", db="plant2").status == 204
    assert series_values(query(server.http_port, "SELECT v FROM x", db="plant2"))[0]["values"][0][1] == 1
    assert series_values(query(server.http_port, "SELECT v FROM x", db="default")) == []
    assert ["plant2"] in query(server.http_port, "SHOW DATABASES").json()["results"][0]["series"][0]["values"]
    bad = query(server.http_port, "CREATE DATABASE \"no/slash\"", db=None)
    assert "invalid database name" in bad.json()["results"][0]["error"]


def test_a_point_written_again_replaces_the_earlier_one(server):
    assert write(server.http_port, "r v=1 %d\nr v=2 %d" % (T0, T0 + S)).status == 204
    assert write(server.http_port, "r v=10 %d" % T0).status == 204
    series = series_values(query(server.http_port, "SELECT v FROM r", epoch="ns"))
    assert series[0]["values"] == [[T0, 10], [T0 + S, 2]]


def test_gzip_and_precision(server):
    answer = write(server.http_port, "z v=7 %d" % (T0 // 1000000), precision="ms", gzip_body=True)
    assert answer.status == 204, answer
    series = series_values(query(server.http_port, "SELECT v FROM z", epoch="ms"))
    assert series[0]["values"] == [[T0 // 1000000, 7]]
    broken = request(server.http_port, "POST", "/write?db=default", body=b"\x1f\x8b\x08garbage",
                     headers={"Content-Encoding": "gzip"})
    assert broken.status == 400 and "gzip" in broken.json()["error"]


def test_errors_come_in_influx_shape(server):
    answer = write(server.http_port, "ok v=1 1\nbad line without fields\nbad2 v=\"unterminated 2\nok v=2 3")
    assert answer.status == 400
    error = answer.json()["error"]
    assert error.startswith("partial write: unable to parse 'bad line without fields'") and "dropped=2" in error
    # The good lines were stored.
    assert len(series_values(query(server.http_port, "SELECT v FROM ok"))[0]["values"]) == 2
    conflict = write(server.http_port, "ok v=\"text\" 5")
    assert conflict.status == 400 and "field type conflict" in conflict.json()["error"]
    missing = write(server.http_port, "ok v=1 1", db="nope")
    assert missing.status == 404 and missing.json() == {"error": "database not found: \"nope\""}
    bad = query(server.http_port, "SELECT mean(v FROM ok")
    assert bad.status == 400
    assert bad.json()["error"] == "error parsing query: found FROM, expected ) at line 1, char 15"
    assert query(server.http_port, "SELECT v FROM ok", db="").json()["results"][0]["error"] == "database name required"
    assert request(server.http_port, "GET", "/query").status == 400


def test_credentials_are_required_without_anonymous_access(server_factory):
    server = server_factory()
    answer = write(server.http_port, "x v=1 1")
    assert answer.status == 401 and "authentication required" in answer.json()["error"]
    answer = request(server.http_port, "GET", "/query?q=SHOW+DATABASES&u=someone&p=wrong")
    assert answer.status == 401 and "authorization failed" in answer.json()["error"]
    assert request(server.http_port, "GET", "/api/v1/twins").status == 401
    assert request(server.http_port, "GET", "/ping").status == 204


def test_hostile_queries_get_errors_not_crashes(server):
    assert write(server.http_port, "h v=1 %d" % T0).status == 204
    hostile = [
        "SELECT mean(v) FROM h WHERE time >= -9223372036854775808 GROUP BY time(1ns)",
        "SELECT mean(v) FROM h WHERE time <= 9223372036854775807 AND time > 0 GROUP BY time(1s)",
        "SELECT count(v) FROM h GROUP BY time(1ns) fill(1e300)",
        "SELECT v FROM h LIMIT 99999999999999999999999",
        "SELECT mean(v) FROM h WHERE time > now() - 99999999999999999999w",
        "SELECT v FROM h WHERE host =~ /(unclosed/",
    ]
    for q in hostile:
        answer = query(server.http_port, q)
        assert answer.status in (200, 400), (q, answer)
        body = answer.json()
        assert "error" in body or "error" in body["results"][0], (q, body)
    assert server.alive()
    assert request(server.http_port, "GET", "/ping").status == 204


def test_grafana_style_queries(server):
    """What Grafana's InfluxDB data source sends: quoted names, ::casts, $timeFilter in ms, $__interval."""
    lines = "\n".join("cpu,host=h%d usage=%d %d" % (h, 10 * h + i, T0 + i * 10 * S) for h in (1, 2) for i in range(12))
    assert write(server.http_port, lines).status == 204
    q = ('SELECT mean("usage"::field) FROM "autogen"."cpu" WHERE ("host"::tag = \'h1\') AND time >= %dms and time <= %dms '
         'GROUP BY time(1m), "host"::tag fill(null) ORDER BY time ASC' % (T0 // 1000000, (T0 + 119 * S) // 1000000))
    series = series_values(query(server.http_port, q, epoch="ms"))
    assert series[0]["tags"] == {"host": "h1"}
    assert series[0]["values"] == [[T0 // 1000000, 12.5], [T0 // 1000000 + 60000, 18.5]]
    answer = query(server.http_port, "SHOW MEASUREMENTS LIMIT 1; SHOW TAG VALUES FROM \"cpu\" WITH KEY = \"host\" WHERE time > now() - 100000d")
    results = answer.json()["results"]
    assert results[0]["series"][0]["values"] == [["cpu"]]
    assert results[1]["series"][0]["values"] == [["host", "h1"], ["host", "h2"]]


def test_the_python_influxdb_client_works_unchanged(server):
    """influxdb-python, a real InfluxDB 1.x client: ping, create database, write_points (line protocol),
    query, list databases; errors surface as its own exceptions."""
    from influxdb import InfluxDBClient
    from influxdb.exceptions import InfluxDBClientError
    client = InfluxDBClient(host="127.0.0.1", port=server.http_port, database="fleet")
    assert client.ping()
    client.create_database("fleet")
    points = [{"measurement": "engine", "tags": {"ship": "aurora", "side": "port"}, "time": T0 + i * S,
               "fields": {"rpm": 700.0 + i, "running": True}} for i in range(5)]
    assert client.write_points(points, time_precision="n")
    result = client.query("SELECT max(rpm) FROM engine WHERE ship = 'aurora'")
    assert list(result.get_points())[0]["max"] == 704
    assert {"name": "fleet"} in client.get_list_database()
    try:
        client.write_points([{"measurement": "engine", "tags": {"ship": "aurora", "side": "port"}, "time": T0,
                              "fields": {"rpm": "fast"}}])
        raise AssertionError("a type conflict was accepted")
    except InfluxDBClientError as error:
        assert error.code == 400 and "field type conflict" in str(error)
