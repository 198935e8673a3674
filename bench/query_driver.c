/*
 * bench/query_driver.c: the client of the query benchmark (bench/query_bench.sh).
 *
 * Why a C program: the benchmark compares sub-millisecond latencies of two
 * servers, so the client must add as little and as steady a cost as possible,
 * and the same cost to both. This driver keeps one keep-alive HTTP/1.1
 * connection per server on loopback (TCP_NODELAY), sends one GET /query at a
 * time and times each request from the first byte written to the last byte of
 * the body read (CLOCK_MONOTONIC). Both servers get exactly the same request
 * bytes; requests alternate between the servers (A then B for even queries,
 * B then A for odd ones) so that machine noise hits both alike.
 *
 * Usage:
 *   query_driver --server NAME=HOST:PORT --server NAME=HOST:PORT --db DB
 *                --queries FILE --out DIR [--warmup N]
 *
 * FILE: one query per line, "TYPE<TAB>INFLUXQL"; queries of a type must be
 * contiguous. Before the measured queries of a type, its first N (default 2)
 * queries are sent once to each server unmeasured (warm-up).
 * Output: DIR/<NAME>/<line>.json, each answer body (line numbered from 1), and
 * DIR/latency.tsv with one row per measured request:
 *   line  type  server  http_status  latency_us  body_bytes
 * Exit status 0 when every request got a complete HTTP answer (whatever its
 * status: the comparison is the caller's job), 1 on a connection or protocol
 * failure, 2 on bad usage.
 *
 * A benchmark tool, not a server component: it exits on the first error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QD_MAX_SERVERS 2

typedef struct qd_conn {
    const char *name;
    char host[256];
    int port;
    int fd;
    char *in;      /* bytes read but not yet consumed */
    size_t in_len; /* valid bytes in in[] */
    size_t in_off; /* consumed prefix of in[] */
    size_t in_cap;
    char *body; /* the last response body (de-chunked) */
    size_t body_len;
    size_t body_cap;
    int status;
    int keep_alive;
} qd_conn;

static void qd_die(const char *what)
{
    fprintf(stderr, "query_driver: %s\n", what);
    exit(1);
}

static int64_t qd_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void qd_connect(qd_conn *c)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)c->port);
    if (inet_pton(AF_INET, c->host, &a.sin_addr) != 1) qd_die("bad IPv4 address in --server");
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) qd_die("socket failed");
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "query_driver: connect to %s:%d: %s\n", c->host, c->port, strerror(errno));
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->in_len = c->in_off = 0;
}

/* Make sure at least `need` unconsumed bytes are buffered; 0 on success, -1 on EOF. */
static int qd_fill(qd_conn *c, size_t need)
{
    while (c->in_len - c->in_off < need) {
        if (c->in_off > 0 && c->in_off == c->in_len) c->in_off = c->in_len = 0;
        if (c->in_cap - c->in_len < 65536) {
            if (c->in_off > 0) {
                memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
                c->in_len -= c->in_off;
                c->in_off = 0;
            }
            if (c->in_cap - c->in_len < 65536) {
                size_t cap = c->in_cap ? c->in_cap * 2 : 1 << 20;
                while (cap - c->in_len < 65536)
                    cap *= 2;
                char *p = realloc(c->in, cap);
                if (p == NULL) qd_die("out of memory");
                c->in = p;
                c->in_cap = cap;
            }
        }
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        c->in_len += (size_t)n;
    }
    return 0;
}

/* One CRLF-terminated line from the buffer, NUL-terminated in place (the CR). */
static char *qd_line(qd_conn *c)
{
    for (;;) {
        char *s = c->in + c->in_off;
        size_t avail = c->in_len - c->in_off;
        char *nl = memchr(s, '\n', avail);
        if (nl != NULL) {
            *nl = '\0';
            if (nl > s && nl[-1] == '\r') nl[-1] = '\0';
            c->in_off += (size_t)(nl - s) + 1;
            return s;
        }
        if (qd_fill(c, avail + 1) != 0) return NULL;
    }
}

static void qd_body_append(qd_conn *c, const char *p, size_t n)
{
    if (c->body_len + n + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 1 << 16;
        while (cap < c->body_len + n + 1)
            cap *= 2;
        char *b = realloc(c->body, cap);
        if (b == NULL) qd_die("out of memory");
        c->body = b;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, p, n);
    c->body_len += n;
    c->body[c->body_len] = '\0';
}

