/*
 * storage/serieskey.c: building, checking and parsing canonical series keys
 * (see storage/serieskey.h for the format and its one ambiguity).
 *
 * Building runs once per new series on the write path, so it works in two
 * passes over caller memory (validate and size, then write) and never
 * allocates.
 */
#include "storage/serieskey.h"

#include <string.h>

/* Which bytes are escaped in which part of the key. */
static inline int meas_escaped(char c)
{
    return c == ',' || c == ' ';
}
static inline int tag_escaped(char c)
{
    return c == ',' || c == '=' || c == ' ';
}

static size_t escaped_len_meas(const char *s, size_t n)
{
    size_t len = n;
    for (size_t i = 0; i < n; i++)
        len += meas_escaped(s[i]);
    return len;
}

static size_t escaped_len_tag(const char *s, size_t n)
{
    size_t len = n;
    for (size_t i = 0; i < n; i++)
        len += tag_escaped(s[i]);
    return len;
}

/* memcmp order, a shorter string first when it is a prefix of the other. */
static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0) return c;
    return al < bl ? -1 : al > bl;
}

/* Validate and compute the key length; *len is set only on success. */
static int key_validate(const char *meas, size_t mlen, const stg_tag *tags, size_t ntags,
                        strata_error *err, size_t *len)
{
    if (mlen == 0) return strata_error_set(err, STRATA_EINVAL, "measurement name is empty");
    if (meas[mlen - 1] == '\\' && ntags > 0)
        return strata_error_set(err, STRATA_EINVAL,
                                "measurement \"%.*s\" ends with a backslash, which a series key "
                                "cannot represent before its tags",
                                (int)(mlen > 200 ? 200 : mlen), meas);
    size_t total = escaped_len_meas(meas, mlen);
    for (size_t i = 0; i < ntags; i++) {
        const stg_tag *t = &tags[i];
        if (t->key_len == 0)
            return strata_error_set(err, STRATA_EINVAL, "tag key is empty (tag %zu of \"%.*s\")",
                                    i + 1, (int)(mlen > 200 ? 200 : mlen), meas);
        int kl = (int)(t->key_len > 200 ? 200 : t->key_len);
        if (t->val_len == 0)
            return strata_error_set(err, STRATA_EINVAL, "tag \"%.*s\" has an empty value", kl,
                                    t->key);
        if (t->key[t->key_len - 1] == '\\')
            return strata_error_set(err, STRATA_EINVAL,
                                    "tag key \"%.*s\" ends with a backslash, which a series key "
                                    "cannot represent",
                                    kl, t->key);
        if (i + 1 < ntags && t->val[t->val_len - 1] == '\\')
            return strata_error_set(err, STRATA_EINVAL,
                                    "value of tag \"%.*s\" ends with a backslash, which a series "
                                    "key cannot represent unless it is the last tag",
                                    kl, t->key);
        if (i > 0) {
            int c = bytes_cmp(tags[i - 1].key, tags[i - 1].key_len, t->key, t->key_len);
            if (c == 0)
                return strata_error_set(err, STRATA_EINVAL, "duplicate tag key \"%.*s\"", kl,
                                        t->key);
            if (c > 0)
                return strata_error_set(
                    err, STRATA_EINVAL,
                    "tags are not sorted by key: \"%.*s\" comes after "
                    "\"%.*s\"",
                    kl, t->key, (int)(tags[i - 1].key_len > 200 ? 200 : tags[i - 1].key_len),
                    tags[i - 1].key);
        }
        total += 2 + escaped_len_tag(t->key, t->key_len) + escaped_len_tag(t->val, t->val_len);
        if (total > STG_SERIES_KEY_MAX) break;
    }
    if (total > STG_SERIES_KEY_MAX)
        return strata_error_set(err, STRATA_EINVAL,
                                "series key of measurement \"%.*s\" is longer than %d bytes",
                                (int)(mlen > 200 ? 200 : mlen), meas, STG_SERIES_KEY_MAX);
    *len = total;
    return STRATA_OK;
}

int stg_series_key_check(const char *meas, size_t mlen, const stg_tag *tags, size_t ntags,
                         strata_error *err)
{
    size_t len;
    return key_validate(meas, mlen, tags, ntags, err, &len);
}

