/* domain.c: building a domain from a guest image, running it to an
 * outcome, and tearing it down. */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/console.h"
#include "core/domain.h"
#include "core/irqchip.h"
#include "core/layout.h"
#include "core/x86_setup.h"
#include "lib/log.h"
#include "lib/host_files.h"
#include "lib/seccomp_policy.h"

#define IMAGE_MAX_BYTES (512ull << 20)
#define MIN_FREE_BYTES  (1ull << 20)   /* RAM the guest needs beyond its image */
#define FIRST_DOMID     1

static int open_kvm(void)
{
	int fd = host_file_open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			log_error("cannot open /dev/kvm: it does not exist (enable virtualization and load "
				  "the kvm module, or run on a host that offers KVM)");
		else if (errno == EACCES || errno == EPERM)
			log_error("cannot open /dev/kvm: permission denied (add your user to the 'kvm' "
				  "group or run as root)");
		else
			log_errno("cannot open /dev/kvm");
		return -1;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("/dev/kvm speaks an unsupported KVM API version");
		close(fd);
		return -1;
	}
	if (!(ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) ||
	    ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) <= 0) {
		log_error("this KVM lacks a capability pvisor needs (sync regs, TSC frequency)");
		close(fd);
		return -1;
	}
	return fd;
}

/* The image file, opened read-only (kept with --jail). -1 after one line. */
static int open_image(const char *path)
{
	int fd = host_file_open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		log_errno("cannot open guest image %s", path);
	return fd;
}

/* Reads the whole image file. Returns a malloc'd buffer or NULL. */
static void *read_image(const char *path, size_t *size)
{
	struct stat st;
	void *buf = NULL;
	size_t got = 0;
	int fd = open_image(path);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("guest image %s is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > IMAGE_MAX_BYTES) {
		log_error("guest image %s is larger than %llu MiB", path, IMAGE_MAX_BYTES >> 20);
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, (uint8_t *)buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			log_errno("cannot read guest image %s", path);
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)n;
	}
	*size = got;
out:
	close(fd);
	return buf;
}

static uint64_t boot_pte(const struct elf_image *img, uint64_t pfn)
{
	uint64_t addr = pfn << PAGE_SHIFT;
	uint64_t pte = addr | PTE_P | PTE_W | PTE_U | PTE_NX;

	if (addr == PVISOR_HYPERCALL_PAGE_GVA)
		return addr | PTE_P | PTE_U;
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];

		if (addr + PAGE_SIZE <= s->addr || addr >= s->addr + s->memsz)
			continue;
		if (!(s->flags & PF_W))
			pte &= ~PTE_W;
		if (s->flags & PF_X)
			pte &= ~PTE_NX;
	}
	return pte;
}

/* Identity-maps every RAM page but pfn 0 (start_info.h). */
static int map_ram(struct domain *d)
{
	bool flush = false;

	for (uint64_t pfn = 1; pfn < d->mmu.nr_pages; pfn++)
		if (pv_mmu_set(&d->mmu, pfn << PAGE_SHIFT, boot_pte(&d->image, pfn), &flush) < 0)
			return -1;
	return 0;
}

/* What of pvisor's interface the guest is offered (include/pvisor/platform.h). */
static uint32_t cpuid_pv_bits(enum domain_mode mode)
{
	switch (mode) {
	case DOMAIN_MODE_PV:     return PVISOR_CPUID_PV_CPU | PVISOR_CPUID_PV_DEVICES;
	case DOMAIN_MODE_HYBRID: return PVISOR_CPUID_PV_DEVICES;
	default:                 return 0;
	}
}

/* Hybrid and full mode: the boot loader's info (docs/full-virt.md). */
static void restrict_start_info(struct domain *d)
{
	struct pvisor_start_info *si = d->start_info;

	si->features = 0;
	si->pt_pool_pages = 0;
	if (d->cfg->mode == DOMAIN_MODE_FULL) {
		si->shared_info = 0;
		si->hypercall_page = 0;
		si->device_page = 0;
	}
}

static void fill_start_info(struct domain *d)
{
	struct pvisor_start_info *si = d->start_info;

	memset(si, 0, sizeof(*si));
	si->magic = PVISOR_START_MAGIC;
	si->abi_version = PVISOR_ABI_VERSION;
	si->features = PVISOR_FEATURES_ALL;
	si->nr_pages = d->mmu.nr_pages;
	si->first_free_pfn = (d->image.highest + PAGE_SIZE - 1) >> PAGE_SHIFT;
	si->image_start = d->image.lowest;
	si->image_end = d->image.highest;
	si->shared_info = PVISOR_SHARED_INFO_GVA;
	si->hypercall_page = PVISOR_HYPERCALL_PAGE_GVA;
	si->pt_pool_pages = d->gm.pt_pages;
	si->nr_vcpus = d->nr_vcpus;
	si->domid = d->domid;
	si->boot_count = d->cfg->boot_count;
	si->device_page = PVISOR_DEVICE_PAGE_GVA;
	if (d->cfg->cmdline)
		snprintf(si->cmdline, sizeof(si->cmdline), "%s", d->cfg->cmdline);
	if (d->cfg->mode != DOMAIN_MODE_PV)
		restrict_start_info(d);
}

