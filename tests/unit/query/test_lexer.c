/*
 * tests/unit/query/test_lexer.c: the InfluxQL scanner — token kinds,
 * literal text, escapes, positions (runes, lines, the end-of-input rule),
 * UTF-8 handling and comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "query/lexer.h"

static strata_arena arena;

static int setup(void **state)
{
    (void)state;
    strata_arena_init(&arena, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    strata_arena_fini(&arena);
    return 0;
}

typedef struct want {
    qry_tok tok;
    const char *lit;
    int line, col; /* 0-based, as the scanner keeps them */
} want;

static void scan_all(const char *text, size_t len, const want *w, size_t n)
{
    qry_lex lx;
    qry__lex_init(&lx, text, len, &arena);
    for (size_t i = 0; i < n; i++) {
        qry_token t = qry__lex_scan(&lx);
        if (t.tok != w[i].tok || strcmp(t.lit, w[i].lit) != 0 || t.pos.line != w[i].line ||
            t.pos.col != w[i].col)
            printf("token %zu of \"%s\": got %d '%s' %d:%d, want %d '%s' %d:%d\n", i, text, t.tok,
                   t.lit, t.pos.line, t.pos.col, w[i].tok, w[i].lit, w[i].line, w[i].col);
        assert_int_equal(t.tok, w[i].tok);
        assert_string_equal(t.lit, w[i].lit);
        assert_int_equal(t.pos.line, w[i].line);
        assert_int_equal(t.pos.col, w[i].col);
        assert_int_equal(t.len, strlen(w[i].lit));
    }
    assert_false(lx.oom);
    strata_arena_reset(&arena);
}

#define SCAN(text, ...)                                                                            \
    do {                                                                                           \
        static const want w_[] = {__VA_ARGS__};                                                    \
        scan_all(text, strlen(text), w_, sizeof w_ / sizeof w_[0]);                                \
    } while (0)

static void keywords_identifiers_operators(void **state)
{
    (void)state;
    SCAN("select Mean(x) FROM \"cpu\"", {QRY_TOK_SELECT, "", 0, 0}, {QRY_TOK_WS, " ", 0, 6},
         {QRY_TOK_IDENT, "Mean", 0, 7}, {QRY_TOK_LPAREN, "", 0, 11}, {QRY_TOK_IDENT, "x", 0, 12},
         {QRY_TOK_RPAREN, "", 0, 13}, {QRY_TOK_WS, " ", 0, 14}, {QRY_TOK_FROM, "", 0, 15},
         {QRY_TOK_WS, " ", 0, 19}, {QRY_TOK_IDENT, "cpu", 0, 20}, {QRY_TOK_EOF, "", 0, 25});
    SCAN("+-*/%&|^=!=<><=>=<>=~!~::.,;:", {QRY_TOK_ADD, "", 0, 0}, {QRY_TOK_SUB, "", 0, 1},
         {QRY_TOK_MUL, "", 0, 2}, {QRY_TOK_DIV, "", 0, 3}, {QRY_TOK_MOD, "", 0, 4},
         {QRY_TOK_BITWISE_AND, "", 0, 5}, {QRY_TOK_BITWISE_OR, "", 0, 6},
         {QRY_TOK_BITWISE_XOR, "", 0, 7}, {QRY_TOK_EQ, "", 0, 8}, {QRY_TOK_NEQ, "", 0, 9},
         {QRY_TOK_NEQ, "", 0, 11}, {QRY_TOK_LTE, "", 0, 13}, {QRY_TOK_GTE, "", 0, 15},
         {QRY_TOK_NEQ, "", 0, 17}, {QRY_TOK_EQREGEX, "", 0, 19}, {QRY_TOK_NEQREGEX, "", 0, 21},
         {QRY_TOK_DOUBLECOLON, "", 0, 23}, {QRY_TOK_DOT, "", 0, 25}, {QRY_TOK_COMMA, "", 0, 26},
         {QRY_TOK_SEMICOLON, "", 0, 27}, {QRY_TOK_COLON, "", 0, 28});
    SCAN("and OR In TRUE false _a1", {QRY_TOK_AND, "", 0, 0}, {QRY_TOK_WS, " ", 0, 3},
         {QRY_TOK_OR, "", 0, 4}, {QRY_TOK_WS, " ", 0, 6}, {QRY_TOK_IN, "", 0, 7},
         {QRY_TOK_WS, " ", 0, 9}, {QRY_TOK_TRUE, "", 0, 10}, {QRY_TOK_WS, " ", 0, 14},
         {QRY_TOK_FALSE, "", 0, 15}, {QRY_TOK_WS, " ", 0, 20}, {QRY_TOK_IDENT, "_a1", 0, 21});
    /* Quoted keywords are identifiers; an unknown character is ILLEGAL with its text. */
    SCAN("\"select\" ! @", {QRY_TOK_IDENT, "select", 0, 0}, {QRY_TOK_WS, " ", 0, 8},
         {QRY_TOK_ILLEGAL, "!", 0, 9}, {QRY_TOK_WS, " ", 0, 10}, {QRY_TOK_ILLEGAL, "@", 0, 11});
    assert_int_equal(qry__tok_lookup("SubScriptions", 13), QRY_TOK_SUBSCRIPTIONS);
    assert_int_equal(qry__tok_lookup("cardinality", 11), QRY_TOK_CARDINALITY);
    assert_int_equal(qry__tok_lookup("verbose", 7), QRY_TOK_IDENT);
    assert_int_equal(qry__tok_lookup("time", 4), QRY_TOK_IDENT);
    assert_true(qry__ident_is_bare("cpu_1", 5));
    assert_false(qry__ident_is_bare("1cpu", 4));
    assert_false(qry__ident_is_bare("from", 4));
    assert_false(qry__ident_is_bare("", 0));
    assert_false(qry__ident_is_bare("a-b", 3));
}

