/*
 * tools/strata_cli.c: what every `strata` subcommand shares at the edge: the
 * flag parser and help printer driven by a tl_cmd table, time parsing and
 * formatting (RFC3339 and nanoseconds), sizes, the progress line on stderr
 * and the JSON writer. No subcommand logic lives here.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "tools/strata_int.h"

/* ---------------------------------------------------------------- flags */

static int flag_index(const tl_cmd *cmd, const char *name, size_t len)
{
    for (int i = 0; i < cmd->nflags; i++)
        if (strlen(cmd->flags[i].name) == len && memcmp(cmd->flags[i].name, name, len) == 0)
            return i;
    return -1;
}

int tl_args_parse(const tl_cmd *cmd, int argc, char **argv, tl_args *a, strata_error *err)
{
    int flags_done = 0;
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!flags_done && strcmp(s, "--") == 0) {
            flags_done = 1;
            continue;
        }
        if (!flags_done && (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)) {
            a->help = 1;
            continue;
        }
        if (!flags_done && s[0] == '-' && s[1] != '\0') {
            if (s[1] != '-')
                return strata_error_set(err, STRATA_EINVAL, "unknown flag %s (flags start with --)",
                                        s);
            const char *name = s + 2, *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            int k = flag_index(cmd, name, nl);
            if (k < 0)
                return strata_error_set(err, STRATA_EINVAL, "unknown flag --%.*s", (int)nl, name);
            const tl_flag *f = &cmd->flags[k];
            if (f->arg == NULL) {
                if (eq) return strata_error_set(err, STRATA_EINVAL, "--%s takes no value", f->name);
                a->val[k] = "";
            } else if (eq) {
                a->val[k] = eq + 1;
            } else {
                if (i + 1 >= argc)
                    return strata_error_set(err, STRATA_EINVAL, "--%s needs a value (%s)", f->name,
                                            f->arg);
                a->val[k] = argv[++i];
            }
            if (a->set[k]) return strata_error_set(err, STRATA_EINVAL, "--%s given twice", f->name);
            a->set[k] = 1;
            continue;
        }
        if (a->npos >= cmd->max_pos || a->npos >= TL_MAX_POS)
            return strata_error_set(err, STRATA_EINVAL, "unexpected argument \"%s\"", s);
        a->pos[a->npos++] = s;
    }
    if (!a->help && a->npos < cmd->min_pos)
        return strata_error_set(err, STRATA_EINVAL, "missing argument (usage: strata %s %s)",
                                cmd->name, cmd->synopsis);
    return STRATA_OK;
}

const char *tl_arg(const tl_cmd *cmd, const tl_args *a, const char *name)
{
    int k = flag_index(cmd, name, strlen(name));
    return k >= 0 && a->set[k] ? a->val[k] : NULL;
}

int tl_arg_set(const tl_cmd *cmd, const tl_args *a, const char *name)
{
    int k = flag_index(cmd, name, strlen(name));
    return k >= 0 && a->set[k];
}

