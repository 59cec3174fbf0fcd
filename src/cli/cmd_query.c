/* SPDX-License-Identifier: MIT */
/*
 * cmd_query.c - tlspolicy query [--server SPEC [--name NAME]] KEY...:
 * prints, one line per key, exactly the socketmap reply payload the
 * daemon sends for it ("OK secure match=...", "NOTFOUND ", "TEMP ...").
 *
 * Without --server the same engine the daemon uses runs in-process on
 * the configured database; with --server a running daemon is asked over
 * the socket.  With -v each line is "KEY<TAB>SOURCE<TAB>REPLY" (source:
 * table:ROW (ROW the key of the row that matched: the key itself or a
 * ".parent" row), default, dane, sts, provider, none, error; "-" with
 * --server).
 *
 * Exit: 0 when every reply is OK; 1 when any is NOTFOUND, TEMP,
 * TIMEOUT, PERM, or the lookup failed (no database, no server);
 * 2 usage.
 */
#include "cli/cli.h"
#include "util/json.h"
#include "engine/engine.h"
#include "engine/sources.h"
#include "policy/policy.h"
#include "mtasts/sts.h"
#include "server/sockmap.h"
#include "server/sockmap_client.h"
#include "util/config.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define QUERY_TIMEOUT 30  /* seconds per reply from a server */

struct query_result {
	int done;
	enum lookup_status status;
	enum answer_source source;
	char row[POLICY_KEY_MAX];    /* the table row that matched, or "" */
	struct buf reply;
	struct event_base *base;
};

static void query_usage(FILE *out)
{
	fprintf(out,
		"usage: tlspolicy query [--server SPEC [--name NAME]] [--json] [-v] KEY...\n"
		"\n"
		"Prints the socketmap reply for each KEY exactly as the daemon sends it\n"
		"(\"OK policy\", \"NOTFOUND \", \"TEMP reason\", \"PERM reason\").\n"
		"  --server SPEC  ask a running daemon (inet:HOST:PORT or unix:PATH)\n"
		"                 instead of answering in-process from the database\n"
		"  --name NAME    socketmap name sent with --server (default %s)\n"
		"  -v             prefix each line with KEY and the answer's source, for\n"
		"                 the table with the row that matched (table:.example.com;\n"
		"                 in-process only), and show the informational lines\n"
		"                 (e.g. the MTA-STS cache loaded)\n"
		"  --json         one JSON object per key\n"
		"Exit 0 when every reply is OK, 1 otherwise.\n",
		SOCKMAP_DEFAULT_NAME);
}

/* row: the table row that matched (-v shows "table:ROW"), or NULL */
static void print_reply(const struct cli *cli, const char *key, const char *source,
			const char *row, const char *reply, size_t rlen)
{
	if (cli->json) {
		const char *data;
		size_t dlen;
		enum sockmap_reply_kind k = sockmap_reply_parse(reply, rlen, &data, &dlen);
		static const char *const kinds[] = { "OK", "NOTFOUND", "TEMP", "TIMEOUT",
						     "PERM", "BAD" };
		char *d = strndup(data, dlen), *r = strndup(reply, rlen);

		printf("{\"key\":");
		json_fput_str(stdout, key, JSON_LATIN1);
		printf(",\"status\":\"%s\",\"source\":", kinds[k]);
		json_fput_str(stdout, source, JSON_LATIN1);
		printf(",\"data\":");
		json_fput_str(stdout, d ? d : "", JSON_LATIN1);
		printf(",\"reply\":");
		json_fput_str(stdout, r ? r : "", JSON_LATIN1);
		printf("}\n");
		free(d);
		free(r);
		return;
	}
	if (cli->verbose && row && strcmp(source, "table") == 0)
		printf("%s\t%s:%s\t", key, source, row);
	else if (cli->verbose)
		printf("%s\t%s\t", key, source);
	fwrite(reply, 1, rlen, stdout);
	putchar('\n');
}

static void query_cb(const struct engine_answer *ans, void *arg)
{
	struct query_result *qr = arg;

	qr->done = 1;
	qr->status = ans->status;
	qr->source = ans->source;
	snprintf(qr->row, sizeof(qr->row), "%s", ans->key ? ans->key : "");
	buf_reset(&qr->reply);
	sockmap_put_reply(&qr->reply, ans->status, ans->text);
	if (qr->base)
		event_base_loopbreak(qr->base);
}

/* Strips the netstring framing sockmap_put_reply() added. */
static const char *unframe(const struct buf *b, size_t *len)
{
	const char *colon = memchr(b->data, ':', b->len);

	*len = b->len - (size_t)(colon + 1 - b->data) - 1;
	return colon + 1;
}

