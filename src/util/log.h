/* SPDX-License-Identifier: MIT */
/*
 * log - logging to stderr (foreground, CLI) or syslog (daemon).
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  log_fatal()
 * is for a broken environment and exits 1; log_panic() is for our own
 * bugs and aborts.  Untrusted text must go through printable() first.
 */
#ifndef TP_UTIL_LOG_H
#define TP_UTIL_LOG_H

#include <stddef.h>

enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG };

/* facility: a syslog facility name such as "mail"; NULL means "mail". */
int log_init(const char *progname, enum log_dest dest, const char *facility);
void log_set_verbose(int level);
int log_get_verbose(void);
/* stderr lines begin with the local time (ISO 8601, milliseconds) and
 * the pid, as syslog would add them: the foreground daemon. */
void log_set_timestamps(int on);
/* on = 0: log_info() lines are dropped (the report commands: informational
 * lines only with -v, so cron mails only what matters); default on. */
void log_set_info(int on);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * printable - copy at most `max` bytes of untrusted text into `out`
 * (size outlen), replacing non-printable bytes by '?' and appending
 * "..." when cut.  Returns out.
 */
char *printable(char *out, size_t outlen, const char *in, size_t inlen);

#endif
