#!/usr/bin/env python3
"""tests/compat/query/gen_data.py: deterministic line protocol for the InfluxQL
differential test. The same files are written to InfluxDB 1.6.7 and loaded into
Strata; the shapes are chosen to exercise what queries depend on:

  cpu     5 hosts x 2 regions, aligned timestamps every 60 s (ties across series),
          crossing a shard group boundary (Monday 2016-01-04T00:00Z), floats,
          integers, strings, booleans, gaps in some hosts, a host with sparse points
  mem     integer and float fields, fewer series
  net     counters (increasing, with resets) for derivatives and differences
  odd     tag values and strings that need escaping (spaces, commas, '=', quotes,
          <>&, unicode), sub-second timestamps, extreme floats
  sparse  irregular points far apart (fill, linear, previous)

Usage: gen_data.py OUTDIR  (writes compat.lp and other.lp)
"""
import os
import sys

T0 = 1451822400 * 10**9  # 2016-01-03T12:00:00Z
MIN = 60 * 10**9


class Rng:
    """A small LCG so that the data never depends on Python's random module."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return self.s >> 11

    def uniform(self, lo, hi):
        return lo + (hi - lo) * (self.next() / float(1 << 53))

    def int(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


def fmt_float(v):
    r = repr(float(v))
    return r


def esc_tag(s):
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def esc_str(s):
    return s.replace("\\", "\\\\").replace('"', '\\"')


def cpu(out, rng):
    hosts = ["h0", "h1", "h2", "h3", "h4"]
    regions = {"h0": "us", "h1": "us", "h2": "eu", "h3": "eu", "h4": "ap"}
    n = 24 * 60  # one day of minutes
    for i in range(n):
        t = T0 + i * MIN
        for h in hosts:
            if h == "h3" and 300 <= i < 420:
                continue  # a two-hour gap
            if h == "h4" and i % 7 != 0:
                continue  # sparse host
            user = round(rng.uniform(0, 100), 3)
            system = round(rng.uniform(0, 30), 2)
            idle = round(100 - user * 0.7 - system * 0.3, 4)
            cores = 4 if h != "h2" else 8
            load = rng.int(0, 50)
            fields = [
                "usage_user=%s" % fmt_float(user),
                "usage_system=%s" % fmt_float(system),
                "usage_idle=%s" % fmt_float(idle),
                "cores=%di" % cores,
                "load=%di" % load,
            ]
            if i % 10 == 0:
                fields.append('status="%s"' % ("ok" if load < 40 else "busy"))
            if i % 15 == 0:
                fields.append("up=%s" % ("true" if load % 3 else "false"))
            out.write("cpu,host=%s,region=%s %s %d\n" % (h, regions[h], ",".join(fields), t))


def mem(out, rng):
    for i in range(0, 24 * 60, 5):
        t = T0 + i * MIN
        for h in ["h0", "h1"]:
            total = 16 * 1024
            used = rng.int(1000, 15000)
            out.write(
                "mem,host=%s used=%di,free=%di,used_percent=%s %d\n"
                % (h, used, total - used, fmt_float(round(used * 100.0 / total, 6)), t)
            )


def net(out, rng):
    for h in ["h0", "h1"]:
        c = rng.int(0, 1000)
        for i in range(0, 24 * 60, 2):
            t = T0 + i * MIN + (0 if h == "h0" else 30 * 10**9)
            if i % 400 == 398 and h == "h1":
                c = rng.int(0, 100)  # counter reset
            else:
                c += rng.int(0, 5000)
            out.write("net,host=%s,iface=eth0 bytes_recv=%di,errs=%di %d\n" % (h, c, rng.int(0, 3), t))


def odd(out, rng):
    locs = ["a b", "x,y", "eq=1", "plain", "ünï"]
    strs = ['say "hi"', "back\\slash", "<tag>&amp;", "tab\there", "ünïcödé ✓"]
    vals = [1e-7, 1.5e-6, 0.1, 123456789.125, 1e21, 2.5e22, -0.5, 0.0, 1 / 3.0, 100.0]
    for i in range(40):
        t = T0 + i * 1500 * 10**6 + (i * 123457)  # sub-second timestamps
        loc = locs[i % len(locs)]
        v = vals[i % len(vals)]
        s = strs[i % len(strs)]
        out.write(
            'odd,loc=%s value=%s,text="%s",n=%di %d\n'
            % (esc_tag(loc), fmt_float(v), esc_str(s), i - 20, t)
        )


def sparse(out, rng):
    times = [0, 7, 8, 30, 31, 95, 200, 201, 202, 500]
    for k, m in enumerate(times):
        t = T0 + m * MIN
        out.write("sparse,s=a v=%s,i=%di %d\n" % (fmt_float(k * 1.5 - 3), k * 10, t))
        if k % 3 == 0:
            out.write("sparse,s=b v=%s,i=%di %d\n" % (fmt_float(100 - k), 100 - k, t + 30 * 10**9))


def dst(out, rng):
    # hourly points across the US and EU daylight saving changes of 2016
    for start in (1457740800, 1458777600, 1478304000, 1477526400):  # 03-12, 03-24, 11-05, 10-27
        for h in range(96):
            t = (start + h * 3600) * 10**9
            out.write("dst,zone=x v=%di,f=%s %d\n" % (h, fmt_float(h * 0.5), t))


def big(out, rng):
    # one series longer than InfluxDB's default chunk size (10000 rows)
    for i in range(12000):
        t = T0 + i * 10 * 10**9
        out.write("big v=%di %d\n" % (i, t))


def weird(out, rng):
    # names that need quoting or escaping everywhere
    for i in range(6):
        t = T0 + i * MIN
        out.write('my\\ meas,tag\\ key=val\\ %d,k\\,2=a\\=b field\\ x=%s,"q"=%di,e\\=q=%s %d\n'
                  % (i % 2, fmt_float(i * 1.25), i, "true" if i % 2 else "false", t))
        out.write('cpu.load,host=h%d value=%s %d\n' % (i % 3, fmt_float(i / 7.0), t))


def other(out, rng):
    for i in range(100):
        t = T0 + i * 10 * MIN
        out.write("cpu,host=z9 usage_user=%s %d\n" % (fmt_float(i * 0.25), t))
        out.write("disk,dev=sda,host=z9 used=%di %d\n" % (i * 1000, t))


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rng = Rng(20160103)
    with open(os.path.join(d, "compat.lp"), "w") as out:
        cpu(out, rng)
        mem(out, rng)
        net(out, rng)
        odd(out, rng)
        sparse(out, rng)
        dst(out, rng)
        big(out, rng)
        weird(out, rng)
    with open(os.path.join(d, "other.lp"), "w") as out:
        other(out, rng)


if __name__ == "__main__":
    main()