void tl_usage(FILE *out, const tl_cmd *cmd)
{
    fprintf(out, "Usage: strata %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->about);
    fprintf(out, "\nFlags:\n");
    for (int i = 0; i < cmd->nflags; i++) {
        const tl_flag *f = &cmd->flags[i];
        fprintf(out, "  --%s%s%s\n      %s\n", f->name, f->arg ? " " : "", f->arg ? f->arg : "",
                f->help);
    }
    fprintf(out, "  --help\n      print this help and exit\n");
    fprintf(out, "\nExit status:\n%s\n", cmd->exits);
    if (cmd->examples) fprintf(out, "\nExamples:\n%s\n", cmd->examples);
}

int tl_usage_error(const tl_cmd *cmd, const char *msg)
{
    fprintf(stderr, "strata %s: %s (see strata %s --help)\n", cmd->name, msg, cmd->name);
    return TL_EXIT_USAGE;
}

/* ----------------------------------------------------------------- time */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int tl_time_parse(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0) return STRATA_EINVAL;
    /* An integer: nanoseconds. */
    size_t k = s[0] == '-' ? 1 : 0;
    if (k < n && strspn(s + k, "0123456789") == n - k) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == ERANGE) return STRATA_ERANGE;
        *out = (int64_t)v;
        return STRATA_OK;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return STRATA_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return STRATA_EINVAL;
    const char *p = s + 10;
    int64_t frac = 0, off_s = 0;
    if (*p != '\0') {
        if (*p != 'T' && *p != 't' && *p != ' ') return STRATA_EINVAL;
        p++;
        if (strlen(p) < 8 || !digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) ||
            p[5] != ':' || !digits(p + 6, 2, &sec))
            return STRATA_EINVAL;
        if (h > 23 || mi > 59 || sec > 60) return STRATA_EINVAL;
        p += 8;
        if (*p == '.') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd >= 9) return STRATA_EINVAL;
                frac = frac * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd == 0) return STRATA_EINVAL;
            for (; nd < 9; nd++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (strlen(p) != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
                return STRATA_EINVAL;
            off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
            p += 6;
        } else {
            return STRATA_EINVAL;
        }
        if (*p != '\0') return STRATA_EINVAL;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off_s;
    __int128 ns = (__int128)secs * 1000000000 + frac;
    if (ns < INT64_MIN || ns > INT64_MAX) return STRATA_ERANGE;
    *out = (int64_t)ns;
    return STRATA_OK;
}

const char *tl_time_fmt(int64_t ns, char *buf, size_t cap)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, cap, "%lld", (long long)ns);
        return buf;
    }
    char day[48];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, cap, "%s.%09lldZ", day, (long long)frac);
    return buf;
}

const char *tl_go_duration(int64_t ns, char *buf, size_t cap)
{
    /* Go prints sub-second durations in ms/us/ns; RPs and shard groups are
     * at least an hour, so those are written as fractional seconds here. */
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    const char *sign = ns < 0 ? "-" : "";
    if (u == 0) {
        snprintf(buf, cap, "0s");
        return buf;
    }
    uint64_t s = u / 1000000000, frac = u % 1000000000;
    uint64_t h = s / 3600, m = s / 60 % 60, sec = s % 60;
    char fb[16] = "";
    if (frac) {
        int l = snprintf(fb, sizeof fb, ".%09llu", (unsigned long long)frac);
        while (l > 1 && fb[l - 1] == '0')
            fb[--l] = '\0';
    }
    if (h)
        snprintf(buf, cap, "%s%lluh%llum%llu%ss", sign, (unsigned long long)h,
                 (unsigned long long)m, (unsigned long long)sec, fb);
    else if (m)
        snprintf(buf, cap, "%s%llum%llu%ss", sign, (unsigned long long)m, (unsigned long long)sec,
                 fb);
    else
        snprintf(buf, cap, "%s%llu%ss", sign, (unsigned long long)sec, fb);
    return buf;
}

const char *tl_bytes_fmt(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.1f %s", v, units[u]);
    return buf;
}

/* ------------------------------------------------------------- progress */

void tl_progress_init(tl_progress *p, const char *what)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->what = what;
    p->next_ns = strata_mono_ns() + 300000000; /* short runs draw nothing */
}

void tl_progress_update(tl_progress *p, uint64_t done, uint64_t total, const char *unit)
{
    if (!p->tty) return;
    int64_t now = strata_mono_ns();
    if (now < p->next_ns) return;
    p->next_ns = now + 200000000;
    if (total > 0)
        fprintf(stderr, "\r\033[K%s: %llu of %llu %s (%.0f%%)", p->what, (unsigned long long)done,
                (unsigned long long)total, unit, 100.0 * (double)done / (double)total);
    else
        fprintf(stderr, "\r\033[K%s: %llu %s", p->what, (unsigned long long)done, unit);
    fflush(stderr);
    p->shown = 1;
}

void tl_progress_note(tl_progress *p, const char *text)
{
    if (!p->tty) return;
    fprintf(stderr, "\r\033[K%s: %s", p->what, text);
    fflush(stderr);
    p->shown = 1;
}

