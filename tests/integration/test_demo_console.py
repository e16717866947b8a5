"""The one-command demo and the web console, end to end: `twinguard demo` provisions the platform, enrolls
its fleet over HTTPS and runs it over mutual-TLS MQTT; the platform (not the simulator) must find every
scripted incident. Then headless Chromium (Debian's chromium and chromium-driver, driven by Selenium)
logs in with MFA, watches a twin live, changes a desired property and sees the device acknowledge it,
quarantines a device and sees it cut off, and finds that action in the audit viewer. Every page is
saved as a screenshot under test-output/console/ and checked for error states and browser-console errors."""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import struct
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import BIN

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-output", "console")


def totp(secret, at=None):
    """RFC 6238 with SHA-1, 6 digits, 30 s steps (what authenticator apps use by default)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Demo:
    def __init__(self, data_dir):
        self.process = subprocess.Popen(
            [BIN, "demo", "--data-dir", str(data_dir), "--mqtt-port", "0", "--ws-port", "0", "--http-port", "0",
             "--mqtts-port", "0", "--wss-port", "0", "--https-port", "0", "--speed", "5", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.output = ""
        deadline = time.time() + 60
        # The guide, then the provisioning's progress lines.
        while not ("Stop with Ctrl-C." in self.output and "enrolled over HTTPS" in self.output) and time.time() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.output += line
        assert "Stop with Ctrl-C." in self.output and "enrolled over HTTPS" in self.output, self.output
        self.url = re.search(r"Console:\s+(http://\S+/)", self.output).group(1)
        self.admin, self.password = re.search(r"Log in:\s+user '([^']+)', password '([^']+)'", self.output).groups()
        self.operator = re.search(r"-u (\S+) -P '([^']+)'", self.output).groups()
        self.data_dir = str(data_dir)

    def token(self):
        return json.load(open(os.path.join(self.data_dir, "run", "admin.json")))["token"]

    def api(self, path, method="GET", body=None):
        """The API as the local administrator (the token the server writes for its own command line)."""
        request = urllib.request.Request(self.url + "api/v1" + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": "Bearer " + self.token(), "Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(request, timeout=15).read() or b"null")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            assert self.process.wait(30) == 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    running = Demo(tmp_path_factory.mktemp("demo") / "data")
    yield running
    running.stop()


def wait_for(check, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except (urllib.error.URLError, KeyError, IndexError) as error:
            last = error
        time.sleep(0.5)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def test_demo_prints_the_console_and_serves_it(demo):
    assert demo.url.startswith("http://127.0.0.1:")
    page = urllib.request.urlopen(demo.url, timeout=10)
    assert page.status == 200 and "TwinGuard" in page.read().decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = urllib.request.urlopen(demo.url + "assets/app.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript") and script.headers["ETag"]
    # The page and its files need no login; the API still does.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(demo.url + "api/v1/twins", timeout=10)
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(demo.url + "assets/nothing.js", timeout=10)
    assert missing.value.code == 404


def test_the_platform_finds_every_scripted_incident(demo):
    """Every detection below is the platform's: the simulator only changes what its devices send."""
    twins = {t["id"]: t for t in demo.api("/twins?limit=1000")["items"]}
    assert {"plant-leipzig", "mv-nordlys", "district-north"} == {t["tags"]["site"] for t in twins.values()}
    assert len(twins) == 20 and twins["cnc-01"]["model"] == "tg:demo:CNCMachine;1"
    # CNC machines connect once their RUL model is trained.
    device = wait_for(lambda: (d := demo.api("/devices/cnc-01")).get("posture") and d, 120, "cnc-01's posture")
    assert device["certificates"] and device["posture"]["firmware_version"] == "2.6.1"  # enrolled, reports posture
    # Out-of-date firmware: quarantined by the posture policy.
    pump = wait_for(lambda: (d := demo.api("/devices/pump-02"))["tier"] == "quarantined" and d, 60, "pump-02 quarantined")
    assert any("2.1.0 is older than the required 2.4.0" in f for f in pump["posture_findings"])
    # The rogue with the stolen token: refused topics, a forbidden service, cut off; the real device's enrollment refused.
    rogue = wait_for(lambda: (d := demo.api("/devices/streetlight-09"))["tier"] in ("quarantined", "blocked") and d, 60, "rogue cut off")
    assert any("policy violation" in r for r in rogue["score_reasons"]) and any("telnet" in r for r in rogue["score_reasons"])
    audit = lambda: demo.api("/audit?limit=1000")["entries"]
    wait_for(lambda: any(e["action"] == "device.enroll" and e["outcome"] == "deny" and "already used" in e["detail"] for e in audit()),
             60, "the refused enrollment with the used token")
    # The flooding device: refused over its rate limit, audited, trust lowered.
    wait_for(lambda: any("over its rate limit" in r for r in demo.api("/devices/traffic-02")["score_reasons"]), 60, "traffic-02 rate limited")
    assert any(e["action"] == "mqtt.quota" and e["actor"] == "traffic-02" for e in audit())
    # The drifting NO2 sensor and the stuck lube-oil pressure sensor: anomalies on exactly those fields.
    anomalies = lambda twin: demo.api("/twins/%s/anomalies" % twin)["anomalies"]
    wait_for(lambda: any(a["field"] == "no2_ug_m3" and a["kind"] in ("drift", "level_shift") for a in anomalies("air-quality-02")),
             90, "the drift found")
    wait_for(lambda: any(a["field"] == "lube_oil_pressure_bar" and a["kind"] == "frozen" for a in anomalies("engine-starboard")),
             90, "the stuck sensor found")
    # The wearing bearing: the RUL estimate falls below the maintenance threshold; the healthy twin stays high.
    estimate = wait_for(lambda: (e := demo.api("/twins/cnc-02/rul")["estimate"]) and e["rul"] < 30 and e, 150, "cnc-02 maintenance due")
    assert estimate["maintenanceBelow"] == 30
    alert = wait_for(lambda: [a for a in demo.api("/alerts?twin=cnc-02")["alerts"] if a["rule"] == "maintenance-due"], 30, "the maintenance alert")[0]
    assert alert["field"] == "remaining_useful_life" and alert["status"] == "open"
    assert demo.api("/twins/cnc-01/rul")["estimate"]["rul"] > 60
    # Healthy devices stay trusted.
    assert demo.api("/devices/pump-01")["tier"] == "trusted"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    os.makedirs(SHOTS, exist_ok=True)
    yield driver
    driver.quit()


