#!/usr/bin/env python3
"""
Record line-protocol compatibility cases against a live InfluxDB 1.x.

Each case body is written with POST /write to a fresh database; the HTTP
status, the exact "error" text and the points InfluxDB then stores (read back
with SELECT * FROM /.*/ GROUP BY * and SHOW FIELD KEYS) are written to
cases.txt in the format described in README.md next to this file.

Usage: gen_cases.py http://127.0.0.1:18086 > cases.txt
The cases themselves are the CASES list below; add new ones there.
"""
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

B = bytes

# (name, body, precision or None, flags). flags: "status-only" when the stored
# points cannot be read back faithfully (InfluxQL renames or merges columns);
# "storage" when the answer comes from the storage layer (field type
# conflicts, fields or tags named "time"), not from the parser.
CASES = []


def case(name, body, precision=None, flags=""):
    if isinstance(body, str):
        body = body.encode()
    CASES.append((name, body, precision, flags))


# ---- basics -------------------------------------------------------------
case("basic-float", "cpu value=1.5 1000")
case("basic-int", "cpu value=15i 1000")
case("basic-bool", "cpu value=true 1000")
case("basic-string", 'cpu value="hello world" 1000')
case("basic-tags", "cpu,host=a,region=west value=1 1000")
case("basic-many-fields", 'cpu a=1,b=2i,c=false,d="x",e=-0.5 1000')
case("basic-no-timestamp", "cpu value=1")
case("basic-two-lines", "cpu value=1 1000\ncpu value=2 2000")
case("basic-trailing-newline", "cpu value=1 1000\n")
case("basic-unicode", "温度,地点=东京 值=1 1000")
case("basic-utf8-string", 'cpu s="héllo ✓" 1000')
case("empty-body", "")
case("only-newlines", "\n\n\n")
case("only-spaces", "   \n\t\n")
case("comment-only", "# just a comment\n")
case("comment-and-point", "# c\ncpu value=1 1000\n# d")
case("comment-indented", "   # indented comment\ncpu value=1 1000")
case("comment-tab-indented", "\t# c\ncpu value=1 1000")
case("hash-in-measurement", "c#pu value=1 1000")
case("hash-measurement-start-after-key", "cpu,#a=b value=1 1000")
case("blank-lines-between", "cpu value=1 1000\n\n\ncpu value=2 2000\n\n")

# ---- whitespace -----------------------------------------------------------
case("ws-leading-spaces", "   cpu value=1 1000")
case("ws-leading-tab", "\tcpu value=1 1000")
case("ws-leading-nul", "\x00cpu value=1 1000")
case("ws-two-spaces-key-fields", "cpu  value=1 1000")
case("ws-tab-key-fields", "cpu \tvalue=1 1000")
case("ws-tab-only-key-fields", "cpu\tvalue=1 1000")
case("ws-two-spaces-fields-ts", "cpu value=1  1000")
case("ws-tab-fields-ts", "cpu value=1 \t1000")
case("ws-trailing-spaces-no-ts", "cpu value=1   ")
case("ws-trailing-spaces-ts", "cpu value=1 1000   ")
case("ws-trailing-tab-ts", "cpu value=1 1000\t")
case("ws-trailing-tab-no-ts", "cpu value=1\t")
case("ws-trailing-tab-after-space", "cpu value=1 1000 \t")
case("ws-space-before-field-comma", "cpu a=1, b=2 1000")
case("ws-space-after-field-comma", "cpu a=1 ,b=2 1000")
case("ws-space-in-tags", "cpu, host=a value=1 1000")
case("ws-key-only-space", "cpu ")
case("ws-key-two-spaces", "cpu  ")
case("ws-empty-key-field-tab", "cpu \t=1 1000", flags="status-only")