static void numbers_and_durations(void **state)
{
    (void)state;
    SCAN("10 1.5 .5 5. 1h30m 1µ 10ms 1e3 1.5.5", {QRY_TOK_INTEGER, "10", 0, 0},
         {QRY_TOK_WS, " ", 0, 2}, {QRY_TOK_NUMBER, "1.5", 0, 3}, {QRY_TOK_WS, " ", 0, 6},
         {QRY_TOK_NUMBER, ".5", 0, 7}, {QRY_TOK_WS, " ", 0, 9}, {QRY_TOK_NUMBER, "5", 0, 10},
         {QRY_TOK_WS, " ", 0, 12}, {QRY_TOK_DURATIONVAL, "1h30m", 0, 13}, {QRY_TOK_WS, " ", 0, 18},
         {QRY_TOK_DURATIONVAL, "1µ", 0, 19}, {QRY_TOK_WS, " ", 0, 21},
         {QRY_TOK_DURATIONVAL, "10ms", 0, 22}, {QRY_TOK_WS, " ", 0, 26},
         {QRY_TOK_DURATIONVAL, "1e3", 0, 27}, {QRY_TOK_WS, " ", 0, 30},
         {QRY_TOK_NUMBER, "1.5", 0, 31}, {QRY_TOK_NUMBER, ".5", 0, 34});
}

static void strings_and_escapes(void **state)
{
    (void)state;
    /* A string's position is that of the rune before its opening quote. */
    SCAN("x 'a\\'b\\\\c\\nd\\\"e'", {QRY_TOK_IDENT, "x", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_STRING, "a'b\\c\nd\"e", 0, 1}, {QRY_TOK_EOF, "", 0, 17});
    SCAN("x \"a\\\"b\"", {QRY_TOK_IDENT, "x", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_IDENT, "a\"b", 0, 2});
    SCAN("x 'abc", {QRY_TOK_IDENT, "x", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_BADSTRING, "abc", 0, 1});
    SCAN("x 'a\nb'", {QRY_TOK_IDENT, "x", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_BADSTRING, "a", 0, 1});
    SCAN("x 'a\\qb'", {QRY_TOK_IDENT, "x", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_BADESCAPE, "\\q", 0, 5});
    /* Bare characters before a quote are dropped, as InfluxDB does. */
    SCAN("ab\"cd\"", {QRY_TOK_IDENT, "cd", 0, 0});
}

static void bound_parameters(void **state)
{
    (void)state;
    SCAN("$host $\"a b\" $1 $", {QRY_TOK_BOUNDPARAM, "$host", 0, 0}, {QRY_TOK_WS, " ", 0, 5},
         {QRY_TOK_BOUNDPARAM, "$a b", 0, 6}, {QRY_TOK_WS, " ", 0, 12},
         {QRY_TOK_BOUNDPARAM, "$1", 0, 13}, {QRY_TOK_WS, " ", 0, 15},
         {QRY_TOK_BOUNDPARAM, "$", 0, 16});
}

static void comments(void **state)
{
    (void)state;
    SCAN("a -- c\nb /* x\n*/ c /* open", {QRY_TOK_IDENT, "a", 0, 0}, {QRY_TOK_WS, " ", 0, 1},
         {QRY_TOK_COMMENT, "", 0, 2}, {QRY_TOK_IDENT, "b", 1, 0}, {QRY_TOK_WS, " ", 1, 1},
         {QRY_TOK_COMMENT, "", 1, 2}, {QRY_TOK_WS, " ", 2, 2}, {QRY_TOK_IDENT, "c", 2, 3},
         {QRY_TOK_WS, " ", 2, 4}, {QRY_TOK_ILLEGAL, "", 2, 5});
}

static void positions_lines_runes(void **state)
{
    (void)state;
    /* \r\n and \r count as one newline; columns count runes, not bytes. */
    SCAN("é\r\nx\ry 'ü' z", {QRY_TOK_ILLEGAL, "é", 0, 0}, {QRY_TOK_WS, "\n", 0, 1},
         {QRY_TOK_IDENT, "x", 1, 0}, {QRY_TOK_WS, "\n", 1, 1}, {QRY_TOK_IDENT, "y", 2, 0},
         {QRY_TOK_WS, " ", 2, 1}, {QRY_TOK_STRING, "ü", 2, 1}, {QRY_TOK_WS, " ", 2, 5},
         {QRY_TOK_IDENT, "z", 2, 6});
    /* End of input after an identifier is reported one char further (InfluxDB's rule). */
    SCAN("ab", {QRY_TOK_IDENT, "ab", 0, 0}, {QRY_TOK_EOF, "", 0, 3}, {QRY_TOK_EOF, "", 0, 3});
    SCAN("(", {QRY_TOK_LPAREN, "", 0, 0}, {QRY_TOK_EOF, "", 0, 1}, {QRY_TOK_EOF, "", 0, 2});
}

