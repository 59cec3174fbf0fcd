/* SPDX-License-Identifier: MIT */
/*
 * own/webcert.c - read the expiry of an HTTPS server's certificate
 * (webcert.h).
 */
#include "own/webcert.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *host, unsigned port, unsigned ms,
		      struct errbuf *why)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%u", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		return errbuf_set(why, "%s: %s", host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)ms) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err != 0) {
			if (err == 0)
				err = ETIMEDOUT;
			close(fd);
			fd = -1;
			continue;
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return errbuf_set(why, "%s:%u: %s", host, port, strerror(err ? err : EHOSTUNREACH));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	{
		struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

int own_webcert_expiry(const char *host, unsigned port, unsigned timeout_ms,
		       long long *not_after, struct errbuf *why)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *x = NULL;
	int fd, rc = -1;
	struct tm tm;

	*not_after = 0;
	if ((fd = connect_to(host, port ? port : 443, timeout_ms ? timeout_ms : 10000,
			     why)) < 0)
		return -1;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL) {
		errbuf_set(why, "OpenSSL: out of memory");
		goto out;
	}
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		unsigned long e = ERR_get_error();

		errbuf_set(why, "%s:%u: TLS handshake failed%s%s", host, port ? port : 443,
			   e ? ": " : "", e ? ERR_reason_error_string(e) : "");
		goto out;
	}
	if ((x = SSL_get1_peer_certificate(ssl)) == NULL) {
		errbuf_set(why, "%s: no certificate", host);
		goto out;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) {
		errbuf_set(why, "%s: unreadable notAfter", host);
		goto out;
	}
	*not_after = (long long)timegm(&tm);
	rc = 0;
	SSL_shutdown(ssl);
out:
	X509_free(x);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return rc;
}
