/* SPDX-License-Identifier: MIT */
/* mx - an MX RRset as parsed (see mx.h). */
#include "dns/mx.h"

#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/hostname.h"
#include "util/xalloc.h"

static int order_cmp(const void *a, const void *b, void *recs)
{
	const struct dns_mx_rec *rec = recs;
	const struct dns_mx_rec *x = &rec[*(const size_t *)a];
	const struct dns_mx_rec *y = &rec[*(const size_t *)b];
	int c;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	/* the same host and preference: answer order (qsort is not stable) */
	return x < y ? -1 : x > y;
}

void dns_mx_parse(const struct dns_answer *a, struct dns_mx *mx)
{
	memset(mx, 0, sizeof(*mx));
	if (a->status != DNS_STATUS_DATA || a->count == 0)
		return;
	mx->count = a->count;
	mx->rec = xcalloc(a->count, sizeof(*mx->rec));
	mx->order = xcalloc(a->count, sizeof(*mx->order));
	for (size_t i = 0; i < a->count; i++) {
		struct dns_mx_rec *r = &mx->rec[i];

		if (rr_mx(a->records[i].data, a->records[i].len, &r->pref, r->host,
			  sizeof(r->host), NULL) < 0) {
			r->flags = DNS_MX_BAD;
			r->pref = 0;
			r->host[0] = '\0';
		} else if (strcmp(r->host, ".") == 0) {
			r->flags = DNS_MX_ROOT | DNS_MX_INVALID;
		} else if (!hostname_valid(r->host)) {
			r->flags = DNS_MX_INVALID;
		} else {
			mx->order[mx->nusable++] = i;
			continue;
		}
		mx->nbad++;
	}
	if (a->count == 1 && (mx->rec[0].flags & DNS_MX_ROOT)) {
		mx->null_mx = 1;
		mx->nbad = 0;
	}
	qsort_r(mx->order, mx->nusable, sizeof(*mx->order), order_cmp, mx->rec);
	for (size_t k = 1; k < mx->nusable; k++) {
		struct dns_mx_rec *r = &mx->rec[mx->order[k]];

		for (size_t j = 0; j < k; j++) {
			if (strcmp(mx->rec[mx->order[j]].host, r->host) == 0) {
				r->flags |= DNS_MX_DUP;
				mx->ndup++;
				break;
			}
		}
	}
}

void dns_mx_free(struct dns_mx *mx)
{
	free(mx->rec);
	free(mx->order);
	memset(mx, 0, sizeof(*mx));
}
