/* blktest.h: helpers shared by the block test guests (tests/blk/, run
 * by tests/suites/blk.sh): a small random generator, the deterministic
 * disk pattern the host regenerates to check images, and argument
 * parsing.
 *
 * The pattern: the 8-byte little-endian word at byte offset 8 * w of the
 * disk is blk_pattern_word(seed, w) = splitmix64's mix of (seed << 40) ^ w.
 * tests/suites/blk.sh computes the same in Python. */
#ifndef BLKTEST_H
#define BLKTEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pv/blk.h>

typedef uint64_t blk_u64_unaligned __attribute__((__aligned__(1), __may_alias__));

static inline uint64_t blk_mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t blk_pattern_word(uint64_t seed, uint64_t word)
{
	return blk_mix64((seed << 40) ^ word);
}

/* Fills len bytes (a multiple of 8) with the pattern of the disk bytes
 * starting at sector. buf may be unaligned. */
static inline void blk_fill(uint64_t seed, void *buf, uint64_t sector, uint64_t len)
{
	blk_u64_unaligned *w = buf;
	uint64_t first = sector * PV_BLK_SECTOR / 8;

	for (uint64_t i = 0; i < len / 8; i++)
		w[i] = blk_pattern_word(seed, first + i);
}

/* Byte offset (within buf) of the first word that differs from the
 * pattern, or -1 if all match. */
static inline int64_t blk_mismatch(uint64_t seed, const void *buf, uint64_t sector, uint64_t len)
{
	const blk_u64_unaligned *w = buf;
	uint64_t first = sector * PV_BLK_SECTOR / 8;

	for (uint64_t i = 0; i < len / 8; i++)
		if (w[i] != blk_pattern_word(seed, first + i))
			return (int64_t)(i * 8);
	return -1;
}

/* xorshift64*: the test's own random choices (reproducible per seed). */
struct blk_rng {
	uint64_t s;
};

static inline void blk_rng_init(struct blk_rng *r, uint64_t seed)
{
	r->s = blk_mix64(seed ^ 0x5eed) | 1;
}

static inline uint64_t blk_rand(struct blk_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* Uniform in [lo, hi]. */
static inline uint64_t blk_rand_range(struct blk_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + blk_rand(r) % (hi - lo + 1);
}

/* argv[i] as a number, or dflt when missing. */
static inline uint64_t blk_arg_u64(int argc, char **argv, int i, uint64_t dflt)
{
	return i < argc ? strtoull(argv[i], NULL, 0) : dflt;
}

static inline const char *blk_arg_str(int argc, char **argv, int i, const char *dflt)
{
	return i < argc ? argv[i] : dflt;
}

#endif
