/* SPDX-License-Identifier: MIT */
/*
 * listener.c - opening the daemon's listening sockets (see listener.h).
 */
#include "server/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

int listener_spec_parse(const char *spec, char *host, size_t hostlen,
			char *port, size_t portlen, char *path, size_t pathlen,
			struct errbuf *why)
{
	const char *rest, *colon;
	size_t n;

	if (strncmp(spec, "unix:", 5) == 0) {
		rest = spec + 5;
		n = strlen(rest);
		if (n == 0 || rest[0] != '/')
			return errbuf_set(why, "%s: unix: needs an absolute path", spec);
		if (n >= pathlen || n >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return errbuf_set(why, "%s: path too long", spec);
		memcpy(path, rest, n + 1);
		return 1;
	}
	if (strncmp(spec, "inet:", 5) != 0)
		return errbuf_set(why, "%s: expected inet:HOST:PORT or unix:PATH", spec);
	rest = spec + 5;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (close == NULL || close[1] != ':')
			return errbuf_set(why, "%s: expected inet:[IPv6]:PORT", spec);
		n = (size_t)(close - rest - 1);
		if (n >= hostlen)
			return errbuf_set(why, "%s: host too long", spec);
		memcpy(host, rest + 1, n);
		host[n] = '\0';
		colon = close + 1;
	} else {
		if ((colon = strrchr(rest, ':')) == NULL)
			return errbuf_set(why, "%s: expected inet:HOST:PORT", spec);
		n = (size_t)(colon - rest);
		if (memchr(rest, ':', n) != NULL)
			return errbuf_set(why, "%s: put an IPv6 address in brackets", spec);
		if (n >= hostlen)
			return errbuf_set(why, "%s: host too long", spec);
		memcpy(host, rest, n);
		host[n] = '\0';
	}
	n = strlen(colon + 1);
	if (n == 0 || n >= portlen || strspn(colon + 1, "0123456789") != n ||
	    atol(colon + 1) < 1 || atol(colon + 1) > 65535)
		return errbuf_set(why, "%s: bad port", spec);
	memcpy(port, colon + 1, n + 1);
	return 0;
}

int listener_unix_opts_parse(const char *mode, const char *owner,
			     struct listener_unix_opts *uo, struct errbuf *why)
{
	char *end, user[256];
	const char *colon;
	unsigned long m;

	uo->uid = (uid_t)-1;
	uo->gid = (gid_t)-1;
	errno = 0;
	m = strtoul(mode, &end, 8);
	if (*mode == '\0' || *end != '\0' || errno || m > 07777)
		return errbuf_set(why, "unix_socket_mode: \"%s\" is not an octal mode", mode);
	uo->mode = (mode_t)m;
	if (owner == NULL || *owner == '\0')
		return 0;
	colon = strchr(owner, ':');
	if ((colon ? (size_t)(colon - owner) : strlen(owner)) >= sizeof(user))
		return errbuf_set(why, "unix_socket_owner: name too long");
	snprintf(user, sizeof(user), "%.*s",
		 (int)(colon ? (size_t)(colon - owner) : strlen(owner)), owner);
	if (*user) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL)
			return errbuf_set(why, "unix_socket_owner: unknown user \"%s\"", user);
		uo->uid = pw->pw_uid;
		uo->gid = pw->pw_gid;
	}
	if (colon && colon[1]) {
		struct group *gr = getgrnam(colon + 1);

		if (gr == NULL)
			return errbuf_set(why, "unix_socket_owner: unknown group \"%s\"",
					  colon + 1);
		uo->gid = gr->gr_gid;
	}
	return 0;
}

static int addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return s6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* l->name ("inet:ADDR:PORT", "inet:[ADDR]:PORT") and l->exposed of an
 * AF_INET or AF_INET6 socket address. */
static void inet_name(struct listener *l, const struct sockaddr *sa)
{
	char abuf[INET6_ADDRSTRLEN];

	l->exposed = !addr_is_loopback(sa);
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, abuf, sizeof(abuf));
		snprintf(l->name, sizeof(l->name), "inet:[%s]:%u", abuf,
			 (unsigned)ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, abuf, sizeof(abuf));
		snprintf(l->name, sizeof(l->name), "inet:%s:%u", abuf,
			 (unsigned)ntohs(sin->sin_port));
	}
}

