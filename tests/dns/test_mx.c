/* SPDX-License-Identifier: MIT */
/*
 * test_mx.c - dns_mx_parse(): an MX RRset as parsed, every record in
 * answer order with its flags, the usable ones by preference then name,
 * the null MX, repeated hosts, bad records; and the sources' own rules
 * on it (dane's hosts, provider's mxset) for a set where they differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/mx.h"
#include "provider/provider.h"

/* MX rdata: preference, then the exchange in wire form ("": the root). */
struct wire {
	unsigned char b[300];
	size_t len;
};

static struct wire mxw(unsigned pref, const char *host)
{
	struct wire w;
	const char *p = host;

	memset(&w, 0, sizeof(w));
	w.b[0] = (unsigned char)(pref >> 8);
	w.b[1] = (unsigned char)pref;
	w.len = 2;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		w.b[w.len++] = (unsigned char)l;
		memcpy(w.b + w.len, p, l);
		w.len += l;
		p += l + (dot != NULL);
	}
	w.b[w.len++] = 0;
	return w;
}

static void answer(struct dns_answer *a, struct dns_record *recs,
		   const struct wire *w, size_t n)
{
	memset(a, 0, sizeof(*a));
	a->status = DNS_STATUS_DATA;
	a->sec = DNS_SEC_SECURE;
	a->ttl = 300;
	for (size_t i = 0; i < n; i++) {
		recs[i].data = w[i].b;
		recs[i].len = w[i].len;
	}
	a->count = n;
	a->records = recs;
}

static void test_mixed(void **state)
{
	struct wire w[7];
	struct dns_record recs[7];
	struct dns_answer a;
	struct dns_mx mx;

	(void)state;
	w[0] = mxw(20, "mx2.a.example");
	w[1] = mxw(10, "mx1.a.example");
	w[2] = mxw(5, "mx2.a.example");       /* repeated, better preference */
	w[3] = mxw(30, "-bad.a.example");      /* not a host name */
	w[4] = mxw(0, "");                     /* "." among others: not a null MX */
	w[5] = mxw(10, "mx0.a.example");
	w[6].len = 3;                          /* rdata that does not parse */
	memcpy(w[6].b, "\0\1\7", 3);
	answer(&a, recs, w, 7);
	dns_mx_parse(&a, &mx);
	assert_int_equal(mx.count, 7);
	assert_int_equal(mx.rec[0].pref, 20);
	assert_string_equal(mx.rec[0].host, "mx2.a.example");
	assert_int_equal(mx.rec[0].flags, DNS_MX_DUP);
	assert_int_equal(mx.rec[2].flags, 0);
	assert_int_equal(mx.rec[3].flags, DNS_MX_INVALID);
	assert_int_equal(mx.rec[4].flags, DNS_MX_ROOT | DNS_MX_INVALID);
	assert_int_equal(mx.rec[6].flags, DNS_MX_BAD);
	assert_false(mx.null_mx);
	assert_int_equal(mx.nbad, 3);
	assert_int_equal(mx.ndup, 1);
	assert_int_equal(mx.nusable, 4);
	/* by preference, then name */
	assert_int_equal(mx.order[0], 2);      /* 5 mx2 */
	assert_int_equal(mx.order[1], 5);      /* 10 mx0 */
	assert_int_equal(mx.order[2], 1);      /* 10 mx1 */
	assert_int_equal(mx.order[3], 0);      /* 20 mx2, the repeat */
	dns_mx_free(&mx);
	assert_null(mx.rec);
}

static void test_null_mx(void **state)
{
	struct wire w[1];
	struct dns_record recs[1];
	struct dns_answer a;
	struct dns_mx mx;
	struct provider_mxset set;

	(void)state;
	w[0] = mxw(0, "");
	answer(&a, recs, w, 1);
	dns_mx_parse(&a, &mx);
	assert_true(mx.null_mx);
	assert_int_equal(mx.nbad, 0);
	assert_int_equal(mx.nusable, 0);
	dns_mx_free(&mx);
	/* any preference is a null MX to dns_mx (and DANE); the provider
	 * source takes only "MX 0 ." (its own rule, kept) */
	w[0] = mxw(10, "");
	dns_mx_parse(&a, &mx);
	assert_true(mx.null_mx);
	dns_mx_free(&mx);
	provider_mxset_from_answer(&a, "a.example", &set);
	assert_false(set.null_mx);
	assert_int_equal(set.nhosts, 0);
	w[0] = mxw(0, "");
	provider_mxset_from_answer(&a, "a.example", &set);
	assert_true(set.null_mx);
}

static void test_not_data(void **state)
{
	struct dns_answer a;
	struct dns_mx mx;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.status = DNS_STATUS_NODATA;
	dns_mx_parse(&a, &mx);
	assert_int_equal(mx.count, 0);
	assert_null(mx.rec);
	dns_mx_free(&mx);
	a.status = DNS_STATUS_DATA;            /* DATA without records */
	dns_mx_parse(&a, &mx);
	assert_int_equal(mx.count, 0);
	dns_mx_free(&mx);
}

/* The provider keeps repeated hosts and, past PROVIDER_MAX_HOSTS, the
 * first ones in answer order (its rule as before dns_mx). */
static void test_provider_rule(void **state)
{
	struct wire w[PROVIDER_MAX_HOSTS + 2];
	struct dns_record recs[PROVIDER_MAX_HOSTS + 2];
	struct dns_answer a;
	struct provider_mxset set;

	(void)state;
	w[0] = mxw(10, "mx.a.example");
	w[1] = mxw(10, "mx.a.example");
	w[2] = mxw(5, "-odd.a.example");        /* kept: not checked there */
	answer(&a, recs, w, 3);
	provider_mxset_from_answer(&a, "a.example", &set);
	assert_int_equal(set.nhosts, 3);
	assert_string_equal(set.hosts[0], "-odd.a.example");
	assert_string_equal(set.hosts[1], "mx.a.example");
	assert_string_equal(set.hosts[2], "mx.a.example");
	for (unsigned i = 0; i < PROVIDER_MAX_HOSTS + 2; i++) {
		char h[64];

		snprintf(h, sizeof(h), "mx%u.a.example", i);
		w[i] = mxw(100 - i, h);
	}
	answer(&a, recs, w, PROVIDER_MAX_HOSTS + 2);
	provider_mxset_from_answer(&a, "a.example", &set);
	assert_true(set.truncated);
	assert_int_equal(set.nhosts, PROVIDER_MAX_HOSTS);
	/* the first 32 of the answer, sorted: mx31 (pref 69) first */
	assert_string_equal(set.hosts[0], "mx31.a.example");
	assert_string_equal(set.hosts[PROVIDER_MAX_HOSTS - 1], "mx0.a.example");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_null_mx),
		cmocka_unit_test(test_not_data),
		cmocka_unit_test(test_provider_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
