/*
 * tools/stratad.c: the Strata server's main. Everything happens in
 * net/ (net/net.h); this file only turns the command line and the
 * environment into a net_config, sets up the logger, and maps the outcome
 * to an exit status: 0 after a clean shutdown (or --help / --version),
 * 2 for a configuration error, 1 when the server cannot start or fails.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "net/config.h"
#include "net/net.h"

extern char **environ;

int main(int argc, char **argv)
{
    net_config cfg;
    strata_error err;
    net_server *srv = NULL;
    int status = 1;

    /* A client that goes away mid-response must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
    strata_error_clear(&err);
    if (net_config_init(&cfg, &err) != STRATA_OK) {
        fprintf(stderr, "stratad: %s\n", err.msg);
        return 1;
    }
    if (net_config_load(&cfg, argc, argv, environ, &err) != STRATA_OK) {
        fprintf(stderr, "stratad: %s\n", err.msg);
        status = 2;
        goto done;
    }
    if (cfg.show_help) {
        net_config_usage(stdout, "stratad");
        status = 0;
        goto done;
    }
    if (cfg.show_version) {
        printf("stratad %s (InfluxDB %s HTTP API)\n", NET_STRATA_VERSION, NET_INFLUX_VERSION);
        status = 0;
        goto done;
    }
    strata_logger log = {.sink = stderr, .level = cfg.log_level};
    if (cfg.config_path)
        strata_log(&log, STRATA_LOG_INFO, "server", "configuration file %s", cfg.config_path);
    if (net_server_open(&cfg, &log, &srv, &err) != STRATA_OK) {
        strata_log(&log, STRATA_LOG_ERROR, "server", "cannot start: %s", err.msg);
        goto done;
    }
    if (net_server_run(srv, &err) != STRATA_OK) {
        strata_log(&log, STRATA_LOG_ERROR, "server", "%s", err.msg);
        net_server_close(srv);
        goto done;
    }
    net_server_close(srv);
    strata_log(&log, STRATA_LOG_INFO, "server", "stopped cleanly");
    status = 0;
done:
    net_config_fini(&cfg);
    return status;
}
