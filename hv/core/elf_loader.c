/* elf_loader.c: validates a pvisor guest image held in memory and copies
 * its loadable segments into guest memory.
 *
 * libelf (elfutils, through gelf) reads the headers and walks the notes;
 * every range that matters is also checked here, with overflow-safe
 * arithmetic, before anything is trusted: libelf quietly clamps the
 * program header count to what fits in the file, and knows nothing about
 * guest memory. The image is never modified: elf_memory() opens it with
 * ELF_C_READ_MEMORY, which only reads. */
#include <elf.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/elf_loader.h"
#include "lib/errmsg.h"

#define X64 "0x%" PRIx64
#define PAGE_SHIFT 12

/* Everything elf_image_parse() works on, so that the helpers stay small. */
struct parser {
	const unsigned char *file;
	size_t size;
	uint64_t mem_lo, mem_hi;
	Elf *elf;
	struct elf_image *img;
	unsigned phdr_index[ELF_MAX_SEGMENTS];	/* of each segments[] entry */
	bool have_note;
	char *err;
	size_t errlen;
};

/* Is [start, start + len) inside [0, limit)? Never overflows. */
static bool range_fits(uint64_t start, uint64_t len, uint64_t limit)
{
	return start <= limit && len <= limit - start;
}

/* Checks e_ident by hand: libelf would only say "not ELF" for all of it. */
static int check_ident(const unsigned char *f, size_t size, char *err, size_t errlen)
{
	if (!f || size < SELFMAG || memcmp(f, ELFMAG, SELFMAG) != 0)
		return errmsg(err, errlen, "not an ELF file");
	if (size < EI_NIDENT)
		return errmsg(err, errlen, "truncated: ELF header beyond end of file");
	if (f[EI_CLASS] != ELFCLASS64)
		return errmsg(err, errlen, "not a 64-bit ELF (class %u)", f[EI_CLASS]);
	if (f[EI_DATA] != ELFDATA2LSB)
		return errmsg(err, errlen, "not little-endian (data encoding %u)", f[EI_DATA]);
	if (f[EI_VERSION] != EV_CURRENT)
		return errmsg(err, errlen, "unsupported ELF version %u", f[EI_VERSION]);
	if (size < sizeof(Elf64_Ehdr))
		return errmsg(err, errlen, "truncated: ELF header beyond end of file");
	return 0;
}

