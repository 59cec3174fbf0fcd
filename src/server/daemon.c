/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - process set-up of the daemon (see daemon.h).
 */
#include "server/daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

static int ready_fd = -1;

int daemon_user_resolve(const char *user, struct daemon_user *du,
			struct errbuf *why)
{
	struct passwd *pw;

	memset(du, 0, sizeof(*du));
	if (geteuid() != 0 || user == NULL || *user == '\0' || strcmp(user, "root") == 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return errbuf_set(why, "user \"%s\" (setting user) does not exist%s%s; "
				  "create it, or set user = root to keep root",
				  user, errno ? ": " : "", errno ? strerror(errno) : "");
	if (pw->pw_uid == 0)
		return errbuf_set(why, "user \"%s\" has uid 0; use user = root "
				  "to run as root", user);
	du->drop = 1;
	du->uid = pw->pw_uid;
	du->gid = pw->pw_gid;
	snprintf(du->name, sizeof(du->name), "%s", user);
	return 0;
}

int daemon_drop_privileges(const struct daemon_user *du, struct errbuf *why)
{
	if (!du->drop)
		return 0;
	if (setgroups(1, &du->gid) < 0)
		return errbuf_set(why, "setgroups(%lu): %s", (unsigned long)du->gid,
				  strerror(errno));
	if (setresgid(du->gid, du->gid, du->gid) < 0)
		return errbuf_set(why, "setresgid(%lu): %s", (unsigned long)du->gid,
				  strerror(errno));
	if (setresuid(du->uid, du->uid, du->uid) < 0)
		return errbuf_set(why, "setresuid(%lu): %s", (unsigned long)du->uid,
				  strerror(errno));
	if (getuid() != du->uid || geteuid() != du->uid || getgid() != du->gid ||
	    getegid() != du->gid)
		return errbuf_set(why, "privileges not dropped to %s", du->name);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return errbuf_set(why, "could regain root after dropping to %s", du->name);
	return 0;
}

void daemon_cloexec_inherited(void)
{
	DIR *d;
	struct dirent *de;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Older kernels: walk /proc/self/fd. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name), fl;

		if (fd < 3 || fd == dirfd(d))
			continue;
		if ((fl = fcntl(fd, F_GETFD)) >= 0)
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	closedir(d);
}

long daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return (long)old;
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
}

int daemon_background(struct errbuf *why)
{
	int p[2], status;
	pid_t pid;
	char c;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return errbuf_set(why, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return errbuf_set(why, "fork: %s", strerror(errno));
	}
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			_exit(0);
		/* The child exited (or crashed) before it was ready. */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		return errbuf_set(why, "setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		return errbuf_set(why, "chdir /: %s", strerror(errno));
	return 0;
}

void daemon_ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	(void)!write(ready_fd, "r", 1);
	close(ready_fd);
	ready_fd = -1;
}

int daemon_pidfile_open(const char *path, struct errbuf *why)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errbuf_set(why, "pid file %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			return errbuf_set(why, "already running (pid %s, pid file %s)",
					  *buf ? buf : "?", path);
		return errbuf_set(why, "pid file %s: lock: %s", path, strerror(e));
	}
	return fd;
}

int daemon_pidfile_write(int fd, struct errbuf *why)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return errbuf_set(why, "write pid file: %s", strerror(errno));
	return 0;
}

void daemon_notify(const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)sd_notify(0, buf);
#else
	(void)fmt;
#endif
}
