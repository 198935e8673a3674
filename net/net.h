/*
 * net/net.h: the Strata server (stratad) as a library: one libuv event loop
 * that accepts InfluxDB 1.x line protocol over HTTP, raw TCP and UDP, and a
 * pool of worker threads that parse it and commit it to the storage engine.
 *
 * The loop only moves bytes: it accepts, reads, parses HTTP framing and
 * writes responses. Everything that may block (line-protocol parsing,
 * stg_batch_commit waiting for the WAL fsync, LMDB write transactions,
 * queries) runs on the workers; the response is written when the worker is
 * done. Memory is bounded: a body limit per request, a limit on write
 * requests in progress (beyond it the loop stops reading from sockets, so
 * clients feel back-pressure instead of the server buffering), a UDP
 * backlog limit (beyond it datagrams are dropped and counted).
 *
 * Life cycle: net_server_open() opens the engine, creates the configured
 * databases and binds every listener; net_server_run() serves until
 * SIGTERM/SIGINT or net_server_stop(), then stops accepting, finishes the
 * requests in progress (or force-closes them after shutdown-timeout),
 * waits for the workers and returns; net_server_close() closes the engine,
 * which checkpoints.
 *
 * The process must ignore SIGPIPE (tools/stratad.c does): a client that
 * disconnects while its answer is written must not kill the server.
 */
#ifndef STRATA_NET_NET_H
#define STRATA_NET_NET_H

#include "common/error.h"
#include "common/log.h"
#include "net/config.h"

typedef struct net_server net_server;

/*
 * Open the data directory, create the databases of cfg (--db, --tcp-db,
 * --udp-db), bind the listeners and start the worker threads.
 * cfg and log are borrowed and must outlive the server; cfg must have
 * been through net_config_load() or net_config_resolve().
 *
 * Ownership: *out is the caller's; free it with net_server_close().
 * @return STRATA_OK; the codes of stg_engine_open() (STRATA_EBUSY: another
 *         process uses the data directory, ...); STRATA_EIO (an address is
 *         in use or cannot be bound: err names it); STRATA_EINVAL;
 *         STRATA_ENOMEM
 */
int net_server_open(const net_config *cfg, const strata_logger *log, net_server **out,
                    strata_error *err);

/*
 * Serve until stopped (SIGTERM, SIGINT, net_server_stop()). Installs the
 * signal handlers for its duration. Call once, from the thread that opened
 * the server.
 * @return STRATA_OK after a clean shutdown; STRATA_EINTERNAL if libuv failed
 */
int net_server_run(net_server *s, strata_error *err);

/*
 * Ask a running server to shut down as SIGTERM does. Thread-safe and
 * async-signal-safe (it only wakes the loop).
 */
void net_server_stop(net_server *s);

/* Stop the workers, close the engine (it checkpoints), free s. s may be NULL. */
void net_server_close(net_server *s);

/* The bound HTTP / TCP / UDP port (useful with port 0), or 0 when off. */
int net_server_port(net_server *s, char kind /* 'h', 't' or 'u' */);

#endif
