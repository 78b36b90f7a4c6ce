/* pc.c: the emulated PC of hybrid and full mode (docs/full-virt.md), a
 * device bus of the domain (core/device.h) that answers every I/O port.
 *
 * KVM's in-kernel irqchip (core/irqchip.c) provides the LAPIC, IOAPIC and
 * 8259 pair; the device models of hv/hw/ sit on a port bus that the
 * vCPU's KVM_EXIT_IO exits are dispatched to, raise ISA lines, and watch
 * their host fds (timers, TAP, console input) on one event-loop thread.
 * The PC itself brings the CPU-side hardware (UART, PIT, RTC) and the exit
 * port; full mode adds ATA disks and RTL8139 NICs as devices of their own. */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include <pvisor/platform.h>

#include "console/console.h"
#include "core/domain.h"
#include "core/irqchip.h"
#include "disk/disk.h"
#include "hw/ata.h"
#include "hw/cmos_rtc.h"
#include "hw/emul.h"
#include "hw/pc.h"
#include "hw/pit8254.h"
#include "hw/rtl8139.h"
#include "hw/uart16550.h"
#include "lib/log.h"
#include "net/net_spec.h"
#include "net/tap.h"

struct machine {
	struct domain *dom;
	struct emul_bus bus;
	struct emul_loop *loop;
	struct emul_irq irq;
	struct emul_dma dma;
	struct uart16550 *uart;
	struct pit8254 *pit;
	struct cmos_rtc *rtc;
	struct console *console;
	struct ata_channel *ata;
	struct disk *disks[PC_MAX_DISKS];
	unsigned nr_disks;
	struct rtl8139 *nics[PC_MAX_NICS];
	int taps[PC_MAX_NICS];
	unsigned nr_nics;
	uint64_t mmio_reads, mmio_writes, events_raised, exit_port_writes;
};

/* ---- Interrupt lines ------------------------------------------------------ */

static void set_irq_line(void *ctx, unsigned irq, int level)
{
	struct machine *m = ctx;

	irqchip_set_line(m->dom, irq, level);
}

/* ---- Console hooks for the UART ------------------------------------------- */

static int uart_output(void *ctx, const void *buf, size_t len)
{
	struct machine *m = ctx;

	console_write(m->console, buf, len);
	return 0;
}

static long uart_input(void *ctx, void *buf, size_t len)
{
	struct machine *m = ctx;

	return console_read(m->console, buf, len);
}

/* Hybrid mode: the virtio console owns input; the UART never sees any. */
static long uart_no_input(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return -1;
}

/* ---- Building ------------------------------------------------------------- */

static int add_region(struct machine *m, const struct emul_pio_region *r)
{
	if (emul_bus_add(&m->bus, r) < 0) {
		log_error("cannot place device %s at port %#x", r->name, r->base);
		return -1;
	}
	return 0;
}

static int create_uart(struct machine *m)
{
	struct console *con = m->console;
	bool owns_input = m->dom->cfg->mode == DOMAIN_MODE_FULL && con;
	struct uart16550_config cfg = {
		.irq = &m->irq,
		.irq_nr = PVISOR_IRQ_COM1,
		.output = uart_output,
		.input = owns_input ? uart_input : uart_no_input,
		.input_event_fd = owns_input ? con->input_event_fd : -1,
		.loop = m->loop,
		.ctx = m,
	};
	struct emul_pio_region r;

	m->uart = uart16550_create(&cfg);
	if (!m->uart)
		return -1;
	uart16550_region(m->uart, PVISOR_PORT_COM1, &r);
	return add_region(m, &r);
}

static int create_timers(struct machine *m)
{
	struct emul_pio_region pit, port_b, rtc;

	m->pit = pit8254_create(&m->irq, PVISOR_IRQ_PIT, emul_monotonic_ns, m->loop);
	m->rtc = cmos_rtc_create(&m->irq, PVISOR_IRQ_RTC, emul_realtime_ns, m->loop);
	if (!m->pit || !m->rtc)
		return -1;
	cmos_rtc_set_ram_size(m->rtc, m->dom->gm.ram_size);
	pit8254_regions(m->pit, &pit, &port_b);
	cmos_rtc_region(m->rtc, &rtc);
	return add_region(m, &pit) || add_region(m, &port_b) || add_region(m, &rtc) ? -1 : 0;
}

/* The ATA channel, master and slave together, once every disk is known. */
static int create_ata(struct machine *m)
{
	struct emul_pio_region taskfile, control;

	if (!m->nr_disks)
		return 0;
	m->ata = ata_create(&m->irq, PVISOR_IRQ_ATA0, m->disks[0], m->disks[1]);
	if (!m->ata)
		return -1;
	ata_regions(m->ata, &taskfile, &control);
	return add_region(m, &taskfile) || add_region(m, &control) ? -1 : 0;
}

