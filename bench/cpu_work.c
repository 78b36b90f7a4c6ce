/* cpu_work.c: a deterministic CPU-bound kernel (sieve + hash mixing),
 * compiled identically for the host and the guest. */
#include "cpu_work.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

uint64_t cpu_work(uint8_t *scratch, uint32_t limit, uint32_t rounds)
{
	uint64_t h = 0;

	for (uint32_t r = 0; r < rounds; r++) {
		for (uint32_t i = 0; i < limit; i++)
			scratch[i] = 1;
		for (uint32_t i = 2; (uint64_t)i * i < limit; i++)
			if (scratch[i])
				for (uint32_t j = i * i; j < limit; j += i)
					scratch[j] = 0;
		for (uint32_t i = 2; i < limit; i++)
			if (scratch[i])
				h = mix(h, i + r);
	}
	return h;
}
