/* rtl8139_regs.h: the RTL8139C(L) registers this driver uses, as the
 * datasheet names them (offsets from the NIC's I/O base), and their bits. */
#ifndef GUEST_PC_RTL8139_REGS_H
#define GUEST_PC_RTL8139_REGS_H

#define RTL_IDR0	0x00	/* MAC address, 6 bytes */
#define RTL_MAR0	0x08	/* multicast hash filter, 8 bytes */
#define RTL_TSD0	0x10	/* transmit status of descriptor n: + 4n */
#define RTL_TSAD0	0x20	/* transmit start address of descriptor n: + 4n */
#define RTL_RBSTART	0x30	/* receive ring, physical address */
#define RTL_CR		0x37	/* command */
#define RTL_CAPR	0x38	/* current address of packet read (minus 16) */
#define RTL_CBR		0x3a	/* current buffer address: where the NIC writes */
#define RTL_IMR		0x3c	/* interrupt mask */
#define RTL_ISR		0x3e	/* interrupt status: write 1s to clear */
#define RTL_TCR		0x40	/* transmit configuration */
#define RTL_RCR		0x44	/* receive configuration */
#define RTL_MPC		0x4c	/* missed packet counter */
#define RTL_TSAD	0x60	/* transmit status of all descriptors */
#define RTL_BMSR	0x64	/* PHY basic mode status */

/* CR */
#define RTL_CR_BUFE	0x01	/* receive ring empty */
#define RTL_CR_TE	0x04
#define RTL_CR_RE	0x08
#define RTL_CR_RST	0x10	/* software reset, reads 1 until done */

/* ISR / IMR */
#define RTL_INT_ROK	0x0001
#define RTL_INT_RER	0x0002
#define RTL_INT_TOK	0x0004
#define RTL_INT_TER	0x0008
#define RTL_INT_RXOVW	0x0010	/* receive ring full: frames were dropped */
#define RTL_INT_FOVW	0x0040	/* receive FIFO overflow */
#define RTL_INT_RX	(RTL_INT_ROK | RTL_INT_RER | RTL_INT_RXOVW | RTL_INT_FOVW)
#define RTL_INT_TX	(RTL_INT_TOK | RTL_INT_TER)
/* What IMR enables while no sender waits (TOK only while one does). */
#define RTL_IMR_BASE	(RTL_INT_RX | RTL_INT_TER)

/* TSD */
#define RTL_TSD_SIZE_MAX 1792u
#define RTL_TSD_ERTXTH(bytes) ((((bytes) / 32u) & 0x3fu) << 16)	/* early tx */

/* TSAD (all four descriptors): bit n of each nibble is descriptor n */
#define RTL_TSAD_TOK(n)	(1u << (12 + (n)))
#define RTL_TSAD_TUN(n)	(1u << (8 + (n)))
#define RTL_TSAD_TABT(n) (1u << (4 + (n)))

/* TCR */
#define RTL_TCR_IFG_NORMAL	(3u << 24)	/* 9.6 us inter-frame gap */
#define RTL_TCR_MXDMA_1024	(6u << 8)

/* RCR */
#define RTL_RCR_APM		0x00000002u	/* physical address match */
#define RTL_RCR_AM		0x00000004u	/* multicast (with MAR) */
#define RTL_RCR_AB		0x00000008u	/* broadcast */
#define RTL_RCR_MXDMA_UNLIMITED	(7u << 8)
#define RTL_RCR_RBLEN_64K	(3u << 11)	/* WRAP does not apply: records wrap */
#define RTL_RCR_RXFTH_NONE	(7u << 13)	/* whole frames to memory */

/* Receive record header: status, then length (frame + 4-byte CRC) */
#define RTL_RX_ROK		0x0001
#define RTL_RX_EARLY_LEN	0xfff0u		/* header not written yet */

/* BMSR */
#define RTL_BMSR_LINK		0x0004

/* The receive ring: the largest, 64 KiB (RBLEN 3), + 16 bytes as the
 * datasheet asks. CBR and CAPR are 16-bit offsets: they wrap with it. */
#define RTL_RING_LEN		65536u
#define RTL_RING_BYTES		(RTL_RING_LEN + 16u)
#define RTL_CAPR_BIAS		16u

#define RTL_TX_DESCS		4u
#define RTL_TX_SLOT		2048u		/* bytes per descriptor's buffer */
#define RTL_MTU			1500u		/* the link's, fixed */
#define RTL_ETH_ZLEN		60u		/* shortest frame on the wire */
#define RTL_FCS			4u

#endif
