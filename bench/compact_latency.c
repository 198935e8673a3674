/*
 * bench/compact_latency.c: a paced HTTP writer for bench/compact_latency.sh.
 *
 * Sends LINES-line batches of a line-protocol file to POST /write at a fixed
 * rate (open loop: batch i is due at start + i / rate, whatever happened to
 * batch i - 1) over one keep-alive connection, and records the latency of
 * each request from the moment it was due to the end of its response, so a
 * stall shows up in every batch that waited behind it (no coordinated
 * omission). Stops after SECONDS or at the end of the file. Prints one
 * summary line: requests, errors, p50, p90, p99, p99.9 and max in ms.
 *
 *   compact_latency PORT DB LINES RATE_PER_S SECONDS FILE
 *
 * Loopback only (127.0.0.1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Read one response; @return its status code, or -1. */
static int read_response(int fd)
{
    static char buf[65536];
    size_t len = 0;
    char *end = NULL;
    for (;;) {
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if ((end = strstr(buf, "\r\n\r\n")) != NULL) break;
        if (len == sizeof buf - 1) return -1;
    }
    int status = atoi(buf + 9);
    size_t body = 0, have = len - (size_t)(end + 4 - buf);
    char *cl = strcasestr(buf, "content-length:");
    if (cl && cl < end) body = strtoul(cl + 15, NULL, 10);
    while (have < body) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        have += (size_t)r;
    }
    return status;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: compact_latency PORT DB LINES RATE_PER_S SECONDS FILE\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *db = argv[2];
    long lines = atol(argv[3]);
    double rate = atof(argv[4]), secs = atof(argv[5]);
    FILE *f = fopen(argv[6], "r");
    if (f == NULL || lines <= 0 || rate <= 0 || secs <= 0) {
        fprintf(stderr, "compact_latency: bad arguments or unreadable file\n");
        return 2;
    }
    int fd = connect_to(port);
    if (fd < 0) {
        fprintf(stderr, "compact_latency: cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    size_t max_req = (size_t)(rate * secs) + 1, nlat = 0, body_cap = 1 << 20;
    int64_t *lat = malloc(max_req * sizeof *lat);
    char *body = malloc(body_cap), *line = NULL;
    size_t line_cap = 0;
    long errors = 0;
    char head[256];
    int64_t t0 = strata_mono_ns(), interval = (int64_t)(1e9 / rate);
    for (size_t i = 0; i < max_req; i++) {
        size_t blen = 0;
        long n = 0;
        ssize_t r;
        while (n < lines && (r = getline(&line, &line_cap, f)) > 0) {
            if (blen + (size_t)r > body_cap) {
                body_cap = (blen + (size_t)r) * 2;
                body = realloc(body, body_cap);
            }
            memcpy(body + blen, line, (size_t)r);
            blen += (size_t)r;
            n++;
        }
        if (n == 0) break;
        int64_t due = t0 + (int64_t)i * interval, now = strata_mono_ns();
        if (due > now) {
            struct timespec ts = {(time_t)((due - now) / 1000000000),
                                  (long)((due - now) % 1000000000)};
            nanosleep(&ts, NULL);
        }
        int hl = snprintf(head, sizeof head,
                          "POST /write?db=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          db, blen);
        int st = -1;
        if (send_all(fd, head, (size_t)hl) == 0 && send_all(fd, body, blen) == 0)
            st = read_response(fd);
        lat[nlat++] = strata_mono_ns() - due;
        if (st != 204) {
            errors++;
            if (st < 0) {
                close(fd);
                if ((fd = connect_to(port)) < 0) break;
            }
        }
    }
    double wall = (double)(strata_mono_ns() - t0) / 1e9;
    qsort(lat, nlat, sizeof *lat, cmp_i64);
#define PCT(p) (nlat ? (double)lat[(size_t)((double)(nlat - 1) * (p))] / 1e6 : 0.0)
    printf("requests=%zu errors=%ld seconds=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
           "p999_ms=%.2f max_ms=%.2f\n",
           nlat, errors, wall, PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999),
           nlat ? (double)lat[nlat - 1] / 1e6 : 0.0);
    close(fd);
    fclose(f);
    free(lat);
    free(body);
    free(line);
    return errors ? 1 : 0;
}