static int qd_read_exact(qd_conn *c, size_t n)
{
    while (n > 0) {
        if (c->in_len == c->in_off && qd_fill(c, 1) != 0) return -1;
        size_t take = c->in_len - c->in_off;
        if (take > n) take = n;
        qd_body_append(c, c->in + c->in_off, take);
        c->in_off += take;
        n -= take;
    }
    return 0;
}

/* Read one response (status line, headers, body by Content-Length or chunked). */
static int qd_read_response(qd_conn *c)
{
    char *l = qd_line(c);
    if (l == NULL || strncmp(l, "HTTP/1.", 7) != 0 || strlen(l) < 12) return -1;
    c->status = atoi(l + 9);
    c->keep_alive = l[7] == '1';
    long long clen = -1;
    int chunked = 0;
    for (;;) {
        l = qd_line(c);
        if (l == NULL) return -1;
        if (*l == '\0') break;
        if (strncasecmp(l, "Content-Length:", 15) == 0) clen = atoll(l + 15);
        if (strncasecmp(l, "Transfer-Encoding:", 18) == 0 && strstr(l, "chunked")) chunked = 1;
        if (strncasecmp(l, "Connection:", 11) == 0 && strstr(l, "close")) c->keep_alive = 0;
    }
    c->body_len = 0;
    qd_body_append(c, "", 0);
    if (chunked) {
        for (;;) {
            l = qd_line(c);
            if (l == NULL) return -1;
            size_t n = (size_t)strtoull(l, NULL, 16);
            if (n == 0) {
                do { /* trailers up to the empty line */
                    l = qd_line(c);
                    if (l == NULL) return -1;
                } while (*l != '\0');
                break;
            }
            if (qd_read_exact(c, n) != 0) return -1;
            l = qd_line(c);
            if (l == NULL) return -1;
        }
    } else if (clen >= 0) {
        if (qd_read_exact(c, (size_t)clen) != 0) return -1;
    } else {
        /* No length: the body runs to EOF. */
        while (qd_fill(c, 1) == 0) {
            qd_body_append(c, c->in + c->in_off, c->in_len - c->in_off);
            c->in_off = c->in_len;
        }
        c->keep_alive = 0;
    }
    return 0;
}

/* Send the request and read the answer; returns the latency in ns. */
static int64_t qd_request(qd_conn *c, const char *req, size_t req_len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0) qd_connect(c);
        int64_t t0 = qd_now_ns();
        size_t off = 0;
        int ok = 1;
        while (off < req_len) {
            ssize_t n = write(c->fd, req + off, req_len - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ok = 0;
                break;
            }
            off += (size_t)n;
        }
        if (ok && qd_read_response(c) == 0) {
            int64_t dt = qd_now_ns() - t0;
            if (!c->keep_alive) {
                close(c->fd);
                c->fd = -1;
            }
            return dt;
        }
        /* The server closed an idle keep-alive connection: reconnect once. */
        close(c->fd);
        c->fd = -1;
    }
    fprintf(stderr, "query_driver: no complete answer from %s\n", c->name);
    exit(1);
}

typedef struct qd_str {
    char *p;
    size_t len, cap;
} qd_str;

static void qd_str_put(qd_str *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) qd_die("out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static void qd_str_urlencode(qd_str *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            qd_str_put(b, s, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            qd_str_put(b, e, 3);
        }
    }
}

typedef struct qd_query {
    char *type;
    char *req; /* the complete HTTP request */
    size_t req_len;
} qd_query;

static void qd_save(const char *dir, const qd_conn *c, size_t line)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%zu.json", dir, c->name, line);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(c->body, 1, c->body_len, f) != c->body_len || fclose(f) != 0) {
        fprintf(stderr, "query_driver: cannot write %s\n", path);
        exit(1);
    }
}

