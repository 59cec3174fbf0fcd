/* SPDX-License-Identifier: MIT */
/*
 * cmd_tlsrpt.c - tlspolicy tlsrpt collect|report|status|intake: SMTP TLS
 * Reporting (RFC 8460) on any Postfix (issue 15).
 *
 *   collect [--from-start] [LOG...]   reads the Postfix logs (setting
 *        tlsrpt_logs) from where the last run stopped and adds the TLS
 *        session outcomes to the database; a log rotated to LOG.1 since
 *        is read to its end first.  Counts and offsets are written in
 *        one transaction: a run that fails counts nothing.
 *   report [--day DAY] [--domain D]... [--dry-run|--print]  builds one
 *        report per domain and UTC day before today (or DAY) from every
 *        server's rows, looks up _smtp._tls.DOMAIN and sends it to each
 *        rua: mailto: through sendmail(1), https: by POST.  A report is
 *        claimed in the database before it is sent and marked sent after,
 *        so it goes out once whichever server runs first; --print writes
 *        the JSON instead (nothing sent or recorded), --dry-run says what
 *        would be sent.
 *   status  what was sent, claimed or failed.
 *   intake  see cmd_tlsrpt_intake.c.
 *
 * Exit: 0 ok; 1 an error (a log unreadable, the database, a report that
 * failed to go out: retried by the next run); 2 usage.
 */
#include "cli/cli.h"
#include "dns/dns.h"
#include "dns/rr.h"
#include "mtasts/sts_txt.h"
#include "store/store.h"
#include "store/store_tlsrpt.h"
#include "store/store_sts.h"
#include "tlsrpt/db.h"
#include "tlsrpt/outcome.h"
#include "tlsrpt/report.h"
#include "tlsrpt/tally.h"
#include "tlsrpt/txt.h"
#include "util/config.h"
#include "util/json.h"
#include "util/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define TLSRPT_CLI_LOGS 64
#define TLSRPT_CLI_DOMAINS 1000
#define TLSRPT_CLI_SESSIONS 1000000 /* distinct outcome keys per collect run */
#define READ_CHUNK (256 * 1024)

int cmd_tlsrpt_intake(struct cli *cli, int argc, char **argv);

static void tlsrpt_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy tlsrpt collect [--from-start] [LOG...]\n"
		"       tlspolicy tlsrpt report [--day YYYY-MM-DD [--unfinished]] [--domain D]...\n"
		"                               [--dry-run|--print]\n"
		"       tlspolicy tlsrpt status [--json]\n"
		"       tlspolicy tlsrpt intake [--maildir DIR | FILE... | -] [--summary]\n"
		"\n"
		"SMTP TLS Reporting (RFC 8460) for the domains Postfix delivers to:\n"
		"  collect  add TLS session outcomes from the Postfix logs (incremental)\n"
		"  report   send the daily reports of finished UTC days (once per domain,\n"
		"           day and rua, across servers sharing the database)\n"
		"  status   reports sent, claimed, failed\n"
		"  intake   store reports received for our own domains; --summary\n"
		"\n"
		"Settings: tlsrpt_logs, tlsrpt_mta, tlsrpt_sending_mta_ip, tlsrpt_organization,\n"
		"tlsrpt_contact, tlsrpt_submitter, tlsrpt_report_from, tlsrpt_sendmail,\n"
		"tlsrpt_claim_timeout, tlsrpt_max_days (tlspolicy.cf(5)).\n");
}

