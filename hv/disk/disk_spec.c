/* disk_spec.c: parsing the value of --disk (disk_spec.h). */
#include <stdio.h>
#include <string.h>

#include "disk/disk_spec.h"

#define SPEC_OPTIONS "ro, overlay=FILE, direct, io=uring|threads|auto"

struct spec_parse {
	char *err;
	size_t errlen;
	unsigned seen;         /* one bit per option, to refuse repeats */
};

enum { SEEN_RO = 1, SEEN_OVERLAY = 2, SEEN_DIRECT = 4, SEEN_IO = 8 };

static int spec_fail(struct spec_parse *p, const char *what, const char *name)
{
	snprintf(p->err, p->errlen, "%s%s%s%s", what, name ? " '" : "", name ? name : "",
		 name ? "'" : "");
	return -1;
}

/* Copies [s, s+len) into dst (DISK_PATH_MAX bytes) as a string. */
static int copy_path(struct spec_parse *p, char *dst, const char *s, size_t len, const char *what)
{
	if (len == 0)
		return spec_fail(p, what, NULL);
	if (len >= DISK_PATH_MAX)
		return spec_fail(p, "path is too long", NULL);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int mark_seen(struct spec_parse *p, unsigned bit, const char *key)
{
	if (p->seen & bit)
		return spec_fail(p, "option given twice:", key);
	p->seen |= bit;
	return 0;
}

static int parse_engine(struct spec_parse *p, const char *value, struct disk_config *cfg)
{
	if (!strcmp(value, "auto"))
		cfg->engine = DISK_IO_AUTO;
	else if (!strcmp(value, "uring") || !strcmp(value, "io_uring"))
		cfg->engine = DISK_IO_URING;
	else if (!strcmp(value, "threads"))
		cfg->engine = DISK_IO_THREADS;
	else
		return spec_fail(p, "io= takes uring, threads or auto, not", value);
	return 0;
}

/* "ro" or "direct": a flag that takes no value. */
static int parse_flag(struct spec_parse *p, const char *key, const char *value, unsigned bit,
		      bool *flag)
{
	if (value)
		return spec_fail(p, "this option takes no value:", key);
	if (mark_seen(p, bit, key) < 0)
		return -1;
	*flag = true;
	return 0;
}

/* One "key" or "key=value" option, already cut out of the spec. */
static int parse_option(struct spec_parse *p, char *opt, struct disk_config *cfg)
{
	char *value = strchr(opt, '=');

	if (value)
		*value++ = '\0';
	if (!strcmp(opt, "ro"))
		return parse_flag(p, opt, value, SEEN_RO, &cfg->readonly);
	if (!strcmp(opt, "direct"))
		return parse_flag(p, opt, value, SEEN_DIRECT, &cfg->direct);
	if (!strcmp(opt, "overlay")) {
		if (mark_seen(p, SEEN_OVERLAY, opt) < 0)
			return -1;
		return copy_path(p, cfg->overlay, value ? value : "", value ? strlen(value) : 0,
				 "overlay= needs a file name");
	}
	if (!strcmp(opt, "io")) {
		if (mark_seen(p, SEEN_IO, opt) < 0)
			return -1;
		return parse_engine(p, value ? value : "", cfg);
	}
	if (!opt[0])
		return spec_fail(p, "empty option (stray comma?)", NULL);
	return spec_fail(p, "unknown option (expected " SPEC_OPTIONS "):", opt);
}

int disk_parse_spec(const char *spec, struct disk_config *cfg, char *err, size_t errlen)
{
	struct spec_parse p = { .err = err, .errlen = errlen };
	const char *comma = strchr(spec, ',');
	size_t path_len = comma ? (size_t)(comma - spec) : strlen(spec);
	char opt[DISK_PATH_MAX + 16];

	memset(cfg, 0, sizeof(*cfg));
	if (copy_path(&p, cfg->path, spec, path_len, "no image path") < 0)
		return -1;
	while (comma) {
		const char *start = comma + 1;
		size_t len;

		comma = strchr(start, ',');
		len = comma ? (size_t)(comma - start) : strlen(start);
		if (len >= sizeof(opt))
			return spec_fail(&p, "option is too long", NULL);
		memcpy(opt, start, len);
		opt[len] = '\0';
		if (parse_option(&p, opt, cfg) < 0)
			return -1;
	}
	if (cfg->engine == DISK_IO_URING && disk_config_has_overlay(cfg))
		return spec_fail(&p, "io=uring cannot serve an overlay (overlay I/O uses the thread "
				 "pool; drop io=)", NULL);
	return 0;
}
