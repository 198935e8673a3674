/*
 * query/lexer.h: the InfluxQL scanner, internal to the query module.
 *
 * The scanner turns query text into tokens for query/parser.c. It exists as
 * its own unit because InfluxDB's error messages ("found X, expected Y at
 * line L, char C") expose the exact token boundaries and positions of the Go
 * scanner, so the rules below reproduce that scanner's observable behaviour:
 *
 *   - Text is read as UTF-8 runes; an invalid byte reads as U+FFFD. "\r\n"
 *     and a lone "\r" read as "\n". A NUL byte reads as end of input (the Go
 *     scanner uses rune 0 as its EOF marker) but reading may continue after
 *     it, as in Go.
 *   - Positions are (line, char), both 0-based here, counted in runes. The
 *     first read of the end of input advances the char counter once more;
 *     later reads do not. Messages add 1 to both.
 *   - The rune reader keeps the last three runes so the scanner can step
 *     back up to three times; "curr" is the rune before the next one to read.
 *     Some token positions (strings, regexes) are taken from that previous
 *     rune, as InfluxDB does.
 *
 * Whitespace is space, tab and newline. Identifiers are [A-Za-z_][A-Za-z0-9_]*
 * or double-quoted; keywords are matched case-insensitively. Strings are
 * single-quoted with the escapes \n \\ \' \". Regexes are only scanned on the
 * parser's request (qry__lex_scan_regex), delimited by '/', where "\/" is a
 * slash and any other backslash is kept. Numbers, integers and durations
 * ("10s", "1h30m", "5µ") are scanned as in InfluxQL; "--" and block comments
 * are COMMENT tokens.
 *
 * Token literals are copied into the arena given at init and stay valid for
 * the arena's lifetime. Not thread-safe: one lexer per parse.
 */
#ifndef STRATA_QUERY_LEXER_H
#define STRATA_QUERY_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"

/* Token kinds. The order of the groups matters: qry__tok_is_operator(). */
typedef enum qry_tok {
    QRY_TOK_ILLEGAL = 0,
    QRY_TOK_EOF,
    QRY_TOK_WS,
    QRY_TOK_COMMENT,

    /* Literals. */
    QRY_TOK_IDENT,
    QRY_TOK_BOUNDPARAM,
    QRY_TOK_NUMBER,
    QRY_TOK_INTEGER,
    QRY_TOK_DURATIONVAL,
    QRY_TOK_STRING,
    QRY_TOK_BADSTRING,
    QRY_TOK_BADESCAPE,
    QRY_TOK_TRUE,
    QRY_TOK_FALSE,
    QRY_TOK_REGEX,
    QRY_TOK_BADREGEX,

    /* Binary operators, QRY_TOK_ADD .. QRY_TOK_GTE. */
    QRY_TOK_ADD,
    QRY_TOK_SUB,
    QRY_TOK_MUL,
    QRY_TOK_DIV,
    QRY_TOK_MOD,
    QRY_TOK_BITWISE_AND,
    QRY_TOK_BITWISE_OR,
    QRY_TOK_BITWISE_XOR,
    QRY_TOK_AND,
    QRY_TOK_OR,
    QRY_TOK_EQ,
    QRY_TOK_NEQ,
    QRY_TOK_EQREGEX,
    QRY_TOK_NEQREGEX,
    QRY_TOK_LT,
    QRY_TOK_LTE,
    QRY_TOK_GT,
    QRY_TOK_GTE,

    /* Punctuation. */
    QRY_TOK_LPAREN,
    QRY_TOK_RPAREN,
    QRY_TOK_COMMA,
    QRY_TOK_COLON,
    QRY_TOK_DOUBLECOLON,
    QRY_TOK_SEMICOLON,
    QRY_TOK_DOT,

    /* Keywords (IN is a keyword, not an operator, in InfluxQL 1.6). */
    QRY_TOK_ALL,
    QRY_TOK_ALTER,
    QRY_TOK_ANALYZE,
    QRY_TOK_ANY,
    QRY_TOK_AS,
    QRY_TOK_ASC,
    QRY_TOK_BEGIN,
    QRY_TOK_BY,
    QRY_TOK_CARDINALITY,
    QRY_TOK_CREATE,
    QRY_TOK_CONTINUOUS,
    QRY_TOK_DATABASE,
    QRY_TOK_DATABASES,
    QRY_TOK_DEFAULT,
    QRY_TOK_DELETE,
    QRY_TOK_DESC,
    QRY_TOK_DESTINATIONS,
    QRY_TOK_DIAGNOSTICS,
    QRY_TOK_DISTINCT,
    QRY_TOK_DROP,
    QRY_TOK_DURATION,
    QRY_TOK_END,
    QRY_TOK_EVERY,
    QRY_TOK_EXACT,
    QRY_TOK_EXPLAIN,
    QRY_TOK_FIELD,
    QRY_TOK_FOR,
    QRY_TOK_FROM,
    QRY_TOK_GRANT,
    QRY_TOK_GRANTS,
    QRY_TOK_GROUP,
    QRY_TOK_GROUPS,
    QRY_TOK_IN,
    QRY_TOK_INF,
    QRY_TOK_INSERT,
    QRY_TOK_INTO,
    QRY_TOK_KEY,
    QRY_TOK_KEYS,
    QRY_TOK_KILL,
    QRY_TOK_LIMIT,
    QRY_TOK_MEASUREMENT,
    QRY_TOK_MEASUREMENTS,
    QRY_TOK_NAME,
    QRY_TOK_OFFSET,
    QRY_TOK_ON,
    QRY_TOK_ORDER,
    QRY_TOK_PASSWORD,
    QRY_TOK_POLICY,
    QRY_TOK_POLICIES,
    QRY_TOK_PRIVILEGES,
    QRY_TOK_QUERIES,
    QRY_TOK_QUERY,
    QRY_TOK_READ,
    QRY_TOK_REPLICATION,
    QRY_TOK_RESAMPLE,
    QRY_TOK_RETENTION,
    QRY_TOK_REVOKE,
    QRY_TOK_SELECT,
    QRY_TOK_SERIES,
    QRY_TOK_SET,
    QRY_TOK_SHOW,
    QRY_TOK_SHARD,
    QRY_TOK_SHARDS,
    QRY_TOK_SLIMIT,
    QRY_TOK_SOFFSET,
    QRY_TOK_STATS,
    QRY_TOK_SUBSCRIPTION,
    QRY_TOK_SUBSCRIPTIONS,
    QRY_TOK_TAG,
    QRY_TOK_TO,
    QRY_TOK_USER,
    QRY_TOK_USERS,
    QRY_TOK_VALUES,
    QRY_TOK_WHERE,
    QRY_TOK_WITH,
    QRY_TOK_WRITE,
    QRY_TOK__COUNT
} qry_tok;