static int query_local(struct cli *cli, int nkeys, char **keys)
{
	struct event_base *base = event_base_new();
	struct engine *eng;
	struct engine_sources *srcs = NULL;
	struct errbuf why;
	struct query_result qr;
	int rc = EXIT_OK;

	errbuf_clear(&why);
	if (base == NULL) {
		cli_error("query", "cannot create an event loop");
		return EXIT_FAIL;
	}
	if ((eng = engine_new(base, cli_config(cli), cli->db_url, &why)) == NULL) {
		cli_error("query", "%s", why.msg);
		event_base_free(base);
		return EXIT_FAIL;
	}
	/* The daemon's discovery sources, so the answers are the same. */
	if (engine_sources_new(base, cli_config(cli), eng, cli->db_url,
			       STS_PERSIST_LOAD, &srcs, &why) < 0) {
		cli_error("query", "%s", why.msg);
		engine_free(eng);
		event_base_free(base);
		return EXIT_FAIL;
	}
	memset(&qr, 0, sizeof(qr));
	buf_init(&qr.reply, SOCKMAP_MAX_REPLY + 32);
	for (int i = 0; i < nkeys; i++) {
		struct engine_req *req;
		struct sockmap_request sr;
		const char *p, *bad;
		size_t len, klen = strlen(keys[i]);
		char *payload;

		/* The daemon's request checks first (PERM for a control
		 * character, an empty key, ...). */
		if (klen + sizeof(SOCKMAP_DEFAULT_NAME) > SOCKMAP_MAX_QUERY) {
			cli_error("query", "key longer than %d bytes (the daemon closes "
				  "the connection)", SOCKMAP_MAX_QUERY);
			rc = EXIT_FAIL;
			continue;
		}
		if ((payload = malloc(klen + sizeof(SOCKMAP_DEFAULT_NAME) + 1)) == NULL) {
			cli_error("query", "out of memory");
			rc = EXIT_FAIL;
			break;
		}
		len = (size_t)sprintf(payload, "%s %s", SOCKMAP_DEFAULT_NAME, keys[i]);
		if (sockmap_request_parse(payload, len, &sr, &bad) < 0) {
			free(payload);
			buf_reset(&qr.reply);
			sockmap_put_reply(&qr.reply, LOOKUP_PERM, bad);
			p = unframe(&qr.reply, &len);
			print_reply(cli, keys[i], answer_source_name(ANSWER_ERROR), NULL, p, len);
			rc = EXIT_FAIL;
			continue;
		}
		free(payload);
		qr.done = 0;
		qr.base = NULL;
		req = engine_lookup(eng, keys[i], query_cb, &qr);
		if (!qr.done) {
			qr.base = base;
			while (!qr.done && event_base_loop(base, EVLOOP_ONCE) == 0)
				;
			if (!qr.done) {
				engine_cancel(req);
				cli_error("query", "%s: no answer", keys[i]);
				rc = EXIT_FAIL;
				continue;
			}
		}
		p = unframe(&qr.reply, &len);
		print_reply(cli, keys[i], answer_source_name(qr.source),
			    qr.row[0] ? qr.row : NULL, p, len);
		if (qr.status != LOOKUP_OK)
			rc = EXIT_FAIL;
	}
	buf_free(&qr.reply);
	engine_free(eng);
	engine_sources_free(srcs);
	event_base_free(base);
	return rc;
}

static int query_server(struct cli *cli, const char *spec, const char *name,
			int nkeys, char **keys)
{
	struct sockmap_client *cl;
	struct errbuf why;
	int rc = EXIT_OK;

	errbuf_clear(&why);
	if (sockmap_client_open(spec, QUERY_TIMEOUT, &cl, &why) < 0) {
		cli_error("query", "%s", why.msg);
		return EXIT_FAIL;
	}
	for (int i = 0; i < nkeys; i++) {
		const char *reply, *data;
		size_t rlen, dlen;

		if (sockmap_client_query(cl, name, keys[i], &reply, &rlen, &why) < 0) {
			cli_error("query", "%s", why.msg);
			rc = EXIT_FAIL;
			break;
		}
		print_reply(cli, keys[i], "-", NULL, reply, rlen);
		if (sockmap_reply_parse(reply, rlen, &data, &dlen) != SOCKMAP_OK)
			rc = EXIT_FAIL;
	}
	sockmap_client_close(cl);
	return rc;
}

/* What the command line asks for. */
struct query_opts {
	const char *server;   /* --server: ask a running daemon, else in-process */
	const char *name;     /* --name: the map name */
	char **keys;
	int nkeys;
};

/* The command line into *o; -1 to go on, else the exit code. */
static int query_parse(struct cli *cli, int argc, char **argv, struct query_opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{ "server", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, ec = EXIT_OK;

	memset(o, 0, sizeof(*o));
	o->name = SOCKMAP_DEFAULT_NAME;
	while ((opt = cli_next_opt(cli, argc, argv, "c:vh", longopts, query_usage,
				    &ec)) > 0) {
		switch (opt) {
		case 's':
			o->server = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		default:
			break;
		}
	}
	if (opt == CLI_OPT_EXIT)
		return ec;
	if (optind >= argc) {
		query_usage(stderr);
		return EXIT_USAGE;
	}
	if (*o->name == '\0' || strchr(o->name, ' ')) {
		cli_error("query", "--name: a map name has no spaces and is not empty");
		return EXIT_USAGE;
	}
	o->keys = argv + optind;
	o->nkeys = argc - optind;
	return -1;
}

static int query_run(struct cli *cli, const struct query_opts *o)
{
	if (o->server)
		return query_server(cli, o->server, o->name, o->nkeys, o->keys);
	/* Settings errors surface here (cli_config exits on them). */
	cli_config(cli);
	log_set_verbose(cli->verbose > 1 ? cli->verbose - 1 : 0);
	log_set_info(cli->verbose > 0);  /* informational lines only with -v */
	return query_local(cli, o->nkeys, o->keys);
}

int cmd_query(struct cli *cli, int argc, char **argv)
{
	struct query_opts o = { NULL, NULL, NULL, 0 };
	int rc = query_parse(cli, argc, argv, &o);

	return rc >= 0 ? rc : query_run(cli, &o);
}
