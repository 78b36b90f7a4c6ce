/* test_overlay.c: copy-on-write overlays (hv/disk/overlay*.c) and the
 * `pvisor disk` commands: writes land in the overlay and the base stays
 * byte-identical, partial-cluster writes keep the base's neighbours,
 * concurrent first writes to one cluster, reopening, read-only overlays,
 * a changed base refused, commit (and a resumed interrupted commit),
 * O_DIRECT, kill -9 after a flush, and the bitmap's space reserved. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk/blkio.h"
#include "disk/disk.h"
#include "cli/disk_cmd.h"
#include "disk/overlay_admin.h"
#include "disk/overlay_format.h"
#include "check.h"
#include "scratch.h"

#define CLUSTER     (64u << 10)
#define BASE_BYTES  ((4u << 20) + 3 * 512)     /* a short last cluster */
#define MAX_OP      (192u << 10)

static char errbuf[512];
static bool direct_ok;         /* the filesystem under tmpdir takes O_DIRECT */

/* ---- Files ------------------------------------------------------------------ */

/* Overwrites the first len bytes of path, in place. */
static void patch_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	CHECK(pwrite(fd, data, len, 0) == (ssize_t)len);
	close(fd);
}

static bool file_equals(const char *path, const uint8_t *want, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	int fd = open(path, O_RDONLY);
	bool same = fd >= 0 && pread(fd, buf, len + 1, 0) == (ssize_t)len && !memcmp(buf, want, len);

	if (fd >= 0)
		close(fd);
	free(buf);
	return same;
}

static bool probe_direct(void)
{
	int fd = open(tmp_path("probe"), O_RDWR | O_CREAT | O_DIRECT, 0644);

	if (fd >= 0)
		close(fd);
	unlink(tmp_path("probe"));
	return fd >= 0;
}

/* base.img with random contents (returned, free()) and top.img over it. */
static uint8_t *make_pair(const char *base, const char *top)
{
	uint8_t *data = malloc(BASE_BYTES);

	fill_random(data, BASE_BYTES);
	write_file(tmp_path(base), data, BASE_BYTES);
	unlink(tmp_path(top));
	CHECK_EQ(overlay_create(tmp_path(top), tmp_path(base), errbuf, sizeof(errbuf)), 0);
	return data;
}

static struct disk *open_overlay(const char *base, const char *top, const char *extra)
{
	struct disk_config cfg;
	char spec[1200];
	struct disk *d;

	snprintf(spec, sizeof(spec), "%s,overlay=%s%s", tmp_path(base), tmp_path(top), extra);
	CHECK_EQ(disk_parse_spec(spec, &cfg, errbuf, sizeof(errbuf)), 0);
	d = disk_open(&cfg, errbuf, sizeof(errbuf));
	if (!d)
		printf("# disk_open %s: %s\n", spec, errbuf);
	return d;
}

static void expect_overlay_error(const char *base, const char *top, const char *want)
{
	struct disk_config cfg;
	char spec[1200];
	struct disk *d;

	snprintf(spec, sizeof(spec), "%s,overlay=%s", tmp_path(base), tmp_path(top));
	CHECK_EQ(disk_parse_spec(spec, &cfg, errbuf, sizeof(errbuf)), 0);
	errbuf[0] = '\0';
	d = disk_open(&cfg, errbuf, sizeof(errbuf));
	CHECK(d == NULL);
	CHECK(strstr(errbuf, want) != NULL);
	if (!strstr(errbuf, want))
		printf("# got '%s', wanted '%s'\n", errbuf, want);
	disk_close(d);
}

static uint64_t allocated_clusters(const char *top)
{
	struct overlay_info info;

	CHECK_EQ(overlay_inspect(tmp_path(top), &info, errbuf, sizeof(errbuf)), 0);
	return info.allocated;
}

/* ---- Random I/O against a model --------------------------------------------------- */

