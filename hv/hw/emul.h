/* emul.h: the contract between the full-virtualization device models
 * (hv/hw/) and the PC that hosts them (hv/hw/pc.c).
 *
 * A device model emulates one piece of PC hardware register by register.
 * It owns a set of I/O-port registers on the emulated bus, may raise ISA
 * interrupt lines, may read and write guest RAM (DMA) through emul_dma, and
 * may watch host file descriptors (timers, TAP, stdin) on the machine's
 * event loop. Register accesses arrive on the vCPU thread; watch callbacks
 * arrive on the event-loop thread: a model that has both locks itself.
 *
 * Models never trust the guest: every value a guest writes may be
 * anything, and every access is bounded by the model's own state. A model
 * never aborts the process, never blocks on the guest, never loops on a
 * guest-controlled count without a bound. */
#ifndef PVISOR_EMUL_H
#define PVISOR_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Interrupt lines ------------------------------------------------------
 * set(ctx, irq, level): drives ISA IRQ line irq (0..15) to level (0/1).
 * The machine routes IRQ n to IOAPIC pin n (KVM_IRQ_LINE, in-kernel
 * irqchip). ISA interrupts are edge-triggered: emul_irq_pulse() is the
 * usual way to raise one. */
struct emul_irq {
	void (*set)(void *ctx, unsigned irq, int level);
	void *ctx;
};

static inline void emul_irq_pulse(const struct emul_irq *line, unsigned irq)
{
	if (line && line->set) {
		line->set(line->ctx, irq, 1);
		line->set(line->ctx, irq, 0);
	}
}

/* ---- Port I/O -------------------------------------------------------------
 * A region covers ports [base, base + len). read/write get the offset
 * inside the region and the access size (1, 2 or 4 bytes); read returns
 * the value in the low `size` bytes. */
struct emul_pio_region {
	const char *name;
	uint16_t base, len;
	uint32_t (*read)(void *dev, uint16_t offset, unsigned size);
	void (*write)(void *dev, uint16_t offset, unsigned size, uint32_t value);
	void *dev;
};

#define EMUL_MAX_REGIONS 32

struct emul_bus {
	struct emul_pio_region regions[EMUL_MAX_REGIONS];
	unsigned nr_regions;
	uint64_t unhandled_reads, unhandled_writes;  /* ports nobody owns */
};

/* 0, or -1 when the bus is full or the region overlaps another. */
int emul_bus_add(struct emul_bus *bus, const struct emul_pio_region *region);
/* Dispatches one access. Unowned ports read as all ones and ignore
 * writes (counted, never fatal). Returns true if a model owned the port. */
bool emul_bus_read(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t *value);
bool emul_bus_write(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t value);

/* The bus hands a model an access whole when all of [port, port + size)
 * lies in the model's region, and splits one that straddles a region's
 * end into byte accesses. Models whose registers are all 8 bits wide see
 * a wider access as a run of byte accesses at consecutive offsets, as the
 * ISA bus would split it: these helpers do that (offsets at or past len
 * read as 0xff and ignore writes). */
uint32_t emul_read_bytes(uint8_t (*read8)(void *dev, uint16_t offset), void *dev,
			 uint16_t offset, unsigned size, uint16_t len);
void emul_write_bytes(void (*write8)(void *dev, uint16_t offset, uint8_t value), void *dev,
		      uint16_t offset, unsigned size, uint32_t value, uint16_t len);

/* ---- Guest RAM for DMA ----------------------------------------------------
 * ram/size: guest-physical [0, size) mapped at ram. Models reach guest
 * memory only through emul_dma_ptr(), which returns NULL unless all of
 * [gpa, gpa + len) lies inside RAM (no wrap-around). */
struct emul_dma {
	uint8_t *ram;
	uint64_t size;
};

static inline void *emul_dma_ptr(const struct emul_dma *dma, uint64_t gpa, uint64_t len)
{
	if (!dma || !dma->ram || len > dma->size || gpa > dma->size - len)
		return NULL;
	return dma->ram + gpa;
}

/* ---- The event loop -------------------------------------------------------
 * One host thread per machine waits on every watched fd (epoll) and calls
 * ready(dev) when one is readable. A watch can be paused (flow control:
 * stop reading a host fd while the emulated device has no room). */
struct emul_loop;
struct emul_watch;

struct emul_loop *emul_loop_create(void);
/* Stops the thread (if started) and frees every watch; fds stay open.
 * Call it before destroying the models that watch fds on the loop (a
 * model's destroy never touches its watch), and never from a callback. */
void emul_loop_destroy(struct emul_loop *loop);
int emul_loop_start(struct emul_loop *loop);
/* fd is watched for readability (level-triggered; hang-up and error
 * count as ready). Watches may be added before or after start. NULL on
 * failure. */
struct emul_watch *emul_loop_watch(struct emul_loop *loop, int fd,
				   void (*ready)(void *dev), void *dev);
/* Callable from any thread, including from a ready callback. A callback
 * the loop thread had already begun may still run once after pause. */
void emul_loop_pause(struct emul_watch *w, bool paused);

/* ---- Time -----------------------------------------------------------------
 * Models read time through this hook so tests can drive a fake clock;
 * the machine passes emul_monotonic_ns (CLOCK_MONOTONIC). */
typedef uint64_t (*emul_clock_fn)(void);
uint64_t emul_monotonic_ns(void);
/* CLOCK_REALTIME in ns since the Unix epoch: the CMOS RTC's clock. */
uint64_t emul_realtime_ns(void);

#endif