# ---- line endings -----------------------------------------------------
case("crlf-single", "cpu value=1 1000\r\n")
case("crlf-no-ts", "cpu value=1\r\n")
case("crlf-string", 'cpu value="a"\r\n')
case("crlf-bool", "cpu value=true\r\n")
case("crlf-int", "cpu value=1i\r\n")
case("crlf-two-lines", "cpu value=1 1000\r\ncpu value=2 2000\r\n")
case("cr-only", "cpu value=1 1000\rcpu value=2 2000")
case("crlf-trailing-space", "cpu value=1 1000 \r\n")
case("crlf-blank-line", "\r\ncpu value=1 1000\n")

# ---- measurement ---------------------------------------------------------
case("meas-escaped-comma", "cp\\,u value=1 1000")
case("meas-escaped-space", "cp\\ u value=1 1000")
case("meas-escaped-equals", "cp\\=u value=1 1000")
case("meas-escaped-quote", 'cp\\"u value=1 1000')
case("meas-escaped-backslash", "cp\\\\u value=1 1000")
case("meas-backslash-other", "cp\\u value=1 1000")
case("meas-trailing-backslash-space", "cpu\\ value=1 1000")
case("meas-double-backslash-space", "cpu\\\\ value=1 1000")
case("meas-equals-plain", "c=pu value=1 1000")
case("meas-quote-plain", 'c"pu value=1 1000')
case("meas-starts-comma", ",cpu value=1 1000")
case("meas-only-comma", ", value=1 1000")
case("meas-missing-fields", "cpu")
case("meas-missing-fields-2", "cpu,host=a")
case("meas-digits", "123 value=1 1000")
case("meas-starts-hash-after-space", " #cpu value=1 1000")
case("meas-dash-dot", "my-meas.x_y value=1 1000")
case("meas-escaped-comma-then-tags", "cp\\,u,t=1 value=1 1000")
case("meas-starts-backslash", "\\ cpu value=1 1000")
case("meas-all-escapes", 'a\\,b\\ c\\=d\\"e value=1 1000')

# ---- tags --------------------------------------------------------------
case("tag-sorted", "cpu,a=1,b=2,c=3 value=1 1000")
case("tag-unsorted", "cpu,c=3,a=1,b=2 value=1 1000")
case("tag-reverse", "cpu,z=1,y=2,x=3,w=4 value=1 1000")
case("tag-dup-adjacent", "cpu,a=1,a=2 value=1 1000")
case("tag-dup-unsorted", "cpu,b=1,a=2,c=3,a=4 value=1 1000")
case("tag-dup-same-value", "cpu,a=1,a=1 value=1 1000")
case("tag-missing-key", "cpu,=a value=1 1000")
case("tag-missing-key-comma", "cpu,,a=b value=1 1000")
case("tag-missing-key-space", "cpu, value=1 1000")
case("tag-missing-value", "cpu,a= value=1 1000")
case("tag-missing-value-comma", "cpu,a=,b=c value=1 1000")
case("tag-missing-equals", "cpu,a value=1 1000")
case("tag-missing-equals-comma", "cpu,a,b=c value=1 1000")
case("tag-trailing-comma", "cpu,a=b, value=1 1000")
case("tag-value-equals", "cpu,a=b=c value=1 1000")
case("tag-escaped-comma-value", "cpu,a=b\\,c value=1 1000")
case("tag-escaped-space-value", "cpu,a=b\\ c value=1 1000")
case("tag-escaped-equals-value", "cpu,a=b\\=c value=1 1000")
case("tag-escaped-comma-key", "cpu,a\\,b=c value=1 1000")
case("tag-escaped-space-key", "cpu,a\\ b=c value=1 1000")
case("tag-escaped-equals-key", "cpu,a\\=b=c value=1 1000")
case("tag-backslash-other", "cpu,a=b\\c value=1 1000")
case("tag-backslash-end-value", "cpu,a=b\\ value=1 1000")
case("tag-double-backslash-comma", "cpu,a=b\\\\,c=d value=1 1000")
case("tag-quote-value", 'cpu,a="b" value=1 1000')
case("tag-quote-key", 'cpu,"a"=b value=1 1000')
case("tag-hash-value", "cpu,a=#b value=1 1000")
case("tag-unicode", "cpu,ключ=значение value=1 1000")
case("tag-sort-bytewise-case", "cpu,b=1,B=2,a=3,A=4 value=1 1000")
case("tag-sort-prefix", "cpu,ab=1,a=2,abc=3 value=1 1000")
case("tag-sort-escaped", "cpu,a\\ b=1,a!=2 value=1 1000")
case("tag-many", "cpu," + ",".join("t%02d=v%d" % (i, i) for i in range(40, 0, -1)) + " value=1 1000")
case("tag-key-time", "cpu,time=x value=1 1000", flags="storage")
case("tag-same-as-field", "cpu,value=a value=1 1000")
case("tag-empty-after-meas-space", "cpu,a=b  value=1 1000")

