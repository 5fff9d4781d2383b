"""The native benchmark's output file: a JSON array of { name, value, unit, note } rows, shared by
the core's (examples/bench_native.rs), PyTorch's (torch_cpu.py) and the rounds' merge (rounds.py)."""
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
