/* virtio_console.h: the virtio-console device protocol (virtio 1.x,
 * "Console Device"), single-port: queue 0 carries input to the guest
 * (device-writable chains, filled with bytes from pvisor's stdin), queue 1
 * carries output (device-readable chains, written to pvisor's stdout in
 * order). Bytes only; no headers. End of input is reported by the device
 * page's console config (input_closed) and the input queue's event. */
#ifndef PVISOR_VIRTIO_CONSOLE_H
#define PVISOR_VIRTIO_CONSOLE_H

#include <stdint.h>

#define PVISOR_VIRTIO_CONSOLE_F_SIZE      0  /* cols/rows are valid */

#define PVISOR_VIRTIO_CONSOLE_RX          0  /* queue numbers */
#define PVISOR_VIRTIO_CONSOLE_TX          1

struct pvisor_virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
	/* pvisor's addition after the virtio fields: set to 1 by the device
	 * (before it raises the input queue's event) once stdin reached end of
	 * file and every input byte has been delivered. */
	uint32_t input_closed;
};

_Static_assert(sizeof(struct pvisor_virtio_console_config) == 16, "virtio-console config layout");

#endif