/* Splits [data, data+len) into up to 16 random segments. */
static int split(uint8_t *data, size_t len, struct iovec *iov)
{
	unsigned max = 1 + check_rng() % 16;
	size_t pos = 0;
	int n = 0;

	while (pos < len) {
		size_t take = len - pos;

		if ((unsigned)n < max - 1 && take > 1)
			take = 1 + check_rng() % take;
		iov[n++] = (struct iovec){ data + pos, take };
		pos += take;
	}
	return n;
}

static void random_op(struct disk *d, uint8_t *model, uint8_t *buf)
{
	uint64_t sectors = 1 + check_rng() % (MAX_OP / 512);
	uint64_t offset = (check_rng() % (disk_sectors(d) - sectors + 1)) * 512, len = sectors * 512;
	uint8_t *data = buf + (check_rng() % 2 ? 0 : check_rng() % 512);
	struct iovec iov[16];
	int n = split(data, len, iov), kind = (int)(check_rng() % 10);

	if (kind < 5) {
		fill_random(data, len);
		CHECK_EQ(disk_pwritev(d, iov, n, offset), 0);
		memcpy(model + offset, data, len);
	} else if (kind < 8) {
		CHECK_EQ(disk_preadv(d, iov, n, offset), 0);
		CHECK(!memcmp(model + offset, data, len));
	} else {
		CHECK_EQ(kind == 8 ? disk_zero(d, offset, len, DISK_ZERO_PUNCH) : disk_zero(d, offset, len, DISK_ZERO_ALLOCATE), 0);
		memset(model + offset, 0, len);
	}
}

static void random_ops(struct disk *d, uint8_t *model, int count)
{
	uint8_t *buf = NULL;

	CHECK_EQ(posix_memalign((void **)&buf, 4096, MAX_OP + 4096), 0);
	for (int i = 0; buf && i < count; i++)
		random_op(d, model, buf);
	free(buf);
}

static bool disk_equals(struct disk *d, const uint8_t *model)
{
	uint8_t *buf = malloc(d->size);
	struct iovec iov = { buf, d->size };
	bool same = disk_preadv(d, &iov, 1, 0) == 0 && !memcmp(buf, model, d->size);

	free(buf);
	return same;
}

/* ---- Cases ----------------------------------------------------------------------- */

