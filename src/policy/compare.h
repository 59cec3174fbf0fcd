/* SPDX-License-Identifier: MIT */
/*
 * compare - "would this policy accept a server that one refuses?", for
 * the promise that nothing tlspolicy writes is weaker than what a
 * destination publishes (logscan --apply, check --save) and for the
 * warnings of `check`.  Pure: no I/O.
 *
 * policy_weaker(row, ref) is 1 when `row` accepts a TLS peer (or a
 * plaintext session) that `ref` refuses, judged per level with
 * Postfix's rules:
 *   - none < may < encrypt; dane falls back to may without usable TLSA,
 *     so it counts as may against anything but a DANE reference;
 *   - against dane / dane-only (the domain publishes TLSA): every level
 *     but dane and dane-only is weaker - it ignores the TLSA records
 *     (a WebPKI or pinned certificate the TLSA records do not name
 *     would pass);
 *   - against fingerprint: weaker unless row is fingerprint with only
 *     digests that ref lists too;
 *   - against verify / secure: none, may, encrypt and dane are weaker;
 *     dane-only and fingerprint are not (they accept only servers
 *     authenticated by TLSA records or by a pinned key); verify/secure
 *     rows are weaker when one of their match names (after expanding
 *     nexthop / dot-nexthop for the next-hop domain, and the level's
 *     default when there is no match=) is not covered by ref's names:
 *     a name is covered by the same name or by a ".domain" it is under,
 *     a ".domain" by the same or a parent ".domain", "hostname" (the MX
 *     name from DNS) only by "hostname"; and when ref restricts the
 *     trust anchors (tafile) that row does not restrict the same way;
 *   - ref none or may: only a plaintext-only row (none) is weaker than
 *     may.
 * The other attributes (ciphers, exclude, protocols, servername,
 * connection_reuse, TLSRPT) are not compared.
 *
 * Equal strength is neither weaker: policy_weaker(a, b) == 0 and
 * policy_weaker(b, a) == 0, e.g. "dane" and "dane-only" for a domain
 * with TLSA records, or the same secure policy.
 */
#ifndef TP_POLICY_COMPARE_H
#define TP_POLICY_COMPARE_H

#include <stddef.h>

struct policy;

/*
 * 1 when row is weaker than ref (see above), else 0.  nexthop (the
 * destination both policies are for; may be NULL) expands nexthop and
 * dot-nexthop.  When why is not NULL it receives a short reason
 * (whylen bytes), e.g. "verify ignores the published TLSA records".
 */
int policy_weaker(const struct policy *row, const struct policy *ref,
		  const char *nexthop, char *why, size_t whylen);

#endif
