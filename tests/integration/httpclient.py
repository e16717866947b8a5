"""A tiny HTTP client on the standard library for the API tests (status, headers and body of every answer)."""
import base64
import gzip
import json
import urllib.error
import urllib.parse
import urllib.request


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Answer(%s, %r)" % (self.status, self.body[:300])


def request(port, method, path, body=None, headers=None, json_body=None, auth=None, gzip_body=False, timeout=30):
    headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if gzip_body and body is not None:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def query(port, q, db="default", method="GET", epoch=None, **kwargs):
    params = {"q": q}
    if db is not None:
        params["db"] = db
    if epoch:
        params["epoch"] = epoch
    if method == "GET":
        return request(port, "GET", "/query?" + urllib.parse.urlencode(params), **kwargs)
    return request(port, "POST", "/query", body=urllib.parse.urlencode(params),
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, **kwargs)


def write(port, lines, db="default", precision="ns", **kwargs):
    path = "/write?" + urllib.parse.urlencode({"db": db, "precision": precision})
    return request(port, "POST", path, body=lines, **kwargs)
