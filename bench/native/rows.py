"""The native benchmark's output file: a JSON array of { name, value, unit, note } rows, which the
core's example (examples/bench_native.rs) writes too; this write is torch_cpu.py's and rounds.py's."""
import json


def merge_rows(path, rows):
    """Write `rows` into the array at `path`, replacing rows of the same name."""
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        old = []
    names = {r["name"] for r in rows}
    with open(path, "w") as f:
        json.dump([r for r in old if r["name"] not in names] + rows, f, indent=2)
        f.write("\n")
    print("wrote", path)
