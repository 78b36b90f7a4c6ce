/* rtl8139.c: RTL8139 NICs of the emulated PC (docs/full-virt.md), the
 * pv/net.h backend behind net.c's dispatch (net_driver.h), from the
 * RTL8139C(L) datasheet: probing, reset and setup, the interrupt handler,
 * opening and closing, and the device's facts. The receive ring and the
 * transmit descriptors are rtl8139_rx.c and rtl8139_tx.c.
 *
 * Where the NICs are: on a PC with PCI (QEMU's) the RTL8139 functions on
 * bus 0, with the I/O base and interrupt line the firmware assigned
 * (pci.c), I/O and bus mastering turned on; on pvisor's PC, which has no
 * PCI, the fixed I/O bases 0xc000 on IRQ 11 and 0xc100 on IRQ 10
 * (docs/full-virt.md). A base with no NIC reads all ones. Each base's IRQ
 * is bound once, at its first open, to a handler that finds the NIC open
 * there now (a binding cannot be undone).
 *
 * Setup after the software reset: RBSTART = the receive ring, CR = RE |
 * TE, RCR = broadcast + our address + multicast (MAR all ones), 64 KiB
 * ring, whole frames; TCR = normal gap, 1 KiB DMA bursts; TSAD0-3 = the
 * transmit buffers; IMR = ROK | RER | RXOVW | FOVW | TER, and TOK while a
 * sender waits for a descriptor (rtl8139_tx.c). The handler reads ISR,
 * acknowledges exactly what it read by writing it back, and posts the
 * receive and/or transmit semaphore; it reads again until ISR is clear,
 * because the line is edge-triggered at the IOAPIC while a PCI RTL8139
 * holds its INTA# asserted as long as any enabled ISR bit is set: an
 * event that arrives between the read and the acknowledgement would
 * otherwise keep the line high, with no new edge, until a wait slice
 * ends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pv/io.h>
#include <pv/irq.h>
#include <pv/mm.h>
#include <pv/thread.h>
#include <pv/time.h>
#include <pvisor/platform.h>
#include "pci.h"
#include "rtl8139.h"

#define RTL_SLOTS		2
#define RTL_RESET_TIMEOUT_NS	PV_NSEC_PER_SEC
#define RTL_WAIT_SLICE_NS	PV_NSEC_PER_SEC		/* with an interrupt */
#define RTL_POLL_SLICE_NS	PV_NSEC_PER_MSEC	/* without one */
#define RTL_PCI_VENDOR		0x10ec
#define RTL_PCI_DEVICE		0x8139
#define RTL_IRQ_ROUNDS		8	/* ISR reads per interrupt, at most */

/* One fixed I/O base, its IRQ and whichever NIC is open there. */
struct rtl_slot {
	uint16_t io;
	unsigned irq;
	int port;			/* the IRQ's event port, 0: not bound */
	struct rtl8139 *open;		/* the handle, NULL while closed */
};

/* pvisor's fixed bases, replaced by what PCI finds where there is PCI. */
static struct rtl_slot slots[RTL_SLOTS] = {
	{ .io = PVISOR_PORT_NIC0, .irq = PVISOR_IRQ_NIC0 },
	{ .io = PVISOR_PORT_NIC1, .irq = PVISOR_IRQ_NIC1 },
};
static bool slots_known;

static struct pv_mutex open_lock;	/* slots[].open, .port */

uint32_t rtl_phys(const void *p)
{
	return (uint32_t)(uintptr_t)p;	/* identity-mapped, below 4 GiB */
}

/* ---- Interrupts ----------------------------------------------------------------- */

/* Upcall context: read and acknowledge ISR (masked bits that are set
 * too: TOK while no sender waits), wake the direction(s) that wait. */
static void rtl_irq_handle(struct rtl8139 *nic, uint16_t isr)
{
	if (isr & RTL_INT_RX) {
		nic->stats.rx_events++;
		if (isr & (RTL_INT_RXOVW | RTL_INT_FOVW))
			nic->stats.rx_empty++;	/* the NIC dropped a frame */
		if (nic->rx.waiting)
			pv_sem_post(&nic->rx.wake);
	}
	if ((isr & RTL_INT_TX) && nic->tx.waiting) {
		nic->stats.tx_events++;
		pv_sem_post(&nic->tx.wake);
	}
}

