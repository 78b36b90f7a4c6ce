/* test_elf_loader.c: unit tests for hv/core/elf_loader.c.
 *
 * Every image is built by hand in memory: a good one, then one variation
 * per validation error, then a deterministic fuzz pass (truncations and
 * byte flips) meant to run under ASan/UBSan. */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "core/elf_loader.h"

#define MEM_LO 0x100000ULL
#define MEM_HI 0x4000000ULL
#define GUEST_SIZE 0x200000ULL	/* for loading: [0, 2 MiB) */

#define TEXT_ADDR 0x100000ULL
#define TEXT_OFF 0x1000
#define TEXT_SIZE 0x20
#define DATA_ADDR 0x102000ULL
#define DATA_OFF 0x2000
#define DATA_FILESZ 0x10
#define DATA_MEMSZ 0x3000
#define NOTE_OFF 0x800
#define IMAGE_SIZE (DATA_OFF + DATA_FILESZ)
#define BUF_SIZE 0x3000

/* The pvisor ABI note as a 4-byte-aligned note segment lays it out. */
struct pvisor_note {
	Elf64_Nhdr nh;
	char name[8];		/* "pvisor\0" and one byte of padding */
	uint32_t version;
};

struct image {
	_Alignas(16) unsigned char buf[BUF_SIZE];
	size_t size;
};

static Elf64_Ehdr *ehdr(struct image *im)
{
	return (Elf64_Ehdr *)im->buf;
}

static Elf64_Phdr *phdr(struct image *im, unsigned i)
{
	return (Elf64_Phdr *)(im->buf + sizeof(Elf64_Ehdr)) + i;
}

static struct pvisor_note *note_at(struct image *im, size_t off)
{
	return (struct pvisor_note *)(im->buf + off);
}

static void set_phdr(struct image *im, unsigned i, uint32_t type, uint32_t flags,
		     uint64_t off, uint64_t addr, uint64_t filesz, uint64_t memsz)
{
	Elf64_Phdr *ph = phdr(im, i);

	memset(ph, 0, sizeof(*ph));
	ph->p_type = type;
	ph->p_flags = flags;
	ph->p_offset = off;
	ph->p_vaddr = addr;
	ph->p_paddr = addr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	ph->p_align = type == PT_LOAD ? 0x1000 : 4;
}

static void write_note(struct image *im, size_t off, uint32_t version)
{
	struct pvisor_note *n = note_at(im, off);

	n->nh.n_namesz = 7;
	n->nh.n_descsz = 4;
	n->nh.n_type = PVISOR_NOTE_ABI_VERSION;
	memcpy(n->name, "pvisor", 7);
	n->version = version;
}

/* Text [0x100000, 0x100020) R+X, data [0x102000, 0x105000) RW with 0x10 bytes
 * from the file, and the pvisor note; entry at text + 4. */
static void good_image(struct image *im)
{
	Elf64_Ehdr *eh = ehdr(im);
	unsigned i;

	memset(im, 0, sizeof(*im));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TEXT_ADDR + 4;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	set_phdr(im, 0, PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_ADDR, TEXT_SIZE, TEXT_SIZE);
	set_phdr(im, 1, PT_LOAD, PF_R | PF_W, DATA_OFF, DATA_ADDR, DATA_FILESZ, DATA_MEMSZ);
	set_phdr(im, 2, PT_NOTE, PF_R, NOTE_OFF, 0, sizeof(struct pvisor_note), 0);
	write_note(im, NOTE_OFF, PVISOR_ABI_VERSION_SUPPORTED);
	for (i = 0; i < TEXT_SIZE; i++)
		im->buf[TEXT_OFF + i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < DATA_FILESZ; i++)
		im->buf[DATA_OFF + i] = (unsigned char)(0xd0 + i);
	im->size = IMAGE_SIZE;
}

/* Parses a heap copy of exactly size bytes, so ASan sees any over-read. */
static int parse_copy(const void *file, size_t size, uint64_t lo, uint64_t hi,
		      struct elf_image *img, char *err, size_t errlen)
{
	void *copy = malloc(size ? size : 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, file, size);
	ret = elf_image_parse(copy, size, lo, hi, img, err, errlen);
	free(copy);
	return ret;
}