static void create_checks(void)
{
	struct overlay_info info;
	static const uint8_t odd[1000], base_sized_zeroes[8192];

	free(make_pair("c_base.img", "c_top.img"));
	CHECK_EQ(overlay_inspect(tmp_path("c_top.img"), &info, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(info.hdr.virtual_size, BASE_BYTES);
	CHECK_EQ(ovl_cluster_size(&info.hdr), CLUSTER);
	CHECK_EQ(info.allocated, 0);
	CHECK_EQ(info.base_state, OVL_BASE_OK);
	CHECK(info.hdr.base_path[0] == '/' && strstr(info.hdr.base_path, "/c_base.img"));
	CHECK_EQ(overlay_create(tmp_path("c_top.img"), tmp_path("c_base.img"), errbuf,
				sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "already exists") != NULL);
	CHECK_EQ(overlay_create(tmp_path("c2.img"), tmp_path("nobase.img"), errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "does not exist") && access(tmp_path("c2.img"), F_OK) != 0);
	CHECK_EQ(overlay_create(tmp_path("c2.img"), tmp_path("c_top.img"), errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "itself a pvisor overlay") && access(tmp_path("c2.img"), F_OK) != 0);
	write_file(tmp_path("c_odd.img"), odd, sizeof(odd));
	CHECK_EQ(overlay_create(tmp_path("c2.img"), tmp_path("c_odd.img"), errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "not a multiple of 512") != NULL);
	expect_overlay_error("c_base.img", "c_missing.img", "does not exist");
	write_file(tmp_path("c_raw.img"), base_sized_zeroes, 8192);
	expect_overlay_error("c_base.img", "c_raw.img", "not a pvisor overlay");
	expect_overlay_error("c_base.img", "c_base.img", "has itself as its base");
}

/* Writes, discards and zeroes land in the overlay; the base is unchanged;
 * a reopened overlay shows the same disk. */
static void writes_land_in_overlay(const char *extra)
{
	uint8_t *base = make_pair("w_base.img", "w_top.img");
	uint8_t *model = malloc(BASE_BYTES);
	struct disk *d = open_overlay("w_base.img", "w_top.img", extra);

	memcpy(model, base, BASE_BYTES);
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(d->size, BASE_BYTES);
		random_ops(d, model, 300);
		CHECK(disk_equals(d, model));
		CHECK_EQ(disk_flush(d), 0);
		CHECK_EQ(disk_close(d), 0);
	}
	CHECK(file_equals(tmp_path("w_base.img"), base, BASE_BYTES));
	CHECK(allocated_clusters("w_top.img") > 0);
	d = open_overlay("w_base.img", "w_top.img", extra);
	CHECK(d && disk_equals(d, model));
	if (d)
		random_ops(d, model, 100);
	disk_close(d);                   /* a clean close writes the bitmap */
	d = open_overlay("w_base.img", "w_top.img", ",ro");
	CHECK(d && disk_equals(d, model));
	disk_close(d);
	CHECK(file_equals(tmp_path("w_base.img"), base, BASE_BYTES));
	free(base);
	free(model);
}

static void writes_land_in_overlay_buffered(void)
{
	writes_land_in_overlay("");
}

static void writes_land_in_overlay_direct(void)
{
	if (direct_ok)
		writes_land_in_overlay(",direct");
}

static void partial_cluster_keeps_neighbours(void)
{
	uint8_t *base = make_pair("p_base.img", "p_top.img");
	uint8_t sector[512], *cluster = malloc(CLUSTER);
	struct iovec w = { sector, 512 }, r = { cluster, CLUSTER };
	struct disk *d = open_overlay("p_base.img", "p_top.img", "");

	CHECK(d != NULL);
	if (d) {
		fill_random(sector, 512);
		CHECK_EQ(disk_pwritev(d, &w, 1, 5 * CLUSTER + 7 * 512), 0);
		CHECK_EQ(disk_preadv(d, &r, 1, 5 * CLUSTER), 0);
		CHECK(!memcmp(cluster, base + 5 * CLUSTER, 7 * 512));
		CHECK(!memcmp(cluster + 7 * 512, sector, 512));
		CHECK(!memcmp(cluster + 8 * 512, base + 5 * CLUSTER + 8 * 512, CLUSTER - 8 * 512));
		/* the short last cluster too */
		CHECK_EQ(disk_pwritev(d, &w, 1, BASE_BYTES - 512), 0);
		r.iov_len = 3 * 512;
		CHECK_EQ(disk_preadv(d, &r, 1, BASE_BYTES - 3 * 512), 0);
		CHECK(!memcmp(cluster, base + BASE_BYTES - 3 * 512, 1024));
		CHECK(!memcmp(cluster + 1024, sector, 512));
		disk_close(d);
	}
	CHECK_EQ(allocated_clusters("p_top.img"), 2);
	CHECK(file_equals(tmp_path("p_base.img"), base, BASE_BYTES));
	free(base);
	free(cluster);
}

static void readonly_overlay(void)
{
	uint8_t *base = make_pair("r_base.img", "r_top.img");
	uint8_t buf[512] = { 0 };
	struct iovec iov = { buf, 512 };
	struct disk *d = open_overlay("r_base.img", "r_top.img", ",ro");

	CHECK(d != NULL);
	if (d) {
		CHECK(d->readonly);
		CHECK_EQ(disk_pwritev(d, &iov, 1, 0), -EROFS);
		CHECK_EQ(disk_zero(d, 0, 512, DISK_ZERO_PUNCH), -EROFS);
		CHECK(disk_equals(d, base));
		disk_close(d);
	}
	CHECK(file_equals(tmp_path("r_base.img"), base, BASE_BYTES));
	free(base);
}

static void changed_base_refused(void)
{
	struct stat st;
	struct timespec times[2];
	struct disk *d;

	free(make_pair("ch_base.img", "ch_top.img"));
	CHECK_EQ(stat(tmp_path("ch_base.img"), &st), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	times[1].tv_sec -= 100;
	CHECK_EQ(utimensat(AT_FDCWD, tmp_path("ch_base.img"), times, 0), 0);
	expect_overlay_error("ch_base.img", "ch_top.img", "changed since");
	times[1] = st.st_mtim;
	CHECK_EQ(utimensat(AT_FDCWD, tmp_path("ch_base.img"), times, 0), 0);
	d = open_overlay("ch_base.img", "ch_top.img", "");
	CHECK(d != NULL);
	disk_close(d);
	write_file(tmp_path("other.img"), "x", 0);
	CHECK_EQ(truncate(tmp_path("other.img"), BASE_BYTES), 0);
	expect_overlay_error("other.img", "ch_top.img", "is not the image overlay");
}

/* 64 requests, each the first write to one sector of two untouched
 * clusters, all in flight on the pool together: the copy-on-write of one
 * must not undo another's sector. O_DIRECT makes each copy-on-write slow
 * enough for races to show (without the allocation lock this fails). */
static void concurrent_writes(const char *extra)
{
	enum { N = 64 };
	uint8_t *base = make_pair("cc_base.img", "cc_top.img");
	uint8_t *model = malloc(BASE_BYTES), (*bufs)[512] = malloc(N * 512);
	struct iovec iov[N];
	struct blkio_req reqs[N], *done[N];
	struct pollfd pfd = { .events = POLLIN };
	struct disk *d = open_overlay("cc_base.img", "cc_top.img", extra);
	struct blkio *io = d ? blkio_create(d, N, errbuf, sizeof(errbuf)) : NULL;

	memcpy(model, base, BASE_BYTES);
	CHECK(io != NULL);
	if (io) {
		CHECK_STR(blkio_engine_name(io), "threads");
		CHECK(strstr(blkio_engine_reason(io), "overlay") != NULL);
		pfd.fd = blkio_completion_fd(io);
		for (int round = 0; round < 16; round++) {
			uint64_t first = (uint64_t)round * 2 * CLUSTER;
			int got = 0;

			for (int i = 0; i < N; i++) {
				uint64_t off = first + (uint64_t)i * 2 * 512;

				fill_random(bufs[i], 512);
				memcpy(model + off, bufs[i], 512);
				iov[i] = (struct iovec){ bufs[i], 512 };
				reqs[i] = (struct blkio_req){ .op = BLKIO_WRITE, .offset = off, .len = 512,
							      .iov = &iov[i], .iovcnt = 1 };
				CHECK_EQ(blkio_submit(io, &reqs[i]), 0);
			}
			CHECK_EQ(blkio_kick(io), 0);
			while (got < N && poll(&pfd, 1, 10000) == 1)
				got += blkio_reap(io, done + got, N - got);
			CHECK_EQ(got, N);
			for (int i = 0; i < got; i++)
				CHECK_EQ(done[i]->result, 512);
		}
		CHECK(disk_equals(d, model));
		blkio_destroy(io);
	}
	disk_close(d);
	CHECK(file_equals(tmp_path("cc_base.img"), base, BASE_BYTES));
	free(base);
	free(model);
	free(bufs);
}

static void concurrent_first_writes(void)
{
	concurrent_writes("");
	if (direct_ok)
		concurrent_writes(",direct");
}

static void commit_into_base(void)
{
	uint8_t *base = make_pair("m_base.img", "m_top.img");
	uint8_t *model = malloc(BASE_BYTES);
	struct overlay_commit_report report;
	struct disk *d = open_overlay("m_base.img", "m_top.img", "");

	memcpy(model, base, BASE_BYTES);
	CHECK(d != NULL);
	if (d)
		random_ops(d, model, 200);
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), NULL, &report, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "in use by another process") != NULL);    /* d holds the lock */
	disk_close(d);
	CHECK(file_equals(tmp_path("m_base.img"), base, BASE_BYTES));
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), NULL, &report, errbuf, sizeof(errbuf)), 0);
	CHECK(report.clusters > 0 && !report.resumed);
	CHECK(file_equals(tmp_path("m_base.img"), model, BASE_BYTES));
	CHECK_EQ(allocated_clusters("m_top.img"), 0);
	d = open_overlay("m_base.img", "m_top.img", "");    /* still a valid, empty overlay */
	CHECK(d && disk_equals(d, model));
	disk_close(d);
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), NULL, &report, errbuf, sizeof(errbuf)), 0);
	CHECK_EQ(report.clusters, 0);
	CHECK_EQ(overlay_commit(tmp_path("m_base.img"), NULL, &report, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "not a pvisor overlay") != NULL);
	/* moved base: name it once, and the overlay remembers */
	CHECK_EQ(rename(tmp_path("m_base.img"), tmp_path("m_moved.img")), 0);
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), NULL, &report, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, "does not exist") != NULL);
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), tmp_path("m_moved.img"), &report, errbuf,
				sizeof(errbuf)), 0);
	CHECK_EQ(overlay_commit(tmp_path("m_top.img"), NULL, &report, errbuf, sizeof(errbuf)), 0);
	CHECK(strstr(report.base_path, "/m_moved.img") != NULL);
	free(base);
	free(model);
}

