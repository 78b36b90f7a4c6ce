/* disk_cmd.c: `pvisor disk create-overlay|commit|info` (disk_cmd.h). */
#include <stdio.h>
#include <string.h>

#include "disk/blkio.h"
#include "disk/disk.h"
#include "cli/disk_cmd.h"
#include "disk/overlay_admin.h"
#include "lib/log.h"

#define ERR_LEN 512

static void disk_usage(FILE *out)
{
	fprintf(out,
		"usage: pvisor disk create-overlay TOP BASE   make TOP, an empty copy-on-write\n"
		"                                             overlay over the raw image BASE\n"
		"       pvisor disk commit TOP [BASE]         write TOP's changes into its base\n"
		"                                             (BASE overrides the recorded path),\n"
		"                                             then empty TOP\n"
		"       pvisor disk info IMAGE                describe a raw image or an overlay\n"
		"\n"
		"Use an overlay with: pvisor run --disk BASE,overlay=TOP ...\n");
}

static int fail(const char *err)
{
	log_error("%s", err);
	return PVISOR_EXIT_ERROR;
}

static int cmd_create_overlay(int argc, char **argv)
{
	char err[ERR_LEN];

	if (argc != 3) {
		log_error("disk create-overlay takes TOP and BASE (try 'pvisor disk help')");
		return PVISOR_EXIT_ERROR;
	}
	if (overlay_create(argv[1], argv[2], err, sizeof(err)) < 0)
		return fail(err);
	printf("created overlay %s over %s\n", argv[1], argv[2]);
	return 0;
}

static int cmd_commit(int argc, char **argv)
{
	struct overlay_commit_report report;
	char err[ERR_LEN];

	if (argc != 2 && argc != 3) {
		log_error("disk commit takes TOP and optionally BASE (try 'pvisor disk help')");
		return PVISOR_EXIT_ERROR;
	}
	if (overlay_commit(argv[1], argc == 3 ? argv[2] : NULL, &report, err, sizeof(err)) < 0)
		return fail(err);
	printf("%s %llu cluster(s) of %s into %s; %s is empty now\n",
	       report.resumed ? "finished an interrupted commit:" : "committed",
	       (unsigned long long)report.clusters, argv[1], report.base_path, argv[1]);
	return 0;
}

static void print_size(uint64_t bytes)
{
	printf("size: %llu bytes (%llu sectors)\n", (unsigned long long)bytes,
	       (unsigned long long)(bytes / BLK_SECTOR));
}

static int info_raw(const char *path, const struct blk_image *img)
{
	char id[DISK_ID_BYTES + 1] = "";
	char why[160] = "";

	disk_make_id(&img->st, id);
	printf("image: %s\nformat: raw%s\n", path, img->block_device ? " (block device)" : "");
	print_size(img->size);
	printf("id: %.*s\n", (int)DISK_ID_BYTES, id);
	if (blkio_uring_available(why, sizeof(why)))
		printf("io: io_uring (io=auto uses it)\n");
	else
		printf("io: threads (io_uring unavailable: %s)\n", why);
	return 0;
}

static const char *base_state_text(const struct overlay_info *info)
{
	return info->base_state == OVL_BASE_OK ? "unchanged" : info->base_problem;
}

static int info_overlay(const char *path)
{
	struct overlay_info info;
	char err[ERR_LEN];

	if (overlay_inspect(path, &info, err, sizeof(err)) < 0)
		return fail(err);
	printf("image: %s\nformat: pvisor overlay, version %u\n", path, info.hdr.version);
	print_size(info.hdr.virtual_size);
	printf("cluster size: %llu bytes\n", (unsigned long long)ovl_cluster_size(&info.hdr));
	printf("allocated: %llu of %llu clusters (as of the last flush)\n",
	       (unsigned long long)info.allocated,
	       (unsigned long long)ovl_cluster_count(&info.hdr));
	printf("base: %s (%s)\n", info.hdr.base_path, base_state_text(&info));
	if (info.hdr.flags & OVL_FLAG_COMMITTING)
		printf("commit: interrupted; run 'pvisor disk commit %s' to finish it\n", path);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	struct blk_image img;
	char err[ERR_LEN];
	bool overlay;
	int code;

	if (argc != 2) {
		log_error("disk info takes one IMAGE (try 'pvisor disk help')");
		return PVISOR_EXIT_ERROR;
	}
	if (blk_image_open(&img, argv[1], BLK_IMAGE_NO_LOCK, err, sizeof(err)) < 0)
		return fail(err);
	overlay = ovl_has_magic(img.fd);
	code = overlay ? info_overlay(argv[1]) : info_raw(argv[1], &img);
	blk_image_close(&img);
	return code;
}

int disk_command(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub) {
		log_error("disk needs a command: create-overlay, commit or info (try 'pvisor disk "
			  "help')");
		return PVISOR_EXIT_ERROR;
	}
	if (!strcmp(sub, "help") || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		disk_usage(stdout);
		return 0;
	}
	if (!strcmp(sub, "create-overlay"))
		return cmd_create_overlay(argc - 1, argv + 1);
	if (!strcmp(sub, "commit"))
		return cmd_commit(argc - 1, argv + 1);
	if (!strcmp(sub, "info"))
		return cmd_info(argc - 1, argv + 1);
	log_error("unknown disk command '%s' (try 'pvisor disk help')", sub);
	return PVISOR_EXIT_ERROR;
}