static const char *mta_name(const struct config *cfg, char *buf, size_t len)
{
	const char *m = config_get(cfg, "tlsrpt_mta");

	if (m && *m)
		return m;
	if (gethostname(buf, len) < 0 || buf[0] == '\0')
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

static const char *report_from(const struct config *cfg, char *buf, size_t len)
{
	const char *f = config_get(cfg, "tlsrpt_report_from");

	if (f && *f) {
		snprintf(buf, len, "%s", f);
		return buf;
	}
	snprintf(buf, len, "noreply-smtp-tls-reporting@%s",
		 *config_get(cfg, "tlsrpt_submitter") ? config_get(cfg, "tlsrpt_submitter") :
							"localhost");
	return buf;
}

/* ---- collect ------------------------------------------------------------ */

struct collect_run {
	struct tally t;
	int bad_key;
	struct tlsrpt_timeline *tl; /* which policy each session was under */
	unsigned long no_policy;    /* timeline errors */
	char db_error[ERRBUF_MAX];
};

static void on_outcome(void *arg, const struct tlsrpt_outcome *o)
{
	struct collect_run *r = arg;
	const char *f[TS_NFIELDS], *pk = "";
	char key[1024];
	struct errbuf why = { 0 };

	if (r->tl && (pk = tlsrpt_timeline_pick(r->tl, o->domain, o->day, o->when, &why)) == NULL) {
		pk = "";
		r->no_policy++;
		snprintf(r->db_error, sizeof(r->db_error), "%s", why.msg);
	}
	f[TS_POLICY] = pk;
	f[TS_DOMAIN] = o->domain;
	f[TS_DAY] = o->day;
	f[TS_MX_HOST] = o->mx_host;
	f[TS_MX_IP] = o->mx_ip;
	f[TS_RESULT] = tlsrpt_result_name(o->result);
	if (tally_key(key, sizeof(key), f, TS_NFIELDS) < 0) {
		r->bad_key++;
		return;
	}
	(void)tally_add(&r->t, key, 1);
}

/* Feeds fd from offset to the last complete line; *end = the offset after
 * it.  Returns 0 or -1 (errno). */
static int feed_fd(struct tlsrpt_collector *c, int fd, long long offset, long long *end)
{
	char *buf = malloc(READ_CHUNK + TLSRPT_LINE_MAX + 1);
	size_t have = 0;
	long long pos = offset;

	if (buf == NULL)
		return -1;
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		free(buf);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, READ_CHUNK);
		size_t start = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);

			if (nl == NULL)
				break;
			tlsrpt_collector_line(c, buf + start, (size_t)(nl - (buf + start)));
			pos += nl - (buf + start) + 1;
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have > TLSRPT_LINE_MAX) { /* an endless line: skip it */
			pos += (long long)have;
			have = 0;
		}
	}
	free(buf);
	*end = pos;
	return 0;
}

