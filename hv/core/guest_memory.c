/* guest_memory.c: memfd-backed guest memory and its KVM memslots. */
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/guest_memory.h"
#include "core/layout.h"
#include "lib/log.h"

enum { SLOT_RAM, SLOT_HV, SLOT_PT };

int gmem_create(struct guest_memory *gm, uint64_t ram_size, uint64_t pt_pages)
{
	memset(gm, 0, sizeof(*gm));
	gm->vm_fd = -1;
	gm->ram_size = ram_size;
	gm->pt_pages = pt_pages;
	gm->map_size = ram_size + HV_AREA_SIZE + pt_pages * PAGE_SIZE;
	gm->memfd = memfd_create("pvisor-guest", MFD_CLOEXEC);
	if (gm->memfd < 0) {
		log_errno("cannot create guest memory");
		return -1;
	}
	if (ftruncate(gm->memfd, (off_t)gm->map_size) < 0) {
		log_errno("cannot size guest memory (%llu bytes)", (unsigned long long)gm->map_size);
		goto fail;
	}
	gm->base = mmap(NULL, gm->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, gm->memfd, 0);
	if (gm->base == MAP_FAILED) {
		gm->base = NULL;
		log_errno("cannot map guest memory");
		goto fail;
	}
	gm->hv = gm->base + ram_size;
	gm->pt = gm->hv + HV_AREA_SIZE;
	return 0;
fail:
	close(gm->memfd);
	gm->memfd = -1;
	return -1;
}

static int gmem_set_slot(struct guest_memory *gm, uint32_t slot, uint64_t gpa, uint8_t *host, uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return ioctl(gm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

int gmem_register(struct guest_memory *gm, int vm_fd)
{
	gm->vm_fd = vm_fd;
	if (gmem_set_slot(gm, SLOT_RAM, 0, gm->base, gm->ram_size) < 0 ||
	    gmem_set_slot(gm, SLOT_HV, HV_AREA_GPA, gm->hv, HV_AREA_SIZE) < 0 ||
	    gmem_set_slot(gm, SLOT_PT, PT_AREA_GPA, gm->pt, gm->pt_pages * PAGE_SIZE) < 0) {
		log_errno("cannot register guest memory with KVM");
		return -1;
	}
	return 0;
}

/* On this nested, shadow-paging KVM a host write to a guest page table is
 * invisible to the shadow tables, and neither a CR3 reload nor
 * KVM_SET_SREGS resyncs them (measured: docs/design.md). Deleting the
 * memslot that holds every page-table page makes KVM zap all shadow pages;
 * re-adding it lets the guest fault them back in from the new contents.
 * With EPT the same call flushes the guest's TLB. ~30 us here. */
int gmem_flush_tlb(struct guest_memory *gm)
{
	if (gmem_set_slot(gm, SLOT_PT, PT_AREA_GPA, gm->pt, 0) < 0 ||
	    gmem_set_slot(gm, SLOT_PT, PT_AREA_GPA, gm->pt, gm->pt_pages * PAGE_SIZE) < 0) {
		log_errno("cannot flush guest TLB");
		return -1;
	}
	return 0;
}

int gmem_discard_page(struct guest_memory *gm, uint64_t pfn)
{
	if (fallocate(gm->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(pfn * PAGE_SIZE), PAGE_SIZE) < 0) {
		log_errno("cannot release guest page %#llx", (unsigned long long)pfn);
		return -1;
	}
	return 0;
}

void gmem_destroy(struct guest_memory *gm)
{
	if (gm->base)
		munmap(gm->base, gm->map_size);
	if (gm->memfd >= 0)
		close(gm->memfd);
	gm->base = NULL;
	gm->memfd = -1;
}
