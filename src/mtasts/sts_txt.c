/* SPDX-License-Identifier: MIT */
/*
 * sts_txt - parse and select the _mta-sts TXT record (RFC 8461 3.1).
 * See sts_txt.h for the grammar and the rules applied.
 */
#include "mtasts/sts_txt.h"
#include "mtasts/sts_util.h"

#include <stdio.h>
#include <string.h>

#define STS_VERSION "v=STSv1"
#define STS_VERSION_LEN (sizeof(STS_VERSION) - 1)

int sts_txt_is_sts(const char *rec, size_t len)
{
	return len >= sizeof(STS_TXT_PREFIX) - 1
	       && memcmp(rec, STS_TXT_PREFIX, sizeof(STS_TXT_PREFIX) - 1) == 0;
}

static int is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* %x21-3A / %x3C / %x3E-7E: VCHAR except ";" and "=" */
static int is_ext_value_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

/*
 * Parses one field at rec[*pos]; on success *pos is just past its value.
 * Sets *is_id / the value span for the caller.
 */
static int parse_field(const char *rec, size_t len, size_t *pos,
		       size_t *name_off, size_t *name_len, size_t *val_off,
		       size_t *val_len, struct errbuf *why)
{
	size_t p = *pos, start = p;
	char what[16];

	if (!sts_is_alnum((unsigned char)rec[p]))
		return errbuf_set(why, "field at offset %zu: name starts with %s",
				  p, sts_char_desc(what, sizeof(what),
						   (unsigned char)rec[p]));
	p++;
	while (p < len && rec[p] != '=') {
		unsigned char c = (unsigned char)rec[p];

		if (!sts_is_alnum(c) && c != '_' && c != '-' && c != '.')
			return errbuf_set(why, "field at offset %zu: %s in name",
					  start, sts_char_desc(what, sizeof(what), c));
		p++;
	}
	if (p == len)
		return errbuf_set(why, "field at offset %zu: no '='", start);
	if (p - start > STS_TXT_EXT_NAME_MAX)
		return errbuf_set(why, "field at offset %zu: name of %zu "
				  "characters, at most %d", start, p - start,
				  STS_TXT_EXT_NAME_MAX);
	*name_off = start;
	*name_len = p - start;
	p++; /* '=' */
	*val_off = p;
	while (p < len && rec[p] != ';' && !is_wsp((unsigned char)rec[p])) {
		unsigned char c = (unsigned char)rec[p];

		if (!is_ext_value_char(c))
			return errbuf_set(why, "field at offset %zu: %s in value",
					  start, sts_char_desc(what, sizeof(what), c));
		p++;
	}
	if (p == *val_off)
		return errbuf_set(why, "field at offset %zu: empty value", start);
	*val_len = p - *val_off;
	*pos = p;
	return 0;
}

int sts_txt_parse(const char *rec, size_t len, struct sts_txt *out,
		  struct errbuf *why)
{
	size_t pos, nfields = 0;
	int have_id = 0;

	memset(out, 0, sizeof(*out));
	if (len > STS_TXT_MAX_LEN)
		return errbuf_set(why, "record of %zu bytes, at most %d", len,
				  STS_TXT_MAX_LEN);
	if (len < STS_VERSION_LEN || memcmp(rec, STS_VERSION, STS_VERSION_LEN) != 0)
		return errbuf_set(why, "does not begin with \"" STS_VERSION "\"");
	pos = STS_VERSION_LEN;
	while (pos < len) {
		size_t noff = 0, nlen = 0, voff = 0, vlen = 0;
		char what[16];

		/* sts-field-delim = *WSP ";" *WSP */
		while (pos < len && is_wsp((unsigned char)rec[pos]))
			pos++;
		if (pos == len)
			return errbuf_set(why, "whitespace at the end");
		if (rec[pos] != ';')
			return errbuf_set(why, "%s at offset %zu where ';' belongs",
					  sts_char_desc(what, sizeof(what),
							(unsigned char)rec[pos]), pos);
		pos++;
		while (pos < len && is_wsp((unsigned char)rec[pos]))
			pos++;
		if (pos == len)
			break; /* the optional trailing delimiter */
		if (parse_field(rec, len, &pos, &noff, &nlen, &voff, &vlen, why) < 0)
			return -1;
		nfields++;
		if (nlen == 2 && memcmp(rec + noff, "id", 2) == 0) {
			if (have_id)
				continue; /* the first one counts */
			if (vlen > STS_TXT_ID_MAX)
				return errbuf_set(why, "id of %zu characters, at most %d",
						  vlen, STS_TXT_ID_MAX);
			for (size_t i = 0; i < vlen; i++) {
				unsigned char c = (unsigned char)rec[voff + i];

				if (!sts_is_alnum(c))
					return errbuf_set(why, "id: %s is not a letter or digit",
							  sts_char_desc(what, sizeof(what), c));
			}
			memcpy(out->id, rec + voff, vlen);
			out->id[vlen] = '\0';
			have_id = 1;
		}
	}
	if (nfields == 0)
		return errbuf_set(why, "no field after \"" STS_VERSION "\"");
	if (!have_id)
		return errbuf_set(why, "no id field");
	return 0;
}