static void invalid_utf8_and_nul(void **state)
{
    (void)state;
    /* Invalid bytes read as U+FFFD, one byte at a time; inside strings too. */
    static const char bad[] = "'a\xff\xc3(b' \xe2\x82";
    static const want w[] = {{QRY_TOK_STRING, "a\xef\xbf\xbd\xef\xbf\xbd(b", 0, 0},
                             {QRY_TOK_WS, " ", 0, 7},
                             {QRY_TOK_ILLEGAL, "\xef\xbf\xbd", 0, 8},
                             {QRY_TOK_ILLEGAL, "\xef\xbf\xbd", 0, 9},
                             {QRY_TOK_EOF, "", 0, 10}};
    scan_all(bad, sizeof bad - 1, w, sizeof w / sizeof w[0]);
    /* Overlong encodings and surrogates are invalid. */
    static const char over[] = "\xc0\xaf\xed\xa0\x80";
    qry_lex lx;
    qry__lex_init(&lx, over, sizeof over - 1, &arena);
    for (int i = 0; i < 5; i++) {
        qry_token t = qry__lex_scan(&lx);
        assert_int_equal(t.tok, QRY_TOK_ILLEGAL);
        assert_string_equal(t.lit, "\xef\xbf\xbd");
    }
    assert_int_equal(qry__lex_scan(&lx).tok, QRY_TOK_EOF);
    /* A NUL byte reads as end of input. */
    static const char nul[] = {'a', ' ', '\0', 'b'};
    qry__lex_init(&lx, nul, sizeof nul, &arena);
    assert_int_equal(qry__lex_scan(&lx).tok, QRY_TOK_IDENT);
    assert_int_equal(qry__lex_scan(&lx).tok, QRY_TOK_WS);
    strata_arena_reset(&arena);
}

static void regexes(void **state)
{
    (void)state;
    qry_lex lx;
    static const char *const in[] = {"/a\\/b\\d/", "/x", "/a\nb/", "/a\\", "x/"};
    static const qry_tok toks[] = {QRY_TOK_REGEX, QRY_TOK_BADREGEX, QRY_TOK_BADREGEX,
                                   QRY_TOK_BADREGEX, QRY_TOK_BADREGEX};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        qry__lex_init(&lx, in[i], strlen(in[i]), &arena);
        qry_token t = qry__lex_scan_regex(&lx);
        assert_int_equal(t.tok, toks[i]);
        if (i == 0) assert_string_equal(t.lit, "a/b\\d");
    }
    /* "\\/" is a kept backslash followed by an escaped slash: the regex goes on. */
    qry__lex_init(&lx, "/a\\\\/b/", 7, &arena);
    qry_token t = qry__lex_scan_regex(&lx);
    assert_int_equal(t.tok, QRY_TOK_REGEX);
    assert_string_equal(t.lit, "a\\/b");
    /* Peeking does not consume. */
    qry__lex_init(&lx, "/x/", 3, &arena);
    assert_int_equal(qry__lex_peek(&lx), '/');
    assert_int_equal(qry__lex_peek(&lx), '/');
    assert_int_equal(qry__lex_scan_regex(&lx).tok, QRY_TOK_REGEX);
    strata_arena_reset(&arena);
}

static void token_names(void **state)
{
    (void)state;
    assert_string_equal(qry__tok_name(QRY_TOK_EOF), "EOF");
    assert_string_equal(qry__tok_name(QRY_TOK_EQREGEX), "=~");
    assert_string_equal(qry__tok_name(QRY_TOK_SUBSCRIPTIONS), "SUBSCRIPTIONS");
    assert_string_equal(qry__tok_name(QRY_TOK_INTEGER), "");
    assert_string_equal(qry__tok_name(QRY_TOK__COUNT), "");
    assert_int_equal(qry__tok_precedence(QRY_TOK_OR), 1);
    assert_int_equal(qry__tok_precedence(QRY_TOK_BITWISE_AND), 5);
    assert_int_equal(qry__tok_precedence(QRY_TOK_IN), 0);
    assert_false(qry__tok_is_operator(QRY_TOK_IN));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keywords_identifiers_operators),
        cmocka_unit_test(numbers_and_durations),
        cmocka_unit_test(strings_and_escapes),
        cmocka_unit_test(bound_parameters),
        cmocka_unit_test(comments),
        cmocka_unit_test(positions_lines_runes),
        cmocka_unit_test(invalid_utf8_and_nul),
        cmocka_unit_test(regexes),
        cmocka_unit_test(token_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