/* A position: 0-based line and char (runes), and the byte offset. */
typedef struct qry_lpos {
    int32_t line;
    int32_t col;
    uint32_t off;
} qry_lpos;

/* One scanned token. lit is NUL-terminated and arena-owned ("" if none). */
typedef struct qry_token {
    qry_tok tok;
    qry_lpos pos;
    const char *lit;
    size_t len;
} qry_token;

/* End-of-input marker rune (also what a NUL byte reads as). */
#define QRY_LEX_EOF 0

typedef struct qry_lex {
    const unsigned char *src;
    size_t len;
    size_t off; /* next byte to decode */
    struct {
        int32_t ch;
        qry_lpos pos;
    } ring[3];
    int ri, rn;    /* ring index of the last rune read, runes stepped back */
    qry_lpos next; /* position given to the next freshly decoded rune */
    bool seen_eof;
    strata_arena *arena;
    char *sbuf; /* scratch for building a literal, arena-owned, grows by doubling */
    size_t scap, slen;
    bool oom; /* an arena allocation failed; the token is not reliable */
} qry_lex;

/* Prepare lx to scan text[0..len). text and arena are borrowed for the lexer's life. */
void qry__lex_init(qry_lex *lx, const char *text, size_t len, strata_arena *arena);

/* Scan the next token (whitespace and comments included). */
qry_token qry__lex_scan(qry_lex *lx);

/*
 * Scan a /regex/ starting at the next rune. Returns QRY_TOK_REGEX with the
 * unescaped source as lit, or QRY_TOK_BADREGEX (unterminated, newline, or
 * no leading '/').
 */
qry_token qry__lex_scan_regex(qry_lex *lx);

/* The next rune without consuming it (QRY_LEX_EOF at the end; an EOF is consumed). */
int32_t qry__lex_peek(qry_lex *lx);

/* Keyword for an identifier, or QRY_TOK_IDENT. Case-insensitive. */
qry_tok qry__tok_lookup(const char *s, size_t len);

/*
 * The display name of a token as InfluxDB prints it ("FROM", "=~", "EOF");
 * "" for kinds InfluxDB has no name for (INTEGER, BOUNDPARAM, COMMENT, BADREGEX).
 */
const char *qry__tok_name(qry_tok t);

/* True for binary operator tokens (ADD .. GTE). */
static inline bool qry__tok_is_operator(qry_tok t)
{
    return t >= QRY_TOK_ADD && t <= QRY_TOK_GTE;
}

/* Binary operator precedence: OR 1, AND 2, comparisons 3, + - | ^ 4, * / % & 5; else 0. */
int qry__tok_precedence(qry_tok t);

/* True if s[0..len) is a bare identifier that is not a keyword (no quoting needed). */
bool qry__ident_is_bare(const char *s, size_t len);

/* Encode rune r as UTF-8 into out (4 bytes room). @return bytes written (1..4). */
size_t qry__utf8_encode(int32_t r, char *out);

#endif
