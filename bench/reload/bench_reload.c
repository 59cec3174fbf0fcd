/* SPDX-License-Identifier: MIT */
/*
 * bench_reload - the cost of the daemon's timer reload (issue 14 item 1)
 * at a table of N rows: the change check alone (nothing changed), the
 * check plus the reload after one changed row (what the daemon does on
 * a change), and the fallbacks (no tlspolicy_meta row: PRAGMA
 * data_version / CHECKSUM TABLE).  CPU time of this process
 * (CLOCK_PROCESS_CPUTIME_ID) per operation, and with -p PID the CPU
 * time of the database server process (MariaDB: /proc/PID/stat).
 *
 *   bench_reload [-n ITER] [-p SERVER_PID] URL
 *
 * URL must hold an initialised table (db init) with the rows; the
 * benchmark changes one row (bench-reload.example) and, for the
 * fallback, deletes and restores the tlspolicy_meta row.  Run by
 * bench/reload/run (docs/benchmarks.md, "reload").
 */
#include "engine/snapshot.h"
#include "policy/policy.h"
#include "store/store.h"
#include "store/store_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of pid in seconds (0 without pid) */
static double server_cpu(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void die(const char *what, const struct errbuf *why)
{
	fprintf(stderr, "bench_reload: %s: %s\n", what, why->msg);
	exit(1);
}

static void report(const char *name, int n, double c0, double c1, double s0, double s1,
		   int pid)
{
	printf("%-34s %6d  %10.3f ms", name, n, (c1 - c0) * 1e3 / n);
	if (pid > 0)
		printf("  server %8.3f ms", (s1 - s0) * 1e3 / n);
	printf("\n");
}

/* n checks with nothing changed */
static void checks(struct store *st, int n, int pid, const char *name)
{
	struct store_mark m0, m;
	struct errbuf why;
	double c0, s0;

	if (store_change_mark(st, &m0, &why) < 0)
		die("mark", &why);
	c0 = cpu_now();
	s0 = server_cpu(pid);
	for (int i = 0; i < n; i++) {
		if (store_change_mark(st, &m, &why) < 0)
			die("mark", &why);
		if (!store_mark_same(&m, &m0)) {
			fprintf(stderr, "bench_reload: the mark changed with no change (%s)\n",
				store_mark_kind_name(m.kind));
			exit(1);
		}
	}
	report(name, n, c0, cpu_now(), s0, server_cpu(pid), pid);
	printf("  (marker: %s)\n", store_mark_kind_name(m0.kind));
}

/* n times: the writer changes one row (not timed), then the check and
 * the reload the daemon would do (timed) */
static void changes(struct store *st, struct store *writer, int n, int pid)
{
	static const char *const lv[2] = { "encrypt", "dane-only" };
	struct policy_opts popts = { 0 };
	struct store_mark m0, m;
	struct errbuf why;
	double c = 0, s = 0;

	popts.postfix_compat = 0;
	if (store_delete(writer, "bench-reload.example", &why) < 0)
		die("delete", &why);
	for (int i = 0; i < n; i++) {
		double c0, s0;
		struct snapshot *snap;
		int err;

		if (store_change_mark(st, &m0, &why) < 0)
			die("mark", &why);
		if (store_put(writer, "bench-reload.example", lv[i % 2], NULL, NULL, &why) < 0)
			die("put", &why);
		c0 = cpu_now();
		s0 = server_cpu(pid);
		if (store_change_mark(st, &m, &why) < 0)
			die("mark", &why);
		if (store_mark_same(&m, &m0)) {
			fprintf(stderr, "bench_reload: a change was not seen\n");
			exit(1);
		}
		if ((snap = snapshot_load(st, &popts, &err, &why)) == NULL)
			die("load", &why);
		c += cpu_now() - c0;
		s += server_cpu(pid) - s0;
		if (i == 0)
			printf("  (snapshot: %zu rows)\n", snapshot_rows(snap));
		snapshot_free(snap);
	}
	report("one row changed: check + reload", n, 0, c, 0, s, pid);
}

int main(int argc, char **argv)
{
	struct store *st, *writer;
	struct errbuf why;
	int opt, n = 2000, pid = 0, nload = 5;

	while ((opt = getopt(argc, argv, "n:p:l:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'p')
			pid = atoi(optarg);
		else if (opt == 'l')
			nload = atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc - 1 || n <= 0 || nload <= 0)
		goto usage;
	if (store_global_init(&why) < 0)
		die("init", &why);
	if (store_open(argv[optind], &st, &why) < 0 || store_open(argv[optind], &writer, &why) < 0)
		die("open", &why);
	printf("%-34s %6s  %13s\n", "operation", "n", "CPU per op");
	checks(st, n, pid, "check, nothing changed");
	changes(st, writer, nload, pid);
	store_close(writer);
	store_close(st);
	return 0;
usage:
	fprintf(stderr, "usage: bench_reload [-n CHECKS] [-l RELOADS] [-p SERVER_PID] URL\n");
	return 2;
}