/* True if parsing fails with a one-line message containing phrase. */
static bool fails_in(struct image *im, uint64_t lo, uint64_t hi, const char *phrase)
{
	struct elf_image img;
	char err[256];
	int ret;

	memset(err, 'x', sizeof(err));
	ret = parse_copy(im->buf, im->size, lo, hi, &img, err, sizeof(err));
	if (ret == -1 && strstr(err, phrase) && !strchr(err, '\n') && img.nsegments == 0)
		return true;
	printf("# expected failure with \"%s\", got %d: \"%.*s\"\n", phrase, ret,
	       (int)sizeof(err), ret ? err : "");
	return false;
}

static bool fails_with(struct image *im, const char *phrase)
{
	return fails_in(im, MEM_LO, MEM_HI, phrase);
}

static bool parses(struct image *im, struct elf_image *img)
{
	char err[256] = "";

	if (parse_copy(im->buf, im->size, MEM_LO, MEM_HI, img, err, sizeof(err)) == 0)
		return true;
	printf("# unexpected failure: %s\n", err);
	return false;
}

static void test_good_image(void)
{
	struct image im;
	struct elf_image img;
	unsigned char *guest = malloc(GUEST_SIZE);
	char err[256];
	unsigned i;

	good_image(&im);
	CHECK(guest != NULL);
	CHECK(parses(&im, &img));
	CHECK_EQ(img.entry, TEXT_ADDR + 4);
	CHECK_EQ(img.lowest, TEXT_ADDR);
	CHECK_EQ(img.highest, DATA_ADDR + DATA_MEMSZ);
	CHECK_EQ(img.abi_version, 1u);
	CHECK_EQ(img.nsegments, 2u);
	CHECK_EQ(img.segments[0].addr, TEXT_ADDR);
	CHECK_EQ(img.segments[0].flags, (uint32_t)(PF_R | PF_X));
	CHECK_EQ(img.segments[1].filesz, (uint64_t)DATA_FILESZ);
	CHECK_EQ(img.segments[1].memsz, (uint64_t)DATA_MEMSZ);
	CHECK_EQ(img.segments[1].flags, (uint32_t)(PF_R | PF_W));

	memset(guest, 0xaa, GUEST_SIZE);
	CHECK_EQ(elf_image_load(im.buf, im.size, &img, guest, GUEST_SIZE, err, sizeof(err)), 0);
	CHECK(memcmp(guest + TEXT_ADDR, im.buf + TEXT_OFF, TEXT_SIZE) == 0);
	CHECK(memcmp(guest + DATA_ADDR, im.buf + DATA_OFF, DATA_FILESZ) == 0);
	for (i = DATA_FILESZ; i < DATA_MEMSZ; i++)
		CHECK_EQ(guest[DATA_ADDR + i], 0);
	CHECK_EQ(guest[TEXT_ADDR - 1], 0xaa);
	CHECK_EQ(guest[TEXT_ADDR + TEXT_SIZE], 0xaa);
	CHECK_EQ(guest[DATA_ADDR + DATA_MEMSZ], 0xaa);
	free(guest);
}

/* The loader must only read the image: give it a read-only mapping. */
static void test_read_only_image(void)
{
	struct image im;
	struct elf_image img;
	unsigned char *guest = calloc(1, GUEST_SIZE);
	char err[256] = "";
	void *ro;

	good_image(&im);
	ro = mmap(NULL, im.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED && guest != NULL);
	if (ro == MAP_FAILED || !guest)
		return;
	memcpy(ro, im.buf, im.size);
	CHECK_EQ(mprotect(ro, im.size, PROT_READ), 0);
	CHECK_EQ(elf_image_parse(ro, im.size, MEM_LO, MEM_HI, &img, err, sizeof(err)), 0);
	CHECK_EQ(elf_image_load(ro, im.size, &img, guest, GUEST_SIZE, err, sizeof(err)), 0);
	CHECK(memcmp(guest + TEXT_ADDR, im.buf + TEXT_OFF, TEXT_SIZE) == 0);
	munmap(ro, im.size);
	free(guest);
}