static void rtl_irq(unsigned int port, void *arg)
{
	struct rtl_slot *slot = arg;
	struct rtl8139 *nic = slot->open;

	(void)port;
	for (unsigned round = 0; round < RTL_IRQ_ROUNDS; round++) {
		uint16_t isr = inw(slot->io + RTL_ISR);

		if (isr == 0 || isr == 0xffff)
			return;
		outw(slot->io + RTL_ISR, isr);
		if (nic)
			rtl_irq_handle(nic, isr);
	}
}

int rtl_wait(const struct rtl8139 *nic, struct pv_sem *wake, uint64_t deadline)
{
	uint64_t now = pv_clock_ns();
	uint64_t end = now + (nic->irq_bound ? RTL_WAIT_SLICE_NS : RTL_POLL_SLICE_NS);
	int rc;

	if (deadline && deadline < end)
		end = deadline;
	rc = pv_sem_timedwait(wake, end);
	if (rc == -ETIMEDOUT && !(deadline && pv_clock_ns() >= deadline))
		rc = 0;
	return rc;
}

/* Binds the slot's IRQ once; false if there is no interrupt line. */
static bool bind_irq(struct rtl_slot *slot)
{
	if (slot->port == 0) {
		int port = pv_irq_bind(slot->irq, rtl_irq, slot);

		slot->port = port > 0 ? port : -1;
	}
	return slot->port > 0;
}

/* ---- Probing and setup ------------------------------------------------------------ */

/* A NIC answers at io: its command register and MAC are not all ones. */
static bool nic_present(uint16_t io)
{
	return inb(io + RTL_CR) != 0xff &&
	       (inl(io + RTL_IDR0) != 0xffffffffu || inw(io + RTL_IDR0 + 4) != 0xffff);
}

/* Once, under open_lock: the PCI functions replace the fixed bases. */
static void discover_slots(void)
{
	struct pci_function f;
	unsigned n;

	if (slots_known)
		return;
	slots_known = true;
	for (n = 0; n < RTL_SLOTS && pci_find(RTL_PCI_VENDOR, RTL_PCI_DEVICE, n, &f); n++) {
		if (!f.io_base)
			break;
		pci_enable_io_dma(&f);
		slots[n].io = f.io_base;
		slots[n].irq = f.irq;
	}
	if (n > 0)
		for (; n < RTL_SLOTS; n++)
			slots[n].io = 0;	/* no second NIC */
}

/* The slot of the nth NIC present, or NULL. */
static struct rtl_slot *find_slot(unsigned nth)
{
	discover_slots();
	for (unsigned i = 0; i < RTL_SLOTS; i++)
		if (slots[i].io && nic_present(slots[i].io) && nth-- == 0)
			return &slots[i];
	return NULL;
}

/* CR.RST, then wait for the bit to clear. */
static int chip_reset(uint16_t io)
{
	uint64_t deadline = pv_clock_ns() + RTL_RESET_TIMEOUT_NS;

	outb(io + RTL_CR, RTL_CR_RST);
	while (inb(io + RTL_CR) & RTL_CR_RST) {
		if (pv_clock_ns() >= deadline)
			return -EIO;
		pv_thread_yield();
	}
	return 0;
}

static void read_mac(struct rtl8139 *nic)
{
	uint32_t lo = inl(nic->io + RTL_IDR0);
	uint16_t hi = inw(nic->io + RTL_IDR0 + 4);

	for (unsigned i = 0; i < 4; i++)
		nic->mac[i] = (uint8_t)(lo >> (8 * i));
	nic->mac[4] = (uint8_t)hi;
	nic->mac[5] = (uint8_t)(hi >> 8);
}

/* Reset and bring the NIC up as the top comment says. */
static int chip_start(struct rtl8139 *nic)
{
	uint16_t io = nic->io;
	int rc = chip_reset(io);

	if (rc < 0)
		return rc;
	read_mac(nic);
	rtl_rx_start(nic);
	outb(io + RTL_CR, RTL_CR_RE | RTL_CR_TE);	/* before RCR/TCR: datasheet */
	outl(io + RTL_RCR, RTL_RCR_AB | RTL_RCR_APM | RTL_RCR_AM | RTL_RCR_MXDMA_UNLIMITED |
			   RTL_RCR_RBLEN_64K | RTL_RCR_RXFTH_NONE);
	outl(io + RTL_TCR, RTL_TCR_IFG_NORMAL | RTL_TCR_MXDMA_1024);
	outl(io + RTL_MAR0, 0xffffffffu);
	outl(io + RTL_MAR0 + 4, 0xffffffffu);
	outl(io + RTL_MPC, 0);
	rtl_tx_start(nic);
	outw(io + RTL_ISR, 0xffff);
	outw(io + RTL_IMR, RTL_IMR_BASE);
	return 0;
}

