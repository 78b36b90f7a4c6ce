/* test_net_hdr.c: the virtio-net header written into guest receive
 * buffers (hv/virtio/net_hdr.c): num_buffers lands at its offset, in
 * little-endian order, whatever the buffer's alignment (a guest may offer
 * a buffer at an odd address; found by tests/fuzz/fuzz_netreq, where
 * UBSan caught a misaligned store), and no other byte changes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pvisor/io/virtio_net.h>

#include "check.h"
#include "virtio/net_hdr.h"

#define NUM_BUFFERS_AT offsetof(struct pvisor_virtio_net_hdr, num_buffers)

static void num_buffers_at_every_alignment(void)
{
	uint8_t mem[64], want[64];

	for (unsigned start = 0; start < 8; start++) {
		memset(mem, 0xa5, sizeof(mem));
		memcpy(want, mem, sizeof(want));
		want[start + NUM_BUFFERS_AT] = 0x34;
		want[start + NUM_BUFFERS_AT + 1] = 0x12;
		net_hdr_set_num_buffers(mem + start, 0x1234);
		CHECK(memcmp(mem, want, sizeof(mem)) == 0);
	}
}

int main(void)
{
	RUN(num_buffers_at_every_alignment);
	CHECK_EXIT();
}
