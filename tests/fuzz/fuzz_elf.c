/* fuzz_elf.c: fuzzes the guest-image loader (hv/core/elf_loader.c) and
 * the symbolizer that reads the same file (hv/core/symbols.c).
 *
 * The input is a whole guest image file. It is parsed as domain.c parses
 * it, for guest RAM [PVISOR_IMAGE_BASE, GUEST_MEM); an accepted image must
 * describe segments inside that range, and is then loaded into a scratch
 * guest memory of exactly GUEST_MEM bytes (heap, so ASan sees a write past
 * it) and loaded again into one too small, which must fail untouched. The
 * symbol table is read from every input, accepted or not, and looked up
 * at the entry point and at each segment's ends. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/elf_loader.h"
#include "core/symbols.h"

#define GUEST_MEM (4ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *guest;

/* Every accepted image must fit what it was parsed for. */
static void check_image(const struct elf_image *img)
{
	if (img->nsegments == 0 || img->nsegments > ELF_MAX_SEGMENTS)
		abort();
	if (img->lowest < PVISOR_IMAGE_BASE || img->highest > GUEST_MEM ||
	    img->lowest >= img->highest)
		abort();
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];

		if (s->addr < img->lowest || s->memsz > img->highest - s->addr ||
		    s->filesz > s->memsz)
			abort();
	}
}

/* A load into memory that ends one byte short of the image must fail and
 * leave that memory alone. */
static void load_short(const uint8_t *data, size_t size, const struct elf_image *img)
{
	char err[256];

	guest[0] = 0xa5;
	if (elf_image_load(data, size, img, guest, img->highest - 1, err, sizeof(err)) == 0)
		abort();
	if (guest[0] != 0xa5)
		abort();
}

static void load(const uint8_t *data, size_t size, const struct elf_image *img)
{
	char err[256];

	check_image(img);
	load_short(data, size, img);
	if (elf_image_load(data, size, img, guest, GUEST_MEM, err, sizeof(err)) != 0)
		abort();
}

static void lookup(const struct symbol_table *t, uint64_t addr)
{
	uint64_t offset;
	const char *name = symbols_lookup(t, addr, &offset);

	if (name && (strlen(name) == 0 || offset > addr))
		abort();
}

static void symbolize(const uint8_t *data, size_t size, const struct elf_image *img)
{
	struct symbol_table *t = symbols_load(data, size);

	lookup(t, img->entry);
	for (unsigned i = 0; i < img->nsegments; i++) {
		lookup(t, img->segments[i].addr);
		lookup(t, img->segments[i].addr + img->segments[i].memsz - 1);
	}
	lookup(t, 0);
	lookup(t, UINT64_MAX);
	symbols_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	char err[256];

	if (!guest && !(guest = malloc(GUEST_MEM)))
		abort();
	if (elf_image_parse(data, size, PVISOR_IMAGE_BASE, GUEST_MEM, &img, err, sizeof(err)) == 0)
		load(data, size, &img);
	else if (strlen(err) == 0 || strchr(err, '\n'))
		abort();        /* a refusal is one line */
	symbolize(data, size, &img);
	return 0;
}