# ---- field keys ----------------------------------------------------------
case("fkey-escaped-comma", "cpu va\\,l=1 1000")
case("fkey-escaped-space", "cpu va\\ l=1 1000")
case("fkey-escaped-equals", "cpu va\\=l=1 1000")
case("fkey-escaped-quote", 'cpu va\\"l=1 1000')
case("fkey-quote-plain", 'cpu va"l=1 1000')
case("fkey-backslash-other", "cpu va\\l=1 1000")
case("fkey-double-backslash-equals", "cpu val\\\\=1 1000")
case("fkey-double-backslash-then-field", "cpu a\\\\=1,b=2 1000")
case("fkey-missing", "cpu =1 1000")
case("fkey-missing-second", "cpu a=1,=2 1000")
case("fkey-missing-value", "cpu a= 1000")
case("fkey-missing-value-end", "cpu a=")
case("fkey-missing-value-comma", "cpu a=,b=1 1000")
case("fkey-no-equals", "cpu a 1000")
case("fkey-no-equals-second", "cpu a=1,b 1000")
case("fkey-trailing-comma", "cpu a=1, 1000")
case("fkey-trailing-comma-end", "cpu a=1,")
case("fkey-double-comma", "cpu a=1,,b=2 1000")
case("fkey-time", "cpu time=1 1000", flags="storage")
case("fkey-time-and-other", "cpu time=1,a=2 1000", flags="storage")
case("fkey-dup-same-type", "cpu a=1,a=2 1000")
case("fkey-dup-diff-type", 'cpu a=1,a="x" 1000', flags="storage")
case("fkey-unicode", "cpu ключ=1 1000")
case("fkey-hash", "cpu #a=1 1000")
case("fkey-double-equals", "cpu a==1 1000")
case("fkey-equals-in-value", "cpu a=1=2 1000")

# ---- floats --------------------------------------------------------------
for i, v in enumerate(["0", "-0", "1", "-1", "1.", ".5", "-.5", "-5.", "1.5", "0.000001",
                       "123456789012345678", "1e3", "1E3", "1e+3", "1e-3", "-1.5E-3",
                       "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
                       "1e-400", "0.1", "3.141592653589793", "9007199254740993",
                       "123456789012345678901234", "1234567890123456789012345",
                       "12345678901234567890123456789", "0.00000000000000000000000001",
                       "1.e5", ".5e5", "00012", "-00.5", "1e0", "1e-0", "1e00001",
                       "7.0e-10", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
                       ]):
    case("float-%02d" % i, "cpu v=%s 1000" % v)