/* Marks top's header as an interrupted commit (as a crash would leave it). */
static void mark_committing(const char *top)
{
	struct ovl_header h;
	int fd = open(tmp_path(top), O_RDWR);
	struct stat st;

	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	CHECK_EQ(ovl_header_read(fd, (uint64_t)st.st_size, top, &h, errbuf, sizeof(errbuf)), 0);
	h.flags |= OVL_FLAG_COMMITTING;
	CHECK_EQ(ovl_header_write(fd, &h), 0);
	close(fd);
}

/* The space top takes on its file system (st_blocks), in bytes. */
static uint64_t allocated_bytes(const char *top)
{
	struct stat st;

	CHECK_EQ(stat(tmp_path(top), &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/* The bitmap's blocks have their space from creation on, and get it when
 * a writable open finds them sparse (an overlay made before pvisor did
 * this): a flush rewrites them in place, and on a full file system a
 * flush that needed new space for them would lose every allocation since
 * the last one, even at a clean exit (tests/suites/blk.sh, blk/enospc-*,
 * shows it on a full tmpfs). */
static void bitmap_space_reserved(void)
{
	uint8_t *base = make_pair("s_base.img", "s_top.img");
	uint64_t created, sparse;
	struct ovl_header h;
	struct stat st;
	struct disk *d;
	int fd = open(tmp_path("s_top.img"), O_RDWR);

	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	CHECK_EQ(ovl_header_read(fd, (uint64_t)st.st_size, "s_top.img", &h, errbuf, sizeof(errbuf)), 0);
	created = allocated_bytes("s_top.img");
	CHECK(created >= OVL_HEADER_BYTES + h.bitmap_bytes);     /* header and bitmap */
	/* As create-overlay left it before: a sparse bitmap. */
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)h.bitmap_offset,
		      (off_t)h.bitmap_bytes) == 0 &&
	    (sparse = allocated_bytes("s_top.img")) + h.bitmap_bytes <= created) {
		d = open_overlay("s_base.img", "s_top.img", ",ro");
		CHECK(d != NULL);
		disk_close(d);
		CHECK_EQ(allocated_bytes("s_top.img"), sparse);    /* ro writes nothing */
		d = open_overlay("s_base.img", "s_top.img", "");
		CHECK(d != NULL);
		CHECK(allocated_bytes("s_top.img") >= sparse + h.bitmap_bytes);
		disk_close(d);
	} else {
		printf("# no hole punching under %s: the reopen case is not run\n", tmpdir);
	}
	close(fd);
	free(base);
}

