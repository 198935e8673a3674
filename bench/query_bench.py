#!/usr/bin/env python3
"""bench/query_bench.py: the query generator and the report of bench/query_bench.sh.

  query_bench.py gen --scale N --start RFC3339 --end RFC3339 --seed S --counts SPEC --out FILE
      Write the TSBS devops queries (cpu-only data) as "TYPE<TAB>INFLUXQL" lines, the types in
      the order of TYPES below. The InfluxQL text is the one TSBS's influx query generator
      (cmd/tsbs_generate_queries/databases/influx/devops.go) produces; hosts and time windows
      are drawn as TSBS draws them (a random subset of host_0..host_{N-1} in random order; a
      window of the type's length starting uniformly in [start, end - length), printed in
      RFC 3339 at second precision) but from Python's seeded PRNG, so the queries are not
      byte-identical to a TSBS run, only of the same shape and distribution. A window longer
      than the data (--quick runs) is the whole data range.
      SPEC: "default=50,double-groupby-all=10,..." (a count per type, default for the rest).

  query_bench.py report --queries FILE --dir DIR --a NAME --b NAME [--markdown FILE]
      Compare the answers the driver saved (DIR/<A>/<line>.json, DIR/<B>/<line>.json: same
      HTTP status, same JSON with numbers equal to a relative 1e-9) and print per type the
      median and p90 latency of each server and the ratio B/A of the medians. Every mismatch
      is printed with the query; the exit status is 1 when any answer differs.
"""
import argparse
import datetime as dt
import json
import math
import random
import sys

CPU_METRICS = ["usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
               "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"]

HOUR = 3600
# TSBS: DoubleGroupByDuration = HighCPUDuration = 12h, MaxAllDuration = 8h.
TYPES = ["single-groupby-1-1-1", "single-groupby-1-1-12", "single-groupby-1-8-1",
         "single-groupby-5-1-1", "single-groupby-5-1-12", "single-groupby-5-8-1",
         "cpu-max-all-1", "cpu-max-all-8", "double-groupby-1", "double-groupby-5",
         "double-groupby-all", "high-cpu-1", "high-cpu-all", "lastpoint",
         "groupby-orderby-limit"]
# The 13 types the issue names (the two other single-groupby variants of TSBS are generated
# only when asked for with --types).
DEFAULT_TYPES = ["single-groupby-1-1-1", "single-groupby-1-1-12", "single-groupby-5-1-1",
                 "single-groupby-5-8-1", "cpu-max-all-1", "cpu-max-all-8", "double-groupby-1",
                 "double-groupby-5", "double-groupby-all", "high-cpu-1", "high-cpu-all",
                 "lastpoint", "groupby-orderby-limit"]


def parse_time(s):
    return int(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=dt.timezone.utc).timestamp())