case("float-overflow-exp", "cpu v=1e309 1000")
case("float-overflow-long", "cpu v=" + "9" * 400 + " 1000")
case("float-overflow-neg", "cpu v=-1e400 1000")
case("float-two-dots", "cpu v=1.2.3 1000")
case("float-only-dot", "cpu v=. 1000")
case("float-only-minus", "cpu v=- 1000")
case("float-only-minus-end", "cpu v=-")
case("float-minus-dot", "cpu v=-. 1000")
case("float-plus", "cpu v=+1 1000")
case("float-double-minus", "cpu v=--1 1000")
case("float-minus-middle", "cpu v=1-2 1000")
case("float-e-only", "cpu v=1e 1000")
case("float-e-plus-only", "cpu v=1e+ 1000")
case("float-e-start", "cpu v=e5 1000")
case("float-dot-e", "cpu v=.e5 1000")
case("float-minus-e", "cpu v=-e5 1000")
case("float-double-e", "cpu v=1e5e5 1000")
case("float-e-dot", "cpu v=1e5.5 1000")
case("float-hex", "cpu v=0x10 1000")
case("float-underscore", "cpu v=1_000 1000")
case("float-nan", "cpu v=NaN 1000")
case("float-nan-lower", "cpu v=nan 1000")
case("float-nan-mid", "cpu v=NaN,w=1 1000")
case("float-n", "cpu v=n 1000")
case("float-inf", "cpu v=Inf 1000")
case("float-inf-lower", "cpu v=inf 1000")
case("float-minus-inf", "cpu v=-Inf 1000")
case("float-letters-after", "cpu v=1abc 1000")
case("float-trailing-dot-e", "cpu v=1.e 1000")
case("float-space-in", "cpu v=1 .5 1000")

# ---- integers ------------------------------------------------------------
for i, v in enumerate(["0", "-0", "1", "-1", "42", "00042", "9223372036854775807",
                       "-9223372036854775808", "123456789012345678", "-123456789012345678",
                       "1234567890123456789", "0000000000000000000000001"]):
    case("int-%02d" % i, "cpu v=%si 1000" % v)
case("int-overflow", "cpu v=9223372036854775808i 1000")
case("int-underflow", "cpu v=-9223372036854775809i 1000")
case("int-overflow-long", "cpu v=99999999999999999999999i 1000")
case("int-decimal", "cpu v=1.5i 1000")
case("int-exp", "cpu v=1e3i 1000")
case("int-only-i", "cpu v=i 1000")
case("int-minus-i", "cpu v=-i 1000")
case("int-double-i", "cpu v=1ii 1000")
case("int-i-middle", "cpu v=1i5 1000")
case("int-upper-I", "cpu v=1I 1000")
case("int-plus", "cpu v=+1i 1000")
case("int-dot-i", "cpu v=.i 1000")

# ---- unsigned (rejected by 1.6.7) ---------------------------------------
case("uint-basic", "cpu v=1u 1000")
case("uint-zero", "cpu v=0u 1000")
case("uint-max", "cpu v=18446744073709551615u 1000")
case("uint-overflow", "cpu v=18446744073709551616u 1000")
case("uint-negative", "cpu v=-1u 1000")
case("uint-decimal", "cpu v=1.5u 1000")
case("uint-only-u", "cpu v=u 1000")
case("uint-iu", "cpu v=1iu 1000")
case("uint-ui", "cpu v=1ui 1000")

# ---- booleans ------------------------------------------------------------
for i, v in enumerate(["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"]):
    case("bool-%02d" % i, "cpu v=%s 1000" % v)
for i, v in enumerate(["tRUE", "TrUe", "tru", "truee", "fals", "falsee", "FaLsE", "yes", "1t",
                       "t1", "trUe", "on", "x", "f\\,"]):
    case("bool-bad-%02d" % i, "cpu v=%s 1000" % v)

