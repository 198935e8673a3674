/*
 * query/lexer.c: the InfluxQL scanner (see lexer.h for the rules).
 *
 * The code is organised as a rune reader (read/unread/curr over a ring of
 * the last three runes) and token scanners built on it. Every scanner reads
 * and steps back exactly where the reference scanner does, because token
 * positions and the "end of input counts once" rule are visible in error
 * messages that clients compare against InfluxDB.
 *
 * Literal text is accumulated in an arena scratch buffer and copied into the
 * arena when the token is complete. An allocation failure sets lx->oom and
 * yields an ILLEGAL token; the parser checks oom and reports STRATA_ENOMEM.
 */
#include "query/lexer.h"

#include <string.h>

/* ---- rune reader -------------------------------------------------------- */

/* Decode one rune at lx->off per RFC 3629; invalid or truncated input yields
 * U+FFFD for one byte, as Go's bufio.Reader.ReadRune does. */
static int32_t decode_rune(qry_lex *lx)
{
    const unsigned char *s = lx->src + lx->off;
    size_t left = lx->len - lx->off;
    unsigned char b0 = s[0];
    int32_t r;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;

    if (b0 < 0x80) {
        lx->off++;
        return b0;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
        r = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        r = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        r = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        lx->off++;
        return 0xFFFD;
    }
    if (left < need || s[1] < lo || s[1] > hi) {
        lx->off++;
        return 0xFFFD;
    }
    r = (r << 6) | (s[1] & 0x3F);
    for (size_t k = 2; k < need; k++) {
        if (s[k] < 0x80 || s[k] > 0xBF) {
            lx->off++;
            return 0xFFFD;
        }
        r = (r << 6) | (s[k] & 0x3F);
    }
    lx->off += need;
    return r;
}

static int32_t rd_curr(const qry_lex *lx, qry_lpos *pos)
{
    int k = lx->ri - lx->rn;
    if (k < 0) k += 3;
    if (pos) *pos = lx->ring[k].pos;
    return lx->ring[k].ch;
}

static int32_t rd_read(qry_lex *lx, qry_lpos *pos)
{
    int32_t ch;

    if (lx->rn > 0) {
        lx->rn--;
        return rd_curr(lx, pos);
    }
    qry_lpos at = lx->next;
    at.off = (uint32_t)lx->off;
    if (lx->off >= lx->len) {
        ch = QRY_LEX_EOF;
    } else {
        ch = decode_rune(lx);
        if (ch == '\r') {
            if (lx->off < lx->len && lx->src[lx->off] == '\n') lx->off++;
            ch = '\n';
        }
    }
    lx->ri = lx->ri == 2 ? 0 : lx->ri + 1;
    lx->ring[lx->ri].ch = ch;
    lx->ring[lx->ri].pos = at;
    if (ch == '\n') {
        lx->next.line++;
        lx->next.col = 0;
    } else if (!lx->seen_eof) {
        lx->next.col++;
    }
    if (ch == QRY_LEX_EOF) lx->seen_eof = true;
    return rd_curr(lx, pos);
}

static void rd_unread(qry_lex *lx)
{
    lx->rn++;
}

void qry__lex_init(qry_lex *lx, const char *text, size_t len, strata_arena *arena)
{
    memset(lx, 0, sizeof *lx);
    lx->src = (const unsigned char *)text;
    lx->len = len;
    lx->arena = arena;
}

int32_t qry__lex_peek(qry_lex *lx)
{
    int32_t ch = rd_read(lx, NULL);
    if (ch != QRY_LEX_EOF) rd_unread(lx);
    return ch;
}

/* ---- literal scratch ---------------------------------------------------- */

static void lit_reset(qry_lex *lx)
{
    lx->slen = 0;
}

static void lit_putn(qry_lex *lx, const char *p, size_t n)
{
    if (lx->slen + n + 1 > lx->scap) {
        size_t cap = lx->scap ? lx->scap : 64;
        while (cap < lx->slen + n + 1)
            cap *= 2;
        char *nb = strata_arena_alloc(lx->arena, cap);
        if (nb == NULL) {
            lx->oom = true;
            return;
        }
        if (lx->slen) memcpy(nb, lx->sbuf, lx->slen);
        lx->sbuf = nb;
        lx->scap = cap;
    }
    memcpy(lx->sbuf + lx->slen, p, n);
    lx->slen += n;
}