static int collect_one(struct cli *cli, struct store *st, const char *mta, const char *mta_ip,
		       const char *guard, const char *path, int from_start)
{
	struct errbuf why = { 0 };
	struct collect_run run;
	struct tlsrpt_collector *c = NULL;
	long long inode = 0, offset = 0, end = 0;
	struct stat sb;
	int fd, found, rc = EXIT_FAIL;
	char rotated[PATH_MAX + 8], abs[PATH_MAX], *state = NULL;
	const char *where = "";
	struct buf saved = { 0 };

	(void)cli;
	memset(&run, 0, sizeof(run));
	tally_init(&run.t, TLSRPT_CLI_SESSIONS);
	if ((run.tl = tlsrpt_timeline_new(st, mta)) == NULL) {
		cli_error("tlsrpt collect", "out of memory");
		goto out;
	}
	if ((c = tlsrpt_collector_new(on_outcome, &run)) == NULL) {
		cli_error("tlsrpt collect", "out of memory");
		goto out;
	}
	tlsrpt_collector_ignore_sender(c, guard);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
		cli_error("tlsrpt collect", "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	tlsrpt_collector_reftime(c, sb.st_mtime);
	/* the saved offset belongs to the file's absolute name */
	if (realpath(path, abs) != NULL)
		path = abs;
	if ((found = tlsrpt_db_offset(st, mta, path, &inode, &offset, &state, &why)) < 0) {
		cli_error("tlsrpt collect", "%s", why.msg);
		close(fd);
		goto out;
	}
	if (from_start)
		found = 0, offset = 0;
	else if (found && state)
		tlsrpt_collector_load(c, state); /* sessions open at the last run's end */
	if (found && (long long)sb.st_ino != inode) {
		/* rotated: finish the old file where logrotate put it */
		struct stat rb;
		int rfd;

		snprintf(rotated, sizeof(rotated), "%s.1", path);
		if ((rfd = open(rotated, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(rfd, &rb) == 0 &&
		    (long long)rb.st_ino == inode && rb.st_size >= offset) {
			long long rend;

			if (feed_fd(c, rfd, offset, &rend) < 0) {
				cli_error("tlsrpt collect", "%s: %s", rotated, strerror(errno));
				close(rfd);
				close(fd);
				goto out;
			}
			where = " (and the rotated LOG.1)";
		} else {
			log_warnx("tlsrpt collect: %s was rotated and the old file is not at %s: "
				 "lines after offset %lld of it are not counted", path, rotated, offset);
		}
		if (rfd >= 0)
			close(rfd);
		offset = 0;
	} else if (found && sb.st_size < offset) {
		log_warnx("tlsrpt collect: %s is shorter than where the last run stopped "
			 "(truncated): reading it from the start", path);
		offset = 0;
	}
	if (feed_fd(c, fd, offset, &end) < 0) {
		cli_error("tlsrpt collect", "%s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	buf_init(&saved, STORE_TLSRPT_TEXT_MAX);
	if (tlsrpt_collector_save(c, &saved) < 0)
		log_warnx("tlsrpt collect: %s: the open sessions do not fit in %d bytes; "
			  "some may count as clear text next run", path, STORE_TLSRPT_TEXT_MAX);
	if (tlsrpt_db_add_sessions(st, mta, mta_ip, &run.t, path, (long long)sb.st_ino, end,
				   saved.data ? saved.data : "", &why) < 0) {
		cli_error("tlsrpt collect", "%s", why.msg);
		goto out;
	}
	{
		const struct tlsrpt_collect_counts *n = tlsrpt_collector_counts(c);

		printf("%s: %lu lines from offset %lld%s, %lu TLS sessions (%zu counters), "
		       "%lu report mails ignored\n", path, n->lines, offset, where, n->sessions,
		       run.t.n, n->guarded);
		if (run.no_policy)
			log_warnx("tlsrpt collect: %lu sessions not tied to the policy in force "
				  "(%s); the report counts them under the policy answered most",
				  run.no_policy, run.db_error);
		if (run.t.dropped || run.bad_key)
			log_warnx("tlsrpt collect: %llu sessions not counted (more than %d "
				 "counters in one run)", run.t.dropped + (unsigned)run.bad_key,
				 TLSRPT_CLI_SESSIONS);
	}
	rc = EXIT_OK;
out:
	tlsrpt_collector_free(c);
	tlsrpt_timeline_free(run.tl);
	tally_free(&run.t);
	buf_free(&saved);
	free(state);
	return rc;
}

static int tlsrpt_collect(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "from-start", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config *cfg;
	struct store *st;
	char host[256], from[600], *logs = NULL, *paths[TLSRPT_CLI_LOGS];
	int opt, from_start = 0, rc = EXIT_OK, n = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == 's')
			from_start = 1;
		else if (opt == 'h')
			return tlsrpt_usage(stdout), EXIT_OK;
		else
			return tlsrpt_usage(stderr), EXIT_USAGE;
	}
	cfg = cli_config(cli);
	if (optind < argc) {
		for (int i = optind; i < argc && n < TLSRPT_CLI_LOGS; i++)
			paths[n++] = argv[i];
	} else {
		char *save = NULL;

		logs = strdup(config_get(cfg, "tlsrpt_logs"));
		for (char *w = logs ? strtok_r(logs, " \t,", &save) : NULL; w && n < TLSRPT_CLI_LOGS;
		     w = strtok_r(NULL, " \t,", &save))
			paths[n++] = w;
	}
	if (n == 0) {
		cli_error("tlsrpt collect", "no log given and tlsrpt_logs is empty");
		free(logs);
		return EXIT_USAGE;
	}
	if ((st = cli_store_open(cli, "tlsrpt collect", STORE_OPEN_EXISTING)) == NULL) {
		free(logs);
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++)
		if (collect_one(cli, st, mta_name(cfg, host, sizeof(host)),
				config_get(cfg, "tlsrpt_sending_mta_ip"),
				report_from(cfg, from, sizeof(from)), paths[i], from_start) != EXIT_OK)
			rc = EXIT_FAIL;
	store_close(st);
	free(logs);
	return rc;
}

/* ---- report ----------------------------------------------------------- */

struct report_run {
	struct cli *cli;
	struct config *cfg;
	struct store *st;
	struct dns *dns;
	const char *const *domains;
	size_t ndomains;
	int print, dry_run;
	const char *owner;
	int failures;
	unsigned long sent, skipped, no_record, already;
};

static int want_domain(const struct report_run *r, const char *d)
{
	if (r->ndomains == 0)
		return 1;
	for (size_t i = 0; i < r->ndomains; i++)
		if (strcasecmp(r->domains[i], d) == 0)
			return 1;
	return 0;
}

/* 1 and *txt when _smtp._tls.domain has a valid record; 0 none; -1 DNS
 * failed (the report waits for the next run). */
static int lookup_txt(struct report_run *r, const char *domain, struct tlsrpt_txt *txt,
		      struct errbuf *why)
{
	char qname[300];
	struct dns_answer *ans;
	const char *recs[32];
	size_t lens[32], n = 0;
	char *store[32];
	int rc;

	snprintf(qname, sizeof(qname), "_smtp._tls.%s", domain);
	ans = dns_resolve_sync(r->dns, qname, DNS_TYPE_TXT);
	if (ans->status == DNS_STATUS_NXDOMAIN || ans->status == DNS_STATUS_NODATA) {
		dns_answer_free(ans);
		errbuf_set(why, "no TXT record at %s", qname);
		return 0;
	}
	if (ans->status != DNS_STATUS_DATA || ans->sec == DNS_SEC_BOGUS) {
		errbuf_set(why, "%s TXT: %s%s", qname, dns_status_name(ans->status),
			   ans->sec == DNS_SEC_BOGUS ? " (DNSSEC bogus)" : "");
		dns_answer_free(ans);
		return -1;
	}
	for (size_t i = 0; i < ans->count && n < 32; i++) {
		size_t len;

		if ((store[n] = malloc(TLSRPT_TXT_MAX + 1)) == NULL)
			break;
		if (sts_txt_rdata_concat(ans->records[i].data, ans->records[i].len, store[n],
					 TLSRPT_TXT_MAX, &len, NULL) < 0) {
			free(store[n]);
			continue;
		}
		recs[n] = store[n];
		lens[n] = len;
		n++;
	}
	dns_answer_free(ans);
	rc = tlsrpt_txt_select(recs, lens, n, txt, why);
	for (size_t i = 0; i < n; i++)
		free(store[i]);
	return rc;
}

static int run_sendmail(const char *cmd, const char *from, const char *to, const struct buf *msg,
			struct errbuf *why)
{
	char *copy = strdup(cmd), *argv[40], *save = NULL;
	int argc = 0, pfd[2], status;
	pid_t pid;

	if (copy == NULL)
		return errbuf_set(why, "out of memory");
	for (char *w = strtok_r(copy, " \t", &save); w && argc < 34; w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	if (argc == 0) {
		free(copy);
		return errbuf_set(why, "tlsrpt_sendmail is empty");
	}
	argv[argc++] = "-i";
	argv[argc++] = "-f";
	argv[argc++] = (char *)from;
	argv[argc++] = "--";
	argv[argc++] = (char *)to;
	argv[argc] = NULL;
	if (pipe(pfd) < 0) {
		free(copy);
		return errbuf_set(why, "pipe: %s", strerror(errno));
	}
	if ((pid = fork()) < 0) {
		free(copy);
		close(pfd[0]);
		close(pfd[1]);
		return errbuf_set(why, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(pfd[0], 0);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[0]);
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		size_t off = 0;

		while (off < msg->len) {
			ssize_t w = write(pfd[1], msg->data + off, msg->len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(pfd[1]);
		signal(SIGPIPE, old);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(copy);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return errbuf_set(why, "%s exited with %d", argv[0],
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

static int https_post(const struct config *cfg, const char *url, const struct buf *gz,
		      struct errbuf *why)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	long code = 0;
	CURLcode rc;
	const char *ca = config_get(cfg, "https_ca_file");

	if (h == NULL)
		return errbuf_set(why, "curl_easy_init failed");
	hdr = curl_slist_append(hdr, "Content-Type: application/tlsrpt+gzip");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, gz->data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)gz->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)config_get_time(cfg, "https_timeout") * 3);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tlspolicy/" TLSPOLICY_VERSION " (TLSRPT)");
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		return errbuf_set(why, "POST %s: %s", url, curl_easy_strerror(rc));
	if (code < 200 || code > 299)
		return errbuf_set(why, "POST %s: HTTP status %ld", url, code);
	return 0;
}

static int report_day(void *arg, const char *domain, const char *day)
{
	struct report_run *r = arg;
	struct tlsrpt_report rep;
	struct tlsrpt_txt txt;
	struct errbuf why = { 0 };
	struct buf json = { 0 }, gz = { 0 };
	char from[600], types[128];
	int have;

	if (!want_domain(r, domain))
		return 0;
	tlsrpt_report_init(&rep, domain, day);
	rep.organization = config_get(r->cfg, "tlsrpt_organization");
	rep.contact = config_get(r->cfg, "tlsrpt_contact");
	rep.submitter = config_get(r->cfg, "tlsrpt_submitter");
	tlsrpt_report_make_id(&rep);
	if (tlsrpt_db_fill(r->st, &rep, &why) < 0) {
		cli_error("tlsrpt report", "%s", why.msg);
		r->failures++;
		goto out;
	}
	tlsrpt_report_types(&rep, types, sizeof(types));
	if (r->print) {
		if (tlsrpt_report_json(&rep, &json, &why) < 0) {
			cli_error("tlsrpt report", "%s", why.msg);
			r->failures++;
		} else {
			printf("%s\n", json.data);
		}
		goto out;
	}
	have = lookup_txt(r, domain, &txt, &why);
	if (have <= 0) {
		if (have < 0) {
			log_warnx("tlsrpt report: %s %s: %s; retried by the next run", domain, day,
				 why.msg);
			r->failures++;
		} else {
			r->no_record++;
			if (r->cli->verbose)
				printf("%s %s: not reported (%s)\n", domain, day, why.msg);
		}
		goto out;
	}
	if (tlsrpt_report_json(&rep, &json, &why) < 0 ||
	    tlsrpt_gzip(json.data, json.len, &gz, &why) < 0) {
		cli_error("tlsrpt report", "%s", why.msg);
		r->failures++;
		goto out;
	}
	report_from(r->cfg, from, sizeof(from));
	for (size_t i = 0; i < txt.nrua; i++) {
		const struct tlsrpt_rua *u = &txt.rua[i];
		int claimed;

		if (u->kind == TLSRPT_RUA_OTHER) {
			log_warnx("tlsrpt report: %s: rua %s: only mailto: and https: are used",
				 domain, u->uri);
			continue;
		}
		if (r->dry_run) {
			printf("%s %s: would send to %s (%llu ok, %llu failed, policy %s)\n", domain,
			       day, u->uri, rep.ok, rep.failed, types);
			continue;
		}
		claimed = tlsrpt_db_claim(r->st, &rep, u->uri, r->owner, (long long)time(NULL),
					  (long long)config_get_time(r->cfg, "tlsrpt_claim_timeout"),
					  &why);
		if (claimed < 0) {
			cli_error("tlsrpt report", "%s", why.msg);
			r->failures++;
			continue;
		}
		if (claimed == 0) {
			r->already++;
			continue;
		}
		if (u->kind == TLSRPT_RUA_MAILTO) {
			struct buf msg = { 0 };

			if (tlsrpt_report_mail(&rep, from, u->addr, gz.data, gz.len,
					       (long long)time(NULL), &msg, &why) == 0)
				(void)run_sendmail(config_get(r->cfg, "tlsrpt_sendmail"), from,
						   u->addr, &msg, &why);
			buf_free(&msg);
		} else {
			(void)https_post(r->cfg, u->uri, &gz, &why);
		}
		if (why.msg[0]) {
			log_warnx("tlsrpt report: %s %s to %s: %s; retried by the next run", domain,
				 day, u->uri, why.msg);
			(void)tlsrpt_db_mark(r->st, &rep, u->uri, r->owner, "failed", why.msg,
					     (long long)time(NULL), NULL);
			errbuf_clear(&why);
			r->failures++;
			continue;
		}
		if (tlsrpt_db_mark(r->st, &rep, u->uri, r->owner, "sent", "", (long long)time(NULL),
				   &why) < 0) {
			cli_error("tlsrpt report", "%s (the report WAS sent)", why.msg);
			r->failures++;
			continue;
		}
		r->sent++;
		printf("%s %s: sent to %s (%llu ok, %llu failed, policy %s)\n", domain, day, u->uri,
		       rep.ok, rep.failed, types);
	}
out:
	buf_free(&json);
	buf_free(&gz);
	tlsrpt_report_free(&rep);
	return 0;
}

static void day_of(time_t t, char *out)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int tlsrpt_report(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "day", required_argument, NULL, 'd' },
		{ "domain", required_argument, NULL, 'D' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "print", no_argument, NULL, 'p' },
		{ "unfinished", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_run r;
	const char *domains[TLSRPT_CLI_DOMAINS], *day = NULL;
	char from_day[11], before[11], owner[300], host[256];
	struct errbuf why = { 0 };
	struct event_base *base = NULL;
	int opt, unfinished = 0;
	time_t now = time(NULL);

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.domains = domains;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		switch (opt) {
		case 'd':
			day = optarg;
			break;
		case 'D':
			if (r.ndomains == TLSRPT_CLI_DOMAINS)
				return cli_error("tlsrpt report", "too many --domain"), EXIT_USAGE;
			domains[r.ndomains++] = optarg;
			break;
		case 'n':
			r.dry_run = 1;
			break;
		case 'p':
			r.print = 1;
			break;
		case 'u':
			unfinished = 1;
			break;
		case 'h':
			return tlsrpt_usage(stdout), EXIT_OK;
		default:
			return tlsrpt_usage(stderr), EXIT_USAGE;
		}
	}
	if (optind < argc)
		return tlsrpt_usage(stderr), EXIT_USAGE;
	r.cfg = cli_config(cli);
	day_of(now, before);
	if (day) {
		long long s = tlsrpt_day_start(day);

		if (s < 0)
			return cli_error("tlsrpt report", "--day %s: not YYYY-MM-DD", day), EXIT_USAGE;
		if (strcmp(day, before) >= 0 && !r.print && !r.dry_run && !unfinished)
			return cli_error("tlsrpt report", "--day %s has not ended yet (UTC); "
					 "use --print to see it so far (or --unfinished to send it "
					 "now: its later sessions are then never reported)", day),
			       EXIT_USAGE;
		snprintf(from_day, sizeof(from_day), "%s", day);
		day_of((time_t)s + 86400, before);
	} else {
		day_of(now - 86400 * (time_t)config_get_int(r.cfg, "tlsrpt_max_days"), from_day);
	}
	if (!r.print && (!*config_get(r.cfg, "tlsrpt_organization") ||
			 !*config_get(r.cfg, "tlsrpt_contact") ||
			 !*config_get(r.cfg, "tlsrpt_submitter"))) {
		cli_error("tlsrpt report", "set tlsrpt_organization, tlsrpt_contact and "
			  "tlsrpt_submitter (the organisation sending the reports) first");
		return EXIT_FAIL;
	}
	snprintf(owner, sizeof(owner), "%s/%ld", mta_name(r.cfg, host, sizeof(host)),
		 (long)getpid());
	r.owner = owner;
	if ((r.st = cli_store_open(cli, "tlsrpt report", STORE_OPEN_EXISTING)) == NULL)
		return EXIT_FAIL;
	if (!r.print) {
		if ((base = event_base_new()) == NULL ||
		    (r.dns = dns_new(base, r.cfg, &why)) == NULL) {
			cli_error("tlsrpt report", "DNS: %s", why.msg[0] ? why.msg : "event_base_new");
			goto fail;
		}
		curl_global_init(CURL_GLOBAL_DEFAULT);
	}
	if (tlsrpt_db_days(r.st, from_day, before, report_day, &r, &why) < 0) {
		cli_error("tlsrpt report", "%s", why.msg);
		goto fail;
	}
	if (!r.print && !r.dry_run && day == NULL) {
		/* days older than tlsrpt_max_days are never sent: drop them */
		long long purged = 0;

		if (tlsrpt_db_purge(r.st, from_day, &purged, &why) < 0)
			log_warnx("tlsrpt report: %s", why.msg);
		else if (purged && cli->verbose)
			printf("%lld rows of days before %s deleted\n", purged, from_day);
	}
	if (!r.print && !r.dry_run)
		printf("%lu sent, %lu already sent or being sent by another server, "
		       "%lu domain-days without a TLSRPT record, %d failed\n",
		       r.sent, r.already, r.no_record, r.failures);
	dns_free(r.dns);
	if (base)
		event_base_free(base);
	store_close(r.st);
	return r.failures ? EXIT_FAIL : EXIT_OK;
fail:
	dns_free(r.dns);
	if (base)
		event_base_free(base);
	store_close(r.st);
	return EXIT_FAIL;
}

/* ---- status ------------------------------------------------------------ */

static int status_row(void *arg, char *const *c, int n)
{
	struct cli *cli = arg;

	(void)n;
	if (cli->json) {
		static const char *const k[] = { "domain", "day", "rua", "report_id",
						 "state", "owner", "updated", "detail" };
		printf("{");
		for (int i = 0; i < 8; i++) {
			printf("%s\"%s\":", i ? "," : "", k[i]);
			if (i == 6)
				printf("%s", c[i]);
			else
				json_fput_str(stdout, c[i], JSON_LATIN1);
		}
		printf("}\n");
	} else {
		printf("%-10s  %-30s  %-7s  %s%s%s\n", c[1], c[0], c[4], c[2], c[7][0] ? "  " : "",
		       c[7]);
	}
	return 0;
}

static int tlsrpt_status(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st;
	struct errbuf why = { 0 };
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		if (cli_common_opt(cli, opt, optarg))
			continue;
		if (opt == 'h')
			return tlsrpt_usage(stdout), EXIT_OK;
		return tlsrpt_usage(stderr), EXIT_USAGE;
	}
	(void)cli_config(cli);
	if ((st = cli_store_open(cli, "tlsrpt status", STORE_OPEN_EXISTING)) == NULL)
		return EXIT_FAIL;
	if (!cli->json)
		printf("%-10s  %-30s  %-7s  %s\n", "DAY", "DOMAIN", "STATE", "RUA");
	rc = tlsrpt_db_sent_list(st, status_row, cli, &why);
	if (rc < 0)
		cli_error("tlsrpt status", "%s", why.msg);
	store_close(st);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_tlsrpt(struct cli *cli, int argc, char **argv)
{
	const char *sub;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		tlsrpt_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (cli->verbose)
		log_set_verbose(cli->verbose);
	sub = argv[1];
	if (strcmp(sub, "collect") == 0)
		return tlsrpt_collect(cli, argc - 1, argv + 1);
	if (strcmp(sub, "report") == 0)
		return tlsrpt_report(cli, argc - 1, argv + 1);
	if (strcmp(sub, "status") == 0)
		return tlsrpt_status(cli, argc - 1, argv + 1);
	if (strcmp(sub, "intake") == 0)
		return cmd_tlsrpt_intake(cli, argc - 1, argv + 1);
	cli_error("tlsrpt", "unknown subcommand \"%s\" (collect, report, status, intake)", sub);
	return EXIT_USAGE;
}
