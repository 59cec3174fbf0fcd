/* SPDX-License-Identifier: MIT */
/*
 * test_file.c - util/file: the whole-file read with its limit (exactly
 * at, one past, empty, missing, a directory, NUL bytes kept) and the
 * atomic replace (content, mode, no temporary file left, failure
 * leaves the old file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errbuf.h"
#include "util/file.h"

static char dir[] = "/tmp/tp-test-file-XXXXXX";

static void put(const char *name, const char *data, size_t n)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(fp = fopen(p, "wb"));
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
}

static const char *at(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void test_read(void **state)
{
	char *t;
	size_t n;
	int err = 0;

	(void)state;
	put("ten", "0123456789", 10);
	assert_int_equal(file_read(at("ten"), 10, &t, &n, &err), FILE_OK);
	assert_int_equal(n, 10);
	assert_string_equal(t, "0123456789");
	free(t);
	assert_int_equal(file_read(at("ten"), 9, &t, &n, &err), FILE_ERR_TOO_LARGE);
	assert_null(t);

	put("empty", "", 0);
	assert_int_equal(file_read(at("empty"), 10, &t, &n, &err), FILE_OK);
	assert_int_equal(n, 0);
	assert_string_equal(t, "");
	free(t);

	put("nul", "a\0b", 3);
	assert_int_equal(file_read(at("nul"), 10, &t, &n, &err), FILE_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a\0b\0", 4);
	free(t);

	assert_int_equal(file_read(at("missing"), 10, &t, &n, &err), FILE_ERR_OPEN);
	assert_int_equal(err, ENOENT);
	assert_int_equal(file_read(dir, 10, &t, &n, &err), FILE_ERR_READ);
	assert_int_equal(err, EISDIR);
}

static void test_read_big(void **state)
{
	size_t big = 300000;      /* several chunks */
	char *data = malloc(big), *t;
	size_t n;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	put("big", data, big);
	assert_int_equal(file_read(at("big"), big, &t, &n, NULL), FILE_OK);
	assert_int_equal(n, big);
	assert_memory_equal(t, data, big);
	free(t);
	assert_int_equal(file_read(at("big"), big - 1, &t, &n, NULL), FILE_ERR_TOO_LARGE);
	free(data);
}

static void test_read_why(void **state)
{
	struct errbuf why;

	(void)state;
	assert_int_equal(file_read_why(FILE_ERR_OPEN, "/x", 10, ENOENT, &why), -1);
	assert_string_equal(why.msg, "/x: No such file or directory");
	file_read_why(FILE_ERR_READ, "/x", 10, EIO, &why);
	assert_string_equal(why.msg, "/x: read error");
	file_read_why(FILE_ERR_TOO_LARGE, "/x", 10, 0, &why);
	assert_string_equal(why.msg, "/x: larger than 10 bytes");
	file_read_why(FILE_ERR_NOMEM, "/x", 10, 0, &why);
	assert_string_equal(why.msg, "/x: out of memory");
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int k = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			k++;
	closedir(d);
	return k;
}

static void test_atomic(void **state)
{
	struct errbuf why = { "" };
	struct stat st;
	char *t;
	size_t n;
	int before;

	(void)state;
	put("old", "old", 3);
	before = entries();
	assert_int_equal(file_write_atomic(at("old"), "new text", 8, 0640, (gid_t)-1, &why), 0);
	assert_int_equal(file_read(at("old"), 100, &t, &n, NULL), FILE_OK);
	assert_string_equal(t, "new text");
	free(t);
	assert_int_equal(stat(at("old"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(entries(), before);           /* no temporary file left */

	/* a directory in the way: fails, says so, leaves nothing */
	assert_int_equal(mkdir(at("adir"), 0755), 0);
	before = entries();
	assert_int_equal(file_write_atomic(at("adir"), "x", 1, 0644, (gid_t)-1, &why), -1);
	assert_non_null(strstr(why.msg, "cannot write"));
	assert_int_equal(entries(), before);
	assert_int_equal(rmdir(at("adir")), 0);

	/* no such directory: cannot create the temporary file */
	assert_int_equal(file_write_atomic("/nonexistent-tp/x", "x", 1, 0644, (gid_t)-1, &why), -1);
	assert_non_null(strstr(why.msg, "cannot create /nonexistent-tp/x.tmp."));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_big),
		cmocka_unit_test(test_read_why),
		cmocka_unit_test(test_atomic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