static int check_ehdr(struct parser *p, const GElf_Ehdr *eh)
{
	uint64_t table_size;

	if (eh->e_machine != EM_X86_64)
		return errmsg(p->err, p->errlen, "not an x86-64 executable (machine %u)",
			    eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return errmsg(p->err, p->errlen, "not an executable (type %u)", eh->e_type);
	if (eh->e_phnum == 0)
		return errmsg(p->err, p->errlen, "no loadable segments");
	if (eh->e_phnum == PN_XNUM)
		return errmsg(p->err, p->errlen, "too many program headers");
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return errmsg(p->err, p->errlen, "bad program header entry size %u (expected %zu)",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	table_size = (uint64_t)eh->e_phnum * eh->e_phentsize;
	if (!range_fits(eh->e_phoff, table_size, p->size))
		return errmsg(p->err, p->errlen,
			    "truncated: program header table beyond end of file");
	return 0;
}

/* The segment's file bytes [p_offset, p_offset + p_filesz) must be in the file. */
static int check_file_data(struct parser *p, unsigned i, const GElf_Phdr *ph)
{
	if (ph->p_filesz == 0 || range_fits(ph->p_offset, ph->p_filesz, p->size))
		return 0;
	if (ph->p_offset + ph->p_filesz < ph->p_offset)
		return errmsg(p->err, p->errlen,
			    "segment %u file data at offset " X64 " size " X64
			    " beyond end of file (size 0x%zx)",
			    i, ph->p_offset, ph->p_filesz, p->size);
	return errmsg(p->err, p->errlen,
		    "segment %u file data [" X64 ", " X64 ") beyond end of file (size 0x%zx)",
		    i, ph->p_offset, ph->p_offset + ph->p_filesz, p->size);
}

static int check_guest_range(struct parser *p, unsigned i, const GElf_Phdr *ph)
{
	uint64_t lo = p->mem_lo, hi = p->mem_hi;

	if (ph->p_paddr >= lo && range_fits(ph->p_paddr, ph->p_memsz, hi))
		return 0;
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return errmsg(p->err, p->errlen,
			    "segment %u at " X64 " size " X64 " lies outside guest memory ["
			    X64 ", " X64 ") (wraps around the address space)",
			    i, ph->p_paddr, ph->p_memsz, lo, hi);
	return errmsg(p->err, p->errlen,
		    "segment %u [" X64 ", " X64 ") lies outside guest memory [" X64 ", " X64 ")",
		    i, ph->p_paddr, ph->p_paddr + ph->p_memsz, lo, hi);
}

static int add_load_segment(struct parser *p, unsigned i, const GElf_Phdr *ph)
{
	struct elf_image *img = p->img;
	struct elf_segment *s;

	if (img->nsegments == ELF_MAX_SEGMENTS)
		return errmsg(p->err, p->errlen, "too many loadable segments (more than %d)",
			    ELF_MAX_SEGMENTS);
	if (ph->p_memsz == 0)
		return errmsg(p->err, p->errlen, "segment %u is empty", i);
	if (ph->p_filesz > ph->p_memsz)
		return errmsg(p->err, p->errlen,
			    "segment %u file size exceeds memory size (" X64 " > " X64 ")",
			    i, ph->p_filesz, ph->p_memsz);
	if (check_file_data(p, i, ph))
		return -1;
	if (ph->p_vaddr != ph->p_paddr)
		return errmsg(p->err, p->errlen,
			    "segment %u virtual address " X64 " differs from physical address "
			    X64 " (pvisor loads identity-mapped images)",
			    i, ph->p_vaddr, ph->p_paddr);
	if (check_guest_range(p, i, ph))
		return -1;

	p->phdr_index[img->nsegments] = i;
	s = &img->segments[img->nsegments++];
	s->addr = ph->p_paddr;
	s->memsz = ph->p_memsz;
	s->filesz = ph->p_filesz;
	s->flags = ph->p_flags & (PF_R | PF_W | PF_X);
	s->offset = ph->p_offset;
	return 0;
}

static uint32_t read_le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* Handles one note that gelf_getnote() found well-formed in data. */
static int take_note(struct parser *p, unsigned i, const Elf_Data *data,
		     const GElf_Nhdr *nh, size_t name_off, size_t desc_off)
{
	const unsigned char *buf = data->d_buf;

	/* Belt and braces: gelf_getnote() has checked these already. */
	if (!range_fits(name_off, nh->n_namesz, data->d_size) ||
	    !range_fits(desc_off, nh->n_descsz, data->d_size))
		return errmsg(p->err, p->errlen, "malformed ELF note in segment %u", i);

	if (nh->n_namesz != sizeof(PVISOR_NOTE_NAME) ||
	    memcmp(buf + name_off, PVISOR_NOTE_NAME, sizeof(PVISOR_NOTE_NAME)) != 0 ||
	    nh->n_type != PVISOR_NOTE_ABI_VERSION)
		return 0;
	if (nh->n_descsz != 4)
		return errmsg(p->err, p->errlen,
			    "malformed pvisor ABI note (descriptor size %u, expected 4)",
			    nh->n_descsz);
	if (p->have_note)
		return errmsg(p->err, p->errlen, "more than one pvisor ABI note");
	p->have_note = true;
	p->img->abi_version = read_le32(buf + desc_off);
	return 0;
}

/* Walks the notes of one PT_NOTE segment, looking for the pvisor ABI note. */
static int read_notes(struct parser *p, unsigned i, const GElf_Phdr *ph)
{
	Elf_Type type = ph->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR;
	size_t off = 0, next, name_off, desc_off;
	Elf_Data *data;
	GElf_Nhdr nh;

	if (check_file_data(p, i, ph))
		return -1;
	if (ph->p_filesz == 0)
		return 0;
	data = elf_getdata_rawchunk(p->elf, ph->p_offset, ph->p_filesz, type);
	if (!data)
		return errmsg(p->err, p->errlen, "cannot read notes of segment %u: %s",
			    i, elf_errmsg(-1));
	while (off < data->d_size) {
		next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
		if (next == 0 || next <= off)
			return errmsg(p->err, p->errlen,
				    "malformed ELF note in segment %u at offset 0x%zx", i, off);
		if (take_note(p, i, data, &nh, name_off, desc_off))
			return -1;
		off = next;
	}
	return 0;
}

static int read_program_headers(struct parser *p, size_t phnum)
{
	GElf_Phdr ph;
	unsigned i;

	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(p->elf, i, &ph))
			return errmsg(p->err, p->errlen, "cannot read program header %u: %s",
				    i, elf_errmsg(-1));
		if (ph.p_type == PT_LOAD && add_load_segment(p, i, &ph))
			return -1;
		if (ph.p_type == PT_NOTE && read_notes(p, i, &ph))
			return -1;
	}
	return 0;
}

/* Segments may not share a 4 KiB page: each page gets one set of permissions. */
static int check_overlaps(struct parser *p)
{
	const struct elf_image *img = p->img;
	uint64_t first_a, last_a, first_b, last_b;
	unsigned a, b;

	for (a = 0; a < img->nsegments; a++) {
		const struct elf_segment *sa = &img->segments[a];

		first_a = sa->addr >> PAGE_SHIFT;
		last_a = (sa->addr + sa->memsz - 1) >> PAGE_SHIFT;
		for (b = a + 1; b < img->nsegments; b++) {
			const struct elf_segment *sb = &img->segments[b];

			first_b = sb->addr >> PAGE_SHIFT;
			last_b = (sb->addr + sb->memsz - 1) >> PAGE_SHIFT;
			if (first_a <= last_b && first_b <= last_a)
				return errmsg(p->err, p->errlen,
					    "segments %u and %u overlap (they share a 4 KiB page)",
					    p->phdr_index[a], p->phdr_index[b]);
		}
	}
	return 0;
}

