/*
 * storage/types.h: the data model shared by every part of the engine and by
 * its callers: field types, the value slot, and column identity.
 *
 * A point is a measurement, a tag set and one or more fields at a signed
 * 64-bit nanosecond timestamp. A series is a measurement with its sorted tag
 * set, identified inside a database by a 64-bit series id. A column is one
 * field of one series: (series id, field id). A field's type is fixed per
 * measurement.
 *
 * Values travel through the engine as 8-byte slots (uint64_t) whose meaning
 * depends on the column type:
 *   STG_FLOAT  the IEEE-754 bit pattern of a double (stg_val_from_f64)
 *   STG_INT    an int64_t, two's complement
 *   STG_UINT   a uint64_t
 *   STG_BOOL   0 or 1
 *   STG_STRING (offset << 32) | length, into a byte buffer that travels with
 *              the values (the decoder's or the caller's string buffer)
 */
#ifndef STRATA_STORAGE_TYPES_H
#define STRATA_STORAGE_TYPES_H

#include <stdint.h>
#include <string.h>

typedef enum stg_type {
    STG_FLOAT = 1,
    STG_INT = 2,
    STG_UINT = 3,
    STG_BOOL = 4,
    STG_STRING = 5,
} stg_type;

/* Largest string field value accepted, in bytes. InfluxDB 1.6.7 documents 64 KiB but
 * stores longer strings (a 70,000-byte value reads back); Strata takes up to 1 MiB. */
#define STG_STRING_MAX ((1u << 20) - 1)

static inline uint64_t stg_val_from_f64(double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}

static inline double stg_val_to_f64(uint64_t v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static inline uint64_t stg_val_str(uint32_t off, uint32_t len)
{
    return ((uint64_t)off << 32) | len;
}

static inline uint32_t stg_val_str_off(uint64_t v)
{
    return (uint32_t)(v >> 32);
}
static inline uint32_t stg_val_str_len(uint64_t v)
{
    return (uint32_t)v;
}

/* "float", "integer", "unsigned", "boolean", "string" (InfluxDB's names); "?" otherwise. */
const char *stg_type_name(stg_type t);

#endif