static void interrupted_commit_resumes(void)
{
	uint8_t *base = make_pair("i_base.img", "i_top.img");
	uint8_t *model = malloc(BASE_BYTES);
	struct overlay_commit_report report;
	struct disk *d = open_overlay("i_base.img", "i_top.img", "");

	memcpy(model, base, BASE_BYTES);
	if (d)
		random_ops(d, model, 100);
	disk_close(d);
	mark_committing("i_top.img");
	/* as if the first pass had copied half of the clusters, then died */
	patch_file(tmp_path("i_base.img"), model, BASE_BYTES / 2);
	expect_overlay_error("i_base.img", "i_top.img", "interrupted commit");
	CHECK_EQ(overlay_commit(tmp_path("i_top.img"), NULL, &report, errbuf, sizeof(errbuf)), 0);
	CHECK(report.resumed);
	CHECK(file_equals(tmp_path("i_base.img"), model, BASE_BYTES));
	d = open_overlay("i_base.img", "i_top.img", "");
	CHECK(d && disk_equals(d, model));
	disk_close(d);
	free(base);
	free(model);
}

/* The child writes A and flushes, writes B and does not, then dies by
 * SIGKILL. A must be there; each sector of B either old or new. */
static void child_writes_and_dies(const uint8_t *a, const uint8_t *b)
{
	struct disk *d = open_overlay("k_base.img", "k_top.img", "");
	struct iovec ia = { (void *)a, 8 * CLUSTER }, ib = { (void *)b, 8 * CLUSTER };

	if (!d || disk_pwritev(d, &ia, 1, CLUSTER / 2) != 0 || disk_flush(d) != 0)
		_exit(2);
	if (disk_pwritev(d, &ib, 1, 20 * CLUSTER + 512) != 0)      /* new clusters */
		_exit(3);
	ib.iov_len = 1024;
	if (disk_pwritev(d, &ib, 1, 0) != 0)                       /* beside A */
		_exit(4);
	kill(getpid(), SIGKILL);
	_exit(5);
}

