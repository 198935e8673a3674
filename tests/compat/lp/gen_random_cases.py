#!/usr/bin/env python3
"""
Differential check of the parser against a live InfluxDB 1.x with random
bodies: mutates the bodies of gen_cases.py's CASES (seeded), records them
like gen_cases.py, and marks cases answered by the storage layer. Then:

    python3 gen_random_cases.py http://127.0.0.1:18086 /tmp/lprand 1500 [seed]
    cp strata-differences.txt /tmp/lprand/
    STRATA_LP_CASES_DIR=/tmp/lprand build/tests/unit_lineproto_compat

Expected noise in the points comparison (not parser differences): the same
field name with different types in different shards or measurements (the
query merges columns), fields named "time", empty field names (InfluxQL
calls them val0), and error texts with invalid UTF-8 (the JSON answer
replaces it with U+FFFD). Not part of the normal test run.
"""
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18086"
    outdir = sys.argv[2] if len(sys.argv) > 2 else "/tmp/lprand"
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1500
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 20261124
    src = open(os.path.join(HERE, "gen_cases.py")).read()
    ns = {}
    exec(compile(src.replace('if __name__ == "__main__":\n    main()', ""), "gen", "exec"), ns)
    bodies = [b for (_, b, _, _) in ns["CASES"] if len(b) < 400]
    rnd = random.Random(seed)
    alphabet = b', =\\"\n\r\t#.-ieE0123456789tfTFu xa'
    cases = []
    for k in range(count):
        body = bytearray(b"\n".join(rnd.choice(bodies) for _ in range(rnd.randint(1, 3))))
        for _ in range(rnd.randint(1, 4)):
            op, pos = rnd.randint(0, 2), rnd.randint(0, len(body))
            c = alphabet[rnd.randint(0, len(alphabet) - 1)]
            if op == 0:
                body.insert(pos, c)
            elif pos < len(body):
                if op == 1:
                    del body[pos]
                else:
                    body[pos] = c
        cases.append(("rand-%04d" % k, bytes(body), None, ""))
    ns["CASES"][:] = cases
    os.makedirs(outdir, exist_ok=True)
    raw = os.path.join(outdir, "cases.raw")
    sys.argv = ["gen_cases.py", base]
    saved = sys.stdout
    with open(raw, "w") as f:
        sys.stdout = f
        ns["main"]()
    sys.stdout = saved
    blocks = open(raw).read().split("\ncase\t")
    out = [blocks[0]]
    for b in blocks[1:]:
        if any(t in b for t in ("field type conflict", "invalid field name", "invalid tag key",
                                "\nstatus\t500", "engine:")):
            name, rest = b.split("\n", 1)
            b = name + "\nflags\tstorage\n" + rest
        out.append(b)
    open(os.path.join(outdir, "cases.txt"), "w").write("\ncase\t".join(out))


if __name__ == "__main__":
    main()