size_t qry__utf8_encode(int32_t r, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
    if (r < 0x80) {
        o[0] = (unsigned char)r;
        return 1;
    }
    if (r < 0x800) {
        o[0] = (unsigned char)(0xC0 | (r >> 6));
        o[1] = (unsigned char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (r >> 12));
        o[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (r & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (r >> 18));
    o[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (r & 0x3F));
    return 4;
}

static void lit_putr(qry_lex *lx, int32_t r)
{
    char tmp[4];
    lit_putn(lx, tmp, qry__utf8_encode(r, tmp));
}

static qry_token mk(qry_lex *lx, qry_tok t, qry_lpos pos, bool with_lit)
{
    qry_token tk = {.tok = t, .pos = pos, .lit = "", .len = 0};
    if (with_lit && lx->slen > 0) {
        char *s = strata_arena_strndup(lx->arena, lx->sbuf, lx->slen);
        if (s == NULL) {
            lx->oom = true;
            tk.tok = QRY_TOK_ILLEGAL;
            return tk;
        }
        tk.lit = s;
        tk.len = lx->slen;
    }
    if (lx->oom) tk.tok = QRY_TOK_ILLEGAL;
    return tk;
}

/* ---- character classes -------------------------------------------------- */

static bool is_ws(int32_t c)
{
    return c == ' ' || c == '\t' || c == '\n';
}
static bool is_letter(int32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_digit(int32_t c)
{
    return c >= '0' && c <= '9';
}
static bool is_ident_char(int32_t c)
{
    return is_letter(c) || is_digit(c) || c == '_';
}
#define MICRO_SIGN 0xB5

/* ---- keywords ----------------------------------------------------------- */

static const char *const tok_names[QRY_TOK__COUNT] = {
    [QRY_TOK_ILLEGAL] = "ILLEGAL",
    [QRY_TOK_EOF] = "EOF",
    [QRY_TOK_WS] = "WS",
    [QRY_TOK_COMMENT] = "",
    [QRY_TOK_IDENT] = "IDENT",
    [QRY_TOK_BOUNDPARAM] = "",
    [QRY_TOK_NUMBER] = "NUMBER",
    [QRY_TOK_INTEGER] = "",
    [QRY_TOK_DURATIONVAL] = "DURATIONVAL",
    [QRY_TOK_STRING] = "STRING",
    [QRY_TOK_BADSTRING] = "BADSTRING",
    [QRY_TOK_BADESCAPE] = "BADESCAPE",
    [QRY_TOK_TRUE] = "TRUE",
    [QRY_TOK_FALSE] = "FALSE",
    [QRY_TOK_REGEX] = "REGEX",
    [QRY_TOK_BADREGEX] = "",
    [QRY_TOK_ADD] = "+",
    [QRY_TOK_SUB] = "-",
    [QRY_TOK_MUL] = "*",
    [QRY_TOK_DIV] = "/",
    [QRY_TOK_MOD] = "%",
    [QRY_TOK_BITWISE_AND] = "&",
    [QRY_TOK_BITWISE_OR] = "|",
    [QRY_TOK_BITWISE_XOR] = "^",
    [QRY_TOK_AND] = "AND",
    [QRY_TOK_OR] = "OR",
    [QRY_TOK_EQ] = "=",
    [QRY_TOK_NEQ] = "!=",
    [QRY_TOK_EQREGEX] = "=~",
    [QRY_TOK_NEQREGEX] = "!~",
    [QRY_TOK_LT] = "<",
    [QRY_TOK_LTE] = "<=",
    [QRY_TOK_GT] = ">",
    [QRY_TOK_GTE] = ">=",
    [QRY_TOK_LPAREN] = "(",
    [QRY_TOK_RPAREN] = ")",
    [QRY_TOK_COMMA] = ",",
    [QRY_TOK_COLON] = ":",
    [QRY_TOK_DOUBLECOLON] = "::",
    [QRY_TOK_SEMICOLON] = ";",
    [QRY_TOK_DOT] = ".",
    [QRY_TOK_ALL] = "ALL",
    [QRY_TOK_ALTER] = "ALTER",
    [QRY_TOK_ANALYZE] = "ANALYZE",
    [QRY_TOK_ANY] = "ANY",
    [QRY_TOK_AS] = "AS",
    [QRY_TOK_ASC] = "ASC",
    [QRY_TOK_BEGIN] = "BEGIN",
    [QRY_TOK_BY] = "BY",
    [QRY_TOK_CARDINALITY] = "CARDINALITY",
    [QRY_TOK_CREATE] = "CREATE",
    [QRY_TOK_CONTINUOUS] = "CONTINUOUS",
    [QRY_TOK_DATABASE] = "DATABASE",
    [QRY_TOK_DATABASES] = "DATABASES",
    [QRY_TOK_DEFAULT] = "DEFAULT",
    [QRY_TOK_DELETE] = "DELETE",
    [QRY_TOK_DESC] = "DESC",
    [QRY_TOK_DESTINATIONS] = "DESTINATIONS",
    [QRY_TOK_DIAGNOSTICS] = "DIAGNOSTICS",
    [QRY_TOK_DISTINCT] = "DISTINCT",
    [QRY_TOK_DROP] = "DROP",
    [QRY_TOK_DURATION] = "DURATION",
    [QRY_TOK_END] = "END",
    [QRY_TOK_EVERY] = "EVERY",
    [QRY_TOK_EXACT] = "EXACT",
    [QRY_TOK_EXPLAIN] = "EXPLAIN",
    [QRY_TOK_FIELD] = "FIELD",
    [QRY_TOK_FOR] = "FOR",
    [QRY_TOK_FROM] = "FROM",
    [QRY_TOK_GRANT] = "GRANT",
    [QRY_TOK_GRANTS] = "GRANTS",
    [QRY_TOK_GROUP] = "GROUP",
    [QRY_TOK_GROUPS] = "GROUPS",
    [QRY_TOK_IN] = "IN",
    [QRY_TOK_INF] = "INF",
    [QRY_TOK_INSERT] = "INSERT",
    [QRY_TOK_INTO] = "INTO",
    [QRY_TOK_KEY] = "KEY",
    [QRY_TOK_KEYS] = "KEYS",
    [QRY_TOK_KILL] = "KILL",
    [QRY_TOK_LIMIT] = "LIMIT",
    [QRY_TOK_MEASUREMENT] = "MEASUREMENT",
    [QRY_TOK_MEASUREMENTS] = "MEASUREMENTS",
    [QRY_TOK_NAME] = "NAME",
    [QRY_TOK_OFFSET] = "OFFSET",
    [QRY_TOK_ON] = "ON",
    [QRY_TOK_ORDER] = "ORDER",
    [QRY_TOK_PASSWORD] = "PASSWORD",
    [QRY_TOK_POLICY] = "POLICY",
    [QRY_TOK_POLICIES] = "POLICIES",
    [QRY_TOK_PRIVILEGES] = "PRIVILEGES",
    [QRY_TOK_QUERIES] = "QUERIES",
    [QRY_TOK_QUERY] = "QUERY",
    [QRY_TOK_READ] = "READ",
    [QRY_TOK_REPLICATION] = "REPLICATION",
    [QRY_TOK_RESAMPLE] = "RESAMPLE",
    [QRY_TOK_RETENTION] = "RETENTION",
    [QRY_TOK_REVOKE] = "REVOKE",
    [QRY_TOK_SELECT] = "SELECT",
    [QRY_TOK_SERIES] = "SERIES",
    [QRY_TOK_SET] = "SET",
    [QRY_TOK_SHOW] = "SHOW",
    [QRY_TOK_SHARD] = "SHARD",
    [QRY_TOK_SHARDS] = "SHARDS",
    [QRY_TOK_SLIMIT] = "SLIMIT",
    [QRY_TOK_SOFFSET] = "SOFFSET",
    [QRY_TOK_STATS] = "STATS",
    [QRY_TOK_SUBSCRIPTION] = "SUBSCRIPTION",
    [QRY_TOK_SUBSCRIPTIONS] = "SUBSCRIPTIONS",
    [QRY_TOK_TAG] = "TAG",
    [QRY_TOK_TO] = "TO",
    [QRY_TOK_USER] = "USER",
    [QRY_TOK_USERS] = "USERS",
    [QRY_TOK_VALUES] = "VALUES",
    [QRY_TOK_WHERE] = "WHERE",
    [QRY_TOK_WITH] = "WITH",
    [QRY_TOK_WRITE] = "WRITE",
};

const char *qry__tok_name(qry_tok t)
{
    if ((int)t < 0 || t >= QRY_TOK__COUNT || tok_names[t] == NULL) return "";
    return tok_names[t];
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Keywords are the token names from ALL to WRITE plus AND, OR, TRUE, FALSE. */
/* Keywords in lower case, sorted for binary search: the token names from ALL
 * to WRITE plus AND, OR, TRUE and FALSE. */
static const struct keyword {
    const char *name;
    qry_tok tok;
} keywords[] = {
    {"all", QRY_TOK_ALL},
    {"alter", QRY_TOK_ALTER},
    {"analyze", QRY_TOK_ANALYZE},
    {"and", QRY_TOK_AND},
    {"any", QRY_TOK_ANY},
    {"as", QRY_TOK_AS},
    {"asc", QRY_TOK_ASC},
    {"begin", QRY_TOK_BEGIN},
    {"by", QRY_TOK_BY},
    {"cardinality", QRY_TOK_CARDINALITY},
    {"continuous", QRY_TOK_CONTINUOUS},
    {"create", QRY_TOK_CREATE},
    {"database", QRY_TOK_DATABASE},
    {"databases", QRY_TOK_DATABASES},
    {"default", QRY_TOK_DEFAULT},
    {"delete", QRY_TOK_DELETE},
    {"desc", QRY_TOK_DESC},
    {"destinations", QRY_TOK_DESTINATIONS},
    {"diagnostics", QRY_TOK_DIAGNOSTICS},
    {"distinct", QRY_TOK_DISTINCT},
    {"drop", QRY_TOK_DROP},
    {"duration", QRY_TOK_DURATION},
    {"end", QRY_TOK_END},
    {"every", QRY_TOK_EVERY},
    {"exact", QRY_TOK_EXACT},
    {"explain", QRY_TOK_EXPLAIN},
    {"false", QRY_TOK_FALSE},
    {"field", QRY_TOK_FIELD},
    {"for", QRY_TOK_FOR},
    {"from", QRY_TOK_FROM},
    {"grant", QRY_TOK_GRANT},
    {"grants", QRY_TOK_GRANTS},
    {"group", QRY_TOK_GROUP},
    {"groups", QRY_TOK_GROUPS},
    {"in", QRY_TOK_IN},
    {"inf", QRY_TOK_INF},
    {"insert", QRY_TOK_INSERT},
    {"into", QRY_TOK_INTO},
    {"key", QRY_TOK_KEY},
    {"keys", QRY_TOK_KEYS},
    {"kill", QRY_TOK_KILL},
    {"limit", QRY_TOK_LIMIT},
    {"measurement", QRY_TOK_MEASUREMENT},
    {"measurements", QRY_TOK_MEASUREMENTS},
    {"name", QRY_TOK_NAME},
    {"offset", QRY_TOK_OFFSET},
    {"on", QRY_TOK_ON},
    {"or", QRY_TOK_OR},
    {"order", QRY_TOK_ORDER},
    {"password", QRY_TOK_PASSWORD},
    {"policies", QRY_TOK_POLICIES},
    {"policy", QRY_TOK_POLICY},
    {"privileges", QRY_TOK_PRIVILEGES},
    {"queries", QRY_TOK_QUERIES},
    {"query", QRY_TOK_QUERY},
    {"read", QRY_TOK_READ},
    {"replication", QRY_TOK_REPLICATION},
    {"resample", QRY_TOK_RESAMPLE},
    {"retention", QRY_TOK_RETENTION},
    {"revoke", QRY_TOK_REVOKE},
    {"select", QRY_TOK_SELECT},
    {"series", QRY_TOK_SERIES},
    {"set", QRY_TOK_SET},
    {"shard", QRY_TOK_SHARD},
    {"shards", QRY_TOK_SHARDS},
    {"show", QRY_TOK_SHOW},
    {"slimit", QRY_TOK_SLIMIT},
    {"soffset", QRY_TOK_SOFFSET},
    {"stats", QRY_TOK_STATS},
    {"subscription", QRY_TOK_SUBSCRIPTION},
    {"subscriptions", QRY_TOK_SUBSCRIPTIONS},
    {"tag", QRY_TOK_TAG},
    {"to", QRY_TOK_TO},
    {"true", QRY_TOK_TRUE},
    {"user", QRY_TOK_USER},
    {"users", QRY_TOK_USERS},
    {"values", QRY_TOK_VALUES},
    {"where", QRY_TOK_WHERE},
    {"with", QRY_TOK_WITH},
    {"write", QRY_TOK_WRITE},
};

qry_tok qry__tok_lookup(const char *s, size_t len)
{
    /* Longest keyword is "subscriptions" (13). */
    if (len < 2 || len > 13) return QRY_TOK_IDENT;
    char low[14];
    for (size_t i = 0; i < len; i++)
        low[i] = (char)ascii_lower((unsigned char)s[i]);
    low[len] = '\0';
    size_t lo = 0, hi = sizeof keywords / sizeof keywords[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(low, keywords[mid].name);
        if (c == 0) return keywords[mid].tok;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return QRY_TOK_IDENT;
}

int qry__tok_precedence(qry_tok t)
{
    switch (t) {
    case QRY_TOK_OR:
        return 1;
    case QRY_TOK_AND:
        return 2;
    case QRY_TOK_EQ:
    case QRY_TOK_NEQ:
    case QRY_TOK_EQREGEX:
    case QRY_TOK_NEQREGEX:
    case QRY_TOK_LT:
    case QRY_TOK_LTE:
    case QRY_TOK_GT:
    case QRY_TOK_GTE:
        return 3;
    case QRY_TOK_ADD:
    case QRY_TOK_SUB:
    case QRY_TOK_BITWISE_OR:
    case QRY_TOK_BITWISE_XOR:
        return 4;
    case QRY_TOK_MUL:
    case QRY_TOK_DIV:
    case QRY_TOK_MOD:
    case QRY_TOK_BITWISE_AND:
        return 5;
    default:
        return 0;
    }
}

bool qry__ident_is_bare(const char *s, size_t len)
{
    if (len == 0 || !(is_letter((unsigned char)s[0]) || s[0] == '_')) return false;
    for (size_t i = 1; i < len; i++)
        if (!is_ident_char((unsigned char)s[i])) return false;
    return qry__tok_lookup(s, len) == QRY_TOK_IDENT;
}

/* ---- scanners ----------------------------------------------------------- */

static qry_token scan_ws(qry_lex *lx)
{
    qry_lpos pos;
    int32_t ch = rd_curr(lx, &pos);

    lit_reset(lx);
    lit_putr(lx, ch);
    for (;;) {
        ch = rd_read(lx, NULL);
        if (ch == QRY_LEX_EOF) break;
        if (!is_ws(ch)) {
            rd_unread(lx);
            break;
        }
        lit_putr(lx, ch);
    }
    return mk(lx, QRY_TOK_WS, pos, true);
}

/*
 * A quoted string or identifier body. The opening quote has just been read;
 * like InfluxDB, the token position is that of the rune before the quote.
 */
static qry_token scan_string(qry_lex *lx)
{
    qry_lpos pos;

    rd_unread(lx);
    rd_curr(lx, &pos);
    lit_reset(lx);
    int32_t ending = rd_read(lx, NULL);
    for (;;) {
        int32_t ch0 = rd_read(lx, NULL);
        if (ch0 == ending) return mk(lx, QRY_TOK_STRING, pos, true);
        if (ch0 == QRY_LEX_EOF || ch0 == '\n') return mk(lx, QRY_TOK_BADSTRING, pos, true);
        if (ch0 == '\\') {
            int32_t ch1 = rd_read(lx, NULL);
            if (ch1 == 'n') {
                lit_putr(lx, '\n');
            } else if (ch1 == '\\' || ch1 == '"' || ch1 == '\'') {
                lit_putr(lx, ch1);
            } else {
                rd_curr(lx, &pos);
                lit_reset(lx);
                lit_putr(lx, '\\');
                lit_putr(lx, ch1);
                return mk(lx, QRY_TOK_BADESCAPE, pos, true);
            }
        } else {
            lit_putr(lx, ch0);
        }
    }
}

static qry_token scan_ident(qry_lex *lx, bool lookup)
{
    qry_lpos pos;

    rd_read(lx, &pos);
    rd_unread(lx);
    lit_reset(lx);
    for (;;) {
        int32_t ch = rd_read(lx, NULL);
        if (ch == QRY_LEX_EOF) break;
        if (ch == '"') {
            qry_token t = scan_string(lx);
            if (t.tok == QRY_TOK_BADSTRING || t.tok == QRY_TOK_BADESCAPE) return t;
            t.tok = lx->oom ? QRY_TOK_ILLEGAL : QRY_TOK_IDENT;
            t.pos = pos;
            return t;
        }
        if (!is_ident_char(ch)) {
            rd_unread(lx);
            break;
        }
        /* A run of bare identifier characters. */
        lit_putr(lx, ch);
        for (;;) {
            int32_t c = rd_read(lx, NULL);
            if (c == QRY_LEX_EOF) break;
            if (!is_ident_char(c)) {
                rd_unread(lx);
                break;
            }
            lit_putr(lx, c);
        }
    }
    if (lookup) {
        qry_tok kw = qry__tok_lookup(lx->sbuf ? lx->sbuf : "", lx->slen);
        if (kw != QRY_TOK_IDENT) return mk(lx, kw, pos, false);
    }
    return mk(lx, QRY_TOK_IDENT, pos, true);
}

static void scan_digits(qry_lex *lx)
{
    for (;;) {
        int32_t ch = rd_read(lx, NULL);
        if (!is_digit(ch)) {
            rd_unread(lx);
            return;
        }
        lit_putr(lx, ch);
    }
}

static qry_token scan_number(qry_lex *lx)
{
    qry_lpos pos;
    int32_t ch = rd_curr(lx, &pos);

    lit_reset(lx);
    if (ch == '.') {
        int32_t ch1 = rd_read(lx, NULL);
        rd_unread(lx);
        if (!is_digit(ch1)) {
            lit_putr(lx, '.');
            return mk(lx, QRY_TOK_ILLEGAL, pos, true);
        }
    }
    rd_unread(lx);
    scan_digits(lx);

    bool decimal = false;
    int32_t ch0 = rd_read(lx, NULL);
    if (ch0 == '.') {
        decimal = true;
        int32_t ch1 = rd_read(lx, NULL);
        if (is_digit(ch1)) {
            lit_putr(lx, ch0);
            lit_putr(lx, ch1);
            scan_digits(lx);
        } else {
            rd_unread(lx);
        }
    } else {
        rd_unread(lx);
    }
    if (decimal) return mk(lx, QRY_TOK_NUMBER, pos, true);

    ch0 = rd_read(lx, NULL);
    if (!(is_letter(ch0) || ch0 == MICRO_SIGN)) {
        rd_unread(lx);
        return mk(lx, QRY_TOK_INTEGER, pos, true);
    }
    lit_putr(lx, ch0);
    for (;;) {
        int32_t c = rd_read(lx, NULL);
        if (!is_letter(c) && c != MICRO_SIGN) {
            rd_unread(lx);
            break;
        }
        lit_putr(lx, c);
    }
    for (;;) {
        int32_t c = rd_read(lx, NULL);
        if (is_letter(c) || c == MICRO_SIGN || is_digit(c)) {
            lit_putr(lx, c);
        } else {
            rd_unread(lx);
            break;
        }
    }
    return mk(lx, QRY_TOK_DURATIONVAL, pos, true);
}

static void skip_line(qry_lex *lx)
{
    for (;;) {
        int32_t ch = rd_read(lx, NULL);
        if (ch == '\n' || ch == QRY_LEX_EOF) return;
    }
}

/* @return true when the closing star-slash was found. */
static bool skip_block_comment(qry_lex *lx)
{
    for (;;) {
        int32_t ch = rd_read(lx, NULL);
        if (ch == '*') {
            for (;;) {
                int32_t c2 = rd_read(lx, NULL);
                if (c2 == '/') return true;
                if (c2 == QRY_LEX_EOF) return false;
                if (c2 != '*') break;
            }
        } else if (ch == QRY_LEX_EOF) {
            return false;
        }
    }
}

qry_token qry__lex_scan(qry_lex *lx)
{
    qry_lpos pos;
    int32_t ch0 = rd_read(lx, &pos), ch1;

    if (is_ws(ch0)) return scan_ws(lx);
    if (is_letter(ch0) || ch0 == '_') {
        rd_unread(lx);
        return scan_ident(lx, true);
    }
    if (is_digit(ch0)) return scan_number(lx);

    lit_reset(lx);
    switch (ch0) {
    case QRY_LEX_EOF:
        return mk(lx, QRY_TOK_EOF, pos, false);
    case '"':
        rd_unread(lx);
        return scan_ident(lx, true);
    case '\'':
        return scan_string(lx);
    case '.':
        ch1 = rd_read(lx, NULL);
        rd_unread(lx);
        if (is_digit(ch1)) return scan_number(lx);
        return mk(lx, QRY_TOK_DOT, pos, false);
    case '$': {
        qry_token t = scan_ident(lx, false);
        /* Prefix the literal with '$'. */
        char *s = strata_arena_alloc(lx->arena, t.len + 2);
        if (s == NULL) {
            lx->oom = true;
            return mk(lx, QRY_TOK_ILLEGAL, pos, false);
        }
        s[0] = '$';
        memcpy(s + 1, t.lit, t.len);
        s[t.len + 1] = '\0';
        t.lit = s;
        t.len++;
        t.pos = pos;
        if (t.tok == QRY_TOK_IDENT) t.tok = QRY_TOK_BOUNDPARAM;
        return t;
    }
    case '+':
        return mk(lx, QRY_TOK_ADD, pos, false);
    case '-':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '-') {
            skip_line(lx);
            return mk(lx, QRY_TOK_COMMENT, pos, false);
        }
        rd_unread(lx);
        return mk(lx, QRY_TOK_SUB, pos, false);
    case '*':
        return mk(lx, QRY_TOK_MUL, pos, false);
    case '/':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '*') {
            if (!skip_block_comment(lx)) return mk(lx, QRY_TOK_ILLEGAL, pos, false);
            return mk(lx, QRY_TOK_COMMENT, pos, false);
        }
        rd_unread(lx);
        return mk(lx, QRY_TOK_DIV, pos, false);
    case '%':
        return mk(lx, QRY_TOK_MOD, pos, false);
    case '&':
        return mk(lx, QRY_TOK_BITWISE_AND, pos, false);
    case '|':
        return mk(lx, QRY_TOK_BITWISE_OR, pos, false);
    case '^':
        return mk(lx, QRY_TOK_BITWISE_XOR, pos, false);
    case '=':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '~') return mk(lx, QRY_TOK_EQREGEX, pos, false);
        rd_unread(lx);
        return mk(lx, QRY_TOK_EQ, pos, false);
    case '!':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '=') return mk(lx, QRY_TOK_NEQ, pos, false);
        if (ch1 == '~') return mk(lx, QRY_TOK_NEQREGEX, pos, false);
        rd_unread(lx);
        break;
    case '>':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '=') return mk(lx, QRY_TOK_GTE, pos, false);
        rd_unread(lx);
        return mk(lx, QRY_TOK_GT, pos, false);
    case '<':
        ch1 = rd_read(lx, NULL);
        if (ch1 == '=') return mk(lx, QRY_TOK_LTE, pos, false);
        if (ch1 == '>') return mk(lx, QRY_TOK_NEQ, pos, false);
        rd_unread(lx);
        return mk(lx, QRY_TOK_LT, pos, false);
    case '(':
        return mk(lx, QRY_TOK_LPAREN, pos, false);
    case ')':
        return mk(lx, QRY_TOK_RPAREN, pos, false);
    case ',':
        return mk(lx, QRY_TOK_COMMA, pos, false);
    case ';':
        return mk(lx, QRY_TOK_SEMICOLON, pos, false);
    case ':':
        ch1 = rd_read(lx, NULL);
        if (ch1 == ':') return mk(lx, QRY_TOK_DOUBLECOLON, pos, false);
        rd_unread(lx);
        return mk(lx, QRY_TOK_COLON, pos, false);
    default:
        break;
    }
    lit_putr(lx, ch0);
    return mk(lx, QRY_TOK_ILLEGAL, pos, true);
}

qry_token qry__lex_scan_regex(qry_lex *lx)
{
    qry_lpos pos;

    rd_curr(lx, &pos);
    lit_reset(lx);
    int32_t ch = rd_read(lx, NULL);
    if (ch != '/') return mk(lx, QRY_TOK_BADREGEX, pos, false);
    for (;;) {
        int32_t ch0 = rd_read(lx, NULL);
        if (ch0 == '/') return mk(lx, QRY_TOK_REGEX, pos, true);
        if (ch0 == QRY_LEX_EOF || ch0 == '\n') return mk(lx, QRY_TOK_BADREGEX, pos, false);
        if (ch0 == '\\') {
            int32_t ch1 = rd_read(lx, NULL);
            if (ch1 == QRY_LEX_EOF) return mk(lx, QRY_TOK_BADREGEX, pos, false);
            if (ch1 == '/') {
                lit_putr(lx, '/');
            } else {
                /* Any other escape is kept for the regex engine; the rune after
                 * the backslash is read again on the next turn. */
                rd_unread(lx);
                lit_putr(lx, '\\');
            }
        } else {
            lit_putr(lx, ch0);
        }
    }
}
