/*
 * storage/serieskey.h: the canonical series key, InfluxDB's series key format.
 *
 * A series is a measurement and a tag set. Its canonical key is
 *
 *     measurement[,key1=value1[,key2=value2...]]
 *
 * with the tags sorted by key (bytewise, memcmp order) and each part escaped
 * as InfluxDB escapes it: in the measurement a comma or a space is preceded
 * by a backslash; in tag keys and tag values a comma, an equals sign or a
 * space is. A backslash itself is not escaped (InfluxDB does not escape it),
 * so the key is parsed back by reading "\," "\=" "\ " (and in the
 * measurement "\," "\ ") as the escaped character and any other backslash
 * literally. That reading is exact except for a part that ends with a
 * backslash and is followed by a separator ("a\" then ","): such inputs are
 * rejected by stg_series_key_check() so that every key the index stores
 * parses back to the tags it was built from.
 *
 * The index hashes this key into the series id (storage/index.h). Everything
 * here is pure computation on caller buffers: no allocation, thread-safe.
 */
#ifndef STRATA_STORAGE_SERIESKEY_H
#define STRATA_STORAGE_SERIESKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Longest canonical series key accepted, in bytes (InfluxDB's MaxKeyLength). */
#define STG_SERIES_KEY_MAX 65535

/* One tag. key and val are borrowed, not NUL-terminated. */
typedef struct stg_tag {
    const char *key;
    uint32_t key_len;
    const char *val;
    uint32_t val_len;
} stg_tag;

/*
 * Check that a measurement and tag set can form a canonical key: measurement,
 * tag keys and tag values non-empty; tags sorted by key (memcmp, shorter
 * first on a common prefix) with no duplicate key; no part except the last
 * tag value ends with a backslash; the escaped key no longer than
 * STG_SERIES_KEY_MAX.
 *
 * @param err optional; receives a message naming the offending part.
 * @return STRATA_OK or STRATA_EINVAL.
 */
int stg_series_key_check(const char *meas, size_t mlen, const stg_tag *tags, size_t ntags,
                         strata_error *err);

/*
 * Build the canonical key of a measurement and a sorted tag set. Writes at
 * most cap bytes into out (out may be NULL when cap is 0) and no NUL.
 *
 * @return the full key length (which may exceed cap: call with cap 0 to
 *         size the buffer), or 0 when stg_series_key_check() would fail.
 */
size_t stg_series_key_build(const char *meas, size_t mlen, const stg_tag *tags, size_t ntags,
                            char *out, size_t cap);

/*
 * Split a canonical key back into its measurement and unescaped tags.
 * Unescaped bytes are written into buf (cap >= len always suffices: the
 * unescaped text is never longer than the key); *meas and every tags[i]
 * point into buf, which must outlive their use. At most max_tags tags are
 * stored; *ntags receives the number of tags in the key.
 *
 * The key is checked for shape only (non-empty measurement, every tag has a
 * non-empty key and value); sortedness is not checked.
 *
 * @return STRATA_OK; STRATA_EINVAL when the key is malformed; STRATA_ERANGE
 *         when cap < len or the key has more than max_tags tags (then
 *         *ntags is the number needed and nothing else is meaningful).
 */
int stg_series_key_parse(const char *key, size_t len, char *buf, size_t cap, const char **meas,
                         size_t *mlen, stg_tag *tags, size_t max_tags, size_t *ntags);

#endif