# ---- strings -------------------------------------------------------------
case("str-empty", 'cpu s="" 1000')
case("str-escaped-quote", 'cpu s="a\\"b" 1000')
case("str-escaped-backslash", 'cpu s="a\\\\b" 1000')
case("str-backslash-other", 'cpu s="a\\nb" 1000')
case("str-backslash-end", 'cpu s="ab\\\\" 1000')
case("str-comma-space-equals", 'cpu s="a, b=c" 1000')
case("str-then-field", 'cpu s="a",b=1 1000')
case("str-field-then", 'cpu b=1,s="a" 1000')
case("str-unbalanced", 'cpu s="abc 1000')
case("str-unbalanced-escaped", 'cpu s="abc\\" 1000')
case("str-trailing-junk", 'cpu s="abc"def 1000')
case("str-two-strings", 'cpu s="a""b" 1000')
case("str-newline", 'cpu s="a\nb" 1000')
case("str-newline-then-line", 'cpu s="a\nb" 1000\ncpu v=2 2000')
case("str-crlf-inside", 'cpu s="a\r\nb" 1000')
case("str-tab", 'cpu s="a\tb" 1000')
case("str-hash", 'cpu s="#x" 1000')
case("str-single-quote", "cpu s='abc' 1000")
case("str-long", 'cpu s="' + "x" * 70000 + '" 1000')
case("str-unicode-escape", 'cpu s="\\u00e9" 1000')
case("str-only-quote", 'cpu s=" 1000')
case("str-key-quoted", 'cpu "s"="v" 1000')
case("str-escaped-comma", 'cpu s="a\\,b" 1000')
case("str-many-backslashes", 'cpu s="\\\\\\\\\\"" 1000')

# ---- timestamps ----------------------------------------------------------
case("ts-zero", "cpu v=1 0")
case("ts-negative", "cpu v=1 -1000")
case("ts-max", "cpu v=1 9223372036854775806")
case("ts-min", "cpu v=1 -9223372036854775806")
case("ts-max-plus-1", "cpu v=1 9223372036854775807")
case("ts-min-minus-1", "cpu v=1 -9223372036854775807")
case("ts-min-int64", "cpu v=1 -9223372036854775808")
case("ts-overflow", "cpu v=1 99999999999999999999")
case("ts-minus-only", "cpu v=1 -")
case("ts-float", "cpu v=1 1.5")
case("ts-exp", "cpu v=1 1e9")
case("ts-letters", "cpu v=1 abc")
case("ts-minus-middle", "cpu v=1 1-2")
case("ts-double-minus", "cpu v=1 --1")
case("ts-plus", "cpu v=1 +1000")
case("ts-leading-zeros", "cpu v=1 0001000")
case("ts-two-timestamps", "cpu v=1 1000 2000")
case("ts-junk-after", "cpu v=1 1000 x")
case("ts-suffix-i", "cpu v=1 1000i")
for prec in ["n", "ns", "u", "us", "ms", "s", "m", "h", "xyz"]:
    case("prec-%s" % prec, "cpu v=1 1500\ncpu v=2 -2", precision=prec)
    case("prec-%s-now" % prec, "cpu v=1", precision=prec)
case("prec-s-max", "cpu v=1 9223372036", precision="s")
case("prec-s-overflow", "cpu v=1 9223372037", precision="s")
case("prec-s-min", "cpu v=1 -9223372036", precision="s")
case("prec-s-underflow", "cpu v=1 -9223372037", precision="s")
case("prec-ms-overflow", "cpu v=1 9223372036855", precision="ms")
case("prec-u-max", "cpu v=1 9223372036854775", precision="u")
case("prec-u-overflow", "cpu v=1 9223372036854776", precision="u")
case("prec-h-max", "cpu v=1 2562047", precision="h")
case("prec-h-overflow", "cpu v=1 2562048", precision="h")
case("prec-m-overflow", "cpu v=1 153722868", precision="m")
case("prec-m-max", "cpu v=1 153722867", precision="m")
case("prec-s-huge", "cpu v=1 9223372036854775807", precision="s")
case("prec-s-minint", "cpu v=1 -9223372036854775806", precision="s")