def find(driver, css, timeout=20, text=None):
    """Waits for an element (whose text contains `text`, if given)."""
    def present(d):
        for element in d.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in element.text:
                return element
        return False
    # Live pages re-render parts of themselves: an element found a moment ago may be gone; look again.
    wait = WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(present, "no %s%s" % (css, " with " + text if text else ""))


def shoot(driver, name):
    """Saves the page and checks it shows no error state and the browser logged no error."""
    path = os.path.join(SHOTS, name + ".png")
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(max(height, size["height"]), 4000))  # the whole page
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    driver.save_screenshot(path)
    driver.set_window_size(size["width"], size["height"])
    assert os.path.getsize(path) > 10_000
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".error") if e.text.strip()]
    assert not errors, "%s shows errors: %s" % (name, errors)
    assert "could not be shown" not in driver.page_source
    logs = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not logs, "%s: browser console errors: %s" % (name, logs)


def test_console_end_to_end(demo, browser):
    browser.get(demo.url)
    find(browser, "#login-form")
    shoot(browser, "01-login")
    # First login: the admin role needs a second factor, so the console asks to enrol one (QR code and secret).
    find(browser, "#login-name").send_keys(demo.admin)
    find(browser, "#login-password").send_keys(demo.password)
    find(browser, "#login-form button[type=submit]").click()
    secret = find(browser, "#enrol-secret").text.strip()
    qr = find(browser, "#enrol-qr")
    assert qr.get_attribute("src").startswith("data:image/gif;base64,") and qr.size["width"] >= 150
    shoot(browser, "02-enrol-authenticator")
    find(browser, "#enrol-code").send_keys(totp(secret))
    find(browser, "#enrol-form button[type=submit]").click()
    # Ten one-time recovery codes, shown once, before the next login.
    codes = find(browser, "#recovery-codes").find_elements(By.TAG_NAME, "li")
    assert len(codes) == 10 and all(len(c.text.strip()) == 11 for c in codes), [c.text for c in codes]
    shoot(browser, "02b-recovery-codes")
    find(browser, "#recovery-continue").click()
    find(browser, "#login-message", text="Authenticator enrolled")
    # A login with the password alone is refused now; with a fresh code it opens the console.
    find(browser, "#login-name").send_keys(demo.admin)
    find(browser, "#login-password").send_keys(demo.password)
    find(browser, "#login-form button[type=submit]").click()
    find(browser, "#login-form .error", text="one-time code")
    # The refused login is the only error the browser saw (Chrome logs the 401 of that request).
    refused = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert all("api/v1/login" in m and "401" in m for m in refused), refused
    find(browser, "#login-code").send_keys(totp(secret))
    find(browser, "#login-form button[type=submit]").click()
    time.sleep(1)
    if browser.find_elements(By.CSS_SELECTOR, "#login-form .error") and "used already" in browser.find_element(By.CSS_SELECTOR, "#login-form .error").text:
        browser.get_log("browser")
        time.sleep(30 - time.time() % 30 + 1)  # that code was spent on the enrolment: take the next one
        code = find(browser, "#login-code")
        code.clear()
        code.send_keys(totp(secret))
        find(browser, "#login-form button[type=submit]").click()
    find(browser, "#asset-tree a[href='#/twin/cnc-01']")
    find(browser, "#trust-distribution .legend")
    find(browser, "#ingest-value", text=".")
    shoot(browser, "03-overview")

    # A twin: live values change.
    browser.get(demo.url + "#/twin/engine-port")
    value = find(browser, "#value-rpm")
    first = value.text
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "#value-rpm").text != first, "rpm never changed")
    find(browser, "#chart-rpm")
    find(browser, "#twin-graph svg")
    shoot(browser, "04-twin-engine-port")

    # Desired state on a CNC: the device acknowledges it by reporting it back.
    browser.get(demo.url + "#/twin/cnc-01")
    field = find(browser, "#desired-feed_rate_percent")
    field.clear()
    field.send_keys("120")
    find(browser, "#state-feed_rate_percent button").click()
    find(browser, "#state-feed_rate_percent .reported", text="120", timeout=60)
    find(browser, "#state-feed_rate_percent .ack", text="acknowledged", timeout=60)
    find(browser, "#rul-value")
    # The simulation panel: a projected trajectory.
    power = find(browser, "#sim-power")
    power.clear()
    power.send_keys("30")
    find(browser, "#sim-form button[type=submit]").click()
    find(browser, "#sim-result", text="temperature")
    shoot(browser, "05-twin-cnc-01")

    # Security: quarantine a healthy device and see it cut off.
    browser.get(demo.url + "#/security")
    find(browser, "#device-pump-01")
    find(browser, "#quarantine-pump-01").click()
    find(browser, "#device-pump-01", text="quarantined")
    last = lambda: demo.api("/twins/pump-01")["telemetry"]["flow_m3_h"]["time"]
    def stopped():
        before = last()
        time.sleep(3)
        return last() == before
    wait_for(stopped, 30, "pump-01's telemetry to stop")
    find(browser, "#denied-feed", text="pump-01", timeout=30)
    find(browser, "#token-twin").send_keys("cnc-04")
    find(browser, "#token-form button[type=submit]").click()
    token = find(browser, "#token-value").text
    assert token.count(".") == 2
    shoot(browser, "06-security")

    # The audit viewer: the chain is intact and the quarantine is there, by this user.
    browser.get(demo.url + "#/audit")
    find(browser, "#audit-status", text="chain intact")
    find(browser, "#audit-search").send_keys("quarantined from the console")
    find(browser, "#audit-table td", text="device.tier")
    assert demo.admin in find(browser, "#audit-table tbody").text
    shoot(browser, "07-audit")

    # Alerts: the bearing's maintenance alert, acknowledged here (an operator's act, audited).
    browser.get(demo.url + "#/alerts")
    find(browser, "#alert-table", text="maintenance-due")
    browser.find_element(By.XPATH, "//tr[contains(., 'maintenance-due')]//button[text()='Acknowledge']").click()
    find(browser, "#alert-status option")
    Select(find(browser, "#alert-status")).select_by_value("acknowledged")
    find(browser, "#alert-table tr", text="maintenance-due")
    assert any(e["action"] == "alert.acknowledge" and e["actor"] == demo.admin for e in demo.api("/audit?limit=1000")["entries"])
    shoot(browser, "08-alerts")

    # Users: add a viewer limited to one site.
    browser.get(demo.url + "#/users")
    find(browser, "#user-table", text=demo.admin)
    find(browser, "#user-name").send_keys("harbour-viewer")
    Select(find(browser, "#user-role")).select_by_value("viewer")
    find(browser, "#user-password").send_keys("a viewer's long passphrase")
    find(browser, "#user-sites").send_keys("mv-nordlys")
    find(browser, "#user-form button[type=submit]").click()
    find(browser, "#user-table tr", text="harbour-viewer")
    assert "mv-nordlys" in find(browser, "#user-table tr", text="harbour-viewer").text
    shoot(browser, "09-users")
    # The lifecycle from the same table: disable the viewer (audited; the server says so), then enable it.
    find(browser, "#user-table tr[data-user='harbour-viewer'] button", text="Disable").click()
    find(browser, "#user-table tr[data-user='harbour-viewer']", text="disabled")
    viewer = [u for u in demo.api("/users")["items"] if u["name"] == "harbour-viewer"][0]
    assert viewer["disabled"] is True
    find(browser, "#user-table tr[data-user='harbour-viewer'] button", text="Enable").click()
    find(browser, "#user-table tr[data-user='harbour-viewer']", text="active")
    assert any(e["action"] == "user.update" and e["target"] == "harbour-viewer" and "disabled" in e["detail"]
               for e in demo.api("/audit?limit=1000")["entries"])
    # One's own tokens and sessions, each with Revoke: this browser's session is listed.
    find(browser, "#show-my-tokens").click()
    find(browser, "#my-tokens tr[data-token]", text="session")

    # Tablet width: the overview still lays out.
    browser.set_window_size(800, 1100)
    browser.get(demo.url + "#/overview")
    find(browser, "#asset-tree a")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 800
    shoot(browser, "10-overview-tablet")


