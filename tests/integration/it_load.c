/*
 * tests/integration/it_load.c: the client side of the integration tests and
 * of the ingest benchmark, so that they need nothing beyond curl and bash.
 *
 *   it_load port
 *       print a free loopback port (TCP and UDP both free when checked)
 *   it_load udp PORT FILE...
 *       send each FILE as one UDP datagram to 127.0.0.1:PORT, 2 ms apart
 *       (env IT_UDP_GAP_US changes the gap; 0: back to back)
 *   it_load tcp PORT FILE [SEED]
 *       stream FILE to 127.0.0.1:PORT in pieces of random size (seeded),
 *       so that lines are split across reads, then close
 *   it_load gen PORT DB WRITERS BATCHES LINES ACKFILE [gzip]
 *       WRITERS threads, each posting BATCHES batches of LINES generated
 *       lines to /write over one keep-alive connection. Each batch that
 *       gets 204 is appended to ACKFILE as "<writer> <batch>". A writer
 *       stops at its first failure (the server was killed): the exit
 *       status is 0 either way, the ACKFILE is the truth. Line i of batch
 *       b of writer w is
 *         load,w=<w>,b=<b> v=<i>i <1e18 + w*1e12 + b*1e6 + i>
 *   it_load fuzz PORT SEED CONNS
 *       CONNS connections sending mutated HTTP requests (valid ones with
 *       bytes flipped, cut, repeated; wrong lengths; bad chunk sizes;
 *       gzip garbage; pipelined), reading whatever comes back. Prints the
 *       seed. Exit 0 as long as the server kept accepting connections.
 *   it_load file PORT DB WRITERS LINES FILE [gzip] [v2]
 *       split FILE into batches of LINES lines, post them with WRITERS
 *       concurrent keep-alive connections (batches in file order, taken
 *       by whichever writer is free), and print the rate:
 *         points=N seconds=S points_per_sec=R
 *       Fails (exit 1) on any answer other than 204.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (b == NULL || fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return b;
}

/* gzip-compress in into a malloc'd buffer. */
static char *gzip_buf(const char *in, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    char *out = malloc(cap);
    if (out == NULL) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------------ http */

typedef struct http_conn {
    int fd, port;
    char buf[65536];
    size_t len;
} http_conn;

/*
 * POST body to path over c (reconnecting if needed). @return the status,
 * or -1 when the connection failed. The response body is discarded.
 */
static int http_post(http_conn *c, const char *path, const char *body, size_t len, int gzip)
{
    char head[512];
    if (c->fd < 0) {
        c->fd = connect_port(c->port);
        c->len = 0;
        if (c->fd < 0) return -1;
    }
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n%s"
                      "Content-Type: text/plain\r\n\r\n",
                      path, len, gzip ? "Content-Encoding: gzip\r\n" : "");
    if (write_all(c->fd, head, (size_t)hl) != 0 || write_all(c->fd, body, len) != 0) goto broken;
    /* Read the status line and headers, then Content-Length bytes. */
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end != NULL) {
            size_t hlen = (size_t)(end - c->buf) + 4;
            int status = 0;
            if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) goto broken;
            size_t clen = 0;
            int close_after = 0;
            for (char *p = c->buf; p < end; p++) {
                if (strncasecmp(p, "\r\nContent-Length:", 17) == 0)
                    clen = strtoul(p + 17, NULL, 10);
                if (strncasecmp(p, "\r\nConnection: close", 19) == 0) close_after = 1;
            }
            while (c->len < hlen + clen) {
                if (hlen + clen > sizeof c->buf) goto broken;
                ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
                if (r <= 0) goto broken;
                c->len += (size_t)r;
            }
            if (status != 204 && clen > 0)
                fprintf(stderr, "it_load: %d %.*s\n", status, (int)clen, c->buf + hlen);
            memmove(c->buf, c->buf + hlen + clen, c->len - hlen - clen);
            c->len -= hlen + clen;
            if (close_after) {
                close(c->fd);
                c->fd = -1;
            }
            return status;
        }
        if (c->len == sizeof c->buf) goto broken;
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r <= 0) goto broken;
        c->len += (size_t)r;
    }
broken:
    close(c->fd);
    c->fd = -1;
    return -1;
}

/* -------------------------------------------------------------------- gen */