static uint64_t pt_pool_pages(uint64_t nr_pages)
{
	uint64_t leaves = (nr_pages + 511) / 512;

	return leaves + leaves / 2 + 64;
}

/* Checks the image against the configuration before any KVM resource
 * exists, so a bad image is reported even on a host without KVM. */
static int parse_image(struct domain *d, const void *file, size_t size)
{
	const struct domain_config *cfg = d->cfg;
	char err[256];

	if (elf_image_parse(file, size, PVISOR_IMAGE_BASE, cfg->mem_bytes, &d->image, err, sizeof(err)) < 0) {
		log_error("guest image %s: %s", cfg->image_path, err);
		return -1;
	}
	if (d->image.highest + MIN_FREE_BYTES > cfg->mem_bytes) {
		log_error("--mem %llu MiB is too small for guest image %s (it ends at %#llx and needs "
			  "1 MiB more)", (unsigned long long)(cfg->mem_bytes >> 20), cfg->image_path,
			  (unsigned long long)d->image.highest);
		return -1;
	}
	return 0;
}

static int load_image(struct domain *d, const void *file, size_t size)
{
	char err[256];

	if (elf_image_load(file, size, &d->image, d->gm.base, d->gm.ram_size, err, sizeof(err)) < 0) {
		log_error("guest image %s: %s", d->cfg->image_path, err);
		return -1;
	}
	d->symbols = symbols_load(file, size);
	return 0;
}

static int build_address_space(struct domain *d)
{
	uint64_t nr_pages = d->cfg->mem_bytes >> PAGE_SHIFT;

	if (gmem_create(&d->gm, d->cfg->mem_bytes, pt_pool_pages(nr_pages)) < 0)
		return -1;
	if (pv_mmu_init(&d->mmu, d->gm.pt, PT_AREA_GPA, d->gm.pt_pages, nr_pages) < 0) {
		log_error("out of memory");
		return -1;
	}
	d->view.mmu = &d->mmu;
	d->view.gm = &d->gm;
	if (gmem_register(&d->gm, d->vm_fd) < 0)
		return -1;
	if (x86_build_hv_area(d->gm.hv, &d->mmu) < 0) {
		log_error("page-table pool too small for %llu MiB", (unsigned long long)(d->cfg->mem_bytes >> 20));
		return -1;
	}
	return 0;
}

/* Timed waits on it take CLOCK_MONOTONIC deadlines. */
static void init_monotonic_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* The PV platform: shared info, hypercall page, devices, a CPL3 vCPU. */
static int build_pv_platform(struct domain *d)
{
	x86_build_hypercall_page(gmem_ram(&d->gm, PVISOR_HYPERCALL_PAGE_GVA, PAGE_SIZE));
	d->shared->vcpu_info[0].upcall_mask = 1;
	evtchn_init(&d->evtchn, d->shared, d->domid, vcpu_notify, d);
	if (domain_attach_devices(d) < 0 || vcpu_create(d, 0) < 0 ||
	    x86_init_vcpu(d->kvm_fd, d->vcpus[0].fd, pt_root(&d->mmu.pool), d->image.entry,
			  PVISOR_START_INFO_GVA) < 0 ||
	    pvclock_init(&d->clock, d->vcpus[0].fd) < 0)
		return -1;
	pvclock_publish(&d->clock, d->shared, 0);
	return 0;
}

/* Hybrid mode: an event channel became pending. The guest owns its IDT,
 * so events arrive as ISA IRQ PVISOR_IRQ_EVENTS (Xen's PVHVM "callback
 * via" INTx) instead of an upcall. */
static void hybrid_event_notify(void *domain, unsigned vcpu)
{
	struct domain *d = domain;

	(void)vcpu;
	__atomic_fetch_add(&d->stats.event_irqs, 1, __ATOMIC_RELAXED);
	irqchip_set_line(d, PVISOR_IRQ_EVENTS, 1);
	irqchip_set_line(d, PVISOR_IRQ_EVENTS, 0);
}

/* Hybrid and full mode: the in-kernel irqchip, the devices (the emulated
 * PC among them) and a CPL0 vCPU. Hybrid keeps the shared info page
 * (events), the hypercall page and the virtio devices. In full mode pages
 * 0x2000.. are the guest's: pvisor never writes them. */