/* ---- Facts and counters -------------------------------------------------------------- */

static void rtl_mac(const struct pv_net *base, uint8_t mac[PV_NET_ALEN])
{
	memcpy(mac, ((const struct rtl8139 *)base)->mac, PV_NET_ALEN);
}

static unsigned rtl_mtu(const struct pv_net *base)
{
	(void)base;
	return RTL_MTU;
}

static bool rtl_link_up(const struct pv_net *base)
{
	return inw(((const struct rtl8139 *)base)->io + RTL_BMSR) & RTL_BMSR_LINK;
}

static uint64_t rtl_features(const struct pv_net *base)
{
	(void)base;
	return 0;		/* no virtio features */
}

static unsigned rtl_device_index(const struct pv_net *base)
{
	return ((const struct rtl8139 *)base)->index;
}

static void rtl_stats(const struct pv_net *base, struct pv_net_stats *out)
{
	*out = ((const struct rtl8139 *)base)->stats;
}

/* ---- Open and close -------------------------------------------------------------------- */

static void nic_free(struct rtl8139 *nic)
{
	rtl_rx_free(nic);
	rtl_tx_free(nic);
	free(nic);
}

static struct rtl_slot *slot_of(const struct rtl8139 *nic)
{
	return &slots[nic->index];
}

/* Stops all DMA (a reset turns RE and TE off) and interrupts. */
static void rtl_close(struct pv_net *base)
{
	struct rtl8139 *nic = (struct rtl8139 *)base;

	outw(nic->io + RTL_IMR, 0);
	chip_reset(nic->io);
	pv_mutex_lock(&open_lock);
	slot_of(nic)->open = NULL;
	pv_mutex_unlock(&open_lock);
	nic_free(nic);
}

static const struct pv_net_ops rtl_ops = {
	.close = rtl_close,
	.mac = rtl_mac,
	.mtu = rtl_mtu,
	.link_up = rtl_link_up,
	.features = rtl_features,
	.device_index = rtl_device_index,
	.send_batch = rtl_tx_batch,
	.recv_batch = rtl_rx_batch,
	.stats = rtl_stats,
};

static struct rtl8139 *nic_alloc(struct rtl_slot *slot)
{
	struct rtl8139 *nic = calloc(1, sizeof(*nic));

	if (!nic)
		return NULL;
	nic->base.ops = &rtl_ops;
	nic->io = slot->io;
	nic->index = (unsigned)(slot - slots);
	pv_mutex_init(&nic->rx.lock);
	pv_mutex_init(&nic->tx.lock);
	pv_sem_init(&nic->rx.wake, 0);
	pv_sem_init(&nic->tx.wake, 0);
	if (rtl_rx_alloc(nic) < 0 || rtl_tx_alloc(nic) < 0) {
		nic_free(nic);
		return NULL;
	}
	return nic;
}

/* Open slot (open_lock held): set the chip up, then let the handler see
 * the NIC. The pv_net_config sizes and polling do not apply here. */
static int open_slot(struct rtl_slot *slot, struct pv_net **netp)
{
	struct rtl8139 *nic;
	int rc;

	if (slot->open)
		return -EBUSY;
	nic = nic_alloc(slot);
	if (!nic)
		return -ENOMEM;
	nic->irq_bound = bind_irq(slot);
	rc = chip_start(nic);
	if (rc < 0) {
		nic_free(nic);
		return rc;
	}
	slot->open = nic;
	*netp = &nic->base;
	return 0;
}

int rtl8139_net_open(struct pv_net **netp, unsigned nth, const struct pv_net_config *cfg)
{
	struct rtl_slot *slot;
	int rc;

	(void)cfg;
	pv_mutex_lock(&open_lock);
	slot = find_slot(nth);
	rc = slot ? open_slot(slot, netp) : -ENODEV;
	pv_mutex_unlock(&open_lock);
	return rc;
}
