/* test_config_file.c: a JSON domain configuration becomes `run` options
 * (cli/config_file.c): every key and value kind, lists in order, numbers
 * as written, the image last; and every malformed file is refused (the
 * end-to-end error lines are checked by tests/suites/config.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cli/config_file.h"

static char path[] = "/tmp/pvisor-test-config-XXXXXX";

static void write_config(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* The args joined by single spaces. */
static void joined(const struct config_args *a, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < a->argc; i++) {
		strncat(buf, a->argv[i], len - strlen(buf) - 1);
		if (i + 1 < a->argc)
			strncat(buf, " ", len - strlen(buf) - 1);
	}
}

static void every_key(void)
{
	struct config_args a;
	char s[512];

	write_config("{\"mem\": \"128M\", \"mode\": \"hybrid\", \"cmdline\": \"x=1 y\",\n"
		     " \"timeout\": 2.5, \"disk\": [\"a.img\", \"b.img,ro\"], \"net\": \"tap=t0\",\n"
		     " \"stats\": true, \"verbose\": false, \"image\": \"g.elf\"}\n");
	CHECK_EQ(config_file_load(path, &a), 0);
	joined(&a, s, sizeof(s));
	CHECK_STR(s, "run --mem 128M --mode hybrid --cmdline x=1 y --timeout 2.5 --disk a.img "
		     "--disk b.img,ro --net tap=t0 --stats -- g.elf");
	CHECK(a.argv[a.argc] == NULL);
	config_args_free(&a);
	CHECK_EQ(a.argc, 0);
}

static void numbers_as_written(void)
{
	struct config_args a;
	char s[128];

	write_config("{\"mem\": 64, \"timeout\": 30}");
	CHECK_EQ(config_file_load(path, &a), 0);
	joined(&a, s, sizeof(s));
	CHECK_STR(s, "run --mem 64 --timeout 30");
	config_args_free(&a);
}

/* The image goes after "--", so getopt takes it as the image even when it
 * is named like an option (tests/fuzz/corpus/fuzz_config/image-is-option). */
static void image_named_like_an_option(void)
{
	struct config_args a;
	char s[128];

	write_config("{\"image\": \"--no-seccomp\", \"mem\": \"64M\"}");
	CHECK_EQ(config_file_load(path, &a), 0);
	joined(&a, s, sizeof(s));
	CHECK_STR(s, "run --mem 64M -- --no-seccomp");
	config_args_free(&a);
}

static void empty_object(void)
{
	struct config_args a;

	write_config(" {} \n");
	CHECK_EQ(config_file_load(path, &a), 0);
	CHECK_EQ(a.argc, 1);
	CHECK_STR(a.argv[0], "run");
	config_args_free(&a);
}

static void refused(void)
{
	static const char *const bad[] = {
		"", "{", "{\"mem\": }", "{} {}", "[]", "7", "\"mem\"", "null",
		"{\"memory\": 1}", "{\"stats\": 1}", "{\"stats\": \"true\"}", "{\"mem\": true}",
		"{\"mem\": null}", "{\"mem\": {}}", "{\"disk\": 3}", "{\"disk\": [\"a\", null]}",
		"{\"disk\": [[\"a\"]]}", "{\"cmdline\": \"a\\u0000b\"}", "{\"image\": [\"g.elf\"]}",
		"{\"net\": [\"tap=x\\u0000\"]}",
	};
	struct config_args a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_config(bad[i]);
		CHECK_EQ(config_file_load(path, &a), -1);
		CHECK(a.argv == NULL && a.argc == 0);
	}
	CHECK_EQ(config_file_load("/nonexistent/pvisor.json", &a), -1);
	CHECK_EQ(config_file_load("/tmp", &a), -1);
}

static void size_limit(void)
{
	struct config_args a;
	FILE *f = fopen(path, "w");

	fputc('{', f);
	for (unsigned i = 0; i < CONFIG_FILE_MAX_BYTES; i++)
		fputc(' ', f);
	fputc('}', f);
	fclose(f);
	CHECK_EQ(config_file_load(path, &a), -1);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	RUN(every_key);
	RUN(numbers_as_written);
	RUN(image_named_like_an_option);
	RUN(empty_object);
	RUN(refused);
	RUN(size_limit);
	unlink(path);
	CHECK_EXIT();
}