def fmt_time(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Gen:
    def __init__(self, scale, start, end, seed):
        self.scale = scale
        self.start = start
        self.end = end
        self.rng = random.Random(seed)

    def window(self, length):
        """TSBS RandWindow: start uniform in [start, end - length)."""
        if length >= self.end - self.start:
            return self.start, self.end
        s = self.start + self.rng.randrange(self.end - length - self.start)
        return s, s + length

    def hosts_where(self, n):
        hosts = self.rng.sample(range(self.scale), min(n, self.scale))
        return "(" + " or ".join("hostname = 'host_%d'" % h for h in hosts) + ")"

    def group_by_time(self, n_hosts, n_metrics, hours):
        s, e = self.window(hours * HOUR)
        sel = ", ".join("max(%s)" % m for m in CPU_METRICS[:n_metrics])
        return ("SELECT %s from cpu where %s and time >= '%s' and time < '%s' group by time(1m)"
                % (sel, self.hosts_where(n_hosts), fmt_time(s), fmt_time(e)))

    def max_all(self, n_hosts):
        s, e = self.window(8 * HOUR)
        sel = ",".join("max(%s)" % m for m in CPU_METRICS)
        return ("SELECT %s from cpu where %s and time >= '%s' and time < '%s' group by time(1h)"
                % (sel, self.hosts_where(n_hosts), fmt_time(s), fmt_time(e)))

    def double_group_by(self, n_metrics):
        s, e = self.window(12 * HOUR)
        sel = ", ".join("mean(%s)" % m for m in CPU_METRICS[:n_metrics])
        return ("SELECT %s from cpu where time >= '%s' and time < '%s' group by time(1h),hostname"
                % (sel, fmt_time(s), fmt_time(e)))

    def high_cpu(self, n_hosts):
        s, e = self.window(12 * HOUR)
        hw = "" if n_hosts == 0 else "and %s" % self.hosts_where(n_hosts)
        return ("SELECT * from cpu where usage_user > 90.0 %s and time >= '%s' and time < '%s'"
                % (hw, fmt_time(s), fmt_time(e)))

    def lastpoint(self):
        return 'SELECT * from cpu group by "hostname" order by time desc limit 1'

    def groupby_orderby_limit(self):
        _, e = self.window(HOUR)
        return ("SELECT max(usage_user) from cpu WHERE time < '%s' group by time(1m) limit 5"
                % fmt_time(e))

    def query(self, t):
        if t.startswith("single-groupby-"):
            m, h, hours = (int(x) for x in t[len("single-groupby-"):].split("-"))
            return self.group_by_time(h, m, hours)
        if t.startswith("cpu-max-all-"):
            return self.max_all(int(t[len("cpu-max-all-"):]))
        if t.startswith("double-groupby-"):
            n = t[len("double-groupby-"):]
            return self.double_group_by(len(CPU_METRICS) if n == "all" else int(n))
        if t == "high-cpu-all":
            return self.high_cpu(0)
        if t.startswith("high-cpu-"):
            return self.high_cpu(int(t[len("high-cpu-"):]))
        if t == "lastpoint":
            return self.lastpoint()
        if t == "groupby-orderby-limit":
            return self.groupby_orderby_limit()
        raise SystemExit("unknown query type " + t)


def parse_counts(spec):
    counts = {"default": 50}
    for item in filter(None, spec.split(",")):
        k, v = item.split("=")
        counts[k.strip()] = int(v)
    return counts


def cmd_gen(a):
    counts = parse_counts(a.counts)
    types = a.types.split(",") if a.types else DEFAULT_TYPES
    g = Gen(a.scale, parse_time(a.start), parse_time(a.end), a.seed)
    with open(a.out, "w") as f:
        for t in types:
            for _ in range(counts.get(t, counts["default"])):
                f.write("%s\t%s\n" % (t, g.query(t)))


def same(x, y, path, diffs):
    """Structural equality, numbers to a relative 1e-9 (ints and floats alike)."""
    if isinstance(x, bool) or isinstance(y, bool):
        if x is not y:
            diffs.append("%s: %r != %r" % (path, x, y))
        return
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        if x == y:
            return
        if math.isfinite(x) and math.isfinite(y) and \
                abs(x - y) <= 1e-9 * max(abs(x), abs(y)):
            return
        diffs.append("%s: %r != %r" % (path, x, y))
        return
    if type(x) is not type(y):
        diffs.append("%s: %r != %r" % (path, x, y))
        return
    if isinstance(x, dict):
        if set(x) != set(y):
            diffs.append("%s: keys %s != %s" % (path, sorted(x), sorted(y)))
            return
        for k in x:
            same(x[k], y[k], path + "." + k, diffs)
    elif isinstance(x, list):
        if len(x) != len(y):
            diffs.append("%s: length %d != %d" % (path, len(x), len(y)))
        for i, (u, v) in enumerate(zip(x, y)):
            same(u, v, "%s[%d]" % (path, i), diffs)
            if len(diffs) > 5:
                return
    elif x != y:
        diffs.append("%s: %r != %r" % (path, x, y))


def pct(v, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(v)
    k = max(0, min(len(s) - 1, int(math.ceil(p / 100.0 * len(s))) - 1))
    return s[k]


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def fmt_ms(us):
    ms = us / 1000.0
    return "%.3f" % ms if ms < 10 else "%.1f" % ms if ms < 1000 else "%.0f" % ms


def cmd_report(a):
    queries = [l.rstrip("\n").split("\t", 1) for l in open(a.queries)]
    lat = {}
    status = {}
    sizes = {}
    with open(a.dir + "/latency.tsv") as f:
        next(f)
        for row in f:
            line, typ, srv, st, us, nbytes = row.rstrip("\n").split("\t")
            lat.setdefault((typ, srv), []).append(float(us))
            status[(int(line), srv)] = int(st)
            sizes.setdefault((typ, srv), []).append(int(nbytes))
    mismatches = 0
    bad_by_type = {}
    for i, (typ, q) in enumerate(queries, 1):
        diffs = []
        sa, sb = status.get((i, a.a)), status.get((i, a.b))
        if sa != sb:
            diffs.append("HTTP status %s != %s" % (sa, sb))
        try:
            ja = json.load(open("%s/%s/%d.json" % (a.dir, a.a, i)))
            jb = json.load(open("%s/%s/%d.json" % (a.dir, a.b, i)))
            same(ja, jb, "$", diffs)
            if sa != 200 or "error" in json.dumps(ja)[:200]:
                diffs.append("not a successful answer: %s" % json.dumps(ja)[:300])
        except (OSError, ValueError) as e:
            diffs.append("unreadable answer: %s" % e)
        if diffs:
            mismatches += 1
            bad_by_type[typ] = bad_by_type.get(typ, 0) + 1
            print("MISMATCH line %d [%s] %s" % (i, typ, q), file=sys.stderr)
            for d in diffs[:6]:
                print("    " + d, file=sys.stderr)
    types = []
    for typ, _ in queries:
        if typ not in types:
            types.append(typ)
    head = ("| query type | n | %s median ms | %s p90 ms | %s median ms | %s p90 ms | "
            "ratio %s/%s | answer bytes | identical |" % (a.a, a.a, a.b, a.b, a.b, a.a))
    out = [head, "|" + "---|" * 9]
    for typ in types:
        la, lb = lat.get((typ, a.a), []), lat.get((typ, a.b), [])
        if not la or not lb:
            continue
        ratio = median(lb) / median(la)
        out.append("| %s | %d | %s | %s | %s | %s | **%.1fx** | %d | %s |" % (
            typ, len(la), fmt_ms(median(la)), fmt_ms(pct(la, 90)), fmt_ms(median(lb)),
            fmt_ms(pct(lb, 90)), ratio, int(median(sizes[(typ, a.a)])),
            "yes" if typ not in bad_by_type else "**NO (%d)**" % bad_by_type[typ]))
    text = "\n".join(out)
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text + "\n")
    if mismatches:
        print("query_bench: %d of %d answers DIFFER between %s and %s (see above)"
              % (mismatches, len(queries), a.a, a.b), file=sys.stderr)
        return 1
    print("query_bench: all %d answers identical" % len(queries), file=sys.stderr)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--scale", type=int, required=True)
    g.add_argument("--start", required=True)
    g.add_argument("--end", required=True)
    g.add_argument("--seed", type=int, default=321)
    g.add_argument("--counts", default="")
    g.add_argument("--types", default="")
    g.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("--queries", required=True)
    r.add_argument("--dir", required=True)
    r.add_argument("--a", required=True)
    r.add_argument("--b", required=True)
    r.add_argument("--markdown")
    a = p.parse_args()
    if a.cmd == "gen":
        cmd_gen(a)
        return 0
    return cmd_report(a)


if __name__ == "__main__":
    sys.exit(main())