static int build_native_platform(struct domain *d)
{
	evtchn_init(&d->evtchn, d->shared, d->domid, hybrid_event_notify, d);
	if (irqchip_create(d) < 0)
		return -1;
	if (d->cfg->mode == DOMAIN_MODE_HYBRID)
		x86_build_hypercall_page(gmem_ram(&d->gm, PVISOR_HYPERCALL_PAGE_GVA, PAGE_SIZE));
	if (domain_attach_devices(d) < 0)
		return -1;
	if (!domain_has_catch_all_bus(d)) {
		log_error("hybrid and full mode need the emulated PC among the domain's devices");
		return -1;
	}
	if (vcpu_create(d, 0) < 0 ||
	    x86_init_vcpu_native(d->kvm_fd, d->vcpus[0].fd, d->gm.base, d->gm.ram_size,
				 d->image.entry, PVISOR_START_INFO_GVA,
				 cpuid_pv_bits(d->cfg->mode)) < 0 ||
	    pvclock_init(&d->clock, d->vcpus[0].fd) < 0)
		return -1;
	return 0;
}

/* Console input arrived (console reader thread): VIRQ_CONSOLE. */
static void console_input_arrived(void *domain)
{
	struct domain *d = domain;

	evtchn_raise_virq(&d->evtchn, PVISOR_VIRQ_CONSOLE);
}

static int build_platform(struct domain *d)
{
	d->start_info = gmem_ram(&d->gm, PVISOR_START_INFO_GVA, PAGE_SIZE);
	d->shared = gmem_ram(&d->gm, PVISOR_SHARED_INFO_GVA, PAGE_SIZE);
	d->mem_target_pages = d->mmu.nr_pages;
	if (d->cfg->mode != DOMAIN_MODE_FULL)   /* full mode: that page is the guest's RAM */
		d->shared->mem_target_pages = d->shared->mem_max_pages = d->mmu.nr_pages;
	fill_start_info(d);
	if (d->cfg->mode == DOMAIN_MODE_PV)
		return build_pv_platform(d);
	return build_native_platform(d);
}

struct domain *domain_create(const struct domain_config *cfg)
{
	struct domain *d = calloc(1, sizeof(*d));
	size_t size = 0;
	void *file = NULL;

	if (!d) {
		log_error("out of memory");
		return NULL;
	}
	d->cfg = cfg;
	d->domid = cfg->domid ? cfg->domid : FIRST_DOMID;
	d->nr_vcpus = 1;
	d->kvm_fd = d->vm_fd = -1;
	d->gm.memfd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->held_lock, NULL);
	init_monotonic_cond(&d->finished);
	pthread_cond_init(&d->resumed, NULL);
	clock_gettime(CLOCK_MONOTONIC, &d->created);
	log_debug("creating domain from %s", cfg->image_path);
	file = read_image(cfg->image_path, &size);
	if (!file || parse_image(d, file, size) < 0)
		goto fail;
	d->kvm_fd = open_kvm();
	if (d->kvm_fd < 0)
		goto fail;

	d->vm_fd = ioctl(d->kvm_fd, KVM_CREATE_VM, 0);
	if (d->vm_fd < 0) {
		log_errno("cannot create a KVM virtual machine");
		goto fail;
	}
	log_debug("KVM VM created");
	if (build_address_space(d) < 0)
		goto fail;
	log_debug("address space built");
	if (load_image(d, file, size) < 0)
		goto fail;
	log_debug("image loaded");
	if (map_ram(d) < 0) {
		log_error("page-table pool too small for %llu MiB", (unsigned long long)(cfg->mem_bytes >> 20));
		goto fail;
	}
	if (build_platform(d) < 0)
		goto fail;
	log_debug("vCPU ready");
	console_attach(cfg->console, console_input_arrived, d);
	free(file);
	return d;
fail:
	free(file);
	domain_destroy(d);
	return NULL;
}

static const char *const mode_names[] = {
	[DOMAIN_MODE_PV] = "pv",
	[DOMAIN_MODE_HYBRID] = "hybrid",
	[DOMAIN_MODE_FULL] = "full",
};