/* "v=STSv1" then whitespace and ';': valid as one record, discarded
 * among several (for the reason given when nothing is left). */
static int is_sts_wsp(const char *rec, size_t len)
{
	size_t p = STS_VERSION_LEN;

	if (len <= p || memcmp(rec, STS_VERSION, p) != 0 || !is_wsp((unsigned char)rec[p]))
		return 0;
	while (p < len && is_wsp((unsigned char)rec[p]))
		p++;
	return p < len && rec[p] == ';';
}

int sts_txt_select(const struct sts_txt_rec *recs, size_t n,
		   struct sts_txt *out, struct errbuf *why)
{
	size_t found = 0, which = 0, wsp = 0;

	memset(out, 0, sizeof(*out));
	if (n > STS_TXT_MAX_RECORDS)
		return errbuf_set(why, "%zu TXT records, at most %d examined", n,
				  STS_TXT_MAX_RECORDS);
	if (n == 0)
		return errbuf_set(why, "no TXT record");
	/* One record: judged by the ABNF alone (it allows whitespace
	 * before the ';' after v=STSv1).  The discard rule of RFC 8461
	 * 3.1 is for several records. */
	if (n > 1) {
		for (size_t i = 0; i < n; i++) {
			if (sts_txt_is_sts(recs[i].data, recs[i].len)) {
				found++;
				which = i;
			} else if (is_sts_wsp(recs[i].data, recs[i].len)) {
				wsp++;
			}
		}
		if (found == 0 && wsp > 0)
			return errbuf_set(why, "no record begins with \"" STS_TXT_PREFIX
					  "\" (%zu TXT records; %zu begin%s with \""
					  STS_VERSION "\" and whitespace: discarded among "
					  "several, RFC 8461 3.1)", n, wsp, wsp == 1 ? "s" : "");
		if (found == 0)
			return errbuf_set(why, "no record begins with \"" STS_TXT_PREFIX
					  "\" (%zu TXT records)", n);
		if (found > 1)
			return errbuf_set(why, "%zu records begin with \"" STS_TXT_PREFIX
					  "\", exactly one is allowed", found);
	}
	if (sts_txt_parse(recs[which].data, recs[which].len, out, why) < 0)
		return errbuf_prefix(why, "invalid record");
	return 0;
}

int sts_txt_rdata_concat(const unsigned char *rdata, size_t rdlen,
			 char *out, size_t outmax, size_t *outlen,
			 struct errbuf *why)
{
	size_t in = 0, o = 0;

	*outlen = 0;
	if (rdlen == 0)
		return errbuf_set(why, "empty TXT RDATA");
	while (in < rdlen) {
		size_t n = rdata[in++];

		if (n > rdlen - in)
			return errbuf_set(why, "TXT string of %zu bytes overruns "
					  "the RDATA", n);
		if (n > outmax - o)
			return errbuf_set(why, "TXT record longer than %zu bytes",
					  outmax);
		memcpy(out + o, rdata + in, n);
		o += n;
		in += n;
	}
	*outlen = o;
	return 0;
}