/* Append the escaped form of s; esc is meas_escaped or tag_escaped. */
static size_t put_escaped(char *out, const char *s, size_t n, int (*esc)(char))
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (esc(s[i])) out[w++] = '\\';
        out[w++] = s[i];
    }
    return w;
}

size_t stg_series_key_build(const char *meas, size_t mlen, const stg_tag *tags, size_t ntags,
                            char *out, size_t cap)
{
    size_t len;
    if (key_validate(meas, mlen, tags, ntags, NULL, &len) != STRATA_OK) return 0;
    if (cap < len) {
        /* Rare path (sizing or a short buffer): build bytewise up to cap. */
        size_t w = 0;
        for (size_t i = 0; i < mlen && w < cap; i++) {
            if (meas_escaped(meas[i]) && w < cap) out[w++] = '\\';
            if (w < cap) out[w++] = meas[i];
        }
        for (size_t t = 0; t < ntags && w < cap; t++) {
            const char *parts[2] = {tags[t].key, tags[t].val};
            size_t lens[2] = {tags[t].key_len, tags[t].val_len};
            out[w++] = ',';
            for (int p = 0; p < 2; p++) {
                if (p == 1 && w < cap) out[w++] = '=';
                for (size_t i = 0; i < lens[p] && w < cap; i++) {
                    if (tag_escaped(parts[p][i])) out[w++] = '\\';
                    if (w < cap) out[w++] = parts[p][i];
                }
            }
        }
        return len;
    }
    size_t w = put_escaped(out, meas, mlen, meas_escaped);
    for (size_t t = 0; t < ntags; t++) {
        out[w++] = ',';
        w += put_escaped(out + w, tags[t].key, tags[t].key_len, tag_escaped);
        out[w++] = '=';
        w += put_escaped(out + w, tags[t].val, tags[t].val_len, tag_escaped);
    }
    return w;
}

/*
 * Read one part starting at *pos until an unescaped stop byte or the end.
 * Escapes recognised are those of esc; an unescaped byte in bad makes the
 * key malformed. Unescaped bytes go to buf+*w when buf is not NULL.
 * @return STRATA_OK or STRATA_EINVAL; *pos is left on the stop byte.
 */
static int read_part(const char *key, size_t len, size_t *pos, char stop, int (*esc)(char),
                     const char *bad, char *buf, size_t *w)
{
    size_t i = *pos;
    while (i < len && key[i] != stop) {
        char c = key[i];
        if (c == '\\' && i + 1 < len && esc(key[i + 1])) {
            c = key[i + 1];
            i += 2;
        } else {
            if (strchr(bad, c) != NULL && c != '\0') return STRATA_EINVAL;
            i++;
        }
        if (buf != NULL) buf[*w] = c;
        (*w)++;
    }
    *pos = i;
    return STRATA_OK;
}

int stg_series_key_parse(const char *key, size_t len, char *buf, size_t cap, const char **meas,
                         size_t *mlen, stg_tag *tags, size_t max_tags, size_t *ntags)
{
    char *out = cap >= len ? buf : NULL;
    size_t i = 0, w = 0, n = 0;

    *ntags = 0;
    if (read_part(key, len, &i, ',', meas_escaped, " ", out, &w) != STRATA_OK || w == 0)
        return STRATA_EINVAL;
    if (out != NULL) {
        *meas = out;
        *mlen = w;
    }
    while (i < len) {
        i++; /* the ',' that ended the previous part */
        size_t k0 = w, v0;
        if (read_part(key, len, &i, '=', tag_escaped, ", ", out, &w) != STRATA_OK)
            return STRATA_EINVAL;
        if (i >= len || w == k0) return STRATA_EINVAL; /* no '=' or empty tag key */
        i++;
        v0 = w;
        if (read_part(key, len, &i, ',', tag_escaped, "= ", out, &w) != STRATA_OK || w == v0)
            return STRATA_EINVAL;
        if (i < len && i + 1 == len) return STRATA_EINVAL; /* trailing comma */
        if (out != NULL && n < max_tags) {
            tags[n].key = out + k0;
            tags[n].key_len = (uint32_t)(v0 - k0);
            tags[n].val = out + v0;
            tags[n].val_len = (uint32_t)(w - v0);
        }
        n++;
    }
    *ntags = n;
    if (out == NULL || n > max_tags) return STRATA_ERANGE;
    return STRATA_OK;
}
