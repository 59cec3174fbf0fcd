/* SPDX-License-Identifier: MIT */
/*
 * listener - the daemon's listening sockets, opened before the event
 * loop exists (before daemonising and before privileges are dropped).
 *
 * Specs: inet:HOST:PORT (HOST a name, an IPv4 address or [IPv6]; an
 * empty HOST or "*" means every address), unix:PATH.  A name may give
 * several addresses; each gets a socket.  A stale unix socket is
 * replaced; a live one (something accepts on it) is an error.
 *
 * SECURITY: the socketmap protocol has no authentication; a listener on
 * a non-loopback address sets `exposed` so the caller can warn.  Every
 * descriptor is close-on-exec and non-blocking.
 */
#ifndef TP_SERVER_LISTENER_H
#define TP_SERVER_LISTENER_H

#include <stddef.h>
#include <sys/types.h>
#include "util/errbuf.h"

#define LISTENER_MAX 64          /* sockets in one set */
#define LISTENER_BACKLOG 1024
#define LISTENER_SPEC_MAX 512

struct listener {
	int fd;
	int is_unix;
	int exposed;               /* inet, not loopback */
	char name[LISTENER_SPEC_MAX]; /* "inet:127.0.0.1:8461", "unix:/path" */
	char *unix_path;           /* to unlink at exit */
};

struct listener_set {
	struct listener l[LISTENER_MAX];
	size_t n;
};

struct listener_unix_opts {
	mode_t mode;
	uid_t uid;                 /* (uid_t)-1: unchanged */
	gid_t gid;                 /* (gid_t)-1: unchanged */
};

/* Opens the sockets of one spec and adds them to set. */
int listener_open(struct listener_set *set, const char *spec,
		  const struct listener_unix_opts *uo, struct errbuf *why);
/* Closes every socket; unlink: also remove unix socket files. */
void listener_close_all(struct listener_set *set, int unlink_paths);

/* Parses the settings unix_socket_mode ("0660") and unix_socket_owner
 * ("user[:group]", "" = unchanged). */
int listener_unix_opts_parse(const char *mode, const char *owner,
			     struct listener_unix_opts *uo, struct errbuf *why);

/* Splits "inet:HOST:PORT" / "unix:PATH" (for the client side too).
 * host/port/path are written into the caller's buffers. Returns 0 for
 * inet, 1 for unix, -1 on a syntax error. */
int listener_spec_parse(const char *spec, char *host, size_t hostlen,
			char *port, size_t portlen, char *path, size_t pathlen,
			struct errbuf *why);

#endif