const char *domain_mode_name(enum domain_mode mode)
{
	return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

int domain_mode_parse(const char *name, enum domain_mode *mode)
{
	for (unsigned m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
		if (!strcmp(name, mode_names[m])) {
			*mode = (enum domain_mode)m;
			return 0;
		}
	}
	return -1;
}

int domain_keep_files(const struct domain_config *cfg)
{
	int image = open_image(cfg->image_path), kvm;

	if (image < 0)
		return -1;
	close(image);
	if ((kvm = open_kvm()) < 0)
		return -1;
	close(kvm);
	return 0;
}

int domain_check(const struct domain_config *cfg)
{
	struct domain d = { .cfg = cfg };
	size_t size = 0;
	void *file = read_image(cfg->image_path, &size);
	int rc = file ? parse_image(&d, file, size) : -1;

	free(file);
	return rc;
}

void domain_finish(struct domain *d, enum domain_outcome outcome, int status)
{
	pthread_mutex_lock(&d->lock);
	if (d->outcome == OUTCOME_RUNNING) {
		d->exit_status = status;
		__atomic_store_n(&d->outcome, outcome, __ATOMIC_SEQ_CST);
		pthread_cond_broadcast(&d->finished);
		pthread_cond_broadcast(&d->resumed);
		for (unsigned i = 0; i < d->nr_vcpus; i++)
			vcpu_kick(&d->vcpus[i]);
	}
	pthread_mutex_unlock(&d->lock);
}

bool domain_finished(struct domain *d)
{
	return __atomic_load_n(&d->outcome, __ATOMIC_SEQ_CST) != OUTCOME_RUNNING;
}

/* The timeout holds whatever the guest's devices do: when a thread of the
 * domain cannot stop (blocked writing console output that nobody reads),
 * the process ends TIMEOUT_GRACE_S after the timeout anyway, as a kill -9
 * would end it (which every disk format here survives). The message is
 * written only if stderr can take it now. */
#define TIMEOUT_GRACE_S 5
#define STRINGIFY(x) #x
#define TO_STRING(x) STRINGIFY(x)

static void *timeout_deadline(void *arg)
{
	static const char msg[] = "pvisor: the domain did not stop within "
				  TO_STRING(TIMEOUT_GRACE_S) " s of its timeout "
				  "(blocked console output?); exiting\n";
	struct pollfd err = { .fd = STDERR_FILENO, .events = POLLOUT };

	(void)arg;
	sleep(TIMEOUT_GRACE_S);
	if (poll(&err, 1, 0) == 1 && (err.revents & POLLOUT))
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(PVISOR_EXIT_TIMEOUT);
}

static void start_timeout_deadline(void)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, timeout_deadline, NULL) != 0)
		log_error("cannot start the timeout's deadline thread");
	pthread_attr_destroy(&attr);
}

static void wait_for_outcome(struct domain *d)
{
	struct timespec until;
	int rc = 0;

	if (d->cfg->timeout_s > 0) {
		uint64_t ns = (uint64_t)(d->cfg->timeout_s * 1e9);

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += (time_t)(ns / 1000000000ull);
		until.tv_nsec += (long)(ns % 1000000000ull);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&d->lock);
	while (d->outcome == OUTCOME_RUNNING && rc != ETIMEDOUT)
		rc = d->cfg->timeout_s > 0 ? pthread_cond_timedwait(&d->finished, &d->lock, &until)
					   : pthread_cond_wait(&d->finished, &d->lock);
	pthread_mutex_unlock(&d->lock);
	if (rc == ETIMEDOUT && !domain_finished(d)) {
		start_timeout_deadline();	/* first: stderr may block too */
		log_error("guest timed out after %g s; stopping it", d->cfg->timeout_s);
		domain_finish(d, OUTCOME_TIMEOUT, 0);
	}
}

enum domain_outcome domain_run(struct domain *d)
{
	/* Set up: from now on every thread keeps to the process list. */
	if (seccomp_confine_process() < 0)
		return OUTCOME_ERROR;
	if (domain_start_buses(d) < 0)
		return OUTCOME_ERROR;
	if (vcpu_start(&d->vcpus[0]) < 0)
		return OUTCOME_ERROR;
	wait_for_outcome(d);
	for (unsigned i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i].thread_started)
			pthread_join(d->vcpus[i].thread, NULL);
	return d->outcome;
}

void domain_print_stats(struct domain *d, FILE *out)
{
	stats_print(&d->stats, out, d->mmu.ballooned_pages);
	if (d->cfg->mode == DOMAIN_MODE_HYBRID)
		fprintf(out, "  event interrupts raised:   %llu\n",
			(unsigned long long)__atomic_load_n(&d->stats.event_irqs, __ATOMIC_RELAXED));
	domain_bus_print_stats(d, out);
}

void domain_destroy(struct domain *d)
{
	if (!d)
		return;
	if (d->cfg->console)
		console_attach(d->cfg->console, NULL, NULL);
	domain_destroy_buses(d);
	for (unsigned i = 0; i < d->nr_vcpus; i++)
		vcpu_destroy(&d->vcpus[i]);
	if (d->shared)
		evtchn_destroy(&d->evtchn);
	pv_mmu_destroy(&d->mmu);
	gmem_destroy(&d->gm);
	if (d->vm_fd >= 0)
		close(d->vm_fd);
	if (d->kvm_fd >= 0)
		close(d->kvm_fd);
	symbols_free(d->symbols);
	pthread_cond_destroy(&d->finished);
	pthread_cond_destroy(&d->resumed);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->held_lock);
	free(d);
}