static int open_unix(struct listener_set *set, const char *spec,
		     const char *path, const struct listener_unix_opts *uo,
		     struct errbuf *why)
{
	struct sockaddr_un sun;
	struct stat sb;
	struct listener *l;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &sb) == 0) {
		int probe;

		if (!S_ISSOCK(sb.st_mode))
			return errbuf_set(why, "%s: exists and is not a socket", spec);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			return errbuf_set(why, "%s: another server is listening there", spec);
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) < 0)
			return errbuf_set(why, "%s: remove stale socket: %s", spec,
					  strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errbuf_set(why, "%s: socket: %s", spec, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		errbuf_set(why, "%s: bind: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (chmod(path, uo->mode) < 0 ||
	    ((uo->uid != (uid_t)-1 || uo->gid != (gid_t)-1) &&
	     chown(path, uo->uid, uo->gid) < 0)) {
		errbuf_set(why, "%s: set mode/owner: %s", spec, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (listen(fd, LISTENER_BACKLOG) < 0) {
		errbuf_set(why, "%s: listen: %s", spec, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	l = &set->l[set->n++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->is_unix = 1;
	snprintf(l->name, sizeof(l->name), "unix:%s", path);
	if ((l->unix_path = strdup(path)) == NULL) {
		set->n--;
		close(fd);
		unlink(path);
		return errbuf_set(why, "out of memory");
	}
	return 0;
}

static int open_inet(struct listener_set *set, const char *spec,
		     const char *host, const char *port, struct errbuf *why)
{
	struct addrinfo hints, *res = NULL, *ai;
	size_t first = set->n;
	int rc, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (*host == '\0' || strcmp(host, "*") == 0)
		host = NULL;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return errbuf_set(why, "%s: %s", spec, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct listener *l;
		int fd;

		if (set->n >= LISTENER_MAX) {
			errbuf_set(why, "%s: too many listening sockets", spec);
			goto fail;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			errbuf_set(why, "%s: socket: %s", spec, strerror(errno));
			goto fail;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, LISTENER_BACKLOG) < 0) {
			errbuf_set(why, "%s: bind: %s", spec, strerror(errno));
			close(fd);
			goto fail;
		}
		l = &set->l[set->n++];
		memset(l, 0, sizeof(*l));
		l->fd = fd;
		inet_name(l, ai->ai_addr);
	}
	freeaddrinfo(res);
	return 0;
fail:
	freeaddrinfo(res);
	while (set->n > first)
		close(set->l[--set->n].fd);
	return -1;
}

int listener_open(struct listener_set *set, const char *spec,
		  const struct listener_unix_opts *uo, struct errbuf *why)
{
	char host[256], port[16], path[LISTENER_SPEC_MAX];
	int kind;

	if (set->n >= LISTENER_MAX)
		return errbuf_set(why, "%s: too many listening sockets", spec);
	kind = listener_spec_parse(spec, host, sizeof(host), port, sizeof(port),
				   path, sizeof(path), why);
	if (kind < 0)
		return -1;
	if (kind == 1)
		return open_unix(set, spec, path, uo, why);
	return open_inet(set, spec, host, port, why);
}

#ifdef HAVE_LIBSYSTEMD
/* One passed descriptor: a listening stream socket, made non-blocking. */
static int inherit_one(struct listener_set *set, int fd, struct errbuf *why)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct listener *l;
	int fl;

	if (set->n >= LISTENER_MAX)
		return errbuf_set(why, "socket activation: more than %d sockets passed",
				  LISTENER_MAX);
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
		return errbuf_set(why, "socket activation: descriptor %d is not a "
				  "listening stream socket (use ListenStream= in "
				  "tlspolicy.socket)", fd);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return errbuf_set(why, "socket activation: descriptor %d: getsockname: %s",
				  fd, strerror(errno));
	if (ss.ss_family != AF_UNIX && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6)
		return errbuf_set(why, "socket activation: descriptor %d: address family "
				  "%d is neither unix nor inet", fd, (int)ss.ss_family);
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errbuf_set(why, "socket activation: descriptor %d: %s", fd,
				  strerror(errno));
	l = &set->l[set->n++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
		size_t n = len > offsetof(struct sockaddr_un, sun_path)
			? len - offsetof(struct sockaddr_un, sun_path) : 0;

		l->is_unix = 1;
		if (n > 0 && sun->sun_path[0] == '\0') /* abstract */
			snprintf(l->name, sizeof(l->name), "unix:@%.*s", (int)(n - 1),
				 sun->sun_path + 1);
		else
			snprintf(l->name, sizeof(l->name), "unix:%.*s",
				 (int)strnlen(sun->sun_path, n), sun->sun_path);
	} else {
		inet_name(l, (const struct sockaddr *)&ss);
	}
	return 0;
}
#endif

int listener_inherit(struct listener_set *set, struct errbuf *why)
{
#ifdef HAVE_LIBSYSTEMD
	/* sd_listen_fds() checks LISTEN_PID, marks the descriptors
	 * close-on-exec and (1) unsets the variables. */
	int n = sd_listen_fds(1);

	if (n < 0)
		return errbuf_set(why, "socket activation: LISTEN_FDS: %s", strerror(-n));
	for (int i = 0; i < n; i++)
		if (inherit_one(set, SD_LISTEN_FDS_START + i, why) < 0)
			return -1;
	return n;
#else
	const char *pid = getenv("LISTEN_PID");

	(void)set;
	if (getenv("LISTEN_FDS") && pid && atol(pid) == (long)getpid())
		return errbuf_set(why, "socket activation: sockets were passed (LISTEN_FDS) "
				  "but tlspolicy was built without libsystemd; rebuild "
				  "with libsystemd-dev, or do not use tlspolicy.socket");
	return 0;
#endif
}

void listener_close_all(struct listener_set *set, int unlink_paths)
{
	for (size_t i = 0; i < set->n; i++) {
		struct listener *l = &set->l[i];

		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		if (l->unix_path) {
			if (unlink_paths)
				unlink(l->unix_path);
			free(l->unix_path);
			l->unix_path = NULL;
		}
	}
	set->n = 0;
}