typedef struct gen_arg {
    int port, w, batches, lines, gzip;
    const char *db;
    FILE *ack;
    pthread_mutex_t *ack_mu;
} gen_arg;

static void *gen_main(void *p)
{
    gen_arg *a = p;
    http_conn *c = calloc(1, sizeof *c);
    char path[256];
    size_t cap = (size_t)a->lines * 80 + 64;
    char *body = malloc(cap);
    if (c == NULL || body == NULL) goto done;
    c->fd = -1;
    c->port = a->port;
    snprintf(path, sizeof path, "/write?db=%s", a->db);
    for (int b = 0; b < a->batches; b++) {
        size_t n = 0;
        for (int i = 0; i < a->lines; i++)
            n += (size_t)snprintf(body + n, cap - n, "load,w=%d,b=%d v=%di %lld\n", a->w, b, i,
                                  1000000000000000000LL + (long long)a->w * 1000000000000LL +
                                      (long long)b * 1000000LL + i);
        const char *send_body = body;
        size_t send_len = n;
        char *gz = NULL;
        if (a->gzip) {
            gz = gzip_buf(body, n, &send_len);
            send_body = gz;
        }
        int st = send_body ? http_post(c, path, send_body, send_len, a->gzip) : -1;
        free(gz);
        if (st != 204) break;
        pthread_mutex_lock(a->ack_mu);
        fprintf(a->ack, "%d %d\n", a->w, b);
        fflush(a->ack);
        pthread_mutex_unlock(a->ack_mu);
    }
done:
    if (c && c->fd >= 0) close(c->fd);
    free(c);
    free(body);
    return NULL;
}

static int cmd_gen(int argc, char **argv)
{
    if (argc < 8) return 2;
    int port = atoi(argv[2]), writers = atoi(argv[4]), batches = atoi(argv[5]),
        lines = atoi(argv[6]);
    FILE *ack = fopen(argv[7], "w");
    if (ack == NULL) return 1;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_t th[64];
    gen_arg args[64];
    if (writers > 64) writers = 64;
    for (int i = 0; i < writers; i++) {
        args[i] = (gen_arg){port, i, batches, lines, argc > 8, argv[3], ack, &mu};
        pthread_create(&th[i], NULL, gen_main, &args[i]);
    }
    for (int i = 0; i < writers; i++)
        pthread_join(th[i], NULL);
    fclose(ack);
    return 0;
}

/* ------------------------------------------------------------------- file */

typedef struct batch {
    const char *p;
    size_t len, points;
} batch;

typedef struct file_run {
    int port, gzip, v2;
    const char *db;
    batch *batches;
    size_t nbatches;
    atomic_size_t next;
    atomic_int failed;
    char **gz; /* pre-compressed batches (gzip), so the client's CPU does not count */
    size_t *gzlen;
} file_run;

static void *file_main(void *p)
{
    file_run *r = p;
    http_conn *c = calloc(1, sizeof *c);
    char path[256];
    if (c == NULL) {
        r->failed = 1;
        return NULL;
    }
    c->fd = -1;
    c->port = r->port;
    if (r->v2)
        snprintf(path, sizeof path, "/api/v2/write?bucket=%s&org=x", r->db);
    else
        snprintf(path, sizeof path, "/write?db=%s", r->db);
    for (;;) {
        size_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->nbatches || r->failed) break;
        int st = r->gzip ? http_post(c, path, r->gz[i], r->gzlen[i], 1)
                         : http_post(c, path, r->batches[i].p, r->batches[i].len, 0);
        if (st != 204) {
            fprintf(stderr, "it_load: batch %zu: status %d\n", i, st);
            r->failed = 1;
            break;
        }
    }
    if (c->fd >= 0) close(c->fd);
    free(c);
    return NULL;
}

