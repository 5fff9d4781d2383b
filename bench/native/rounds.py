"""Merge the native benchmark's rounds into one file of rows: each row's value is its median over
the rounds.

This machine's speed moves in phases of minutes (a run of the same binary took 7,500 samples/s in
one phase and 15,800 in another), so the core and PyTorch are measured in alternating rounds, one
run each per round, instead of all of one and then all of the other, which made their ratio swing
with the phase each fell in. The order within a round is swapped every round: in one run of three
rounds, all core first, the machine sped up within each round, so PyTorch, always second, ran in
the faster part of every round. With an even number of rounds each framework goes first as often.
scripts/bench.sh runs the rounds and calls this.

Usage: python3 bench/native/rounds.py ROUND.json [ROUND.json ...] [--out reports/bench-native.json]
(each ROUND.json an array of { name, value, unit, note } from one run of bench_native or torch_cpu.py)
"""
import argparse
import json
import re
import statistics

from rows import merge_rows


def merged(rounds):
    by_name = {}
    for rows in rounds:
        for row in rows:
            by_name.setdefault(row["name"], []).append(row)
    out = []
    for name, rows in by_name.items():
        n = len(rows)
        value = statistics.median([r["value"] for r in rows])
        # "1 runs x 3 epochs" -> what the median is over
        note = re.sub(r"\b1 runs? x", f"median of {n} runs, in rounds alternating with the other framework's (the order swapped every round), each", rows[0].get("note", ""))
        if n > 1 and note == rows[0].get("note", ""):
            note = f"{note}; median of {n} rounds" if note else f"median of {n} rounds"
        out.append({**rows[0], "value": value, "note": note, "rounds": [r["value"] for r in rows]})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rounds", nargs="+")
    ap.add_argument("--out", default="reports/bench-native.json")
    args = ap.parse_args()
    rounds = []
    for path in args.rounds:
        with open(path) as f:
            rounds.append(json.load(f))
    merge_rows(args.out, merged(rounds))


if __name__ == "__main__":
    main()