/* libelf copies misaligned headers; the result must be the same. */
static void test_misaligned_image(void)
{
	struct image im;
	struct elf_image img;
	unsigned char *copy;
	char err[256] = "";

	good_image(&im);
	copy = malloc(im.size + 1);
	CHECK(copy != NULL);
	if (!copy)
		return;
	memcpy(copy + 1, im.buf, im.size);
	CHECK_EQ(elf_image_parse(copy + 1, im.size, MEM_LO, MEM_HI, &img, err, sizeof(err)), 0);
	CHECK_EQ(img.abi_version, 1u);
	CHECK_EQ(img.nsegments, 2u);
	free(copy);
}

static void test_error_buffer(void)
{
	struct elf_image img;
	char small[8];

	CHECK_EQ(elf_image_parse("junk", 4, MEM_LO, MEM_HI, &img, small, sizeof(small)), -1);
	CHECK_STR(small, "not an ");
	CHECK_EQ(elf_image_parse("junk", 4, MEM_LO, MEM_HI, &img, NULL, 0), -1);
}

static void test_empty_file(void)
{
	struct image im;

	good_image(&im);
	im.size = 0;
	CHECK(fails_with(&im, "not an ELF file"));
}

static void test_garbage(void)
{
	struct image im;
	unsigned i;

	good_image(&im);
	for (i = 0; i < 200; i++)
		im.buf[i] = (unsigned char)(i * 37 + 11);
	im.size = 200;
	CHECK(fails_with(&im, "not an ELF file"));
}

static void test_truncated_header(void)
{
	struct image im;

	good_image(&im);
	im.size = 40;
	CHECK(fails_with(&im, "truncated: ELF header beyond end of file"));
	im.size = 10;
	CHECK(fails_with(&im, "truncated: ELF header"));
}

static void test_truncated_phdrs(void)
{
	struct image im;

	good_image(&im);
	im.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 8;
	CHECK(fails_with(&im, "truncated: program header table beyond end of file"));
	good_image(&im);
	ehdr(&im)->e_phoff = UINT64_MAX - 16;
	CHECK(fails_with(&im, "truncated: program header table beyond end of file"));
}

static void test_bad_phentsize(void)
{
	struct image im;

	good_image(&im);
	ehdr(&im)->e_phentsize = 32;
	CHECK(fails_with(&im, "program header entry size 32"));
	good_image(&im);
	ehdr(&im)->e_phnum = PN_XNUM;
	CHECK(fails_with(&im, "too many program headers"));
}

static void test_segment_beyond_eof(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 1)->p_filesz = 0x20;
	CHECK(fails_with(&im,
			 "segment 1 file data [0x2000, 0x2020) beyond end of file (size 0x2010)"));
	good_image(&im);
	phdr(&im, 1)->p_offset = UINT64_MAX - 4;
	CHECK(fails_with(&im, "segment 1 file data at offset 0xfffffffffffffffb"));
	CHECK(fails_with(&im, "beyond end of file"));
}

static void test_32bit(void)
{
	struct image im;

	good_image(&im);
	im.buf[EI_CLASS] = ELFCLASS32;
	CHECK(fails_with(&im, "not a 64-bit ELF"));
}

static void test_big_endian(void)
{
	struct image im;

	good_image(&im);
	im.buf[EI_DATA] = ELFDATA2MSB;
	CHECK(fails_with(&im, "not little-endian"));
}

static void test_bad_ident_version(void)
{
	struct image im;

	good_image(&im);
	im.buf[EI_VERSION] = EV_NONE;
	CHECK(fails_with(&im, "unsupported ELF version 0"));
}

static void test_wrong_machine(void)
{
	struct image im;

	good_image(&im);
	ehdr(&im)->e_machine = EM_AARCH64;
	CHECK(fails_with(&im, "not an x86-64 executable (machine 183)"));
}