static int cmd_file(int argc, char **argv)
{
    if (argc < 7) return 2;
    file_run r;
    memset(&r, 0, sizeof r);
    r.port = atoi(argv[2]);
    r.db = argv[3];
    int writers = atoi(argv[4]);
    size_t lines = (size_t)atol(argv[5]), len;
    for (int i = 7; i < argc; i++) {
        r.gzip |= strcmp(argv[i], "gzip") == 0;
        r.v2 |= strcmp(argv[i], "v2") == 0;
    }
    char *data = read_file(argv[6], &len);
    if (data == NULL) {
        fprintf(stderr, "it_load: cannot read %s\n", argv[6]);
        return 1;
    }
    size_t cap = 1024, total = 0;
    r.batches = malloc(cap * sizeof *r.batches);
    for (size_t off = 0; off < len;) {
        size_t start = off, n = 0;
        while (off < len && n < lines) {
            const char *nl = memchr(data + off, '\n', len - off);
            off = nl ? (size_t)(nl - data) + 1 : len;
            n++;
        }
        if (r.nbatches == cap) r.batches = realloc(r.batches, (cap *= 2) * sizeof *r.batches);
        r.batches[r.nbatches++] = (batch){data + start, off - start, n};
        total += n;
    }
    if (r.gzip) {
        r.gz = calloc(r.nbatches, sizeof *r.gz);
        r.gzlen = calloc(r.nbatches, sizeof *r.gzlen);
        for (size_t i = 0; i < r.nbatches; i++)
            r.gz[i] = gzip_buf(r.batches[i].p, r.batches[i].len, &r.gzlen[i]);
    }
    pthread_t th[64];
    if (writers > 64) writers = 64;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < writers; i++)
        pthread_create(&th[i], NULL, file_main, &r);
    for (int i = 0; i < writers; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("points=%zu batches=%zu seconds=%.3f points_per_sec=%.0f\n", total, r.nbatches, secs,
           (double)total / secs);
    for (size_t i = 0; r.gz && i < r.nbatches; i++)
        free(r.gz[i]);
    free(r.gz);
    free(r.gzlen);
    free(r.batches);
    free(data);
    return r.failed ? 1 : 0;
}

/* ------------------------------------------------------------- udp, tcp */

/* Lowest port of the kernel's ephemeral range (outgoing connections take ports from it). */
static int ephemeral_low(void)
{
    int lo = 32768, hi;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &lo, &hi) != 2) lo = 32768;
        fclose(f);
    }
    return lo > 12000 ? lo : 61000;
}

/* True when PORT can be bound on 127.0.0.1 with socket type TYPE. */
static int port_free(int port, int type)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/* A random port below the ephemeral range, free for TCP and UDP when checked: a port the kernel
 * picked from its ephemeral range could meanwhile be taken by any outgoing connection. */
static int cmd_port(void)
{
    int lo = ephemeral_low();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned seed = (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 16);
    for (int tries = 0; tries < 200; tries++) {
        int p = 10000 + (int)(rand_r(&seed) % (unsigned)(lo - 10000));
        if (port_free(p, SOCK_STREAM) && port_free(p, SOCK_DGRAM)) {
            printf("%d\n", p);
            return 0;
        }
    }
    return 1;
}

static int cmd_udp(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *gap = getenv("IT_UDP_GAP_US");
    long gap_us = gap ? atol(gap) : 2000;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 3; i < argc; i++) {
        size_t len;
        char *d = read_file(argv[i], &len);
        if (d == NULL || sendto(fd, d, len, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)len) {
            fprintf(stderr, "it_load: cannot send %s\n", argv[i]);
            free(d);
            close(fd);
            return 1;
        }
        free(d);
        if (gap_us > 0) usleep((useconds_t)gap_us); /* keep the receiver's queue short */
    }
    close(fd);
    return 0;
}

static int cmd_tcp(int argc, char **argv)
{
    if (argc < 4) return 2;
    unsigned seed = argc > 4 ? (unsigned)atoi(argv[4]) : 1;
    size_t len;
    char *d = read_file(argv[3], &len);
    int fd = connect_port(atoi(argv[2]));
    if (d == NULL || fd < 0) {
        fprintf(stderr, "it_load: cannot read %s or connect\n", argv[3]);
        free(d);
        return 1;
    }
    srand(seed);
    for (size_t off = 0; off < len;) {
        size_t n = 1 + (size_t)rand() % 97;
        if (n > len - off) n = len - off;
        if (write_all(fd, d + off, n) != 0) {
            free(d);
            close(fd);
            return 1;
        }
        off += n;
        if (rand() % 8 == 0) usleep(1000); /* let the server see the piece on its own */
    }
    shutdown(fd, SHUT_WR);
    char tmp[64];
    while (recv(fd, tmp, sizeof tmp, 0) > 0) {
    }
    close(fd);
    free(d);
    return 0;
}

/* ------------------------------------------------------------------- fuzz */

