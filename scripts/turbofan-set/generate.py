#!/usr/bin/env python3
"""Generates a turbofan-like run-to-failure set in NASA C-MAPSS's format, for trying
`twinguard eval rul` where the real data is not at hand and for the tests.

Each unit starts with some wear of its own and wears exponentially towards failure; 14 of 21 sensors
move with wear (some up, some down) under noise, 7 stay constant; with --regimes 6 every cycle runs
in one of six operating regimes that shift every sensor far more than wear does (as in FD002/FD004).

Writes OUT/train.txt (run to failure), OUT/test.txt (each unit cut at a random cycle) and
OUT/truth.txt (the true RUL after each test unit's last cycle).

    scripts/turbofan-set/generate.py OUT [--units 100] [--regimes 1|6] [--seed N]
"""
import argparse
import math
import os
import random

REGIMES = [(0, 0, 100), (10, 0.25, 100), (20, 0.7, 100), (25, 0.62, 60), (35, 0.84, 100), (42, 0.84, 100)]


def make_unit(rng, regimes, sensors):
    life = int(128 + rng.gammavariate(2.0, 40))
    k = rng.uniform(3, 6)
    w0 = rng.uniform(0, 0.15)
    rows = []
    for t in range(1, life + 1):
        wear = w0 + (1 - w0) * (math.exp(k * t / life) - 1) / (math.exp(k) - 1)
        r = rng.randrange(len(regimes))
        setting = regimes[r]
        settings = [setting[0] + rng.gauss(0, 0.002), setting[1] + rng.gauss(0, 0.0003), setting[2]]
        values = []
        for base, shift, sensitivity, noise in sensors:
            values.append(base + shift * r + sensitivity * wear + rng.gauss(0, noise))
        rows.append((t, settings, values))
    return rows


def write(path, units):
    with open(path, "w") as f:
        for unit, rows in units:
            for t, settings, values in rows:
                f.write(f"{unit} {t} " + " ".join(f"{v:.4f}" for v in settings) + " " + " ".join(f"{v:.2f}" for v in values) + " \n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--regimes", type=int, choices=[1, 6], default=1)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    regimes = REGIMES[: args.regimes]
    sensors = []
    for index in range(21):
        base = rng.uniform(10, 2000)
        shift = rng.uniform(-0.05, 0.05) * base if args.regimes > 1 else 0
        informative = index not in (0, 4, 5, 9, 15, 17, 18)
        noise = base * rng.uniform(0.0005, 0.002)
        sensitivity = (rng.choice([-1, 1]) * noise * rng.uniform(2, 5)) if informative else 0
        sensors.append((base, shift, sensitivity, noise if informative else 0))
    os.makedirs(args.out, exist_ok=True)
    train = [(u + 1, make_unit(rng, regimes, sensors)) for u in range(args.units)]
    test, truth = [], []
    for u in range(args.units):
        rows = make_unit(rng, regimes, sensors)
        # As in C-MAPSS: the true remaining life of a test unit lies between a few and ~150 cycles.
        cut = len(rows) - rng.randint(7, min(150, len(rows) - 31))
        test.append((u + 1, rows[:cut]))
        truth.append(len(rows) - cut)
    write(os.path.join(args.out, "train.txt"), train)
    write(os.path.join(args.out, "test.txt"), test)
    with open(os.path.join(args.out, "truth.txt"), "w") as f:
        f.write("\n".join(str(t) for t in truth) + "\n")


if __name__ == "__main__":
    main()