static void test_not_executable(void)
{
	struct image im;

	good_image(&im);
	ehdr(&im)->e_type = ET_DYN;
	CHECK(fails_with(&im, "not an executable (type 3)"));
}

static void move_segment(struct image *im, unsigned i, uint64_t addr)
{
	phdr(im, i)->p_vaddr = addr;
	phdr(im, i)->p_paddr = addr;
}

static void test_outside_memory(void)
{
	struct image im;

	good_image(&im);
	move_segment(&im, 1, 0x1000);
	CHECK(fails_with(&im, "segment 1 [0x1000, 0x4000) lies outside guest memory "
			      "[0x100000, 0x4000000)"));
	good_image(&im);
	move_segment(&im, 1, MEM_HI - 0x1000);
	CHECK(fails_with(&im, "segment 1 [0x3fff000, 0x4002000) lies outside guest memory"));
	good_image(&im);
	move_segment(&im, 1, MEM_HI);
	CHECK(fails_with(&im, "lies outside guest memory"));
	/* With memory up to 2^64 - 1, only overflow-safe arithmetic catches this. */
	good_image(&im);
	move_segment(&im, 1, 0xfffffffffffff000ULL);
	CHECK(fails_in(&im, MEM_LO, UINT64_MAX, "lies outside guest memory"));
	CHECK(fails_in(&im, MEM_LO, UINT64_MAX, "wraps around"));
	good_image(&im);
	phdr(&im, 1)->p_memsz = UINT64_MAX;
	CHECK(fails_in(&im, MEM_LO, UINT64_MAX, "lies outside guest memory"));
}

static void test_empty_memory_range(void)
{
	struct image im;

	good_image(&im);
	CHECK(fails_in(&im, MEM_LO, MEM_LO, "guest memory range"));
}

static void test_empty_segment(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 1)->p_filesz = 0;
	phdr(&im, 1)->p_memsz = 0;
	CHECK(fails_with(&im, "segment 1 is empty"));
}

static void test_overlap(void)
{
	struct image im;

	good_image(&im);
	move_segment(&im, 1, TEXT_ADDR + 0x10);
	CHECK(fails_with(&im, "segments 0 and 1 overlap"));
	/* Disjoint bytes, but both touch the page at 0x100000. */
	good_image(&im);
	move_segment(&im, 1, TEXT_ADDR + 0x800);
	CHECK(fails_with(&im, "segments 0 and 1 overlap"));
	/* Data ends in the page where text begins. */
	good_image(&im);
	move_segment(&im, 1, TEXT_ADDR - DATA_MEMSZ + 0x10);
	move_segment(&im, 0, TEXT_ADDR + 0x800);
	ehdr(&im)->e_entry = TEXT_ADDR + 0x800;
	CHECK(fails_in(&im, 0x1000, MEM_HI, "segments 0 and 1 overlap"));
	/* Adjacent pages are fine. */
	good_image(&im);
	move_segment(&im, 1, TEXT_ADDR + 0x1000);
	{
		struct elf_image img;

		CHECK(parses(&im, &img));
		CHECK_EQ(img.highest, TEXT_ADDR + 0x1000 + DATA_MEMSZ);
	}
}

static void test_filesz_exceeds_memsz(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 1)->p_memsz = 0x8;
	CHECK(fails_with(&im, "segment 1 file size exceeds memory size (0x10 > 0x8)"));
}

static void test_vaddr_differs(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 0)->p_vaddr = 0xffffffff80100000ULL;
	CHECK(fails_with(&im, "segment 0 virtual address 0xffffffff80100000 differs from "
			      "physical address 0x100000 (pvisor loads identity-mapped images)"));
}

static void test_no_load_segments(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 0)->p_type = PT_NULL;
	phdr(&im, 1)->p_type = PT_GNU_STACK;
	CHECK(fails_with(&im, "no loadable segments"));
	good_image(&im);
	ehdr(&im)->e_phnum = 0;
	CHECK(fails_with(&im, "no loadable segments"));
}