/* Records [lowest, highest) and checks that the entry point is executable. */
static int check_layout(struct parser *p)
{
	struct elf_image *img = p->img;
	bool entry_ok = false;
	unsigned i;

	if (img->nsegments == 0)
		return errmsg(p->err, p->errlen, "no loadable segments");
	img->lowest = UINT64_MAX;
	img->highest = 0;
	for (i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];

		if (s->addr < img->lowest)
			img->lowest = s->addr;
		if (s->addr + s->memsz > img->highest)
			img->highest = s->addr + s->memsz;
		if ((s->flags & PF_X) && img->entry >= s->addr &&
		    img->entry - s->addr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		return errmsg(p->err, p->errlen,
			    "entry point " X64 " is not inside an executable segment", img->entry);
	return check_overlaps(p);
}

static int check_abi_note(struct parser *p)
{
	if (!p->have_note)
		return errmsg(p->err, p->errlen, "not a pvisor guest image (no pvisor ELF note)");
	if (p->img->abi_version != PVISOR_ABI_VERSION_SUPPORTED)
		return errmsg(p->err, p->errlen,
			    "pvisor ABI version %" PRIu32 " not supported (this pvisor speaks %d)",
			    p->img->abi_version, PVISOR_ABI_VERSION_SUPPORTED);
	return 0;
}

/* Runs every check once libelf has the file open. */
static int parse_elf(struct parser *p)
{
	GElf_Ehdr eh;
	size_t phnum;

	if (elf_kind(p->elf) != ELF_K_ELF)
		return errmsg(p->err, p->errlen, "not an ELF file");
	if (!gelf_getehdr(p->elf, &eh))
		return errmsg(p->err, p->errlen, "cannot read ELF header: %s", elf_errmsg(-1));
	if (check_ehdr(p, &eh))
		return -1;
	/* elf_getphdrnum() clamps to what fits; check_ehdr() made sure all fit. */
	if (elf_getphdrnum(p->elf, &phnum) != 0 || phnum != eh.e_phnum)
		return errmsg(p->err, p->errlen, "cannot read program headers: %s",
			    elf_errmsg(-1));
	p->img->entry = eh.e_entry;
	if (read_program_headers(p, phnum) || check_layout(p) || check_abi_note(p))
		return -1;
	return 0;
}

int elf_image_parse(const void *file, size_t size, uint64_t mem_lo, uint64_t mem_hi,
		    struct elf_image *img, char *err, size_t errlen)
{
	struct parser p = {
		.file = file, .size = size, .mem_lo = mem_lo, .mem_hi = mem_hi,
		.img = img, .err = err, .errlen = errlen,
	};
	int ret;

	memset(img, 0, sizeof(*img));
	if (err && errlen)
		err[0] = '\0';
	if (mem_lo >= mem_hi)
		return errmsg(err, errlen, "guest memory range [" X64 ", " X64 ") is empty",
			    mem_lo, mem_hi);
	if (check_ident(file, size, err, errlen))
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return errmsg(err, errlen, "libelf: %s", elf_errmsg(-1));
	/* ELF_C_READ_MEMORY never writes to the image, so dropping const is safe. */
	p.elf = elf_memory((char *)file, size);
	if (!p.elf)
		return errmsg(err, errlen, "malformed ELF file (libelf: %s)", elf_errmsg(-1));
	ret = parse_elf(&p);
	elf_end(p.elf);
	if (ret)
		memset(img, 0, sizeof(*img));
	return ret;
}

/* Re-checks one parsed segment against this file and this guest mapping. */
static int check_segment_again(const struct elf_segment *s, size_t size, uint64_t guest_size,
			       char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return errmsg(err, errlen, "segment at " X64 ": file size exceeds memory size",
			    s->addr);
	if (s->filesz && !range_fits(s->offset, s->filesz, size))
		return errmsg(err, errlen,
			    "segment at " X64 ": file data beyond end of file (size 0x%zx)",
			    s->addr, size);
	if (!range_fits(s->addr, s->memsz, guest_size))
		return errmsg(err, errlen,
			    "segment at " X64 " size " X64 " lies outside guest memory (size "
			    X64 ")", s->addr, s->memsz, guest_size);
	return 0;
}

int elf_image_load(const void *file, size_t size, const struct elf_image *img,
		   void *guest, uint64_t guest_size, char *err, size_t errlen)
{
	const unsigned char *src = file;
	unsigned char *dst = guest;
	unsigned i;

	if (err && errlen)
		err[0] = '\0';
	if (img->nsegments == 0 || img->nsegments > ELF_MAX_SEGMENTS)
		return errmsg(err, errlen, "bad image description (%u segments)", img->nsegments);
	/* Check everything first, so a failure leaves guest memory untouched. */
	for (i = 0; i < img->nsegments; i++)
		if (check_segment_again(&img->segments[i], size, guest_size, err, errlen))
			return -1;
	for (i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];

		if (s->filesz)
			memcpy(dst + s->addr, src + s->offset, s->filesz);
		memset(dst + s->addr + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}
