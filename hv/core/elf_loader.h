/* elf_loader.h: validates a pvisor guest image (a static x86-64 ELF
 * executable carrying a pvisor ABI note) and copies it into guest memory. */
#ifndef PVISOR_HV_ELF_LOADER_H
#define PVISOR_HV_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include <pvisor/abi.h>

/* The pvisor ELF note (include/pvisor/abi.h): owner "pvisor" (namesz 7 with
 * the NUL), type PVISOR_NOTE_ABI_VERSION, a 4-byte little-endian version. */
#define PVISOR_ABI_VERSION_SUPPORTED PVISOR_ABI_VERSION

struct elf_segment {
	uint64_t addr;		/* guest physical (= virtual) address */
	uint64_t memsz;
	uint64_t filesz;
	uint32_t flags;		/* PF_R|PF_W|PF_X */
	uint64_t offset;	/* where its filesz bytes start in the file */
};

#define ELF_MAX_SEGMENTS 16

struct elf_image {
	uint64_t entry;
	uint64_t lowest, highest;   /* [lowest, highest) covered by all PT_LOAD segments */
	uint32_t abi_version;       /* from the pvisor note */
	unsigned nsegments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/* Validates an x86-64 pvisor guest image held in memory and describes it.
 * Does not copy anything. Loadable segments must lie inside [mem_lo, mem_hi).
 * Returns 0, or -1 with a one-line message (no trailing newline, no file
 * name: the caller prefixes the path) in err[errlen]. Segment numbers in
 * messages are program header indices, as `readelf -l` counts them. */
int elf_image_parse(const void *file, size_t size, uint64_t mem_lo, uint64_t mem_hi,
		    struct elf_image *img, char *err, size_t errlen);

/* Copies the segments of a parsed image into guest memory: guest physical
 * address A is at host pointer guest + A; zero-fills memsz beyond filesz.
 * guest_size is the size of that mapping (checked again, as are the file
 * ranges). Returns 0, or -1 with a message as above. */
int elf_image_load(const void *file, size_t size, const struct elf_image *img,
		   void *guest, uint64_t guest_size, char *err, size_t errlen);

#endif