/* Puts n small PT_LOAD segments on separate pages, then the note. */
static void many_segments_image(struct image *im, unsigned n)
{
	unsigned i;

	good_image(im);
	for (i = 0; i < n; i++)
		set_phdr(im, i, PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_ADDR + i * 0x1000ULL,
			 TEXT_SIZE, TEXT_SIZE);
	set_phdr(im, n, PT_NOTE, PF_R, NOTE_OFF, 0, sizeof(struct pvisor_note), 0);
	ehdr(im)->e_phnum = n + 1;
}

static void test_too_many_segments(void)
{
	struct image im;
	struct elf_image img;

	many_segments_image(&im, ELF_MAX_SEGMENTS);
	CHECK(parses(&im, &img));
	CHECK_EQ(img.nsegments, (unsigned)ELF_MAX_SEGMENTS);
	CHECK_EQ(img.highest, TEXT_ADDR + (ELF_MAX_SEGMENTS - 1) * 0x1000ULL + TEXT_SIZE);
	many_segments_image(&im, ELF_MAX_SEGMENTS + 1);
	CHECK(fails_with(&im, "too many loadable segments"));
}

static void test_entry_not_executable(void)
{
	struct image im;

	good_image(&im);
	ehdr(&im)->e_entry = DATA_ADDR;
	CHECK(fails_with(&im, "entry point 0x102000 is not inside an executable segment"));
	ehdr(&im)->e_entry = TEXT_ADDR + TEXT_SIZE;
	CHECK(fails_with(&im, "is not inside an executable segment"));
	ehdr(&im)->e_entry = 0;
	CHECK(fails_with(&im, "is not inside an executable segment"));
}

static void test_missing_note(void)
{
	struct image im;

	good_image(&im);
	phdr(&im, 2)->p_type = PT_NULL;
	CHECK(fails_with(&im, "not a pvisor guest image (no pvisor ELF note)"));
	good_image(&im);
	note_at(&im, NOTE_OFF)->name[5] = 'R';
	CHECK(fails_with(&im, "no pvisor ELF note"));
	good_image(&im);
	note_at(&im, NOTE_OFF)->nh.n_type = 2;
	CHECK(fails_with(&im, "no pvisor ELF note"));
	good_image(&im);
	note_at(&im, NOTE_OFF)->nh.n_namesz = 6;	/* "pvisor" without its NUL */
	CHECK(fails_with(&im, "no pvisor ELF note"));
	good_image(&im);
	phdr(&im, 2)->p_filesz = 0;
	CHECK(fails_with(&im, "no pvisor ELF note"));
}

static void test_wrong_note_version(void)
{
	struct image im;

	good_image(&im);
	note_at(&im, NOTE_OFF)->version = 2;
	CHECK(fails_with(&im, "pvisor ABI version 2 not supported (this pvisor speaks 1)"));
	note_at(&im, NOTE_OFF)->version = 0;
	CHECK(fails_with(&im, "pvisor ABI version 0 not supported"));
}

static void test_malformed_note(void)
{
	struct image im;

	good_image(&im);
	note_at(&im, NOTE_OFF)->nh.n_descsz = 0xffffffff;
	CHECK(fails_with(&im, "malformed ELF note in segment 2"));
	good_image(&im);
	note_at(&im, NOTE_OFF)->nh.n_namesz = 0xfffffff0;
	CHECK(fails_with(&im, "malformed ELF note in segment 2"));
	good_image(&im);
	phdr(&im, 2)->p_filesz = sizeof(struct pvisor_note) - 2;
	CHECK(fails_with(&im, "malformed ELF note in segment 2"));
	good_image(&im);
	phdr(&im, 2)->p_filesz = sizeof(struct pvisor_note) + 4;	/* trailing junk */
	CHECK(fails_with(&im, "malformed ELF note in segment 2"));
	good_image(&im);
	note_at(&im, NOTE_OFF)->nh.n_descsz = 0;
	CHECK(fails_with(&im, "malformed pvisor ABI note (descriptor size 0, expected 4)"));
	good_image(&im);
	phdr(&im, 2)->p_offset = IMAGE_SIZE - 8;
	CHECK(fails_with(&im, "segment 2 file data [0x2008, 0x2020) beyond end of file"));
}

