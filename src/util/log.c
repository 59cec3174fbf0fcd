/* SPDX-License-Identifier: MIT */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

static enum log_dest log_dest = LOG_DEST_STDERR;
static const char *log_prog = "tlspolicy";
static int log_verbose;
static int log_stamp;
static int log_info_on = 1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int log_init(const char *progname, enum log_dest dest, const char *facility)
{
	int fac = -1;

	if (progname)
		log_prog = progname;
	log_dest = dest;
	if (dest == LOG_DEST_SYSLOG) {
		if (facility == NULL)
			facility = "mail";
		for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcasecmp(facility, facilities[i].name) == 0)
				fac = facilities[i].facility;
		if (fac < 0)
			return -1;
		openlog(log_prog, LOG_PID | LOG_NDELAY, fac);
	}
	return 0;
}

void log_set_verbose(int level) { log_verbose = level; }
void log_set_timestamps(int on) { log_stamp = on; }
int log_get_verbose(void) { return log_verbose; }
void log_set_info(int on) { log_info_on = on; }

static void log_emit(int prio, const char *prefix, const char *fmt, va_list ap,
		     int with_errno, int saved_errno)
{
	char msg[2048];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved_errno));
	}
	if (log_dest == LOG_DEST_SYSLOG) {
		syslog(prio, "%s%s", prefix, msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	if (log_stamp) {
		struct timespec ts;
		struct tm tm;
		char tb[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%ld]: %s%s\n", tb, ts.tv_nsec / 1000000L,
			log_prog, (long)getpid(), prefix, msg);
	} else {
		fprintf(stderr, "%s: %s%s\n", log_prog, prefix, msg);
	}
	pthread_mutex_unlock(&log_lock);
}

#define LOG_BODY(prio, prefix, with_errno)                         \
	do {                                                       \
		int saved = errno;                                 \
		va_list ap;                                        \
		va_start(ap, fmt);                                 \
		log_emit(prio, prefix, fmt, ap, with_errno, saved); \
		va_end(ap);                                        \
		errno = saved;                                     \
	} while (0)

void log_debug(const char *fmt, ...)
{
	if (log_verbose < 1)
		return;
	LOG_BODY(LOG_DEBUG, "debug: ", 0);
}

void log_info(const char *fmt, ...)
{
	if (!log_info_on)
		return;
	LOG_BODY(LOG_INFO, "", 0);
}
void log_warn(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "warning: ", 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_WARNING, "warning: ", 0); }

void log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ", 1);
	exit(1);
}

void log_fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ", 0);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "panic: ", 0);
	abort();
}

char *printable(char *out, size_t outlen, const char *in, size_t inlen)
{
	size_t o = 0, i;

	if (outlen == 0)
		return out;
	for (i = 0; i < inlen && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < inlen && outlen > 4) {
		o = o > outlen - 4 ? outlen - 4 : o;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
