/*
 * bench/gen/gen_rng_int.h: the generator's private PRNG (internal to bench/gen).
 *
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64, written from
 * the published algorithm description. Chosen for speed, 256 bits of state
 * (so independent streams per host and measurement do not overlap in
 * practice) and full determinism across platforms: no rand(), no global state.
 * Normal deviates use Marsaglia's polar method with one cached spare.
 */
#ifndef STRATA_BENCH_GEN_RNG_INT_H
#define STRATA_BENCH_GEN_RNG_INT_H

#include <math.h>
#include <stdint.h>

typedef struct gen__rng {
    uint64_t s[4];
    double spare; /* second deviate of the last polar pair */
    int has_spare;
} gen__rng;

/* splitmix64's output function: a bijective 64-bit mixer. */
static inline uint64_t gen__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void gen__rng_seed(gen__rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        r->s[i] = gen__mix64(seed);
    }
    r->spare = 0;
    r->has_spare = 0;
}

static inline uint64_t gen__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t gen__rng_next(gen__rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = gen__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen__rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double gen__rng_unit(gen__rng *r)
{
    return (double)(gen__rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (rejection). */
static inline uint64_t gen__rng_below(gen__rng *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = gen__rng_next(r);
    while (x >= lim);
    return x % n;
}

/* Standard normal deviate (mean 0, standard deviation 1). */
static inline double gen__rng_normal(gen__rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * gen__rng_unit(r) - 1.0;
        v = 2.0 * gen__rng_unit(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

#endif