static bool sectors_old_or_new(const uint8_t *got, const uint8_t *old, const uint8_t *new,
			       size_t len)
{
	for (size_t s = 0; s < len; s += 512)
		if (memcmp(got + s, old + s, 512) && memcmp(got + s, new + s, 512))
			return false;
	return true;
}

static void flushed_data_survives_kill(void)
{
	uint8_t *base = make_pair("k_base.img", "k_top.img");
	uint8_t *a = malloc(8 * CLUSTER), *b = malloc(8 * CLUSTER), *got = malloc(BASE_BYTES);
	struct iovec all = { got, BASE_BYTES };
	struct disk *d;
	int status = 0;
	pid_t pid;

	fill_random(a, 8 * CLUSTER);
	fill_random(b, 8 * CLUSTER);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child_writes_and_dies(a, b);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(file_equals(tmp_path("k_base.img"), base, BASE_BYTES));
	d = open_overlay("k_base.img", "k_top.img", "");
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(disk_preadv(d, &all, 1, 0), 0);
		CHECK(!memcmp(got + CLUSTER / 2, a, 8 * CLUSTER));
		CHECK(sectors_old_or_new(got, base, b, 1024));
		CHECK(!memcmp(got + 1024, base + 1024, CLUSTER / 2 - 1024));
		CHECK(sectors_old_or_new(got + 20 * CLUSTER + 512, base + 20 * CLUSTER + 512, b,
					 8 * CLUSTER));
		disk_close(d);
	}
	free(base);
	free(a);
	free(b);
	free(got);
}

/* Discarding everything reads zero, leaves the base alone, and a commit
 * carries the zeroes (as holes) into the base. */