# ---- errors, ordering and partial writes ---------------------------------
case("err-missing-measurement-space", " ,a=b v=1")
case("err-tag-then-field-error", "cpu,a v=")
case("err-two-errors-line", "cpu,a=1,a=2 v=")
case("err-field-and-ts", "cpu v= abc")
case("err-all-bad", "bad\nworse x\ncpu v=\n")
case("partial-first-bad", "bad\ncpu v=1 1000")
case("partial-last-bad", "cpu v=1 1000\nbad")
case("partial-middle-bad", "cpu v=1 1000\nbad line\ncpu v=2 2000")
case("partial-many-bad", "cpu v=1 1000\nb1\nb2 x\nb3 x=\ncpu v=2 2000\nb4,a v=1")
case("partial-with-comment", "cpu v=1 1000\n# c\nbad")
case("partial-crlf", "cpu v=1 1000\ncpu v=2 2000\r\n")
case("partial-time-field", "cpu v=1 1000\ncpu time=1 2000", flags="storage")
case("partial-time-field-and-parse-error", "cpu v=1 1000\nbad\ncpu time=1 2000", flags="storage")
case("partial-type-conflict", 'cpu v=1 1000\ncpu v="s" 2000', flags="storage")
case("partial-type-conflict-and-parse-error", 'cpu v=1 1000\ncpu v="s" 2000\nbad', flags="storage")
case("partial-time-tag", "cpu v=1 1000\ncpu,time=x v=1 2000", flags="storage")
case("overwrite-same-ts", "cpu v=1 1000\ncpu v=2 1000")
case("merge-same-ts", "cpu a=1 1000\ncpu b=2 1000")
case("same-series-different-tag-order", "cpu,a=1,b=2 v=1 1000\ncpu,b=2,a=1 v=2 2000")

# ---- key length ----------------------------------------------------------
case("keylen-key-over", "m" * 65536 + " v=1 1000")
case("keylen-field-max", "m" * 65530 + " v=1 1000")
case("keylen-field-over", "m" * 65531 + " v=1 1000")
case("keylen-field-over-second", "m" * 65000 + " v=1," + "f" * 600 + "=2 1000")
case("keylen-tags-over", "m,t=" + "v" * 65540 + " v=1 1000")

# ---- more shapes ----------------------------------------------------------
case("bool-t-two-spaces", "cpu v=T  1000")
case("meas-backslash-before-comma", "cpu\\,a=b v=1 1000")
case("meas-equals-only", "= v=1 1000")
case("meas-equals-alone", "=")
case("hash-only", "#")
case("tag-escaped-space-then-equals", "cpu,a=b\\ c=d v=1 1000")
case("fkey-tab-after-comma", "cpu a=1,\tb=2 1000")
case("str-trailing-junk-middle", 'cpu a=1,b="x"y,c=2 1000')
case("fields-many", "cpu " + ",".join("f%03d=%di" % (i, i) for i in range(300)) + " 1000")
case("tags-and-fields-many", "cpu," + ",".join("t%03d=x" % i for i in range(150)) + " " + ",".join("f%03d=%d" % (i, i) for i in range(150)) + " 1000")
case("tsbs-cpu", "cpu,hostname=host_0,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test usage_user=58.1317132304976170,usage_system=2.6224297271376256,usage_idle=24.9969495069947882,usage_nice=61.1284045921590561,usage_iowait=22.9987853220322620,usage_irq=63.1378987331259624,usage_softirq=6.7808398665113020,usage_steal=44.9100952255722766,usage_guest=80.5393120118728944,usage_guest_nice=38.2410876075924960 1451606400000000000")
case("telegraf-mem", "mem,host=x available=6047965184i,available_percent=35.20,buffered=0i,free=1226625024i,used_percent=64.79 1451606400000000000")
case("telegraf-strings", 'procstat,host=x,process_name=nginx cmdline="nginx: worker process",pid=123i,running=true 1451606400000000000')
case("ws-between-fields-and-ts-nul", "cpu v=1 \x001000")
case("float-leading-dot-exp-neg", "cpu v=.5E-3 1000")
case("float-max-19-digits", "cpu v=1234567890123456789 1000")
case("float-20-digits", "cpu v=12345678901234567890 1000")
case("float-halfway", "cpu v=9007199254740993.0 1000")
case("float-tiny-denormal", "cpu v=2.4703282292062328e-324 1000")
case("float-pow22", "cpu v=1e22 1000")
case("float-pow23", "cpu v=1e23 1000")
case("float-neg-pow22", "cpu v=1.5e-22 1000")
case("int-19-digits-neg", "cpu v=-999999999999999999i 1000")

