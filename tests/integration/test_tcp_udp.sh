#!/usr/bin/env bash
# Raw TCP and UDP listeners: lines split across reads are joined, a line
# without its final newline is stored at EOF, garbage and over-long lines
# are counted (not fatal), several datagrams and several lines per datagram
# arrive, the configured precision applies, the databases are created.
source "$(dirname "$0")/lib.sh"
it_setup
TP=$(free_port)
UP=$(free_port)
start_server --tcp-bind "127.0.0.1:$TP" --tcp-db tcpdb --tcp-precision s \
    --tcp-max-line-bytes 200 --udp-bind "127.0.0.1:$UP" --udp-db udpdb --udp-read-buffer 1MiB

# TCP: 300 good lines streamed in random pieces, with garbage in between and
# a last line without newline.
: >"$T/tcp.txt"
for i in $(seq 1 300); do
    echo "tcp,conn=one v=${i}i $i" >>"$T/tcp.txt"
    [ $((i % 100)) -eq 0 ] && echo "this is garbage" >>"$T/tcp.txt"
done
printf 'tcp,conn=one v=301i 301' >>"$T/tcp.txt"
"$IT_LOAD" tcp "$TP" "$T/tcp.txt" 7 || fail "tcp client"

# A second connection: an over-long line (dropped up to its newline), then good lines.
{ printf 'long,x=1 v='; head -c 1000 /dev/zero | tr '\0' '7'; printf ' 1\n'
  echo "tcp,conn=two v=1i 1"; echo "tcp,conn=two v=2i 2"; } >"$T/tcp2.txt"
"$IT_LOAD" tcp "$TP" "$T/tcp2.txt" 3 || fail "tcp client 2"
# A third: an over-long line that arrives whole, newline included, in one write.
{ printf 'long,x=2 v='; head -c 1000 /dev/zero | tr '\0' '8'; printf ' 1\ntcp,conn=three v=1i 1\n'; } \
    >"$T/tcp3.txt"
cat "$T/tcp3.txt" >"/dev/tcp/127.0.0.1/$TP" || fail "tcp client 3"

# UDP: three datagrams, one with several lines, one garbage.
printf 'udp,d=1 v=1 1\nudp,d=1 v=2 2\nudp,d=1 v=3 3\n' >"$T/d1"
printf 'udp,d=2 s="a b" 4' >"$T/d2"
printf 'garbage' >"$T/d3"
"$IT_LOAD" udp "$UP" "$T/d1" "$T/d2" "$T/d3" || fail "udp client"

# Wait until everything is counted (the server works asynchronously).
for _ in $(seq 1 100); do
    [ "$(metric 'strata_points_written_total{source="tcp"}')" = 304 ] &&
        [ "$(metric 'strata_points_written_total{source="udp"}')" = 4 ] && break
    sleep 0.05
done
expect_eq "tcp points" 304 "$(metric 'strata_points_written_total{source="tcp"}')"
expect_eq "tcp bad lines (3 garbage + 2 too long)" 5 "$(metric 'strata_lines_bad_total{source="tcp"}')"
expect_eq "tcp connections" 3 "$(metric strata_tcp_connections_total)"
expect_eq "udp points" 4 "$(metric 'strata_points_written_total{source="udp"}')"
expect_eq "udp bad lines" 1 "$(metric 'strata_lines_bad_total{source="udp"}')"
expect_eq "udp datagrams" 3 "$(metric strata_udp_datagrams_received_total)"
expect_eq "udp drops" 0 "$(metric strata_udp_datagrams_dropped_total)"
grep -q "dropped a line longer than 200 bytes" "$T/server.log" || fail "over-long line not logged"
grep -q "bad lines" "$T/server.log" || fail "bad lines not logged"

# The databases exist for /query too.
http GET "$H/query?q=SHOW+DATABASES"
expect_eq "dbs" '{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["tcpdb"],["udpdb"]]}]}]}' "$BODY"

stop_server
expected=$(for i in $(seq 1 301); do echo "tcpdb tcp,conn=one v=${i}i ${i}000000000"; done
           echo "tcpdb tcp,conn=two v=1i 1000000000"; echo "tcpdb tcp,conn=two v=2i 2000000000"
           echo "tcpdb tcp,conn=three v=1i 1000000000"
           echo "udpdb udp,d=1 v=1 1"; echo "udpdb udp,d=1 v=2 2"; echo "udpdb udp,d=1 v=3 3"
           echo 'udpdb udp,d=2 s="a b" 4')
expect_eq "stored points" "$(echo "$expected" | LC_ALL=C sort)" "$(dump)"

# The flood: more datagrams than --udp-max-pending-bytes can hold while the
# engine works are dropped and counted, never buffered without bound.
start_server --udp-bind "127.0.0.1:$UP" --udp-db udpdb --udp-max-pending-bytes 4KiB --workers 1 \
    --max-concurrent-writes 1
for i in $(seq 1 40); do
    for j in $(seq 1 20); do echo "flood,i=$i v=$j $j"; done >"$T/f$i"
done
IT_UDP_GAP_US=0 "$IT_LOAD" udp "$UP" $(for i in $(seq 1 40); do echo "$T/f$i"; done) || fail "udp flood"
sleep 0.5
rcv=$(metric strata_udp_datagrams_received_total)
drp=$(metric strata_udp_datagrams_dropped_total)
pts=$(metric 'strata_points_written_total{source="udp"}')
expect_eq "flood: every datagram seen" 40 "$rcv"
expect_eq "flood: stored + dropped = sent" 800 $((pts + drp * 20))
echo "udp flood: $pts points stored, $drp datagrams dropped"
stop_server
echo "ok"