static void discard_everything_then_commit(void)
{
	uint8_t *base = make_pair("z_base.img", "z_top.img");
	uint8_t *zero = calloc(1, BASE_BYTES);
	struct overlay_commit_report report;
	struct disk *d = open_overlay("z_base.img", "z_top.img", "");
	struct stat st;

	CHECK(d != NULL);
	if (d) {
		CHECK_EQ(disk_zero(d, 512, BASE_BYTES - 1024, DISK_ZERO_PUNCH), 0);
		CHECK_EQ(disk_zero(d, 0, 512, DISK_ZERO_ALLOCATE), 0);
		CHECK_EQ(disk_zero(d, BASE_BYTES - 512, 512, DISK_ZERO_ALLOCATE), 0);
		CHECK(disk_equals(d, zero));
		disk_close(d);
	}
	CHECK(file_equals(tmp_path("z_base.img"), base, BASE_BYTES));
	CHECK_EQ(allocated_clusters("z_top.img"), (BASE_BYTES + CLUSTER - 1) / CLUSTER);
	CHECK_EQ(stat(tmp_path("z_top.img"), &st), 0);
	CHECK((uint64_t)st.st_blocks * 512 < BASE_BYTES / 2);      /* holes, not zeroes */
	CHECK_EQ(overlay_commit(tmp_path("z_top.img"), NULL, &report, errbuf, sizeof(errbuf)), 0);
	CHECK(file_equals(tmp_path("z_base.img"), zero, BASE_BYTES));
	free(base);
	free(zero);
}

/* Runs `pvisor disk ARGS...` with stdout silenced; returns its status. */
static int run_disk_command(int argc, const char **argv)
{
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), code;

	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	code = disk_command(argc, (char **)argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return code;
}

#define DISK_CMD(...) \
	run_disk_command(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *), \
			 (const char *[]){ __VA_ARGS__ })

static void disk_commands(void)
{
	const char *base = tmp_path("cmd_base.img"), *top = tmp_path("cmd_top.img");
	uint8_t *data = malloc(BASE_BYTES);

	fill_random(data, BASE_BYTES);
	write_file(base, data, BASE_BYTES);
	CHECK_EQ(DISK_CMD("disk", "create-overlay", top, base), 0);
	CHECK_EQ(DISK_CMD("disk", "create-overlay", top, base), 125);
	CHECK_EQ(DISK_CMD("disk", "info", top), 0);
	CHECK_EQ(DISK_CMD("disk", "info", base), 0);
	CHECK_EQ(DISK_CMD("disk", "info", tmp_path("nothing.img")), 125);
	CHECK_EQ(DISK_CMD("disk", "commit", top), 0);
	CHECK_EQ(DISK_CMD("disk", "commit", top, base), 0);
	CHECK_EQ(DISK_CMD("disk", "commit", base), 125);
	CHECK_EQ(DISK_CMD("disk", "commit"), 125);
	CHECK_EQ(DISK_CMD("disk", "create-overlay", top), 125);
	CHECK_EQ(DISK_CMD("disk", "info"), 125);
	CHECK_EQ(DISK_CMD("disk", "frobnicate"), 125);
	CHECK_EQ(DISK_CMD("disk"), 125);
	CHECK_EQ(DISK_CMD("disk", "help"), 0);
	CHECK(file_equals(base, data, BASE_BYTES));
	free(data);
}

int main(void)
{
	if (!scratch_create("overlay"))
		return 1;
	direct_ok = probe_direct();
	if (!direct_ok)
		printf("# O_DIRECT unusable under %s: direct cases run buffered only\n", tmpdir);
	RUN(create_checks);
	RUN(writes_land_in_overlay_buffered);
	RUN(writes_land_in_overlay_direct);
	RUN(partial_cluster_keeps_neighbours);
	RUN(readonly_overlay);
	RUN(changed_base_refused);
	RUN(concurrent_first_writes);
	RUN(commit_into_base);
	RUN(interrupted_commit_resumes);
	RUN(bitmap_space_reserved);
	RUN(flushed_data_survives_kill);
	RUN(discard_everything_then_commit);
	RUN(disk_commands);
	scratch_remove();
	CHECK_EXIT();
}
