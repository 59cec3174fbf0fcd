/* SPDX-License-Identifier: MIT */
/*
 * file.c - whole-file read with a limit, atomic replace (see file.h).
 */
#include "util/file.h"

#include "util/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_CHUNK 65536

enum file_status file_read_stream(FILE *fp, size_t max, char **text,
				  size_t *len, int *err)
{
	char *data = NULL, *nd;
	size_t n = 0, cap = 0, got;

	*text = NULL;
	*len = 0;
	for (;;) {
		if (cap - n < 2) {
			/* grow by doubling, never past max + 2 (one byte to see
			 * "too large", one for the NUL) */
			size_t ncap = cap ? cap * 2 : FILE_CHUNK;

			if (ncap > max + 2 || ncap < cap)
				ncap = max + 2;
			if ((nd = realloc(data, ncap)) == NULL) {
				free(data);
				return FILE_ERR_NOMEM;
			}
			data = nd;
			cap = ncap;
		}
		got = fread(data + n, 1, cap - n - 1, fp);
		n += got;
		if (n > max) {
			free(data);
			return FILE_ERR_TOO_LARGE;
		}
		if (got == 0) {
			if (ferror(fp)) {
				if (err)
					*err = errno ? errno : EIO;
				free(data);
				return FILE_ERR_READ;
			}
			break;
		}
	}
	data[n] = '\0';
	*text = data;
	*len = n;
	return FILE_OK;
}

enum file_status file_read(const char *path, size_t max, char **text,
			   size_t *len, int *err)
{
	FILE *fp = fopen(path, "rb");
	enum file_status st;

	*text = NULL;
	*len = 0;
	if (fp == NULL) {
		if (err)
			*err = errno;
		return FILE_ERR_OPEN;
	}
	errno = 0;
	st = file_read_stream(fp, max, text, len, err);
	fclose(fp);
	return st;
}

int file_read_why(enum file_status st, const char *path, size_t max, int err,
		  struct errbuf *why)
{
	switch (st) {
	case FILE_OK:
		break;
	case FILE_ERR_OPEN:
		return errbuf_set(why, "%s: %s", path, strerror(err));
	case FILE_ERR_READ:
		return errbuf_set(why, "%s: read error", path);
	case FILE_ERR_TOO_LARGE:
		return errbuf_set(why, "%s: larger than %zu bytes", path, max);
	case FILE_ERR_NOMEM:
		return errbuf_set(why, "%s: out of memory", path);
	}
	return -1;
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, gid_t gid, struct errbuf *why)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return errbuf_set(why, "%s: path too long", path);
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return errbuf_set(why, "cannot create %s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) < 0 || (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0))
		goto fail;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	errbuf_set(why, "cannot write %s: %s", path, strerror(saved));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}
