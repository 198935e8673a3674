#!/usr/bin/env bash
# Real clients against the real stratad: Debian's `influx` CLI (influxdb-client)
# creates a database and writes with INSERT; Debian's collectd sends its own
# metrics with the write_influxdb_udp plugin to the UDP listener (collectd
# stamps its points in milliseconds, so the listener runs with precision ms). Both must
# arrive unchanged. A client that is not installed makes the test fail, since
# ./test.sh installs both (scripts/deps.sh --peer).
. "$(dirname "$0")/lib.sh"
it_setup

command -v influx >/dev/null || fail "influx CLI not installed (apt-get install influxdb-client)"
COLLECTD=$(command -v collectd || echo /usr/sbin/collectd)
[ -x "$COLLECTD" ] || fail "collectd not installed (apt-get install collectd-core)"
[ -f /usr/lib/collectd/write_influxdb_udp.so ] || fail "collectd's write_influxdb_udp plugin missing"

UP=$(free_port)
start_server --udp-bind "127.0.0.1:$UP" --udp-db collectd --udp-precision ms

# influx CLI: CREATE DATABASE through /query, INSERT through /write.
out=$(influx -host 127.0.0.1 -port "$HP" -execute 'CREATE DATABASE cli' 2>&1) ||
    fail "influx CREATE DATABASE: $out"
out=$(influx -host 127.0.0.1 -port "$HP" -database cli -precision ns \
    -execute 'INSERT weather,city=Paris,kind=obs temp=21.5,hum=40i,ok=true,note="sunny \"day\"" 1700000000000000000' 2>&1) ||
    fail "influx INSERT: $out"
out=$(influx -host 127.0.0.1 -port "$HP" -database cli -precision ns \
    -execute 'INSERT weather,city=Oslo temp=-3.25 1700000001000000000' 2>&1) ||
    fail "influx INSERT: $out"
out=$(influx -host 127.0.0.1 -port "$HP" -database cli -execute 'SHOW DATABASES' 2>&1) ||
    fail "influx SHOW DATABASES: $out"
expect_match "SHOW DATABASES lists cli" "cli" "$out"

# collectd: its own cpu/memory/load metrics every second, over UDP.
cat >"$T/collectd.conf" <<CONF
Hostname "it-host"
Interval 1
BaseDir "$T/collectd"
PIDFile "$T/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin load
LoadPlugin memory
LoadPlugin write_influxdb_udp
<Plugin write_influxdb_udp>
  Server "127.0.0.1" "$UP"
  StoreRates true
</Plugin>
CONF
mkdir -p "$T/collectd"
"$COLLECTD" -f -C "$T/collectd.conf" >"$T/collectd.log" 2>&1 &
CD_PID=$!
got=""
for _ in $(seq 1 100); do
    got=$(metric 'strata_udp_datagrams_received_total')
    [ -n "$got" ] && [ "$got" != "0" ] && break
    sleep 0.2
done
sleep 2
kill -TERM "$CD_PID" 2>/dev/null
wait "$CD_PID" 2>/dev/null
[ -n "$got" ] && [ "$got" != "0" ] || {
    cat "$T/collectd.log" >&2
    fail "no collectd point arrived over UDP (metric strata_udp_datagrams_received_total=$got)"
}
stop_server

cli=$(dump cli)
expect_match "INSERT Paris" 'weather,city=Paris,kind=obs .*temp=21.5' "$cli"
expect_match "INSERT integer" 'hum=40i' "$cli"
expect_match "INSERT bool" 'ok=true' "$cli"
expect_match "INSERT string" 'note="sunny \\"day\\""' "$cli"
expect_match "INSERT Oslo" 'weather,city=Oslo .*temp=-3.25' "$cli"
cd=$(dump collectd)
expect_match "collectd load" "load,host=it-host,type=load .*shortterm=" "$cd"
expect_match "collectd memory" "memory,host=it-host,type=memory,type_instance=used .*value=" "$cd"
echo "clients: influx CLI and collectd OK"