def test_the_printed_setup_page_creates_the_first_administrator(server_factory, browser):
    """`serve` on a new data dir prints /setup?token=…: that page makes the first administrator, whose first
    login leads to the authenticator enrolment; the token works once."""
    from test_identity import SECURE
    from test_users import setup_token
    server = server_factory(expect=SECURE)
    token = setup_token(server)
    url = "http://127.0.0.1:%d/" % server.http_port
    browser.set_window_size(1366, 900)
    browser.get(url + "setup?token=" + token)
    form = find(browser, "#setup-form")
    assert form.find_element(By.NAME, "token").get_attribute("value") == token
    form.find_element(By.NAME, "username").send_keys("chief")
    form.find_element(By.NAME, "password").send_keys("a long enough passphrase")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    find(browser, "#login-message", text="The administrator exists")
    assert browser.current_url == url  # the token is not left in the address bar
    shoot(browser, "11-setup-done")
    find(browser, "#login-name").send_keys("chief")
    find(browser, "#login-password").send_keys("a long enough passphrase")
    find(browser, "#login-form button[type=submit]").click()
    find(browser, "#enrol-secret")
    shoot(browser, "12-first-admin-enrol")
    browser.get(url + "setup?token=" + token)
    form = find(browser, "#setup-form")
    form.find_element(By.NAME, "username").send_keys("second")
    form.find_element(By.NAME, "password").send_keys("a long enough passphrase")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    refusal = WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "#setup-form .error").text.strip())
    assert "token" in refusal.lower(), refusal
    browser.get_log("browser")  # the refused setup's 403 is expected
