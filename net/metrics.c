/*
 * net/metrics.c: the server's counters and their Prometheus text format
 * (exposition format 0.0.4) for GET /metrics. Counters are relaxed atomics
 * bumped by the loop and the workers; a scrape reads each one once, so a
 * scrape is consistent per counter, not across counters. The engine's own
 * statistics (stg_engine_stats_get) are appended as gauges and counters.
 */
#include "net/net_int.h"

#include <inttypes.h>

static const int status_codes[NET_ST_N] = {NET_STATUS_LIST};
static const uint64_t lat_bounds_us[NET_LAT_N] = {NET_LAT_BOUNDS_US};
static const char *src_names[NET_SRC_N] = {"http", "tcp", "udp"};
static const char *ep_names[NET_EP_N] = {"write",  "api_v2_write", "query", "ping",
                                         "health", "metrics",      "other"};

#define LOAD(x) ((uint64_t)atomic_load_explicit(&(x), memory_order_relaxed))
#define ADD(x, v) atomic_fetch_add_explicit(&(x), (v), memory_order_relaxed)

void net__metrics_commit(net_metrics *m, int64_t dur_ns, int ok)
{
    uint64_t us = dur_ns > 0 ? (uint64_t)dur_ns / 1000 : 0;
    int b = 0;
    while (b < NET_LAT_N && us > lat_bounds_us[b])
        b++;
    ADD(m->commit_lat[b], 1);
    ADD(m->commit_count, 1);
    ADD(m->commit_sum_us, us);
    if (!ok) ADD(m->commit_errors, 1);
}

void net__metrics_http(net_metrics *m, int ep, int status)
{
    int i = 0;
    while (i < NET_ST_N && status_codes[i] != status)
        i++;
    if (ep < 0 || ep >= NET_EP_N) ep = NET_EP_OTHER;
    ADD(m->http_requests[ep][i], 1);
}

