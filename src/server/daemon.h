/* SPDX-License-Identifier: MIT */
/*
 * daemon - process set-up of `tlspolicy serve`: open-files limit,
 * background start with a pid file, privilege drop.
 *
 * SECURITY: privileges are dropped in Postfix's order (chroot_uid.c):
 * the user is resolved first (a missing user is a start-up error),
 * listeners, pid file and database are opened as root, then
 * setgroups(), setresgid(), setresuid(); any failure is fatal, and the
 * drop is verified (regaining root must fail).
 */
#ifndef TP_SERVER_DAEMON_H
#define TP_SERVER_DAEMON_H

#include <sys/types.h>
#include "util/errbuf.h"

struct daemon_user {
	int drop;          /* 1: switch to uid/gid */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Decides whether and to whom to drop: only when running as root and
 * user is not "root".  A missing user is an error. */
int daemon_user_resolve(const char *user, struct daemon_user *du,
			struct errbuf *why);
int daemon_drop_privileges(const struct daemon_user *du, struct errbuf *why);

/* Marks every open descriptor above 2 close-on-exec (inherited ones,
 * and those libraries opened without the flag). */
void daemon_cloexec_inherited(void);

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the new
 * soft limit (or the old one when it could not be raised). */
long daemon_raise_nofile(void);

/*
 * Forks into the background.  The parent waits until the child calls
 * daemon_ready() (exit 0) or exits (with the child's status, its error
 * message already printed to stderr); it never returns.  The child gets
 * a new session and "/" as working directory; stdio stays open until
 * daemon_ready() so start-up errors reach the terminal.
 */
int daemon_background(struct errbuf *why);
/* In the child: tells the parent that start-up succeeded and points
 * stdin/stdout/stderr at /dev/null. */
void daemon_ready(void);

/*
 * Creates/locks the pid file (close-on-exec; the lock is held for the
 * process's lifetime).  Another running instance holding the lock is
 * an error naming its pid.  Returns the descriptor.
 */
int daemon_pidfile_open(const char *path, struct errbuf *why);
/* Writes our pid (after daemon_background). */
int daemon_pidfile_write(int fd, struct errbuf *why);

/*
 * Tells the service manager the daemon's state, sd_notify(3) style:
 * "READY=1\nSTATUS=...", "STOPPING=1".  Does nothing when the daemon
 * was not started by systemd (no NOTIFY_SOCKET) or tlspolicy was built
 * without libsystemd; a failure to notify is not an error.
 */
void daemon_notify(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
