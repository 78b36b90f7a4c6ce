/* ata_identify.c: what a drive's IDENTIFY DEVICE data says (ATA/ATAPI-6
 * §8.15): capacity (words 60-61, or 100-103 when word 83 bit 10 offers
 * the 48-bit address feature set), FLUSH CACHE (EXT), the READ/WRITE
 * MULTIPLE block size, serial number and model. */
#include <errno.h>
#include <stddef.h>
#include "ata.h"

/* Word 255: when its low byte is the signature, all 512 bytes sum to 0. */
static bool checksum_ok(const uint16_t *w)
{
	uint8_t sum = 0;

	if ((w[ATA_ID_INTEGRITY] & 0xff) != ATA_INTEGRITY_SIG)
		return true;	/* no checksum offered */
	for (unsigned i = 0; i < ATA_ID_WORDS; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	return sum == 0;
}

/* An ATA string: two characters per word, the first in the high byte;
 * padded with spaces (either side), which are dropped. */
static void copy_string(char *out, const uint16_t *w, unsigned chars)
{
	unsigned n = 0, start = 0;

	for (unsigned i = 0; i < chars; i++) {
		uint16_t word = w[i / 2];
		char c = (char)(i % 2 ? word & 0xff : word >> 8);

		out[n++] = c >= 0x20 && c < 0x7f ? c : ' ';
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	while (start < n && out[start] == ' ')
		start++;
	for (unsigned i = start; i < n; i++)
		out[i - start] = out[i];
	out[n - start] = '\0';
}

static uint64_t words_le(const uint16_t *w, unsigned count)
{
	uint64_t v = 0;

	for (unsigned i = count; i-- > 0;)
		v = v << 16 | w[i];
	return v;
}

static uint64_t capacity(const uint16_t *w, bool lba48)
{
	uint64_t lba28 = words_le(&w[ATA_ID_LBA28], 2);
	uint64_t big = lba48 ? words_le(&w[ATA_ID_LBA48], 4) : 0;

	if (big >= ATA_LBA48_LIMIT)
		big = ATA_LBA48_LIMIT - 1;
	return big > lba28 ? big : lba28;
}

int ata_ident_parse(const uint16_t *w, struct ata_ident *out)
{
	uint16_t set2 = w[ATA_ID_CMDSET2];
	bool set2_valid = ATA_WORD_VALID(set2);

	if (w[ATA_ID_CONFIG] & 0x8000u)
		return -ENODEV;		/* a packet (ATAPI) device */
	if (!(w[ATA_ID_CAPABILITY] & ATA_CAP_LBA) || !checksum_ok(w))
		return -ENODEV;
	if (ATA_WORD_VALID(w[ATA_ID_SECTOR_SIZE]) && (w[ATA_ID_SECTOR_SIZE] & ATA_SECTOR_SIZE_LONG))
		return -ENODEV;		/* logical sectors longer than 512 bytes */
	out->lba48 = set2_valid && (set2 & ATA_CMDSET2_LBA48);
	out->sectors = capacity(w, out->lba48);
	/* FLUSH CACHE is mandatory in ATA-6 for a drive with a write cache;
	 * without one (or without saying so) there is nothing to flush. */
	out->flush = set2_valid &&
		     ((set2 & ATA_CMDSET2_FLUSH) || (w[ATA_ID_CMDSET1] & ATA_CMDSET1_WCACHE));
	out->flush_ext = out->lba48 && (set2 & ATA_CMDSET2_FLUSH_EXT);
	out->max_multiple = w[ATA_ID_MAX_MULTIPLE] & 0xff;
	copy_string(out->serial, &w[ATA_ID_SERIAL], ATA_ID_SERIAL_LEN);
	copy_string(out->model, &w[ATA_ID_MODEL], ATA_ID_MODEL_LEN);
	return out->sectors ? 0 : -ENODEV;
}