void tl_progress_end(tl_progress *p)
{
    if (p->tty && p->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    p->shown = 0;
}

/* ----------------------------------------------------------------- JSON */

void tl_json_init(tl_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->first[0] = 1;
}

static void json_indent(tl_json *j)
{
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

static void json_raw_str(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            i++;
        } else {
            /* Valid UTF-8 passes through; any other byte becomes \u00XX. */
            size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            int ok = n > 0 && i + n <= len;
            for (size_t k = 1; ok && k < n; k++)
                ok = (u[i + k] & 0xc0) == 0x80;
            if (ok) {
                fwrite(u + i, 1, n, f);
                i += n;
            } else {
                fprintf(f, "\\u%04x", c);
                i++;
            }
        }
    }
    fputc('"', f);
}

static void json_key(tl_json *j, const char *key)
{
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    if (j->depth > 0) json_indent(j);
    if (key) {
        json_raw_str(j->f, key, strlen(key));
        fputs(": ", j->f);
    }
}

static void json_open(tl_json *j, const char *key, char c)
{
    json_key(j, key);
    fputc(c, j->f);
    if (j->depth + 1 < (int)sizeof j->first) j->depth++;
    j->first[j->depth] = 1;
}

static void json_close(tl_json *j, char c)
{
    int empty = j->first[j->depth];
    if (j->depth > 0) j->depth--;
    if (!empty) json_indent(j);
    fputc(c, j->f);
}

void tl_json_obj(tl_json *j, const char *key)
{
    json_open(j, key, '{');
}
void tl_json_obj_end(tl_json *j)
{
    json_close(j, '}');
}
void tl_json_arr(tl_json *j, const char *key)
{
    json_open(j, key, '[');
}
void tl_json_arr_end(tl_json *j)
{
    json_close(j, ']');
}
void tl_json_str(tl_json *j, const char *key, const char *s, size_t len)
{
    json_key(j, key);
    json_raw_str(j->f, s, len);
}
void tl_json_cstr(tl_json *j, const char *key, const char *s)
{
    tl_json_str(j, key, s, strlen(s));
}
void tl_json_u64(tl_json *j, const char *key, uint64_t v)
{
    json_key(j, key);
    fprintf(j->f, "%llu", (unsigned long long)v);
}
void tl_json_i64(tl_json *j, const char *key, int64_t v)
{
    json_key(j, key);
    fprintf(j->f, "%lld", (long long)v);
}
void tl_json_f64(tl_json *j, const char *key, double v)
{
    char b[40];
    json_key(j, key);
    if (v != v || v - v != 0) {
        fputs("null", j->f);
        return;
    }
    tl_fmt_f64(v, b);
    fputs(b, j->f);
}
void tl_json_bool(tl_json *j, const char *key, int v)
{
    json_key(j, key);
    fputs(v ? "true" : "false", j->f);
}
void tl_json_end(tl_json *j)
{
    fputc('\n', j->f);
}

/* --------------------------------------------------------- signal guard */

static const char *guard_what = "reading the data directory";

static void guard_handler(int sig)
{
    /* The fault is inside LMDB's reading of the map, never inside stdio, so the
     * findings printed so far can be flushed; the rest is async-signal-safe. */
    fflush(stdout);
    static const char a[] = "\nstrata: fatal: ";
    static const char b[] = " crashed inside LMDB (";
    static const char c[] = "); the LMDB file is damaged: restore it from a backup\n";
    ssize_t r = write(STDERR_FILENO, a, sizeof a - 1);
    r = write(STDERR_FILENO, guard_what, strlen(guard_what));
    r = write(STDERR_FILENO, b, sizeof b - 1);
    const char *name = sig == SIGBUS ? "SIGBUS" : "SIGSEGV";
    r = write(STDERR_FILENO, name, strlen(name));
    r = write(STDERR_FILENO, c, sizeof c - 1);
    (void)r;
    _exit(TL_EXIT_FAIL);
}

void tl_guard_signals(const char *what)
{
    struct sigaction sa;
    /* For debugging a crash: keep the default handlers (and the sanitizers'). */
    if (getenv("STRATA_NO_SIGNAL_GUARD") != NULL) return;
    guard_what = what;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = guard_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}
