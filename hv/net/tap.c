/* tap.c: opening a TAP device with virtio-net headers (see tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pvisor/io/virtio_net.h>

#include "net/net_spec.h"
#include "lib/errmsg.h"
#include "lib/host_files.h"
#include "net/tap.h"

#define TUN_PATH "/dev/net/tun"

static int open_tun(char *err, size_t errlen)
{
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return errmsg(err, errlen, TUN_PATH " is missing: load the tun module (modprobe tun)");
	case ENODEV:
	case ENXIO:
		return errmsg(err, errlen, "cannot open " TUN_PATH
			    ": the tun driver is not loaded: load the tun module (modprobe tun)");
	case EACCES:
	case EPERM:
		return errmsg(err, errlen, "cannot open " TUN_PATH
			    ": permission denied (run pvisor as root, or let its user read and write "
			    TUN_PATH ")");
	default:
		return errmsg(err, errlen, "cannot open " TUN_PATH ": %s", strerror(errno));
	}
}

/* TUNSETIFF: attach to ifname, or create it. */
static int attach(int fd, const char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(fd, TUNSETIFF, &ifr) == 0)
		return 0;
	switch (errno) {
	case EPERM:
	case EACCES:
		return errmsg(err, errlen, "cannot attach to TAP device '%s': permission denied "
			    "(this needs CAP_NET_ADMIN, or a TAP made for pvisor's user with "
			    "'ip tuntap add %s mode tap user USER')", ifname, ifname);
	case EBUSY:
		return errmsg(err, errlen, "TAP device '%s' is busy: another process has it open",
			    ifname);
	case EINVAL:
		return errmsg(err, errlen, "cannot attach to TAP device '%s': an interface of that "
			    "name exists and is not a single-queue TAP device", ifname);
	default:
		return errmsg(err, errlen, "cannot attach to TAP device '%s': %s", ifname,
			    strerror(errno));
	}
}

/* Every frame carries a 12-byte virtio 1.x header; no offloads, so the
 * kernel never hands us GSO or partially checksummed packets. */
static int configure(int fd, const char *ifname, char *err, size_t errlen)
{
	int hdr_size = (int)sizeof(struct pvisor_virtio_net_hdr);

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
		return errmsg(err, errlen, "TAP device '%s': cannot set the virtio-net header size: %s",
			    ifname, strerror(errno));
	if (ioctl(fd, TUNSETOFFLOAD, 0ul) < 0)
		return errmsg(err, errlen, "TAP device '%s': cannot turn offloads off: %s", ifname,
			    strerror(errno));
	return 0;
}

int tap_open(const char *ifname, char *err, size_t errlen)
{
	const char *problem = net_ifname_problem(ifname, strlen(ifname));
	char key[IFNAMSIZ + 8];
	int fd;

	if (problem)
		return errmsg(err, errlen, "TAP name '%s' %s", ifname, problem);
	snprintf(key, sizeof(key), "tap:%s", ifname);
	fd = host_file_kept(key);	/* attached at an earlier boot (--jail) */
	if (fd >= 0) {
		if (configure(fd, ifname, err, errlen)) {
			close(fd);
			return -1;
		}
		return fd;
	}
	fd = open_tun(err, errlen);
	if (fd < 0)
		return -1;
	if (attach(fd, ifname, err, errlen) || configure(fd, ifname, err, errlen)) {
		close(fd);
		return -1;
	}
	if (host_file_note(key, fd) < 0) {
		close(fd);
		return errmsg(err, errlen, "TAP device '%s': cannot keep it open: %s", ifname,
			      strerror(errno));
	}
	return fd;
}

void tap_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
