#!/usr/bin/env python3
"""Generates TwinGuard's labelled synthetic anomaly set: real-world-like streams (sensor, server,
traffic, click and utility data at 5-minute or hourly steps, with daily cycles, heavy-tailed noise,
harmless bursts and wandering levels) with injected anomalies of every kind the detector claims:
spikes, level shifts, drift, variance change, stuck sensors, seasonal pattern breaks.

Writes DIR/<category>/<name>.csv (timestamp,value) and DIR/labels.json in the Numenta Anomaly
Benchmark's manner: one window per anomaly, 10 % of the file's length shared among its anomalies,
centred on the anomaly's start.

    scripts/anomaly-set/generate.py OUT_DIR [--seed N]
"""
import argparse
import datetime
import json
import math
import os
import random

START = datetime.datetime(2026, 3, 2, 0, 0, 0)


def timestamps(n, step_minutes):
    return [START + datetime.timedelta(minutes=step_minutes * i) for i in range(n)]


def daily(t, peaks):
    """Sum of Gaussian bumps at the given (hour, width h, height) of the day."""
    h = t.hour + t.minute / 60
    return sum(a * math.exp(-((h - c) ** 2) / (2 * w * w)) for c, w, a in peaks)


def heavy(rng, scale):
    """Student-t-like noise: mostly Gaussian, now and then a large harmless excursion."""
    x = rng.gauss(0, scale)
    if rng.random() < 0.02:
        x *= rng.uniform(3, 6)
    return x


def machine_temperature(rng, n):
    ts, v, level, a = timestamps(n, 5), [], 80.0, 0.0
    drift_at, drop_at = int(n * 0.45), int(n * 0.8)
    for i in range(n):
        level += rng.gauss(0, 0.05)
        a = 0.9 * a + rng.gauss(0, 0.6)
        x = level + a
        if drift_at <= i < drift_at + 300:
            x += (i - drift_at) * 0.06
        if drop_at <= i < drop_at + 120:
            x -= 35
        v.append(x)
    return ts, v, [drift_at, drop_at]


def cpu_utilisation(rng, n):
    ts, v = timestamps(n, 5), []
    shift_at, var_at = int(n * 0.35), int(n * 0.72)
    for i in range(n):
        x = 30 + daily(ts[i], [(14, 3, 8)]) + heavy(rng, 3)
        if rng.random() < 0.01:
            x += rng.uniform(20, 40)  # a cron job: normal here
        if shift_at <= i < shift_at + 60:
            x += 45
        if var_at <= i < var_at + 150:
            x += rng.gauss(0, 15)
        v.append(min(max(x, 0), 100))
    return ts, v, [shift_at, var_at]


def traffic_occupancy(rng, n):
    ts, v = timestamps(n, 5), []
    missing_day, stuck_at, spike_at = 8, int(n * 0.82), int(n * 0.4) + 37
    stuck_value = None
    for i, t in enumerate(ts):
        weekend = t.weekday() >= 5
        peaks = [(8, 1.2, 40), (17.5, 1.5, 45)] if not weekend else [(13, 3, 15)]
        if (t - START).days == missing_day:
            peaks = [(13, 3, 10)]  # the morning and evening peaks do not come
        x = 8 + daily(t, peaks) + rng.gauss(0, 2.5)
        if i == spike_at:
            x += 70
        if stuck_at <= i < stuck_at + 72:
            stuck_value = stuck_value if stuck_value is not None else round(x, 1)
            x = stuck_value
        v.append(max(x, 0))
    missing_at = missing_day * 288 + 6 * 12
    return ts, v, sorted([missing_at, stuck_at, spike_at])


def ad_clicks(rng, n):
    ts, v = timestamps(n, 60), []
    surge_at, zero_at = int(n * 0.5), int(n * 0.85)
    for i, t in enumerate(ts):
        lam = 20 + daily(t, [(20, 3, 40)])
        if surge_at <= i < surge_at + 4:
            lam *= 4
        x = poisson(rng, lam)
        if zero_at <= i < zero_at + 6:
            x = 0
        v.append(x)
    return ts, v, [surge_at, zero_at]


def poisson(rng, lam):
    if lam > 50:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def request_latency(rng, n):
    ts, v = timestamps(n, 5), []
    shift_at = int(n * 0.6)
    for i in range(n):
        x = math.exp(rng.gauss(math.log(120), 0.25))
        if rng.random() < 0.015:
            x *= rng.uniform(2, 4)  # a garbage-collection pause: normal here
        if shift_at <= i < shift_at + 200:
            x *= 2.5
        v.append(x)
    return ts, v, [shift_at]