static int pc_start(void *bus)
{
	struct machine *m = bus;

	if (create_ata(m) < 0)
		return -1;
	if (emul_loop_start(m->loop) < 0) {
		log_error("cannot start the device-model event loop");
		return -1;
	}
	return 0;
}

static void pc_destroy(void *bus)
{
	struct machine *m = bus;

	if (m->loop)
		emul_loop_destroy(m->loop);   /* no callback runs after this */
	for (unsigned i = 0; i < PC_MAX_NICS; i++) {
		if (m->nics[i])
			rtl8139_destroy(m->nics[i]);
		tap_close(m->taps[i]);
	}
	if (m->ata)
		ata_destroy(m->ata);
	for (unsigned i = 0; i < PC_MAX_DISKS; i++)
		if (m->disks[i])
			disk_close(m->disks[i]);
	if (m->rtc)
		cmos_rtc_destroy(m->rtc);
	if (m->pit)
		pit8254_destroy(m->pit);
	if (m->uart)
		uart16550_destroy(m->uart);
	free(m);
}

/* ---- Exits ---------------------------------------------------------------- */

static void exit_port_write(struct machine *m, uint32_t value)
{
	struct domain *d = m->dom;
	unsigned reason = (value >> PVISOR_EXITPORT_REASON_SHIFT) & 3u;
	int status = (int)(value & PVISOR_EXITPORT_STATUS_MASK);

	m->exit_port_writes++;
	switch (reason) {
	case PVISOR_EXITPORT_POWEROFF:
		domain_finish(d, OUTCOME_POWEROFF, status);
		break;
	case PVISOR_EXITPORT_REBOOT:
		domain_finish(d, OUTCOME_REBOOT, 0);
		break;
	default:
		log_error("guest crashed (it reported so through the exit port, status %d)", status);
		domain_finish(d, OUTCOME_CRASH, 0);
		break;
	}
}

static uint32_t read_element(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, p, size);
	return v;
}

/* `rep insw/outsw` on the ATA data port: one call moves the whole run. */
static bool ata_string_io(struct machine *m, struct kvm_run *run, uint8_t *data)
{
	size_t bytes = (size_t)run->io.count * run->io.size;

	if (!m->ata || run->io.port != PVISOR_PORT_ATA0 || run->io.count < 2 || run->io.size < 2)
		return false;
	if (run->io.direction == KVM_EXIT_IO_OUT)
		ata_data_write_block(m->ata, data, bytes);
	else
		ata_data_read_block(m->ata, data, bytes);
	return true;
}

/* Every port is the PC's: unowned ones read as all ones (emul_bus). */
static bool pc_port_exit(void *bus, struct vcpu *v)
{
	struct machine *m = bus;
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	m->dom->stats.emulated_io++;
	if (ata_string_io(m, run, data))
		return true;
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			uint32_t value = read_element(data, size);

			if (run->io.port == PVISOR_EXIT_PORT && size == 4)
				exit_port_write(m, value);
			else
				emul_bus_write(&m->bus, run->io.port, size, value);
		} else {
			uint32_t value = 0xffffffffu;

			emul_bus_read(&m->bus, run->io.port, size, &value);
			memcpy(data, &value, size);
		}
	}
	return true;
}

/* Unbacked MMIO reads as all ones; writes vanish. */
static bool pc_mmio_exit(void *bus, struct vcpu *v)
{
	struct machine *m = bus;
	struct kvm_run *run = v->run;

	if (run->mmio.is_write) {
		m->mmio_writes++;
		return true;
	}
	m->mmio_reads++;
	memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	return true;
}

static void print_model_stats(struct machine *m, FILE *out)
{
	struct uart16550_stats us;
	struct pit8254_stats ps;
	struct cmos_rtc_stats rs;

	uart16550_get_stats(m->uart, &us);
	pit8254_get_stats(m->pit, &ps);
	cmos_rtc_get_stats(m->rtc, &rs);
	fprintf(out, "  uart: %llu bytes out, %llu in, %llu interrupts\n",
		(unsigned long long)us.bytes_out, (unsigned long long)us.bytes_in,
		(unsigned long long)us.irqs);
	fprintf(out, "  pit: %llu interrupts, %llu periods coalesced; rtc: %llu interrupts\n",
		(unsigned long long)ps.irqs, (unsigned long long)ps.missed_periods,
		(unsigned long long)rs.irqs);
	if (m->ata) {
		struct ata_stats as;

		ata_get_stats(m->ata, &as);
		fprintf(out, "  ata: %llu commands, %llu sectors read, %llu written, %llu errors, "
			"%llu interrupts\n", (unsigned long long)as.commands,
			(unsigned long long)as.sectors_read, (unsigned long long)as.sectors_written,
			(unsigned long long)as.errors, (unsigned long long)as.interrupts);
	}
	for (unsigned i = 0; i < PC_MAX_NICS; i++) {
		struct rtl8139_stats ns;

		if (!m->nics[i])
			continue;
		rtl8139_get_stats(m->nics[i], &ns);
		fprintf(out, "  rtl8139 %u: %llu frames in, %llu out, %llu dropped, %llu ring "
			"overflows, %llu bad DMA, %llu interrupts\n", i,
			(unsigned long long)ns.rx_frames, (unsigned long long)ns.tx_frames,
			(unsigned long long)(ns.rx_dropped + ns.tx_dropped),
			(unsigned long long)ns.rx_overflows,
			(unsigned long long)(ns.rx_bad_dma + ns.tx_bad_dma),
			(unsigned long long)ns.interrupts);
	}
}