# ---- quoting and escaping corners --------------------------------------
case("tag-value-leading-equals", "cpu,a==b v=1 1000")
case("tag-value-leading-equals-only", "cpu,a== v=1 1000")
case("tag-key-leading-backslash", "cpu,\\a=b v=1 1000")
case("str-escaped-quote-then-field", 'cpu s="a\\"b",t="c" 1000')
case("str-with-comma-equals-then-field", 'cpu a="x,y=z",b=2 1000')
case("str-escaped-quote-newline", 'cpu s="a\\"\nb" 1000')
case("quote-in-measurement", 'c"pu v=1 1000\ncpu v=2 2000')
case("quote-in-tag-value-then-string", 'cpu,a=x" s="y" 1000')
case("number-then-quote", 'cpu a=1",b=2 1000')
case("bool-then-quote", 'cpu a=t"x" 1000')
case("comment-after-point", "cpu v=1 1000 # c")
case("fkey-escaped-backslash-space", "cpu a\\\\ b=1 1000")
case("fkey-leading-quote-string", 'cpu "a=1 1000')
case("ts-leading-tab-nul", "cpu v=1\t\x00 1000")
case("two-points-one-line", "cpu v=1 1000 cpu v=2 2000")
case("field-string-only-quotes-comma", 'cpu s=",",t="," 1000')
case("tag-escaped-comma-at-end", "cpu,a=b\\, v=1 1000")
case("partial-all-error-kinds", "cpu v=1 1000\n,x v=1\ncpu,a v=1\ncpu,=a v=1\ncpu v\ncpu v=\ncpu =1\ncpu v=1.2.3\ncpu v=tru\ncpu v=\"x\ncpu v=1 1x\ncpu v=1 1 2\ncpu,a=1,a=2 v=1")

case("str-open-to-end-newline", 'cpu s="abc\n')
case("str-open-to-end-two-newlines", 'cpu v=1 1000\ncpu s="x\ncpu v=2\n\n')
case("str-open-to-end-no-newline", 'cpu s="abc')

# ---- odd bytes -----------------------------------------------------------
case("nul-in-measurement", "c\x00pu v=1 1000")
case("nul-in-field-value", "cpu v=1\x00 1000")
case("nul-in-string", 'cpu s="a\x00b" 1000')
case("control-char-tag", "cpu,a=b\x01c v=1 1000")
case("del-in-key", "c\x7fpu v=1 1000")
case("backslash-newline", "cpu v=1\\\ncpu v=2 2000")
case("backslash-at-end", "cpu v=1 1000\\")
case("backslash-end-string", 'cpu s="x\\')
case("quote-in-tags-newline", 'cpu,a="x v=1 1000\ncpu v=2 2000')
case("equals-quote-newline", 'cpu a=1,b="x\ny" 1000\ncpu v=2 2000')


def enc_utf8(b):
    """Escape bytes for one TAB-separated value; runs of 32 or more equal
    printable ASCII bytes are written as \\*N*c (c repeated N times)."""
    out = []
    i = 0
    while i < len(b):
        j = i
        while j < len(b) and b[j] == b[i]:
            j += 1
        c = b[i]
        if j - i >= 32 and 0x21 <= c < 0x7F and c not in (0x5C, 0x2A):
            out.append("\\*%d*%s" % (j - i, chr(c)))
            i = j
            continue
        k = j if j - i < 32 else i + 1
        # copy up to the next long run verbatim
        while k < len(b):
            m = k
            while m < len(b) and b[m] == b[k]:
                m += 1
            if m - k >= 32 and 0x21 <= b[k] < 0x7F and b[k] not in (0x5C, 0x2A):
                break
            k = m
        out.append(enc_plain(b[i:k]))
        i = k
    return "".join(out)


