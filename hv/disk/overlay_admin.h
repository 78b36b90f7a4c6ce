/* overlay_admin.h: offline operations on overlay files behind
 * `pvisor disk`: creating an overlay over a base, committing an overlay
 * into its base, describing one. Each takes the locks a running pvisor
 * takes, so none of them can run on an image in use. */
#ifndef PVISOR_BLK_OVERLAY_ADMIN_H
#define PVISOR_BLK_OVERLAY_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/overlay_format.h"

/* Creates top (which must not exist) over the raw image base: a header
 * naming base by its absolute path and fingerprint, an empty bitmap, a
 * sparse data area. Durable when it returns 0; -1 with err otherwise
 * (and top is not left behind). */
int overlay_create(const char *top_path, const char *base_path, char *err, size_t errlen);

struct overlay_commit_report {
	char base_path[OVL_BASE_PATH_MAX];  /* the base written              */
	uint64_t clusters;                  /* clusters copied into it       */
	bool resumed;                       /* an interrupted commit, redone */
};

/* Copies top's allocated clusters into its base (base_override, which
 * then becomes the recorded path, or the path in top's header when NULL),
 * makes the base durable, then empties
 * top and records the base's new fingerprint, so that top stays a valid,
 * empty overlay of the updated base. Marked in top's header while it
 * runs: an interrupted commit is redone by running it again. Returns 0
 * or -1 with err. */
int overlay_commit(const char *top_path, const char *base_override,
		   struct overlay_commit_report *report, char *err, size_t errlen);

enum overlay_base_state { OVL_BASE_OK, OVL_BASE_CHANGED, OVL_BASE_UNUSABLE };

struct overlay_info {
	struct ovl_header hdr;
	uint64_t allocated;             /* clusters, as of the last flush     */
	enum overlay_base_state base_state;
	char base_problem[256];         /* why, when not OVL_BASE_OK          */
};

/* Reads top's header and bitmap and looks at its base, taking no locks.
 * Returns 0 or -1 with err. */
int overlay_inspect(const char *top_path, struct overlay_info *info, char *err, size_t errlen);

#endif
