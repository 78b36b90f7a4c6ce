/* test_host_files.c: the kept host files of `pvisor run --jail`
 * (hv/lib/host_files.c): while keeping, a file opened through the table is
 * kept; later opens of the same path and flags get a duplicate at offset
 * 0 even after the path is gone; other flags and other paths are plain
 * opens; noted keys (TAPs) come back; nothing is kept while not keeping. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"
#include "lib/host_files.h"

static void kept_file_outlives_its_path(void)
{
	const char *path = tmp_path("image");
	char buf[4] = "";
	int fd, again;

	write_file(path, "abcd", 4);
	host_files_keep(true);
	fd = host_file_open(path, O_RDONLY | O_CLOEXEC);
	host_files_keep(false);
	CHECK(fd >= 0);
	CHECK_EQ(host_files_count(), 1u);
	CHECK_EQ(read(fd, buf, 2), 2);		/* moves the shared offset */
	close(fd);
	CHECK_EQ(unlink(path), 0);		/* as if the root had changed */
	again = host_file_open(path, O_RDONLY | O_CLOEXEC);
	CHECK(again >= 0);
	CHECK_EQ(read(again, buf, 4), 4);	/* from offset 0 */
	CHECK(!memcmp(buf, "abcd", 4));
	close(again);
}

static void other_flags_are_plain_opens(void)
{
	const char *path = tmp_path("image");	/* unlinked by the case above */
	int fd = host_file_open(path, O_RDWR | O_CLOEXEC);

	CHECK_EQ(fd, -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(host_files_count(), 1u);
}

static void nothing_kept_when_not_keeping(void)
{
	const char *path = tmp_path("other");
	int fd;

	write_file(path, "x", 1);
	fd = host_file_open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(host_files_count(), 1u);
	CHECK_EQ(host_file_note("tap:t0", 0), 0);
	CHECK_EQ(host_file_kept("tap:t0"), -1);
}

static void noted_keys_come_back(void)
{
	int p[2], fd;
	char c = 0;

	CHECK_EQ(pipe(p), 0);
	host_files_keep(true);
	CHECK_EQ(host_file_note("tap:t1", p[0]), 0);
	host_files_keep(false);
	close(p[0]);
	fd = host_file_kept("tap:t1");
	CHECK(fd >= 0);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, 'z');
	CHECK_EQ(host_file_kept("tap:t2"), -1);
	close(fd);
	close(p[1]);
}

int main(void)
{
	if (!scratch_create("host-files"))
		return 1;
	RUN(kept_file_outlives_its_path);
	RUN(other_flags_are_plain_opens);
	RUN(nothing_kept_when_not_keeping);
	RUN(noted_keys_come_back);
	scratch_remove();
	CHECK_EXIT();
}