static void test_duplicate_note(void)
{
	struct image im;

	good_image(&im);
	write_note(&im, NOTE_OFF + sizeof(struct pvisor_note), 1);
	phdr(&im, 2)->p_filesz = 2 * sizeof(struct pvisor_note);
	CHECK(fails_with(&im, "more than one pvisor ABI note"));
}

/* Other notes may come first; an 8-aligned note segment uses 8-byte padding. */
static void test_other_notes(void)
{
	struct image im;
	struct elf_image img;
	Elf64_Nhdr *nh;

	good_image(&im);
	nh = (Elf64_Nhdr *)(im.buf + NOTE_OFF);
	nh->n_namesz = 4;
	nh->n_descsz = 3;
	nh->n_type = 1;
	memcpy(im.buf + NOTE_OFF + 12, "GNU", 4);
	write_note(&im, NOTE_OFF + 12 + 4 + 4, 1);
	phdr(&im, 2)->p_filesz = 12 + 4 + 4 + sizeof(struct pvisor_note);
	CHECK(parses(&im, &img));
	CHECK_EQ(img.abi_version, 1u);

	good_image(&im);
	memset(im.buf + NOTE_OFF, 0, 64);
	nh = (Elf64_Nhdr *)(im.buf + NOTE_OFF);
	nh->n_namesz = 7;
	nh->n_descsz = 4;
	nh->n_type = PVISOR_NOTE_ABI_VERSION;
	memcpy(im.buf + NOTE_OFF + 12, "pvisor", 7);
	im.buf[NOTE_OFF + 24] = 1;	/* desc starts 8-aligned, at 24 */
	phdr(&im, 2)->p_filesz = 32;
	phdr(&im, 2)->p_align = 8;
	CHECK(parses(&im, &img));
	CHECK_EQ(img.abi_version, 1u);
}

static void test_load_rechecks(void)
{
	struct image im;
	struct elf_image img;
	unsigned char *guest = malloc(GUEST_SIZE);
	char err[256] = "";

	good_image(&im);
	CHECK(guest != NULL && parses(&im, &img));
	if (!guest)
		return;
	memset(guest, 0xaa, GUEST_SIZE);
	CHECK_EQ(elf_image_load(im.buf, im.size, &img, guest, DATA_ADDR + 0x1000, err,
				sizeof(err)), -1);
	CHECK(strstr(err, "lies outside guest memory") != NULL);
	CHECK_EQ(guest[TEXT_ADDR], 0xaa);	/* nothing copied before the check */
	CHECK_EQ(elf_image_load(im.buf, DATA_OFF + 4, &img, guest, GUEST_SIZE, err,
				sizeof(err)), -1);
	CHECK(strstr(err, "beyond end of file") != NULL);
	img.segments[1].filesz = DATA_MEMSZ + 1;
	CHECK_EQ(elf_image_load(im.buf, im.size, &img, guest, GUEST_SIZE, err, sizeof(err)), -1);
	CHECK(strstr(err, "file size exceeds memory size") != NULL);
	img.nsegments = ELF_MAX_SEGMENTS + 1;
	CHECK_EQ(elf_image_load(im.buf, im.size, &img, guest, GUEST_SIZE, err, sizeof(err)), -1);
	free(guest);
}


static const uint64_t interesting[] = {
	0, 1, 4, 7, 0x38, 0x40, 0xfff, 0x1000, 0x2010, 0x100000, 0x4000000,
	0x7fffffff, 0xffffffff, 0x8000000000000000ULL, UINT64_MAX - 0xfff, UINT64_MAX,
};