static int head(net_buf *o, const char *name, const char *type, const char *help)
{
    return net_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int per_src(net_buf *o, const char *name, const char *help,
                   atomic_uint_fast64_t v[NET_SRC_N])
{
    int rc = head(o, name, "counter", help);
    for (int i = 0; rc == STRATA_OK && i < NET_SRC_N; i++)
        rc = net_buf_printf(o, "%s{source=\"%s\"} %" PRIu64 "\n", name, src_names[i], LOAD(v[i]));
    return rc;
}

static int one(net_buf *o, const char *name, const char *type, const char *help, uint64_t v)
{
    int rc = head(o, name, type, help);
    return rc ? rc : net_buf_printf(o, "%s %" PRIu64 "\n", name, v);
}

int net__metrics_render(net_metrics *m, stg_engine *eng, net_buf *o)
{
    int rc = STRATA_OK;
    rc |= per_src(o, "strata_points_written_total", "Points stored, by ingest source.",
                  m->points_written);
    rc |= per_src(o, "strata_points_rejected_total",
                  "Points refused by the engine (field type conflicts, bad names).",
                  m->points_rejected);
    rc |= per_src(o, "strata_lines_bad_total", "Lines that failed to parse.", m->lines_bad);
    rc |= per_src(o, "strata_received_bytes_total",
                  "Line-protocol bytes received (HTTP bodies as sent, TCP stream, UDP payloads).",
                  m->bytes_received);
    rc |= per_src(o, "strata_write_batches_total",
                  "Write batches parsed (HTTP requests, TCP and UDP slices).", m->batches);

    rc |= head(o, "strata_http_requests_total", "counter", "HTTP requests by endpoint and status.");
    for (int e = 0; e < NET_EP_N; e++) {
        for (int s = 0; s <= NET_ST_N; s++) {
            uint64_t v = LOAD(m->http_requests[e][s]);
            if (v == 0) continue;
            if (s < NET_ST_N)
                rc |= net_buf_printf(
                    o, "strata_http_requests_total{endpoint=\"%s\",code=\"%d\"} %" PRIu64 "\n",
                    ep_names[e], status_codes[s], v);
            else
                rc |= net_buf_printf(
                    o, "strata_http_requests_total{endpoint=\"%s\",code=\"other\"} %" PRIu64 "\n",
                    ep_names[e], v);
        }
    }
    rc |= one(o, "strata_udp_datagrams_received_total", "counter", "UDP datagrams received.",
              LOAD(m->udp_datagrams));
    rc |= one(o, "strata_udp_datagrams_dropped_total", "counter",
              "UDP datagrams dropped because the backlog was full.", LOAD(m->udp_dropped));
    rc |= one(o, "strata_udp_dropped_bytes_total", "counter", "Bytes of dropped UDP datagrams.",
              LOAD(m->udp_dropped_bytes));
    rc |= one(o, "strata_tcp_connections_total", "counter", "Raw TCP connections accepted.",
              LOAD(m->tcp_connections));
    rc |= one(o, "strata_http_connections_total", "counter", "HTTP connections accepted.",
              LOAD(m->http_connections));
    rc |= one(o, "strata_connections_refused_total", "counter",
              "Connections closed at once because --max-connections was reached.",
              LOAD(m->conns_refused));
    rc |= head(o, "strata_open_connections", "gauge", "Connections open now, by kind.");
    rc |= net_buf_printf(o, "strata_open_connections{kind=\"http\"} %" PRId64 "\n",
                         (int64_t)atomic_load(&m->open_http));
    rc |= net_buf_printf(o, "strata_open_connections{kind=\"tcp\"} %" PRId64 "\n",
                         (int64_t)atomic_load(&m->open_tcp));
    rc |= one(o, "strata_writes_in_progress", "gauge",
              "Write requests being received or committed (admitted by --max-concurrent-writes).",
              (uint64_t)atomic_load(&m->writes_in_progress));
    rc |= one(o, "strata_write_waits_total", "counter",
              "Times a connection stopped being read while waiting for a write slot.",
              LOAD(m->read_pauses));

    rc |= head(o, "strata_commit_duration_seconds", "histogram",
               "Time of stg_batch_commit (WAL append and fsync included).");
    uint64_t cum = 0;
    for (int b = 0; b < NET_LAT_N; b++) {
        cum += LOAD(m->commit_lat[b]);
        rc |= net_buf_printf(o, "strata_commit_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                             (double)lat_bounds_us[b] / 1e6, cum);
    }
    cum += LOAD(m->commit_lat[NET_LAT_N]);
    rc |=
        net_buf_printf(o, "strata_commit_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
    rc |= net_buf_printf(o, "strata_commit_duration_seconds_sum %.6f\n",
                         (double)LOAD(m->commit_sum_us) / 1e6);
    rc |= net_buf_printf(o, "strata_commit_duration_seconds_count %" PRIu64 "\n",
                         LOAD(m->commit_count));
    rc |= one(o, "strata_commit_errors_total", "counter", "Commits that failed (answered 500).",
              LOAD(m->commit_errors));

    if (eng != NULL) {
        stg_engine_stats st;
        stg_engine_stats_get(eng, &st);
        rc |=
            one(o, "strata_engine_points_written_total", "counter",
                "Points the engine stored (all sources, WAL replay excluded).", st.points_written);
        rc |= one(o, "strata_values_written_total", "counter", "Field values the engine stored.",
                  st.values_written);
        rc |= one(o, "strata_engine_points_rejected_total", "counter", "Points the engine refused.",
                  st.points_rejected);
        rc |= one(o, "strata_engine_columns", "gauge", "Columns (series x field) in memory.",
                  st.columns);
        rc |= one(o, "strata_engine_series_cached", "gauge", "Series in the writer cache.",
                  st.series_cached);
        rc |= one(o, "strata_engine_heads_bytes", "gauge", "Encoded bytes of open heads.",
                  st.heads_bytes);
        rc |= one(o, "strata_engine_pending_bytes", "gauge",
                  "Bytes of sealed chunks not checkpointed yet.", st.pending_bytes);
        rc |= one(o, "strata_engine_chunks_sealed_total", "counter", "Chunks sealed.",
                  st.chunks_sealed);
        rc |= one(o, "strata_engine_checkpoints_total", "counter", "Checkpoints completed.",
                  st.checkpoints);
        rc |= one(o, "strata_engine_checkpoint_last_seconds", "gauge",
                  "Duration of the last checkpoint.", 0);
        o->len -= 2; /* replace the "0\n" with the real value */
        rc |= net_buf_printf(o, "%.6f\n", (double)st.checkpoint_ns_last / 1e9);
        rc |= one(o, "strata_engine_wal_bytes", "gauge", "Bytes of WAL segments on disk.",
                  st.wal_bytes);
        rc |= one(o, "strata_engine_map_bytes", "gauge", "Size of the LMDB map.", st.map_bytes);
        rc |= one(o, "strata_engine_replayed_records_total", "counter",
                  "WAL records replayed at start.", st.replayed_records);
        rc |= one(o, "strata_engine_replay_cut_bytes", "gauge",
                  "Bytes of torn WAL tail cut at start.", st.replay_cut_bytes);
    }
    return rc == STRATA_OK ? STRATA_OK : STRATA_ENOMEM;
}
