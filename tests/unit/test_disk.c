/* test_disk.c: the host disk layer (hv/disk): --disk spec parsing, opening
 * images and every refusal, synchronous I/O, and the asynchronous engine
 * with both io_uring and the thread pool: random multi-segment requests
 * many at a time checked against an in-memory model, read-only refusals,
 * discard and write-zeroes, O_DIRECT with unaligned buffers, the
 * completion eventfd, and durability across kill -9. Overlays are in
 * test_overlay.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk/blkio.h"
#include "disk/disk.h"
#include "disk/disk_spec.h"
#include "check.h"
#include "scratch.h"

#define DISK_BYTES   (16u << 20)
#define ZONES        64u                     /* one request per zone a round */
#define ZONE_BYTES   (DISK_BYTES / ZONES)    /* 256 KiB                      */
#define ROUNDS       10

static char errbuf[512];
static bool uring_ok;
static char uring_why[160];

/* ---- Files ---------------------------------------------------------------- */

/* Reads len bytes of path into buf. */
static bool read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	bool ok = fd >= 0 && pread(fd, buf, len, 0) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok;
}

static void raw_config(struct disk_config *cfg, const char *path, const char *extra)
{
	char spec[600];

	snprintf(spec, sizeof(spec), "%s%s", path, extra);
	CHECK_EQ(disk_parse_spec(spec, cfg, errbuf, sizeof(errbuf)), 0);
}

static struct disk *open_disk(const char *path, const char *extra)
{
	struct disk_config cfg;
	struct disk *d;

	raw_config(&cfg, path, extra);
	d = disk_open(&cfg, errbuf, sizeof(errbuf));
	if (!d)
		printf("# disk_open %s%s: %s\n", path, extra, errbuf);
	return d;
}

/* A fresh image of `bytes` random bytes; returns its contents (free()). */
static uint8_t *make_image(const char *path, size_t bytes)
{
	uint8_t *data = malloc(bytes);

	fill_random(data, bytes);
	write_file(path, data, bytes);
	return data;
}

/* ---- Spec parsing ------------------------------------------------------------- */