static void pc_print_stats(void *bus, FILE *out)
{
	struct machine *m = bus;

	fprintf(out, "  unowned port reads/writes: %llu / %llu\n",
		(unsigned long long)m->bus.unhandled_reads, (unsigned long long)m->bus.unhandled_writes);
	fprintf(out, "  unowned MMIO reads/writes: %llu / %llu\n",
		(unsigned long long)m->mmio_reads, (unsigned long long)m->mmio_writes);
	print_model_stats(m, out);
}

static const struct bus_ops pc_bus_ops = {
	.name = "pc",
	.catch_all_ports = true,
	.start = pc_start,
	.destroy = pc_destroy,
	.port_exit = pc_port_exit,
	.mmio_exit = pc_mmio_exit,
	.print_stats = pc_print_stats,
};

/* ---- Device types ----------------------------------------------------------- */

static int pc_attach(struct domain *d, const void *arg)
{
	struct machine *m;

	if (domain_find_bus(d, &pc_bus_ops)) {
		log_error("a domain has one emulated PC");
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		log_error("out of memory");
		return -1;
	}
	m->dom = d;
	m->console = (struct console *)arg;
	m->taps[0] = m->taps[1] = -1;
	m->irq = (struct emul_irq){ .set = set_irq_line, .ctx = m };
	m->dma = (struct emul_dma){ .ram = d->gm.base, .size = d->gm.ram_size };
	if (domain_add_bus(d, &pc_bus_ops, m) < 0) {
		free(m);
		return -1;
	}
	m->loop = emul_loop_create();
	if (!m->loop) {
		log_error("cannot create the device-model event loop");
		return -1;
	}
	return create_uart(m) < 0 || create_timers(m) < 0 ? -1 : 0;
}

const struct device_type pc_platform = { "pc", pc_attach };

/* The PC an ATA disk or NIC plugs into, or NULL after logging. */
static struct machine *pc_of(struct domain *d, const char *what)
{
	struct machine *m = domain_find_bus(d, &pc_bus_ops);

	if (!m)
		log_error("%s: needs the emulated PC (--mode=full)", what);
	return m;
}

static int ata_disk_attach(struct domain *d, const void *arg)
{
	const struct disk_config *dc = arg;
	struct machine *m = pc_of(d, "ATA disk");
	char err[256];

	if (!m)
		return -1;
	if (m->nr_disks == PC_MAX_DISKS) {
		log_error("full mode has one ATA channel: at most %u --disk", PC_MAX_DISKS);
		return -1;
	}
	m->disks[m->nr_disks] = disk_open(dc, err, sizeof(err));
	if (!m->disks[m->nr_disks]) {
		log_error("--disk %s: %s", dc->path, err);
		return -1;
	}
	m->nr_disks++;
	return 0;
}

const struct device_type ata_disk_device = { "ata-disk", ata_disk_attach };

static int rtl8139_attach(struct domain *d, const void *arg)
{
	static const uint16_t bases[PC_MAX_NICS] = { PVISOR_PORT_NIC0, PVISOR_PORT_NIC1 };
	static const unsigned irqs[PC_MAX_NICS] = { PVISOR_IRQ_NIC0, PVISOR_IRQ_NIC1 };
	const struct net_config *nc = arg;
	struct machine *m = pc_of(d, "RTL8139 NIC");
	struct rtl8139_config cfg;
	struct emul_pio_region r;
	unsigned i;
	char err[256];

	if (!m)
		return -1;
	if (m->nr_nics == PC_MAX_NICS) {
		log_error("full mode has at most %u --net NICs", PC_MAX_NICS);
		return -1;
	}
	i = m->nr_nics++;
	m->taps[i] = tap_open(nc->ifname, err, sizeof(err));
	if (m->taps[i] < 0) {
		log_error("--net tap=%s: %s", nc->ifname, err);
		return -1;
	}
	cfg = (struct rtl8139_config){
		.irq = &m->irq,
		.irq_nr = irqs[i],
		.dma = &m->dma,
		.tap_fd = m->taps[i],
		.tap_vnet_hdr = true,
		.loop = m->loop,
	};
	memcpy(cfg.mac, nc->mac, sizeof(cfg.mac));
	m->nics[i] = rtl8139_create(&cfg);
	if (!m->nics[i])
		return -1;
	rtl8139_region(m->nics[i], bases[i], &r);
	return add_region(m, &r);
}

const struct device_type rtl8139_device = { "rtl8139", rtl8139_attach };