static void qd_usage(void)
{
    fprintf(stderr, "usage: query_driver --server NAME=HOST:PORT --server NAME=HOST:PORT "
                    "--db DB --queries FILE --out DIR [--warmup N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    qd_conn srv[QD_MAX_SERVERS];
    int nsrv = 0;
    const char *db = NULL, *qfile = NULL, *outdir = NULL;
    int warmup = 2;
    memset(srv, 0, sizeof srv);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) qd_usage();
        if (strcmp(argv[i], "--server") == 0) {
            if (nsrv == QD_MAX_SERVERS) qd_usage();
            char *spec = argv[++i];
            char *eq = strchr(spec, '=');
            char *colon = strrchr(spec, ':');
            if (eq == NULL || colon == NULL || colon < eq) qd_usage();
            *eq = '\0';
            *colon = '\0';
            srv[nsrv].name = spec;
            snprintf(srv[nsrv].host, sizeof srv[nsrv].host, "%s", eq + 1);
            srv[nsrv].port = atoi(colon + 1);
            srv[nsrv].fd = -1;
            nsrv++;
        } else if (strcmp(argv[i], "--db") == 0) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--queries") == 0) {
            qfile = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0) {
            outdir = argv[++i];
        } else if (strcmp(argv[i], "--warmup") == 0) {
            warmup = atoi(argv[++i]);
        } else {
            qd_usage();
        }
    }
    if (nsrv < 1 || db == NULL || qfile == NULL || outdir == NULL) qd_usage();

    /* Read the queries and build each request once. */
    FILE *f = fopen(qfile, "r");
    if (f == NULL) qd_die("cannot open the query file");
    qd_query *qs = NULL;
    size_t nq = 0, qcap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t ll;
    while ((ll = getline(&line, &lcap, f)) > 0) {
        while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
            line[--ll] = '\0';
        char *tab = strchr(line, '\t');
        if (tab == NULL) qd_die("query line without TAB");
        *tab = '\0';
        if (nq == qcap) {
            qcap = qcap ? qcap * 2 : 256;
            qs = realloc(qs, qcap * sizeof *qs);
            if (qs == NULL) qd_die("out of memory");
        }
        qd_str r = {0};
        const char *pre = "GET /query?db=";
        const char *tail = " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: strata-query-driver\r\n"
                           "Accept: application/json\r\n\r\n";
        qd_str_put(&r, pre, strlen(pre));
        qd_str_urlencode(&r, db);
        qd_str_put(&r, "&q=", 3);
        qd_str_urlencode(&r, tab + 1);
        qd_str_put(&r, tail, strlen(tail));
        qs[nq].type = strdup(line);
        qs[nq].req = r.p;
        qs[nq].req_len = r.len;
        nq++;
    }
    free(line);
    fclose(f);

    char path[4096];
    mkdir(outdir, 0755);
    for (int s = 0; s < nsrv; s++) {
        snprintf(path, sizeof path, "%s/%s", outdir, srv[s].name);
        mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/latency.tsv", outdir);
    FILE *lat = fopen(path, "w");
    if (lat == NULL) qd_die("cannot create latency.tsv");
    fprintf(lat, "line\ttype\tserver\tstatus\tlatency_us\tbytes\n");

    for (size_t i = 0; i < nq; i++) {
        if (i == 0 || strcmp(qs[i].type, qs[i - 1].type) != 0) {
            /* Warm-up: the first queries of this type, unmeasured. */
            for (size_t w = i; w < nq && w < i + (size_t)warmup; w++) {
                if (strcmp(qs[w].type, qs[i].type) != 0) break;
                for (int s = 0; s < nsrv; s++)
                    qd_request(&srv[s], qs[w].req, qs[w].req_len);
            }
        }
        for (int k = 0; k < nsrv; k++) {
            int s = (i % 2 == 0) ? k : nsrv - 1 - k;
            int64_t dt = qd_request(&srv[s], qs[i].req, qs[i].req_len);
            qd_save(outdir, &srv[s], i + 1);
            fprintf(lat, "%zu\t%s\t%s\t%d\t%.1f\t%zu\n", i + 1, qs[i].type, srv[s].name,
                    srv[s].status, dt / 1e3, srv[s].body_len);
        }
    }
    if (fclose(lat) != 0) qd_die("cannot write latency.tsv");
    for (int s = 0; s < nsrv; s++) {
        if (srv[s].fd >= 0) close(srv[s].fd);
        free(srv[s].in);
        free(srv[s].body);
    }
    for (size_t i = 0; i < nq; i++) {
        free(qs[i].type);
        free(qs[i].req);
    }
    free(qs);
    return 0;
}