static void spec_good(void)
{
	struct disk_config c;

	CHECK_EQ(disk_parse_spec("a.img", &c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.path, "a.img");
	CHECK(!c.readonly && !c.direct && !disk_config_has_overlay(&c) && c.engine == DISK_IO_AUTO);
	CHECK_EQ(disk_parse_spec("/x/b.img,ro", &c, errbuf, sizeof(errbuf)), 0);
	CHECK(c.readonly && !strcmp(c.path, "/x/b.img"));
	CHECK_EQ(disk_parse_spec("b,overlay=t.img,direct,io=threads", &c, errbuf, sizeof(errbuf)), 0);
	CHECK(!strcmp(c.overlay, "t.img") && c.direct && c.engine == DISK_IO_THREADS);
	CHECK_EQ(disk_parse_spec("b,io=uring", &c, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(c.engine, DISK_IO_URING);
	CHECK_EQ(disk_parse_spec("b,io=io_uring", &c, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(c.engine, DISK_IO_URING);
	CHECK_EQ(disk_parse_spec("b,io=auto,ro,overlay=t", &c, errbuf, sizeof(errbuf)), 0);
	CHECK(c.engine == DISK_IO_AUTO && c.readonly && disk_config_has_overlay(&c));
}

static void expect_spec_error(const char *spec, const char *want)
{
	struct disk_config c;

	errbuf[0] = '\0';
	CHECK_EQ(disk_parse_spec(spec, &c, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, want) != NULL);
	CHECK(strchr(errbuf, '\n') == NULL);
}

static void spec_bad(void)
{
	static char long_spec[DISK_PATH_MAX + 10];

	expect_spec_error("", "no image path");
	expect_spec_error(",ro", "no image path");
	expect_spec_error("a.img,", "empty option");
	expect_spec_error("a.img,,ro", "empty option");
	expect_spec_error("a.img,rw", "unknown option");
	expect_spec_error("a.img,rw", "'rw'");
	expect_spec_error("a.img,ro,ro", "given twice: 'ro'");
	expect_spec_error("a.img,direct,direct", "given twice: 'direct'");
	expect_spec_error("a.img,overlay=x,overlay=y", "given twice: 'overlay'");
	expect_spec_error("a.img,io=threads,io=uring", "given twice: 'io'");
	expect_spec_error("a.img,ro=1", "takes no value: 'ro'");
	expect_spec_error("a.img,direct=yes", "takes no value: 'direct'");
	expect_spec_error("a.img,overlay=", "overlay= needs a file name");
	expect_spec_error("a.img,overlay", "overlay= needs a file name");
	expect_spec_error("a.img,io=fast", "io= takes uring, threads or auto, not 'fast'");
	expect_spec_error("a.img,io", "io= takes");
	expect_spec_error("a.img,overlay=t,io=uring", "io=uring cannot serve an overlay");
	memset(long_spec, 'x', sizeof(long_spec) - 1);
	expect_spec_error(long_spec, "too long");
}

/* ---- Opening -------------------------------------------------------------------- */

static void expect_open_error(const char *path, const char *extra, const char *want)
{
	struct disk_config cfg;
	struct disk *d;

	raw_config(&cfg, path, extra);
	errbuf[0] = '\0';
	d = disk_open(&cfg, errbuf, sizeof(errbuf));
	CHECK(d == NULL);
	CHECK(strstr(errbuf, want) != NULL);
	if (!strstr(errbuf, want))
		printf("# got '%s', wanted '%s'\n", errbuf, want);
	disk_close(d);
}

static void open_errors(void)
{
	static const uint8_t odd[1000];

	expect_open_error(tmp_path("missing.img"), "", "does not exist");
	CHECK_EQ(mkdir(tmp_path("dir.img"), 0755), 0);
	expect_open_error(tmp_path("dir.img"), "", "is a directory");
	expect_open_error(tmp_path("dir.img"), ",ro", "is a directory");
	write_file(tmp_path("empty.img"), "", 0);
	expect_open_error(tmp_path("empty.img"), "", "is empty");
	write_file(tmp_path("odd.img"), odd, sizeof(odd));
	expect_open_error(tmp_path("odd.img"), "", "1000 bytes, not a multiple of 512");
	expect_open_error("/dev/null", ",ro", "not a regular file or a block device");
}

static void open_locks(void)
{
	const char *path = tmp_path("locked.img");
	struct disk *writer, *reader, *reader2;

	free(make_image(path, 64 << 10));
	writer = open_disk(path, "");
	CHECK(writer != NULL);
	expect_open_error(path, "", "in use by another process");
	expect_open_error(path, ",ro", "being written by another process");
	disk_close(writer);
	reader = open_disk(path, ",ro");
	reader2 = open_disk(path, ",ro");
	CHECK(reader && reader2);          /* readers share */
	expect_open_error(path, "", "in use by another process");
	disk_close(reader);
	disk_close(reader2);
	writer = open_disk(path, "");      /* every lock went with its close */
	CHECK(writer != NULL);
	disk_close(writer);
}

static bool id_well_formed(const char *id)
{
	if (memcmp(id, "pvisor-", 7) != 0)
		return false;
	for (unsigned i = 7; i < DISK_ID_BYTES; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

static void open_capacity_and_id(void)
{
	struct disk *a, *b, *a2;
	char id_a[DISK_ID_BYTES];

	free(make_image(tmp_path("a.img"), 3 << 20));
	free(make_image(tmp_path("b.img"), 512));
	a = open_disk(tmp_path("a.img"), "");
	b = open_disk(tmp_path("b.img"), ",ro");
	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK_EQ(a->size, 3u << 20);
	CHECK_EQ(disk_sectors(a), (3u << 20) / 512);
	CHECK_EQ(disk_sectors(b), 1);
	CHECK(!a->readonly && b->readonly);
	CHECK(id_well_formed(a->id) && id_well_formed(b->id));
	CHECK(memcmp(a->id, b->id, DISK_ID_BYTES) != 0);
	memcpy(id_a, a->id, DISK_ID_BYTES);
	disk_close(a);
	a2 = open_disk(tmp_path("a.img"), ",ro");
	CHECK(a2 && !memcmp(a2->id, id_a, DISK_ID_BYTES));   /* stable */
	disk_close(a2);
	disk_close(b);
}

/* ---- Synchronous helpers ---------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void sync_io(void)
{
	const char *path = tmp_path("sync.img");
	uint8_t *orig = make_image(path, 1 << 20);
	uint8_t wbuf[8192], rbuf[8192];
	struct iovec w[2] = { { wbuf, 100 }, { wbuf + 100, 8092 } };
	struct iovec r = { rbuf, sizeof(rbuf) };
	struct disk *d = open_disk(path, "");

	CHECK(d != NULL);
	if (!d)
		goto out;
	fill_random(wbuf, sizeof(wbuf));
	CHECK_EQ(disk_pwritev(d, w, 2, 4096), 0);
	CHECK_EQ(disk_preadv(d, &r, 1, 4096), 0);
	CHECK(!memcmp(rbuf, wbuf, sizeof(rbuf)));
	CHECK_EQ(disk_preadv(d, &r, 1, (1 << 20) - 4096), -EINVAL);    /* past the end */
	CHECK_EQ(disk_preadv(d, &r, 1, 100), -EINVAL);                 /* unaligned    */
	CHECK_EQ(disk_pwritev(d, w, 1, 0), -EINVAL);                   /* 100 bytes    */
	CHECK_EQ(disk_zero(d, 1 << 20, 512, DISK_ZERO_PUNCH), -EINVAL);
	CHECK_EQ(disk_zero(d, UINT64_MAX - 511, 1024, DISK_ZERO_PUNCH), -EINVAL);     /* wraps        */
	CHECK_EQ(disk_zero(d, 4096, 4096, DISK_ZERO_PUNCH), 0);
	CHECK_EQ(disk_zero(d, 8192, 512, DISK_ZERO_ALLOCATE), 0);
	CHECK_EQ(disk_preadv(d, &r, 1, 4096), 0);
	CHECK(all_zero(rbuf, 4096 + 512) && !memcmp(rbuf + 4608, wbuf + 4608, 8192 - 4608));
	CHECK_EQ(disk_flush(d), 0);
	CHECK_EQ(disk_close(d), 0);
	d = open_disk(path, ",ro");
	CHECK(d != NULL);
	if (!d)
		goto out;
	CHECK_EQ(disk_pwritev(d, w, 2, 0), -EROFS);
	CHECK_EQ(disk_zero(d, 0, 512, DISK_ZERO_PUNCH), -EROFS);
	CHECK_EQ(disk_zero(d, 0, 512, DISK_ZERO_ALLOCATE), -EROFS);
	CHECK_EQ(disk_preadv(d, &r, 1, 0), 0);
	CHECK(!memcmp(rbuf, orig, 4096));
	disk_close(d);
out:
	free(orig);
}

/* A failed flush makes every later one fail (the kernel may have dropped
 * the pages that did not reach the disk). */
static void flush_error_sticks(void)
{
	struct disk *d;

	free(make_image(tmp_path("flush.img"), 4096));
	d = open_disk(tmp_path("flush.img"), "");
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ(disk_flush(d), 0);
	CHECK_EQ(disk_flush_outcome(d, -EIO), -EIO);
	CHECK_EQ(disk_flush(d), -EIO);
	CHECK_EQ(disk_flush_outcome(d, 0), -EIO);
	disk_close(d);
}

/* ---- The asynchronous engine ---------------------------------------------------- */

struct test_req {
	struct blkio_req req;
	struct iovec iov[BLK_MAX_IOV];
	uint8_t *mem;          /* allocation                                   */
	uint8_t *data;         /* req.len bytes, possibly misaligned           */
};

/* Cuts t->data into segments with random byte boundaries, or 512-byte
 * ones: up to 32 segments usually, up to BLK_MAX_IOV one time in eight. */
static void split_segments(struct test_req *t, bool aligned)
{
	size_t unit = aligned ? 512 : 1, len = t->req.len, pos = 0;
	unsigned max = check_rng() % 8 == 0 ? BLK_MAX_IOV : 1 + check_rng() % 32;
	size_t mean_units = len / max / unit;
	int n = 0;

	while (pos < len) {
		size_t take = len - pos;

		if ((unsigned)n < max - 1) {
			size_t pick = unit * (1 + check_rng() % (2 * mean_units + 1));

			if (pick < take)
				take = pick;
		}
		t->iov[n++] = (struct iovec){ t->data + pos, take };
		pos += take;
	}
	t->req.iov = t->iov;
	t->req.iovcnt = n;
}

static void set_data_buffer(struct test_req *t, size_t len, bool aligned)
{
	free(t->mem);
	t->mem = NULL;
	CHECK_EQ(posix_memalign((void **)&t->mem, 4096, len + 4096), 0);
	t->data = t->mem + (aligned ? 0 : 1 + check_rng() % 511);
}

/* A random request inside zone z. */
static void random_request(struct test_req *t, unsigned z, bool aligned)
{
	uint64_t sectors = 1 + check_rng() % (ZONE_BYTES / 512);
	uint64_t first = check_rng() % (ZONE_BYTES / 512 - sectors + 1);
	unsigned kind = check_rng() % 20;

	memset(&t->req, 0, sizeof(t->req));
	t->req.offset = (uint64_t)z * ZONE_BYTES + first * 512;
	t->req.len = sectors * 512;
	t->req.cookie = t;
	t->req.op = kind < 11 ? BLKIO_WRITE : kind < 17 ? BLKIO_READ
		  : kind < 19 ? BLKIO_DISCARD : BLKIO_WRITE_ZEROES;
	if (t->req.op == BLKIO_READ || t->req.op == BLKIO_WRITE) {
		set_data_buffer(t, t->req.len, aligned);
		if (t->req.op == BLKIO_WRITE)
			fill_random(t->data, t->req.len);
		split_segments(t, aligned);
	}
}

/* Waits for the completion fd and reaps until `want` requests came back.
 * Returns how many did. */
static int reap_all(struct blkio *io, struct blkio_req **done, int want)
{
	struct pollfd pfd = { .fd = blkio_completion_fd(io), .events = POLLIN };
	int got = 0;

	while (got < want) {
		int n;

		if (poll(&pfd, 1, 10000) != 1)
			break;
		n = blkio_reap(io, done + got, want - got);
		CHECK(n >= 0);
		if (n < 0)
			break;
		got += n;
	}
	return got;
}

/* The model learns what a finished request did; reads are checked. */
static void apply_to_model(uint8_t *model, const struct test_req *t)
{
	const struct blkio_req *r = &t->req;

	switch (r->op) {
	case BLKIO_WRITE:
		CHECK_EQ(r->result, (int)r->len);
		memcpy(model + r->offset, t->data, r->len);
		break;
	case BLKIO_READ:
		CHECK_EQ(r->result, (int)r->len);
		CHECK(!memcmp(model + r->offset, t->data, r->len));
		break;
	default:
		CHECK_EQ(r->result, 0);
		memset(model + r->offset, 0, r->len);
		break;
	}
}

/* ZONES random requests in flight at once, then the model check. */
static void random_round(struct blkio *io, struct test_req *reqs, uint8_t *model, bool aligned)
{
	struct blkio_req *done[ZONES];
	int got;

	for (unsigned z = 0; z < ZONES; z++) {
		random_request(&reqs[z], z, aligned);
		CHECK_EQ(blkio_submit(io, &reqs[z].req), 0);
	}
	CHECK_EQ(blkio_kick(io), 0);
	got = reap_all(io, done, ZONES);
	CHECK_EQ(got, (int)ZONES);
	for (int i = 0; i < got; i++)
		apply_to_model(model, done[i]->cookie);
}

/* One request of the given kind, waited for. Returns its result. */
static int one_request(struct blkio *io, int op, uint64_t offset, uint64_t len, void *buf)
{
	struct iovec iov = { buf, len };
	struct blkio_req req = { .op = op, .offset = offset, .len = len, .iov = &iov, .iovcnt = 1 };
	struct blkio_req *done;
	int rc = blkio_submit(io, &req);

	if (rc < 0)
		return rc;
	CHECK_EQ(blkio_kick(io), 0);
	CHECK_EQ(reap_all(io, &done, 1), 1);
	CHECK(done == &req);
	return req.result;
}

/* Everything through the engine equals the model, and so does the file. */
static void check_whole_disk(struct blkio *io, const char *path, const uint8_t *model)
{
	uint8_t *buf = malloc(DISK_BYTES);

	for (uint64_t off = 0; off < DISK_BYTES; off += 1 << 20)
		CHECK_EQ(one_request(io, BLKIO_READ, off, 1 << 20, buf + off), 1 << 20);
	CHECK(!memcmp(buf, model, DISK_BYTES));
	CHECK_EQ(one_request(io, BLKIO_FLUSH, 0, 0, NULL), 0);
	CHECK(read_file(path, buf, DISK_BYTES) && !memcmp(buf, model, DISK_BYTES));
	free(buf);
}

/* Random I/O through the engine the spec suffix picks. */
static void random_io(const char *name, const char *extra, const char *engine, bool aligned)
{
	const char *path = tmp_path(name);
	uint8_t *model = make_image(path, DISK_BYTES);
	struct test_req *reqs = calloc(ZONES, sizeof(*reqs));
	struct disk *d = open_disk(path, extra);
	struct blkio *io = d ? blkio_create(d, ZONES, errbuf, sizeof(errbuf)) : NULL;

	CHECK(io != NULL);
	if (io) {
		CHECK_STR(blkio_engine_name(io), engine);
		for (int round = 0; round < ROUNDS; round++)
			random_round(io, reqs, model, aligned);
		check_whole_disk(io, path, model);
		blkio_destroy(io);
	}
	disk_close(d);
	for (unsigned z = 0; z < ZONES; z++)
		free(reqs[z].mem);
	free(reqs);
	free(model);
}

static void threads_engine_random_io(void)
{
	random_io("threads.img", ",io=threads", "threads", false);
}

/* Where io_uring does not work: io=uring is refused with the reason,
 * io=auto falls back to the pool, says why, and works. */
static void check_fallback(const char *name)
{
	struct disk *d;
	struct blkio *io;

	free(make_image(tmp_path("nouring.img"), 4096));
	d = open_disk(tmp_path("nouring.img"), ",io=uring");
	CHECK(d != NULL);
	io = d ? blkio_create(d, 64, errbuf, sizeof(errbuf)) : NULL;
	CHECK(io == NULL && strstr(errbuf, "io_uring cannot be used"));
	disk_close(d);
	d = open_disk(tmp_path("nouring.img"), "");
	io = d ? blkio_create(d, 64, errbuf, sizeof(errbuf)) : NULL;
	CHECK(io && strstr(blkio_engine_reason(io), "io_uring unavailable"));
	blkio_destroy(io);
	disk_close(d);
	random_io(name, "", "threads", false);
}

static void uring_engine_random_io(void)
{
	if (uring_ok) {
		random_io("uring.img", ",io=uring", "io_uring", false);
		random_io("auto.img", "", "io_uring", false);
	} else {
		printf("# io_uring unavailable here (%s): checking the fallback\n", uring_why);
		check_fallback("auto.img");
	}
}

/* Makes io_uring_setup fail with EPERM in this process, as container
 * seccomp profiles do. */
static int deny_io_uring(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The fallback, checked here whether or not io_uring works: a child
 * process in which io_uring_setup is forbidden. */
static void fallback_without_io_uring(void)
{
	char why[160];
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (deny_io_uring() < 0)
			_exit(2);
		CHECK(!blkio_uring_available(why, sizeof(why)) && strstr(why, "not permitted"));
		check_fallback("denied.img");
		fflush(stdout);
		_exit(check_case_failed);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* O_DIRECT with buffers that are and are not aligned (bounced). */
static void direct_io_both_engines(void)
{
	struct disk *probe;

	free(make_image(tmp_path("probe.img"), 4096));
	probe = open_disk(tmp_path("probe.img"), ",direct");
	if (!probe) {
		printf("# O_DIRECT unusable on %s: checking the error only\n", tmpdir);
		CHECK(strstr(errbuf, "O_DIRECT") != NULL);
		return;
	}
	CHECK(probe->image.dio_align >= 512);
	disk_close(probe);
	random_io("direct_threads.img", ",direct,io=threads", "threads", false);
	random_io("direct_threads_aligned.img", ",direct,io=threads", "threads", true);
	if (uring_ok) {
		random_io("direct_uring.img", ",direct,io=uring", "io_uring", false);
		random_io("direct_uring_aligned.img", ",direct,io=uring", "io_uring", true);
	}
}

static struct blkio *open_engine(const char *name, const char *extra, size_t bytes, unsigned depth,
				 struct disk **d)
{
	struct blkio *io;

	free(make_image(tmp_path(name), bytes));
	*d = open_disk(tmp_path(name), extra);
	io = *d ? blkio_create(*d, depth, errbuf, sizeof(errbuf)) : NULL;
	CHECK(io != NULL);
	return io;
}

static void bad_requests(const char *extra)
{
	uint8_t buf[1024];
	struct iovec iov = { buf, 1024 };
	struct blkio_req r = { .op = BLKIO_READ, .len = 1024, .iov = &iov, .iovcnt = 1 };
	struct disk *d;
	struct blkio *io = open_engine("bad.img", extra, 64 << 10, 4, &d);

	if (io) {
		r.len = 512;                                  /* iovec says 1024 */
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.len = 1024;
		r.offset = 64 << 10;                          /* past the end    */
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.offset = 100;                               /* unaligned       */
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.offset = 0;
		r.iovcnt = 0;
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.iovcnt = BLK_MAX_IOV + 1;
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.iovcnt = 1;
		r.op = 99;
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		r.op = BLKIO_DISCARD;
		r.len = 0;
		CHECK_EQ(blkio_submit(io, &r), -EINVAL);
		CHECK_EQ(one_request(io, BLKIO_READ, (64 << 10) - 1024, 1024, buf), 1024);
		blkio_destroy(io);
	}
	disk_close(d);
}

static void bad_requests_refused(void)
{
	bad_requests(",io=threads");
	if (uring_ok)
		bad_requests(",io=uring");
}

static void readonly_refused(const char *extra)
{
	uint8_t buf[4096] = { 0 };
	struct disk *d;
	struct blkio *io = open_engine("ro.img", extra, 64 << 10, 8, &d);

	if (io) {
		CHECK_EQ(one_request(io, BLKIO_WRITE, 0, 4096, buf), -EROFS);
		CHECK_EQ(one_request(io, BLKIO_DISCARD, 0, 4096, NULL), -EROFS);
		CHECK_EQ(one_request(io, BLKIO_WRITE_ZEROES, 0, 4096, NULL), -EROFS);
		CHECK_EQ(one_request(io, BLKIO_READ, 0, 4096, buf), 4096);
		CHECK_EQ(one_request(io, BLKIO_FLUSH, 0, 0, NULL), 0);
		blkio_destroy(io);
	}
	disk_close(d);
}

static void readonly_disk_refuses_changes(void)
{
	readonly_refused(",ro,io=threads");
	if (uring_ok)
		readonly_refused(",ro,io=uring");
}

/* depth requests may be outstanding (submitted, not reaped), not more;
 * reaping fewer than are done leaves the eventfd readable. */
static void depth_and_eventfd(const char *extra)
{
	enum { DEPTH = 64 };
	static uint8_t bufs[DEPTH + 1][4096];
	struct iovec iov[DEPTH + 1];
	struct blkio_req reqs[DEPTH + 1], *done[DEPTH];
	struct pollfd pfd = { .events = POLLIN };
	struct disk *d;
	struct blkio *io = open_engine("depth.img", extra, 1 << 20, DEPTH, &d);
	int total = 0;

	if (!io) {
		disk_close(d);
		return;
	}
	pfd.fd = blkio_completion_fd(io);
	CHECK_EQ(poll(&pfd, 1, 0), 0);                 /* nothing yet */
	for (int i = 0; i <= DEPTH; i++) {
		iov[i] = (struct iovec){ bufs[i], 4096 };
		reqs[i] = (struct blkio_req){ .op = BLKIO_READ, .offset = (uint64_t)i * 4096,
					      .len = 4096, .iov = &iov[i], .iovcnt = 1 };
		CHECK_EQ(blkio_submit(io, &reqs[i]), i < DEPTH ? 0 : -EAGAIN);
	}
	blkio_drain(io);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	for (int n; (n = blkio_reap(io, done, 5)) > 0; total += n) {
		CHECK(n <= 5);
		if (total + n < DEPTH)
			CHECK_EQ(poll(&pfd, 1, 0), 1);    /* more to reap: still readable */
	}
	CHECK_EQ(total, DEPTH);
	CHECK_EQ(poll(&pfd, 1, 0), 0);                 /* all reaped: quiet */
	CHECK_EQ(blkio_submit(io, &reqs[DEPTH]), 0);   /* room again        */
	CHECK_EQ(blkio_kick(io), 0);
	CHECK_EQ(reap_all(io, done, 1), 1);
	CHECK_EQ(reqs[DEPTH].result, 4096);
	blkio_destroy(io);
	disk_close(d);
}

static void queue_depth_and_completion_fd(void)
{
	depth_and_eventfd(",io=threads");
	if (uring_ok)
		depth_and_eventfd(",io=uring");
}

/* The image shrinks under an open disk: a read across the new end gets a
 * short transfer from the kernel, which must become an error, not a
 * short success. */
static void short_read(const char *extra)
{
	uint8_t *buf = malloc(1 << 20);
	struct disk *d;
	struct blkio *io = open_engine("short.img", extra, 1 << 20, 4, &d);

	if (io) {
		CHECK_EQ(truncate(tmp_path("short.img"), 512 << 10), 0);
		CHECK_EQ(one_request(io, BLKIO_READ, 0, 1 << 20, buf), -EIO);
		CHECK_EQ(one_request(io, BLKIO_READ, 0, 256 << 10, buf), 256 << 10);
		blkio_destroy(io);
	}
	disk_close(d);
	free(buf);
}

static void short_transfer_is_an_error(void)
{
	short_read(",io=threads");
	if (uring_ok)
		short_read(",io=uring");
}

/* Data acknowledged before a flush survives kill -9 of the writer. */
static void child_write_flush_die(const char *path, const char *extra, const uint8_t *data)
{
	struct disk *d = open_disk(path, extra);
	struct blkio *io = d ? blkio_create(d, 8, errbuf, sizeof(errbuf)) : NULL;
	uint8_t *copy = malloc(1 << 20);

	if (!io)
		_exit(2);
	memcpy(copy, data, 1 << 20);
	if (one_request(io, BLKIO_WRITE, 0, 1 << 20, copy) != 1 << 20 ||
	    one_request(io, BLKIO_FLUSH, 0, 0, NULL) != 0)
		_exit(3);
	kill(getpid(), SIGKILL);
	_exit(4);
}

static void survives_kill(const char *extra)
{
	const char *path = tmp_path("crash.img");
	uint8_t *data = malloc(1 << 20), *back = malloc(1 << 20);
	int status = 0;
	pid_t pid;

	free(make_image(path, 2 << 20));
	fill_random(data, 1 << 20);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child_write_flush_die(path, extra, data);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(read_file(path, back, 1 << 20) && !memcmp(back, data, 1 << 20));
	free(data);
	free(back);
}

static void flushed_data_survives_kill(void)
{
	survives_kill(",io=threads");
	if (uring_ok)
		survives_kill(",io=uring");
}

int main(void)
{
	if (!scratch_create("disk"))
		return 1;
	uring_ok = blkio_uring_available(uring_why, sizeof(uring_why));
	printf("# io_uring %s%s\n", uring_ok ? "available" : "unavailable: ", uring_ok ? "" : uring_why);
	RUN(spec_good);
	RUN(spec_bad);
	RUN(open_errors);
	RUN(open_locks);
	RUN(open_capacity_and_id);
	RUN(sync_io);
	RUN(flush_error_sticks);
	RUN(threads_engine_random_io);
	RUN(uring_engine_random_io);
	RUN(fallback_without_io_uring);
	RUN(direct_io_both_engines);
	RUN(bad_requests_refused);
	RUN(readonly_disk_refuses_changes);
	RUN(queue_depth_and_completion_fd);
	RUN(short_transfer_is_an_error);
	RUN(flushed_data_survives_kill);
	scratch_remove();
	CHECK_EXIT();
}