static const char *fuzz_seeds[] = {
    "POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nfz,a=b v=1 1",
    "POST /write?db=db&precision=s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nfz v=\r\n3\r\n2 3\r\n0\r\n\r\n",
    "POST /write?db=db HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n"
    "fz v=3 3\n",
    "POST /write?db=db HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff",
    "GET /query?q=SHOW%20DATABASES HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /query HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 21\r\n\r\nq=CREATE+DATABASE+fz",
    "POST /api/v2/write?bucket=db/autogen&precision=ms HTTP/1.1\r\nContent-Length: 8\r\n\r\n"
    "fz v=1 1",
    "GET /ping?verbose=1 HTTP/1.0\r\n\r\n",
    "HEAD /ping HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n",
    "OPTIONS /write HTTP/1.1\r\n\r\n",
};

static void *fuzz_main(void *p)
{
    int *arg = p; /* port, seed */
    unsigned seed = (unsigned)arg[1];
    char buf[4096], in[65536];
    for (int round = 0; round < 200; round++) {
        int fd = connect_port(arg[0]);
        if (fd < 0) {
            arg[2] = 1;
            return NULL;
        }
        int nreq = 1 + rand_r(&seed) % 4;
        size_t n = 0;
        for (int r = 0; r < nreq && n < sizeof buf / 2; r++) {
            const char *s = fuzz_seeds[rand_r(&seed) % (sizeof fuzz_seeds / sizeof *fuzz_seeds)];
            size_t l = strlen(s);
            memcpy(buf + n, s, l);
            /* Mutations: flip, cut, duplicate a slice, insert a huge number. */
            int m = rand_r(&seed) % 6;
            if (m == 0) {
                for (int k = 0; k < 3; k++)
                    buf[n + (size_t)rand_r(&seed) % l] ^= (char)(1 << (rand_r(&seed) % 8));
            } else if (m == 1) {
                l = (size_t)rand_r(&seed) % l;
            } else if (m == 2 && 2 * l < sizeof buf / 2) {
                size_t a = (size_t)rand_r(&seed) % l, b = (size_t)rand_r(&seed) % l;
                if (a > b) {
                    size_t t = a;
                    a = b;
                    b = t;
                }
                memcpy(buf + n + l, buf + n + a, b - a);
                l += b - a;
            } else if (m == 3) {
                char *cl = memmem(buf + n, l, "Length: ", 8);
                if (cl) memcpy(cl + 8, "99999", 5 < (buf + n + l - cl - 8) ? 5 : 0);
            }
            n += l;
        }
        write_all(fd, buf, n);
        if (rand_r(&seed) % 2) shutdown(fd, SHUT_WR);
        struct timeval tv = {0, 20000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        while (recv(fd, in, sizeof in, 0) > 0) {
        }
        close(fd);
    }
    return NULL;
}

static int cmd_fuzz(int argc, char **argv)
{
    if (argc < 5) return 2;
    int conns = atoi(argv[4]);
    if (conns > 16) conns = 16;
    pthread_t th[16];
    int args[16][3];
    printf("fuzz seed %s\n", argv[3]);
    for (int i = 0; i < conns; i++) {
        args[i][0] = atoi(argv[2]);
        args[i][1] = (int)(((unsigned)atoi(argv[3]) * 131u + (unsigned)i) & 0x7fffffff);
        args[i][2] = 0;
        pthread_create(&th[i], NULL, fuzz_main, args[i]);
    }
    int failed = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(th[i], NULL);
        failed |= args[i][2];
    }
    if (failed) fprintf(stderr, "it_load: the server stopped accepting connections\n");
    return failed;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "port") == 0)
        rc = cmd_port();
    else if (argc >= 2 && strcmp(argv[1], "udp") == 0)
        rc = cmd_udp(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "tcp") == 0)
        rc = cmd_tcp(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "gen") == 0)
        rc = cmd_gen(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "file") == 0)
        rc = cmd_file(argc, argv);
    else if (argc >= 2 && strcmp(argv[1], "fuzz") == 0)
        rc = cmd_fuzz(argc, argv);
    if (rc == 2)
        fprintf(stderr,
                "usage: it_load port | udp PORT FILE... | tcp PORT FILE [SEED] |\n"
                "       gen PORT DB WRITERS BATCHES LINES ACKFILE [gzip] |\n"
                "       file PORT DB WRITERS LINES FILE [gzip] [v2] | fuzz PORT SEED CONNS\n");
    return rc;
}