def pump_vibration(rng, n):
    ts, v = timestamps(n, 5), []
    wear_at, spike_at = int(n * 0.55), int(n * 0.3)
    for i in range(n):
        sd = 0.05
        if i >= wear_at:
            sd *= 1 + min((i - wear_at) / 150, 3)
        x = 1.2 + rng.gauss(0, sd)
        if i == spike_at:
            x += 1.5
        v.append(x)
    return ts, v, [spike_at, wear_at]


def stuck_pressure(rng, n):
    ts, v, a = timestamps(n, 5), [], 0.0
    stuck_at = int(n * 0.5)
    stuck = None
    for i in range(n):
        a = 0.8 * a + rng.gauss(0, 0.03)
        x = round(6.0 + a + 0.2 * math.sin(2 * math.pi * i / 288), 3)
        if stuck_at <= i < stuck_at + 100:
            stuck = stuck if stuck is not None else x
            x = stuck
        v.append(x)
    return ts, v, [stuck_at]


def tank_level(rng, n):
    ts, v = timestamps(n, 5), []
    leak_at = int(n * 0.65)
    level, filling = 50.0, True
    for i in range(n):
        level += 1.2 if filling else -0.8
        if level >= 90:
            filling = False
        if level <= 20:
            filling = True
        if leak_at <= i < leak_at + 250:
            level -= 0.35
        v.append(level + rng.gauss(0, 0.3))
    return ts, v, [leak_at]


def energy_meter(rng, n):
    ts, v = timestamps(n, 60), []
    night_day = 40
    for i, t in enumerate(ts):
        x = 12 + daily(t, [(9, 2, 25), (14, 3, 30), (19, 2, 20)]) + heavy(rng, 1.5)
        if (t - START).days == night_day and (t.hour >= 22 or t.hour < 5):
            x += 35  # machines left running overnight
        v.append(max(x, 0))
    night_at = night_day * 24 + 22
    return ts, v, [night_at]


def ambient_temperature(rng, n):
    ts, v, a = timestamps(n, 60), [], 0.0
    drift_at = int(n * 0.6)
    for i, t in enumerate(ts):
        a = 0.95 * a + rng.gauss(0, 0.3)
        x = 18 + 4 * math.sin(2 * math.pi * (t.hour - 9) / 24) + a + i * 0.002
        if i >= drift_at:
            x += min((i - drift_at) * 0.03, 6)  # a sensor that starts to read high
        v.append(x)
    return ts, v, [drift_at]


SERIES = [
    ("machine", "machine_temperature", machine_temperature, 4032),
    ("server", "cpu_utilisation", cpu_utilisation, 4032),
    ("server", "request_latency_ms", request_latency, 4032),
    ("traffic", "occupancy", traffic_occupancy, 4032),
    ("traffic", "ad_clicks_hourly", ad_clicks, 1680),
    ("machine", "pump_vibration", pump_vibration, 4032),
    ("machine", "line_pressure", stuck_pressure, 4032),
    ("utility", "tank_level", tank_level, 4032),
    ("utility", "energy_meter_hourly", energy_meter, 1680),
    ("utility", "ambient_temperature_hourly", ambient_temperature, 1680),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    labels = {}
    for index, (folder, name, make, n) in enumerate(SERIES):
        rng = random.Random(args.seed * 100 + index)
        ts, values, onsets = make(rng, n)
        path = f"{folder}/{name}.csv"
        os.makedirs(os.path.join(args.out, folder), exist_ok=True)
        with open(os.path.join(args.out, path), "w") as f:
            f.write("timestamp,value\n")
            for t, x in zip(ts, values):
                f.write(f"{t:%Y-%m-%d %H:%M:%S},{x:.3f}\n" if isinstance(x, float) else f"{t:%Y-%m-%d %H:%M:%S},{x}\n")
        width = max(int(0.1 * n / len(onsets)), 2)
        windows = []
        for onset in onsets:
            a, b = max(onset - width // 2, 0), min(onset + width // 2, n - 1)
            windows.append([f"{ts[a]:%Y-%m-%d %H:%M:%S}", f"{ts[b]:%Y-%m-%d %H:%M:%S}"])
        labels[path] = windows
    with open(os.path.join(args.out, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
