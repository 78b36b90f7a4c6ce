/* test_options.c: parsing of --mem sizes and --timeout durations, and the
 * PV clock scale (pvclock.c). */
#include <stdint.h>

#include "check.h"
#include "cli/options.h"
#include "core/pvclock.h"

static void sizes(void)
{
	uint64_t b = 0;

	CHECK(parse_size("64M", &b) == 0 && b == 64ull << 20);
	CHECK(parse_size("1G", &b) == 0 && b == 1ull << 30);
	CHECK(parse_size("512K", &b) == 0 && b == 512ull << 10);
	CHECK(parse_size("128", &b) == 0 && b == 128ull << 20);
	CHECK(parse_size("2GiB", &b) == 0 && b == 2ull << 30);
	CHECK(parse_size("16MB", &b) == 0 && b == 16ull << 20);
	CHECK_EQ(parse_size("", &b), -1);
	CHECK_EQ(parse_size("abc", &b), -1);
	CHECK_EQ(parse_size("-5M", &b), -1);
	CHECK_EQ(parse_size("12Q", &b), -1);
	CHECK_EQ(parse_size("1.5G", &b), -1);
	CHECK_EQ(parse_size("64M ", &b), -1);
	CHECK_EQ(parse_size("99999999999999999999", &b), -1);
	CHECK_EQ(parse_size("17179869184G", &b), -1);
	CHECK_EQ(parse_size(NULL, &b), -1);
}

static void durations(void)
{
	double s = 0;

	CHECK(parse_seconds("2", &s) == 0 && s == 2.0);
	CHECK(parse_seconds("0.5", &s) == 0 && s == 0.5);
	CHECK_EQ(parse_seconds("0", &s), -1);
	CHECK_EQ(parse_seconds("-1", &s), -1);
	CHECK_EQ(parse_seconds("nan", &s), -1);
	CHECK_EQ(parse_seconds("inf", &s), -1);
	CHECK_EQ(parse_seconds("3s", &s), -1);
	CHECK_EQ(parse_seconds("", &s), -1);
}

static void clock_scale(void)
{
	const uint64_t freqs[] = { 1000000ull, 999999999ull, 1000000001ull, 2299998000ull,
				   3000000000ull, 5123456789ull };

	for (unsigned i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t ns;

		pvclock_set_scale(freqs[i], &mul, &shift);
		ns = pvclock_scale(freqs[i], mul, shift);
		CHECK(ns > 1000000000ull - 1000 && ns < 1000000000ull + 1000);
		ns = pvclock_scale(freqs[i] * 3600, mul, shift); /* one hour */
		CHECK(ns > 3600000000000ull - 3600000ull && ns < 3600000000000ull + 3600000ull);
		CHECK_EQ(pvclock_scale(0, mul, shift), 0);
	}
}

int main(void)
{
	RUN(sizes);
	RUN(durations);
	RUN(clock_scale);
	CHECK_EXIT();
}