def enc_plain(b):
    s = b.decode("utf-8", errors="surrogateescape")
    out = []
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18086"

    def req(path, data=None, params=None):
        url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        r = urllib.request.Request(url, data=data, method="POST")
        try:
            with urllib.request.urlopen(r, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def q(db, s):
        return json.loads(req("/query", b"", {"db": db, "q": s, "epoch": "ns"})[1])

    ver = urllib.request.urlopen(base + "/ping").headers.get("X-Influxdb-Version")
    print("# Line-protocol compatibility cases recorded against InfluxDB %s" % ver)
    print("# by tests/compat/lp/gen_cases.py. Format: tests/compat/lp/README.md.")
    print("# Do not edit by hand: add cases to gen_cases.py and regenerate.")
    names = set()
    for i, (name, body, prec, flags) in enumerate(CASES):
        assert name not in names, name
        names.add(name)
        db = "lpcase%d" % i
        q(db, "CREATE DATABASE " + db)
        params = {"db": db}
        if prec is not None:
            params["precision"] = prec
        t0 = time.time_ns()
        st, resp = req("/write", body, params)
        t1 = time.time_ns()
        print()
        print("case\t%s" % name)
        if prec is not None:
            print("precision\t%s" % enc_utf8(prec.encode()))
        if flags:
            print("flags\t%s" % flags)
        print("body\t%s" % enc_utf8(body))
        print("status\t%d" % st)
        if resp.strip():
            err = json.loads(resp)["error"]
            print("error\t%s" % enc_utf8(err.encode()))
        types = {}
        r = q(db, "SHOW FIELD KEYS")
        for s in r["results"][0].get("series", []):
            for fk, ft in s["values"]:
                types[(s["name"], fk)] = ft
        r = q(db, "SELECT * FROM /.*/ GROUP BY *")
        pts = []
        for s in r["results"][0].get("series", []):
            tags = sorted((k.encode(), v.encode()) for k, v in (s.get("tags") or {}).items() if v != "")
            cols = s["columns"]
            for row in s["values"]:
                ts = row[0]
                flds = []
                for c, v in zip(cols[1:], row[1:]):
                    if v is None:
                        continue
                    t = types.get((s["name"], c), "?")
                    # A value whose JSON type disagrees with SHOW FIELD KEYS
                    # comes from another shard or measurement: type "?".
                    if t == "float" and isinstance(v, (int, float)) and not isinstance(v, bool):
                        vs = repr(float(v))
                    elif t == "integer" and isinstance(v, int) and not isinstance(v, bool):
                        vs = str(int(v))
                    elif t == "boolean" and isinstance(v, bool):
                        vs = "true" if v else "false"
                    elif t == "string" and isinstance(v, str):
                        vs = enc_utf8(v.encode())
                    else:
                        t = "?"
                        vs = enc_utf8(str(v).encode())
                    flds.append((c.encode(), t, vs))
                flds.sort()
                tsv = str(ts)
                lo = t0 - 3600 * 10**9 - 1
                if lo <= ts <= t1:
                    tsv = "now"
                pts.append((s["name"].encode(), tags, tsv, flds))
        pts.sort()
        for m, tags, tsv, flds in pts:
            print("point\t%s\t%s" % (tsv, enc_utf8(m)))
            for k, v in tags:
                print("tag\t%s\t%s" % (enc_utf8(k), enc_utf8(v)))
            for k, t, v in flds:
                print("field\t%s\t%s\t%s" % (enc_utf8(k), t, v))
        print("end")
        q(db, "DROP DATABASE " + db)
    sys.stderr.write("%d cases\n" % len(CASES))


if __name__ == "__main__":
    main()