/* Parses a mutated image; if it is accepted it must also load and make sense. */
static bool parse_is_sane(const unsigned char *buf, size_t size, unsigned char *guest)
{
	struct elf_image img;
	char err[256];
	unsigned i;

	err[0] = '\0';
	if (parse_copy(buf, size, MEM_LO, GUEST_SIZE, &img, err, sizeof(err)) != 0)
		return err[0] != '\0' && !strchr(err, '\n');
	if (img.nsegments == 0 || img.nsegments > ELF_MAX_SEGMENTS ||
	    img.abi_version != PVISOR_ABI_VERSION_SUPPORTED)
		return false;
	for (i = 0; i < img.nsegments; i++)
		if (img.segments[i].addr < MEM_LO ||
		    img.segments[i].memsz > GUEST_SIZE - img.segments[i].addr)
			return false;
	return elf_image_load(buf, size, &img, guest, GUEST_SIZE, err, sizeof(err)) == 0;
}

static void mutate(unsigned char *buf, size_t size)
{
	unsigned flips = 1 + check_rng() % 4, i;
	uint64_t v;
	size_t at;

	for (i = 0; i < flips; i++) {
		/* Mostly the headers and the note, where the decisions are. */
		at = check_rng() % 4 ? check_rng() % (NOTE_OFF + 64) : check_rng() % size;
		switch (check_rng() % 3) {
		case 0:
			buf[at] ^= (unsigned char)(1u << (check_rng() % 8));
			break;
		case 1:
			buf[at] = (unsigned char)check_rng();
			break;
		default:
			v = interesting[check_rng() % (sizeof(interesting) / sizeof(interesting[0]))];
			at &= ~(size_t)7;
			memcpy(buf + at, &v, at + 8 <= size ? 8 : size - at);
			break;
		}
	}
}

static void test_fuzz_truncate(void)
{
	struct image im;
	unsigned char *guest = malloc(GUEST_SIZE);
	size_t len;

	good_image(&im);
	CHECK(guest != NULL);
	if (!guest)
		return;
	for (len = 0; len <= im.size; len++)
		CHECK(parse_is_sane(im.buf, len, guest));
	free(guest);
}

static void test_fuzz_mutate(void)
{
	struct image good, im;
	unsigned char *guest = malloc(GUEST_SIZE);
	unsigned iter, accepted = 0;

	good_image(&good);
	CHECK(guest != NULL);
	if (!guest)
		return;
	for (iter = 0; iter < 20000; iter++) {
		im = good;
		mutate(im.buf, im.size);
		if (iter % 8 == 0)
			im.size = check_rng() % (im.size + 1);
		CHECK(parse_is_sane(im.buf, im.size, guest));
		accepted += parse_copy(im.buf, im.size, MEM_LO, GUEST_SIZE,
				       &(struct elf_image){ 0 }, NULL, 0) == 0;
	}
	/* Flips in the file data are harmless, so some images must survive. */
	CHECK(accepted > 0 && accepted < 20000);
	free(guest);
}

int main(void)
{
	RUN(test_good_image);
	RUN(test_read_only_image);
	RUN(test_misaligned_image);
	RUN(test_error_buffer);
	RUN(test_empty_file);
	RUN(test_garbage);
	RUN(test_truncated_header);
	RUN(test_truncated_phdrs);
	RUN(test_bad_phentsize);
	RUN(test_segment_beyond_eof);
	RUN(test_32bit);
	RUN(test_big_endian);
	RUN(test_bad_ident_version);
	RUN(test_wrong_machine);
	RUN(test_not_executable);
	RUN(test_outside_memory);
	RUN(test_empty_memory_range);
	RUN(test_empty_segment);
	RUN(test_overlap);
	RUN(test_filesz_exceeds_memsz);
	RUN(test_vaddr_differs);
	RUN(test_no_load_segments);
	RUN(test_too_many_segments);
	RUN(test_entry_not_executable);
	RUN(test_missing_note);
	RUN(test_wrong_note_version);
	RUN(test_malformed_note);
	RUN(test_duplicate_note);
	RUN(test_other_notes);
	RUN(test_load_rechecks);
	RUN(test_fuzz_truncate);
	RUN(test_fuzz_mutate);
	CHECK_EXIT();
}
