#!/usr/bin/env python3
"""tests/compat/query/compat.py: InfluxDB's side of the differential test and the
comparison of both sides (standard library only).

  compat.py write URL DB FILE.lp         create DB and write the file (precision ns)
  compat.py query URL QUERIES OUTDIR     run each request against InfluxDB, write
                                         OUTDIR/NNNN.out ("status content-type" line,
                                         then the body) as qdriver does
  compat.py compare QUERIES EXPECTED ACTUAL [--verbose]
                                         compare answer by answer: same status, same
                                         content type, same body; JSON bodies are
                                         compared as values with floats equal to a
                                         relative 1e-9, and pretty bodies must also
                                         have the same layout; prints a summary and
                                         exits 1 on any difference

Request lines are "OPTIONS<TAB>QUERY" (see qdriver.c); "#" lines are comments. A
request whose options contain "known=..." is reported but not counted as a
failure (a documented difference).
"""
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def read_requests(path):
    reqs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line or line.startswith("#"):
                continue
            opts, q = "", line
            if "\t" in line:
                opts, q = line.split("\t", 1)
            o = {}
            for part in opts.split("&") if opts else []:
                if "=" in part:
                    k, v = part.split("=", 1)
                    o[k] = v
            reqs.append((o, q))
    return reqs


def http(url, method, params, headers):
    data = urllib.parse.urlencode(params).encode()
    if method == "GET":
        req = urllib.request.Request(url + "?" + data.decode(), headers=headers)
    else:
        hdrs = dict(headers)
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(url, data=data, headers=hdrs, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def cmd_write(url, db, path):
    http(url + "/query", "POST", {"q": 'CREATE DATABASE "%s"' % db}, {})
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for i in range(0, len(lines), 5000):
        body = b"\n".join(lines[i:i + 5000])
        req = urllib.request.Request(
            url + "/write?db=" + urllib.parse.quote(db) + "&precision=ns", data=body, method="POST"
        )
        try:
            urllib.request.urlopen(req, timeout=120).read()
        except urllib.error.HTTPError as e:
            sys.stderr.write("write %s: %s %s\n" % (path, e.code, e.read()[:300]))


def cmd_query(url, qpath, outdir):
    import os

    os.makedirs(outdir, exist_ok=True)
    for i, (o, q) in enumerate(read_requests(qpath), 1):
        if "write" in o:
            # write&db=..&rp=..<TAB>line protocol, with \n between lines
            qs = {k: o[k] for k in ("db", "rp", "precision") if k in o}
            req = urllib.request.Request(url + "/write?" + urllib.parse.urlencode(qs),
                                         data=q.replace("\\n", "\n").encode(), method="POST")
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    status, ctype, body = r.status, "", r.read()
            except urllib.error.HTTPError as e:
                status, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
            with open("%s/%04d.out" % (outdir, i), "wb") as f:
                f.write(("%d %s\n" % (status, ctype)).encode())
                f.write(body)
            continue
        params = {"q": q}
        for k in ("db", "rp", "epoch", "pretty", "chunked", "chunk_size", "params"):
            if k in o:
                params[k] = o[k]
        headers = {}
        if "csv" in o:
            headers["Accept"] = "application/csv"
        status, ctype, body = http(url + "/query", o.get("method", "GET"), params, headers)
        with open("%s/%04d.out" % (outdir, i), "wb") as f:
            f.write(("%d %s\n" % (status, ctype)).encode())
            f.write(body)


# ---- comparison -----------------------------------------------------------------------------

def num_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    fa, fb = float(a), float(b)
    if fa == fb:
        return True
    return abs(fa - fb) <= 1e-9 * max(abs(fa), abs(fb))


def json_equal(a, b, path="$"):
    """None when equal, else a description of the first difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a.keys()) != list(b.keys()):
            return "%s: keys %s != %s" % (path, list(a.keys()), list(b.keys()))
        for k in a:
            d = json_equal(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "%s: length %d != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = json_equal(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        if num_equal(a, b):
            return None
        return "%s: %r != %r" % (path, a, b)
    if a == b and type(a) == type(b):
        return None
    return "%s: %r != %r" % (path, a, b)


NUM = re.compile(rb"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def layout(body):
    return NUM.sub(b"0", body)


def compare_bodies(ctype, exp, act, opts):
    if exp == act:
        return None
    if "json" in ctype:
        el = [l for l in exp.split(b"\n") if l.strip()] if "chunked" in opts else [exp]
        al = [l for l in act.split(b"\n") if l.strip()] if "chunked" in opts else [act]
        if "pretty" in opts and "chunked" in opts:
            el, al = [exp], [act]
        if len(el) != len(al):
            return "documents %d != %d" % (len(el), len(al))
        for x, y in zip(el, al):
            try:
                jx = json.loads(x) if "pretty" not in opts or "chunked" not in opts else None
                jy = json.loads(y) if "pretty" not in opts or "chunked" not in opts else None
            except ValueError as e:
                return "not JSON: %s" % e
            if jx is not None:
                d = json_equal(jx, jy)
                if d:
                    return d
        if "pretty" in opts and layout(exp) != layout(act):
            return "pretty layout differs"
        if exp.endswith(b"\n") != act.endswith(b"\n"):
            return "trailing newline differs"
        return None
    # CSV and others: line by line, numbers with tolerance
    el, al = exp.split(b"\n"), act.split(b"\n")
    if len(el) != len(al):
        return "lines %d != %d" % (len(el), len(al))
    for i, (x, y) in enumerate(zip(el, al)):
        if x == y:
            continue
        xs, ys = x.split(b","), y.split(b",")
        if len(xs) != len(ys):
            return "line %d: %r != %r" % (i + 1, x, y)
        for u, v in zip(xs, ys):
            if u == v:
                continue
            try:
                if num_equal(float(u), float(v)):
                    continue
            except ValueError:
                pass
            return "line %d: %r != %r" % (i + 1, x, y)
    return None


def cmd_compare(qpath, expdir, actdir, verbose):
    reqs = read_requests(qpath)
    fails = known = 0
    for i, (o, q) in enumerate(reqs, 1):
        with open("%s/%04d.out" % (expdir, i), "rb") as f:
            exp = f.read()
        try:
            with open("%s/%04d.out" % (actdir, i), "rb") as f:
                act = f.read()
        except OSError:
            act = b"(missing)\n"
        eh, _, eb = exp.partition(b"\n")
        ah, _, ab = act.partition(b"\n")
        diff = None
        if eh.split(b";")[0] != ah.split(b";")[0]:
            diff = "status/content-type %r != %r" % (eh, ah)
        else:
            diff = compare_bodies(eh.decode(), eb, ab, o)
        if diff is None:
            continue
        if "known" in o:
            known += 1
            if verbose:
                print("KNOWN #%d %s (%s)" % (i, q, o["known"]))
            continue
        fails += 1
        print("FAIL #%d [%s] %s" % (i, "&".join("%s=%s" % kv for kv in o.items()), q))
        print("   diff: %s" % diff)
        if verbose:
            print("   influx: %s" % eb[:600].decode(errors="replace"))
            print("   strata: %s" % ab[:600].decode(errors="replace"))
    total = len(reqs)
    print("compat.query: %d requests, %d pass, %d fail, %d known differences"
          % (total, total - fails - known, fails, known))
    return 1 if fails else 0


def main():
    a = sys.argv[1:]
    if not a:
        print(__doc__)
        return 2
    if a[0] == "write":
        cmd_write(a[1], a[2], a[3])
        return 0
    if a[0] == "query":
        cmd_query(a[1], a[2], a[3])
        return 0
    if a[0] == "compare":
        return cmd_compare(a[1], a[2], a[3], "--verbose" in a)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
