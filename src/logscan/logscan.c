/* SPDX-License-Identifier: MIT */
/*
 * logscan.c - the scanner: input (plain, gzip, stdin), per-process
 * correlation state and the per-destination tallies.  See logscan.h for
 * the correlation rules and limits.
 *
 * Speed: input is read in LOGSCAN_BLOCK blocks and split with memchr();
 * the envelope parser rejects the lines of other programs after a few
 * compares; only smtp/lmtp lines are parsed further, and only delivery
 * and TLS lines touch the hash tables, a few events after they were
 * parsed, with the records they touch prefetched meanwhile (struct
 * qev: on a log of 50,000 domains the tables are cold, and a lookup's
 * cache misses cost more than its instructions); a domain's first
 * LOGSCAN_DOMAIN_MXC (domain, relay host) pairs are found from its own
 * record, without the pair hash table.  Nothing is allocated
 * per line: strings are copied into an arena once per new domain, host
 * or name.
 */
#include "logscan/logscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define ZIN_SIZE (256 * 1024)
/* the first read goes into the line buffer and, for gzip, moves to zin */
#define FIRST_READ (ZIN_SIZE < LOGSCAN_BLOCK ? ZIN_SIZE : LOGSCAN_BLOCK)
#define ARENA_CHUNK (256 * 1024)
#define LOGSCAN_QDEPTH 4 /* events parsed ahead of their tallies (struct qev) */

/* ---- strings ---------------------------------------------------------- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

static char *arena_dup(struct arena_chunk **head, const char *s, size_t n)
{
	struct arena_chunk *c = *head;
	char *p;

	if (c == NULL || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;

		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static inline uint64_t mix64(uint64_t x);

/* A per-destination counter (logscan.h: saturates, never wraps). */
static inline void count(uint32_t *c)
{
	*c += *c != LOGSCAN_COUNT_MAX;
}

/* Loads up to 8 bytes little-endian. */
static inline uint64_t load_tail(const char *s, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, s, n);
	return v;
}

/*
 * 8 bytes at a time.  With fold, every byte is ORed with 0x20, which maps
 * 'A'-'Z' to 'a'-'z' (and leaves digits, '.', '-' alone): a
 * case-insensitive hash; equality is still checked byte by byte.
 */
static inline uint64_t hash_mem(const char *s, size_t n, uint64_t fold)
{
	uint64_t h = 0x243f6a8885a308d3ULL ^ (n * 0x9e3779b97f4a7c15ULL), v;

	while (n >= 8) {
		memcpy(&v, s, 8);
		h = (h ^ (v | fold)) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		v = load_tail(s, n) | (fold & ((1ULL << (8 * n)) - 1));
		h = (h ^ v) * 0x94d049bb133111ebULL;
	}
	return mix64(h);
}

static uint64_t hash_lower(const char *s, size_t n)
{
	return hash_mem(s, n, 0x2020202020202020ULL);
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	return hash_mem(s, n, 0);
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * A string -> id table (ids 1..n; 0 = none), open addressing.  A slot
 * holds the name's pointer and length, its id and the high 32 bits of
 * the hash, so a lookup touches the slot and the name only: on logs of
 * gigabytes with 50,000 domains these tables are cold, and every
 * dependent load is a cache miss (a separate entry array between slot
 * and name cost one more per lookup).  Names are stored (lower-cased
 * unless keep_case) in the arena.  Grows by doubling up to max entries
 * (at most STRTAB_ID_MAX); names are at most LOGSCAN_NAME_MAX bytes.
 */
struct strslot {
	const char *name;  /* NULL: empty */
	uint32_t tag;      /* high 32 bits of the hash */
	uint32_t id_len;   /* id << 8 | length */
};

#define STRTAB_ID_MAX 0xffffffu
#define SLOT_ID(sl) ((sl)->id_len >> 8)
#define SLOT_LEN(sl) ((sl)->id_len & 0xffu)

struct strtab {
	struct strslot *slots;
	size_t mask;
	size_t n, max;
	const char **names; /* by id; index 0 unused */
	size_t cap;
	int keep_case; /* TLS names: compared and stored as logged */
};

static inline uint64_t strtab_hash(const struct strtab *t, const char *s, size_t n)
{
	return t->keep_case ? hash_bytes(s, n) : hash_lower(s, n);
}

static int strtab_grow(struct strtab *t)
{
	size_t nslots = t->slots ? (t->mask + 1) * 2 : 1024;
	struct strslot *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (size_t k = 0; t->slots && k <= t->mask; k++) {
		const struct strslot *sl = &t->slots[k];
		size_t i;

		if (sl->name == NULL)
			continue;
		/* the index bits are the low bits of the hash, which the
		 * slot does not keep: rehash the name */
		uint64_t h = strtab_hash(t, sl->name, SLOT_LEN(sl));

		for (i = (size_t)h & (nslots - 1); slots[i].name; i = (i + 1) & (nslots - 1))
			;
		slots[i] = *sl;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
	return 0;
}

static int lower_equal(const char *stored, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (stored[i] != lower(s[i]))
			return 0;
	return 1;
}

/* s[0..n) equals the stored (lower-case) name?  Logged names are
 * mostly lower case already: one memcmp() first. */
static inline int name_equal(const struct strtab *t, const char *stored, const char *s, size_t n)
{
	if (memcmp(stored, s, n) == 0)
		return 1;
	return !t->keep_case && lower_equal(stored, s, n);
}

/* The first slot for hash h whose tag matches (the name not compared),
 * else NULL: the slot a lookup of h will most likely end at, for a
 * caller that prefetches the name or what the id indexes while other
 * work goes on. */
static inline const struct strslot *strtab_peek_slot(const struct strtab *t, uint64_t h)
{
	uint32_t tag = (uint32_t)(h >> 32);

	if (t->slots == NULL)
		return NULL;
	for (size_t i = (size_t)h & t->mask; t->slots[i].name != NULL; i = (i + 1) & t->mask)
		if (t->slots[i].tag == tag)
			return &t->slots[i];
	return NULL;
}

/* strtab_peek_slot()'s id, else 0: lets a caller prefetch what the id
 * indexes while strtab_get_h() compares the name. */
static inline uint32_t strtab_peek(const struct strtab *t, uint64_t h)
{
	const struct strslot *sl = strtab_peek_slot(t, h);

	return sl ? SLOT_ID(sl) : 0;
}

/* Returns the id of s (adding it when new), 0 when the table is full or
 * memory ran out; *added = 1 when new.  h: strtab_hash(t, s, n). */
static uint32_t strtab_get_h(struct strtab *t, struct arena_chunk **arena,
			     const char *s, size_t n, uint64_t h, int *added)
{
	uint32_t tag = (uint32_t)(h >> 32);
	struct strslot *sl;
	size_t i;
	uint32_t id;
	char *copy;

	*added = 0;
	if (n > LOGSCAN_NAME_MAX) /* callers never pass one */
		return 0;
	if (t->slots) {
		for (i = (size_t)h & t->mask; (sl = &t->slots[i])->name != NULL;
		     i = (i + 1) & t->mask)
			if (sl->tag == tag && SLOT_LEN(sl) == n && name_equal(t, sl->name, s, n))
				return SLOT_ID(sl);
	}
	if (t->n >= t->max || t->n >= STRTAB_ID_MAX)
		return 0;
	if (t->slots == NULL || (t->n + 1) * 2 > t->mask + 1)
		if (strtab_grow(t) < 0)
			return 0;
	if (t->n + 1 >= t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		const char **names = realloc(t->names, cap * sizeof(*names));

		if (names == NULL)
			return 0;
		t->names = names;
		t->cap = cap;
	}
	if ((copy = arena_dup(arena, s, n)) == NULL)
		return 0;
	if (!t->keep_case)
		for (size_t k = 0; k < n; k++)
			copy[k] = lower(copy[k]);
	id = (uint32_t)++t->n;
	t->names[id] = copy;
	for (i = (size_t)h & t->mask; t->slots[i].name; i = (i + 1) & t->mask)
		;
	t->slots[i].name = copy;
	t->slots[i].tag = tag;
	t->slots[i].id_len = id << 8 | (uint32_t)n;
	*added = 1;
	return id;
}

static uint32_t strtab_get(struct strtab *t, struct arena_chunk **arena,
			   const char *s, size_t n, int *added)
{
	return strtab_get_h(t, arena, s, n, strtab_hash(t, s, n), added);
}

static inline const char *strtab_name(const struct strtab *t, uint32_t id)
{
	return t->names[id];
}

static void strtab_free(struct strtab *t)
{
	free(t->slots);
	free(t->names);
}

/* ---- per-process state ------------------------------------------------- */

struct proc_pending {
	uint8_t kind;  /* enum logline_fail */
	uint32_t host; /* host id, 0 = unknown */
};

struct proc {
	uint64_t key; /* 0 = empty */
	uint64_t lru;
	uint64_t sess_relay; /* hash of the relay of the open TLS session */
	uint64_t sess_qid;   /* queue id the session is bound to, 0 = none */
	uint64_t last_qid, last_relay; /* last final failure counted */
	uint32_t sess_host;
	uint16_t sess_proto, sess_cipher;
	uint8_t sess_trust, sess_open, last_kind, npend;
	struct proc_pending pend[LOGSCAN_PROC_PENDING];
};

/*
 * One parsed smtp/lmtp event whose tallies are still to be done
 * (logscan_line()'s second half).  Lines are parsed in order, and their
 * events are applied in order, LOGSCAN_QDEPTH - 1 events later: the
 * records they will touch (process state, the domain's and the host's
 * slots, then the names and the domain record, then the pair) are
 * prefetched a step per event in between, so their cache misses load
 * while other lines are parsed (issue 20 item 6).  The strings point
 * into the line buffer: feed() applies all of them before it returns.
 */
struct qev {
	struct logline_smtp ev;
	uint64_t pkey;  /* proc_key() */
	uint64_t dh;    /* hash_lower() of the domain (DELIVERY) */
	uint64_t hh;    /* hash_lower() of the relay host */
	size_t dn;      /* name_len() of the domain */
	size_t hn;      /* host_len() of the relay host */
	time_t t;
};

/* ---- the scanner ------------------------------------------------------- */

struct logscan {
	struct logscan_opts opts;
	char **filter;       /* lower-cased copies of opts.domains */
	size_t *filter_len;
	struct logscan_counts c;
	struct arena_chunk *arena;

	struct strtab domtab; /* ids -> doms[id - 1] */
	struct logscan_domain *doms;
	size_t doms_cap;
	struct strtab hosts;
	struct strtab names;  /* TLS versions and ciphers */

	/* (domain index, host id) -> pair index (1..); pairs[0] unused.  The
	 * hash holds only the pairs beyond a domain's LOGSCAN_DOMAIN_MXC
	 * (struct logscan_domain's mx_host / mx_pair). */
	struct logscan_mx *pairs;
	size_t npairs, pairs_cap;
	uint32_t *pair_slots;
	size_t pair_mask, pairs_hashed;

	struct proc *procs; /* LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS */
	uint64_t tick;

	/* year-less time stamps */
	int ref_year, ref_mon;
	/* local time cache: one hour */
	long cache_key;
	time_t cache_base;

	/* per-day tally, sorted by date; [day_lo, day_hi) is the local
	 * day of days[day_last], the one used last */
	struct logscan_day *days;
	size_t ndays, days_cap, day_last;
	time_t day_lo, day_hi;

	char *buf;   /* LOGSCAN_BLOCK line buffer */
	unsigned char *zin;

	/* parsed events not yet applied (struct qev) */
	struct qev *queue;
	unsigned qhead, qn;

	/* the daemon's shadow-mode lines, in input order (issue 13) */
	struct logscan_shadow *shadow;
	size_t nshadow, shadow_cap;
};

static struct logscan_day *day_get(struct logscan *ls, time_t t);

struct logscan *logscan_new(const struct logscan_opts *opts)
{
	struct logscan *ls = calloc(1, sizeof(*ls));

	if (ls == NULL)
		return NULL;
	if (opts)
		ls->opts = *opts;
	ls->domtab.max = LOGSCAN_MAX_DOMAINS;
	ls->hosts.max = LOGSCAN_MAX_HOSTS;
	ls->names.max = LOGSCAN_MAX_NAMES;
	ls->names.keep_case = 1;
	ls->procs = calloc((size_t)LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS, sizeof(*ls->procs));
	if (ls->procs == NULL)
		goto fail;
	if ((ls->queue = calloc(LOGSCAN_QDEPTH, sizeof(*ls->queue))) == NULL)
		goto fail;
	if (ls->opts.ndomains) {
		ls->filter = calloc(ls->opts.ndomains, sizeof(*ls->filter));
		ls->filter_len = calloc(ls->opts.ndomains, sizeof(*ls->filter_len));
		if (ls->filter == NULL || ls->filter_len == NULL)
			goto fail;
		for (size_t i = 0; i < ls->opts.ndomains; i++) {
			const char *d = ls->opts.domains[i];
			size_t n = strlen(d);

			while (n && d[n - 1] == '.')
				n--;
			if ((ls->filter[i] = arena_dup(&ls->arena, d, n)) == NULL)
				goto fail;
			for (size_t k = 0; k < n; k++)
				ls->filter[i][k] = lower(ls->filter[i][k]);
			ls->filter_len[i] = n;
		}
	}
	ls->opts.domains = NULL;
	ls->cache_key = -1;
	logscan_set_reftime(ls, time(NULL));
	return ls;
fail:
	logscan_free(ls);
	return NULL;
}

void logscan_free(struct logscan *ls)
{
	struct arena_chunk *c, *next;

	if (ls == NULL)
		return;
	for (c = ls->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	strtab_free(&ls->domtab);
	strtab_free(&ls->hosts);
	strtab_free(&ls->names);
	for (size_t i = 0; i < ls->nshadow; i++) {
		free(ls->shadow[i].domain);
		free(ls->shadow[i].text);
		free(ls->shadow[i].from);
	}
	free(ls->shadow);
	free(ls->doms);
	free(ls->days);
	free(ls->pairs);
	free(ls->pair_slots);
	free(ls->procs);
	free(ls->queue);
	free(ls->filter);
	free(ls->filter_len);
	free(ls->buf);
	free(ls->zin);
	free(ls);
}

void logscan_set_reftime(struct logscan *ls, time_t ref)
{
	struct tm tm;

	if (ls->opts.year) {
		ls->ref_year = ls->opts.year;
		ls->ref_mon = 12;
		return;
	}
	localtime_r(&ref, &tm);
	ls->ref_year = tm.tm_year + 1900;
	ls->ref_mon = tm.tm_mon + 1;
}

const struct logscan_counts *logscan_counts(const struct logscan *ls)
{
	return &ls->c;
}

size_t logscan_ndomains(const struct logscan *ls)
{
	return ls->domtab.n;
}

const struct logscan_domain *logscan_domain(const struct logscan *ls, size_t i)
{
	return i < ls->domtab.n ? &ls->doms[i] : NULL;
}

const struct logscan_mx *logscan_mx(const struct logscan *ls, uint32_t idx)
{
	return idx && idx <= ls->npairs ? &ls->pairs[idx] : NULL;
}

const char *logscan_host_name(const struct logscan *ls, uint32_t host)
{
	return host && host <= ls->hosts.n ? strtab_name(&ls->hosts, host) : "";
}

const char *logscan_tls_name(const struct logscan *ls, uint16_t id)
{
	return id && id <= ls->names.n ? strtab_name(&ls->names, id) : "other";
}

/* ---- time --------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static time_t local_time(struct logscan *ls, int year, int mon, int mday,
			 int hour, int min, int sec)
{
	long key = ((((long)year * 13 + mon) * 32 + mday) * 24) + hour;

	if (key != ls->cache_key) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year - 1900;
		tm.tm_mon = mon - 1;
		tm.tm_mday = mday;
		tm.tm_hour = hour;
		tm.tm_isdst = -1;
		ls->cache_base = mktime(&tm);
		ls->cache_key = key;
	}
	if (ls->cache_base == (time_t)-1)
		return 0;
	return ls->cache_base + min * 60 + sec;
}

static time_t line_time(struct logscan *ls, const struct logline *ll)
{
	int year = ll->year;

	if (ll->has_zone)
		return (time_t)days_from_civil(year, ll->mon, ll->mday) * 86400 +
		       ll->hour * 3600 + ll->min * 60 + ll->sec - ll->zone_off;
	if (year == 0)
		year = ll->mon > ls->ref_mon ? ls->ref_year - 1 : ls->ref_year;
	return local_time(ls, year, ll->mon, ll->mday, ll->hour, ll->min, ll->sec);
}

int logscan_parse_time(const char *s, time_t now, time_t *out)
{
	struct logline ll;
	const char *p = s;
	size_t n = strlen(s);
	char *end;

	if (n == 0)
		return -1;
	if (*p == '@') {
		errno = 0;
		long long v = strtoll(p + 1, &end, 10);
		if (errno || end == p + 1 || *end)
			return -1;
		*out = (time_t)v;
		return 0;
	}
	if (*p == '-')
		p++;
	if (*p >= '0' && *p <= '9' && strchr("smhdw", s[n - 1]) && strspn(p, "0123456789") == strlen(p) - 1) {
		unsigned long long v;
		unsigned mult = 1;

		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || v > 100ULL * 366 * 86400)
			return -1;
		switch (*end) {
		case 'w': mult = 7 * 86400; break;
		case 'd': mult = 86400; break;
		case 'h': mult = 3600; break;
		case 'm': mult = 60; break;
		default: break;
		}
		*out = now - (time_t)(v * mult);
		return 0;
	}
	/* YYYY-MM-DD[( |T)hh:mm[:ss]][zone] */
	memset(&ll, 0, sizeof(ll));
	p = s;
	if (n < 10 || p[4] != '-' || p[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (p[i] < '0' || p[i] > '9'))
			return -1;
	ll.year = atoi(p);
	ll.mon = atoi(p + 5);
	ll.mday = atoi(p + 8);
	if (ll.year < 1970 || ll.mon < 1 || ll.mon > 12 || ll.mday < 1 || ll.mday > 31)
		return -1;
	p += 10;
	if (*p == ' ' || *p == 'T') {
		char hms[9];
		size_t k = strspn(p + 1, "0123456789:");

		if (k == 5) {
			memcpy(hms, p + 1, 5);
			memcpy(hms + 5, ":00", 4);
		} else if (k == 8) {
			memcpy(hms, p + 1, 8);
			hms[8] = '\0';
		} else {
			return -1;
		}
		if (hms[2] != ':' || hms[5] != ':')
			return -1;
		ll.hour = atoi(hms);
		ll.min = atoi(hms + 3);
		ll.sec = atoi(hms + 6);
		if (ll.hour > 23 || ll.min > 59 || ll.sec > 60)
			return -1;
		p += 1 + k;
		if (*p == 'Z' && p[1] == '\0') {
			ll.has_zone = 1;
			p++;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
			int zh = atoi(p + 1), zm = atoi(p + 4);

			if (strspn(p + 1, "0123456789") != 2 || strspn(p + 4, "0123456789") != 2 ||
			    zh > 23 || zm > 59)
				return -1;
			ll.has_zone = 1;
			ll.zone_off = (*p == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
			p += 6;
		}
	}
	if (*p)
		return -1;
	if (ll.has_zone) {
		*out = (time_t)days_from_civil(ll.year, ll.mon, ll.mday) * 86400 +
		       ll.hour * 3600 + ll.min * 60 + ll.sec - ll.zone_off;
	} else {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = ll.year - 1900;
		tm.tm_mon = ll.mon - 1;
		tm.tm_mday = ll.mday;
		tm.tm_hour = ll.hour;
		tm.tm_min = ll.min;
		tm.tm_sec = ll.sec;
		tm.tm_isdst = -1;
		if ((*out = mktime(&tm)) == (time_t)-1)
			return -1;
	}
	return 0;
}

/* ---- tallies ------------------------------------------------------------ */

static uint64_t proc_key(const struct logline *ll)
{
	return mix64(hash_bytes(ll->host.p, ll->host.len) * 31 +
		     hash_bytes(ll->tag.p, ll->tag.len) +
		     (uint64_t)ll->pid * 0x9e3779b97f4a7c15ULL) | 1;
}

static inline struct proc *proc_set(struct logscan *ls, uint64_t key)
{
	return &ls->procs[(size_t)(key >> 40) % LOGSCAN_PROC_SETS * LOGSCAN_PROC_WAYS];
}

/* key: proc_key() of the line */
static struct proc *proc_get(struct logscan *ls, uint64_t key)
{
	struct proc *set = proc_set(ls, key);
	struct proc *victim = &set[0];

	ls->tick++;
	for (int w = 0; w < LOGSCAN_PROC_WAYS; w++) {
		if (set[w].key == key) {
			set[w].lru = ls->tick;
			return &set[w];
		}
		if (set[w].lru < victim->lru)
			victim = &set[w];
	}
	if (victim->key)
		ls->c.evicted++;
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	victim->lru = ls->tick;
	return victim;
}

/* Canonical domain: no trailing dots, not empty, at most
 * LOGSCAN_NAME_MAX bytes.  Returns the length to use, 0 to skip. */
static size_t name_len(const char *p, size_t n)
{
	while (n && p[n - 1] == '.')
		n--;
	return n <= LOGSCAN_NAME_MAX ? n : 0;
}

static int domain_wanted(const struct logscan *ls, const char *d, size_t n)
{
	if (ls->opts.ndomains == 0)
		return 1;
	for (size_t i = 0; i < ls->opts.ndomains; i++) {
		size_t fl = ls->filter_len[i];

		if (n == fl && lower_equal(ls->filter[i], d, n))
			return 1;
		if (n > fl && d[n - fl - 1] == '.' && lower_equal(ls->filter[i], d + n - fl, fl))
			return 1;
	}
	return 0;
}

/* h: hash_lower(d, n) */
static struct logscan_domain *domain_get(struct logscan *ls, const char *d, size_t n, uint64_t h)
{
	int added;
	uint32_t id;

	if (ls->domtab.n + 1 > ls->doms_cap) { /* room for a new one first */
		size_t cap = ls->doms_cap ? ls->doms_cap * 2 : 1024;
		struct logscan_domain *doms = realloc(ls->doms, cap * sizeof(*doms));

		if (doms == NULL)
			return NULL;
		ls->doms = doms;
		ls->doms_cap = cap;
	}
	/* the record's first lines load while the name is compared */
	if ((id = strtab_peek(&ls->domtab, h)) != 0 && id <= ls->domtab.n) {
		__builtin_prefetch(&ls->doms[id - 1]);
		__builtin_prefetch((const char *)&ls->doms[id - 1] + 64);
	}
	if ((id = strtab_get_h(&ls->domtab, &ls->arena, d, n, h, &added)) == 0)
		return NULL;
	if (added) {
		memset(&ls->doms[id - 1], 0, sizeof(ls->doms[0]));
		ls->doms[id - 1].name = strtab_name(&ls->domtab, id);
	}
	return &ls->doms[id - 1];
}

/* A relay's host name as the host table keeps it: its length (0: none)
 * and *hh its hash. */
static inline size_t host_len(const char *h, size_t n, uint64_t *hh)
{
	n = name_len(h, n);
	if (n == 0 || (n == 4 && memcmp(h, "none", 4) == 0))
		return 0;
	*hh = hash_lower(h, n);
	return n;
}

/* The host id of ev->relay_host (0: none), whose host_len() and hash were taken
 * when the line was parsed (struct qev) */
static uint32_t relay_host_get(struct logscan *ls, const struct logline_smtp *ev,
			       size_t hn, uint64_t hh)
{
	int added;

	if (hn == 0)
		return 0;
	return strtab_get_h(&ls->hosts, &ls->arena, ev->relay_host.p, hn, hh, &added);
}

static uint16_t tls_name_get(struct logscan *ls, const char *s, size_t n)
{
	int added;

	if (n == 0 || n > LOGSCAN_NAME_MAX)
		return 0;
	return (uint16_t)strtab_get(&ls->names, &ls->arena, s, n, &added);
}

static inline uint64_t pair_hash(uint32_t dom, uint32_t host)
{
	return mix64(((uint64_t)dom << 32) | host);
}

/* 1 when pair i is one of its domain's own (not in the hash table) */
static int pair_in_domain(const struct logscan *ls, uint32_t i)
{
	const struct logscan_domain *d = &ls->doms[ls->pairs[i].dom];

	for (int c = 0; c < LOGSCAN_DOMAIN_MXC; c++)
		if (d->mx_pair[c] == i)
			return 1;
	return 0;
}

static int pairs_grow(struct logscan *ls)
{
	size_t nslots = ls->pair_slots ? (ls->pair_mask + 1) * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (uint32_t i = 1; ls->pair_slots && i <= ls->npairs; i++) {
		size_t k;

		if (pair_in_domain(ls, i))
			continue;
		k = (size_t)pair_hash(ls->pairs[i].dom, ls->pairs[i].host) & (nslots - 1);
		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = i;
	}
	free(ls->pair_slots);
	ls->pair_slots = slots;
	ls->pair_mask = nslots - 1;
	return 0;
}

/* The pair index of (d, host) among the domain's own pairs, else 0;
 * *c: the first free place there, LOGSCAN_DOMAIN_MXC when full. */
static inline uint32_t pair_in_record(const struct logscan_domain *d, uint32_t host, int *c)
{
	int k;

	for (k = 0; k < LOGSCAN_DOMAIN_MXC && d->mx_pair[k]; k++)
		if (d->mx_host[k] == host) {
			*c = k;
			return d->mx_pair[k];
		}
	*c = k;
	return 0;
}

static struct logscan_mx *pair_get(struct logscan *ls, struct logscan_domain *d, uint32_t host)
{
	uint32_t dom = (uint32_t)(d - ls->doms);
	uint64_t h;
	size_t k;
	uint32_t i, tail;
	int c;

	if (host == 0)
		return NULL;
	if ((i = pair_in_record(d, host, &c)) != 0)
		return &ls->pairs[i];
	h = pair_hash(dom, host);
	if (c == LOGSCAN_DOMAIN_MXC && ls->pair_slots) {
		for (k = (size_t)h & ls->pair_mask; (i = ls->pair_slots[k]) != 0;
		     k = (k + 1) & ls->pair_mask)
			if (ls->pairs[i].dom == dom && ls->pairs[i].host == host)
				return &ls->pairs[i];
	}
	if (ls->npairs >= LOGSCAN_MAX_PAIRS) {
		ls->c.dropped++;
		return NULL;
	}
	if (c == LOGSCAN_DOMAIN_MXC &&
	    (ls->pair_slots == NULL || (ls->pairs_hashed + 1) * 2 > ls->pair_mask + 1))
		if (pairs_grow(ls) < 0)
			return NULL;
	if (ls->npairs + 1 >= ls->pairs_cap) {
		size_t cap = ls->pairs_cap ? ls->pairs_cap * 2 : 1024;
		struct logscan_mx *pairs = realloc(ls->pairs, cap * sizeof(*pairs));

		if (pairs == NULL)
			return NULL;
		ls->pairs = pairs;
		ls->pairs_cap = cap;
	}
	i = (uint32_t)++ls->npairs;
	memset(&ls->pairs[i], 0, sizeof(ls->pairs[i]));
	ls->pairs[i].host = host;
	ls->pairs[i].dom = dom;
	/* append to the domain's list, keeping first-seen order: the first
	 * pairs are the record's, in order, so the walk starts at the last */
	if (d->mx_first == 0) {
		d->mx_first = i;
	} else {
		for (tail = c ? d->mx_pair[c - 1] : d->mx_first; ls->pairs[tail].next;)
			tail = ls->pairs[tail].next;
		ls->pairs[tail].next = i;
	}
	if (c < LOGSCAN_DOMAIN_MXC) {
		d->mx_host[c] = host;
		d->mx_pair[c] = i;
	} else {
		for (k = (size_t)h & ls->pair_mask; ls->pair_slots[k]; k = (k + 1) & ls->pair_mask)
			;
		ls->pair_slots[k] = i;
		ls->pairs_hashed++;
	}
	return &ls->pairs[i];
}

static void count_fail(struct logscan *ls, struct logscan_domain *d,
		       uint32_t host, enum logline_fail kind)
{
	struct logscan_mx *mx = pair_get(ls, d, host);

	count(&d->t.fail[kind]);
	if (mx)
		count(&mx->t.fail[kind]);
}

static void tally_name(uint16_t *ids, uint32_t *counts, int n,
		       uint32_t *other, uint16_t id)
{
	for (int i = 0; i < n; i++) {
		if (ids[i] == id && counts[i]) {
			count(&counts[i]);
			return;
		}
		if (counts[i] == 0) {
			ids[i] = id;
			counts[i] = 1;
			return;
		}
	}
	count(other);
}

/* Does a failure of kind k (from a status text) describe the same event
 * as an earlier detail of kind d? */
static int same_failure(enum logline_fail k, enum logline_fail d)
{
	if (k == d)
		return 1;
	if (k == LOGLINE_FAIL_UNTRUSTED || k == LOGLINE_FAIL_UNVERIFIED)
		return d == LOGLINE_FAIL_UNTRUSTED || d == LOGLINE_FAIL_EXPIRED ||
		       d == LOGLINE_FAIL_NAME_MISMATCH || d == LOGLINE_FAIL_DANE ||
		       d == LOGLINE_FAIL_UNVERIFIED;
	if (k == LOGLINE_FAIL_DANE)
		return d == LOGLINE_FAIL_NO_TLSA || d == LOGLINE_FAIL_TLSA_ERROR;
	return 0;
}

static void pend_push(struct proc *p, enum logline_fail kind, uint32_t host)
{
	if (p->npend == LOGSCAN_PROC_PENDING) {
		memmove(&p->pend[0], &p->pend[1], sizeof(p->pend[0]) * (LOGSCAN_PROC_PENDING - 1));
		p->npend--;
	}
	p->pend[p->npend].kind = (uint8_t)kind;
	p->pend[p->npend].host = host;
	p->npend++;
}

static void on_tls(struct logscan *ls, struct proc *p, const struct qev *q)
{
	const struct logline_smtp *ev = &q->ev;

	ls->c.tls_sessions++;
	p->sess_relay = hash_lower(ev->relay.p, ev->relay.len) | 1;
	p->sess_host = relay_host_get(ls, ev, q->hn, q->hh);
	p->sess_trust = (uint8_t)ev->trust;
	p->sess_open = 1;
	p->sess_qid = 0;
	p->sess_proto = tls_name_get(ls, ev->proto.p, ev->proto.len);
	p->sess_cipher = tls_name_get(ls, ev->cipher.p, ev->cipher.len);
}

static void on_detail(struct logscan *ls, struct proc *p, const struct qev *q)
{
	const struct logline_smtp *ev = &q->ev;
	uint32_t host = relay_host_get(ls, ev, q->hn, q->hh);

	for (int i = 0; i < p->npend; i++)
		if (p->pend[i].host == host && same_failure((enum logline_fail)p->pend[i].kind, ev->fail))
			return; /* the same attempt, logged twice (e.g. a TLS library detail) */
	pend_push(p, ev->fail, host);
}

static void on_qid_fail(struct logscan *ls, struct proc *p, const struct qev *q)
{
	const struct logline_smtp *ev = &q->ev;
	uint32_t host = 0;
	uint64_t qid = hash_bytes(ev->qid.p, ev->qid.len) | 1;

	if (ev->relay_host.len)
		host = relay_host_get(ls, ev, q->hn, q->hh);
	else if (p->sess_open)
		host = p->sess_host;
	else if (p->npend)
		host = p->pend[p->npend - 1].host;
	if (p->sess_open && p->sess_host == host) { /* the session failed */
		p->sess_open = 0;
		p->sess_qid = qid;
	}
	for (int i = 0; i < p->npend; i++)
		if ((p->pend[i].host == host || host == 0) &&
		    same_failure(ev->fail, (enum logline_fail)p->pend[i].kind))
			return; /* already pending, with more detail */
	pend_push(p, ev->fail, host);
}

static void on_delivery(struct logscan *ls, struct proc *p, const struct qev *q)
{
	const struct logline_smtp *ev = &q->ev;
	struct logscan_domain *d;
	struct logscan_mx *mx;
	enum logline_trust trust = LOGLINE_PLAINTEXT;
	enum logline_fail kind = LOGLINE_FAIL_NONE;
	uint64_t qid = hash_bytes(ev->qid.p, ev->qid.len) | 1;
	uint64_t relay = hash_lower(ev->relay.p, ev->relay.len) | 1;
	uint32_t host;

	ls->c.delivery_records++;
	/* Which TLS session, if any, carried this record. */
	if (p->sess_relay == relay && (p->sess_open || p->sess_qid == qid)) {
		trust = (enum logline_trust)p->sess_trust;
		if (p->sess_open) {
			p->sess_open = 0;
			p->sess_qid = qid;
		}
	}
	if (ev->status == LOGLINE_STATUS_DEFERRED || ev->status == LOGLINE_STATUS_BOUNCED)
		kind = logline_classify(ev->text.p, ev->text.len);
	/* A failed TLS session carries no mail: it never counts as Verified
	 * etc. (only a status=sent record counts a class anyway). */

	if (q->dn == 0) {
		ls->c.no_domain++;
		p->npend = 0;
		return;
	}
	if (!domain_wanted(ls, ev->domain.p, q->dn)) {
		ls->c.filtered++;
		p->npend = 0;
		return;
	}
	if ((d = domain_get(ls, ev->domain.p, q->dn, q->dh)) == NULL) {
		ls->c.dropped++;
		p->npend = 0;
		return;
	}
	/* the relay of the session's TLS line was looked up already */
	if (p->sess_relay == relay && p->sess_host)
		host = p->sess_host;
	else
		host = relay_host_get(ls, ev, q->hn, q->hh);

	/* Failures of earlier attempts of this process: this message's. */
	for (int i = 0; i < p->npend; i++)
		count_fail(ls, d, p->pend[i].host, (enum logline_fail)p->pend[i].kind);
	if (kind != LOGLINE_FAIL_NONE) {
		if (p->last_qid == qid && p->last_relay == relay && p->last_kind == kind) {
			/* the same failure, logged once per recipient */
		} else {
			int dup = 0;

			/* the final attempt's failure, already logged as a detail */
			for (int i = 0; i < p->npend; i++)
				if (same_failure(kind, (enum logline_fail)p->pend[i].kind) &&
				    (p->pend[i].host == host || p->pend[i].host == 0 || host == 0))
					dup = 1;
			if (!dup)
				count_fail(ls, d, host, kind);
			p->last_qid = qid;
			p->last_relay = relay;
			p->last_kind = (uint8_t)kind;
		}
	}
	p->npend = 0;
	/* after count_fail(): it may have moved the pair array */
	mx = pair_get(ls, d, host);

	switch (ev->status) {
	case LOGLINE_STATUS_SENT:
		ls->c.deliveries++;
		count(&d->t.tls[trust]);
		{
			struct logscan_day *day = q->t ? day_get(ls, q->t) : NULL;

			if (day)
				day->tls[trust]++;
			else
				ls->c.undated++;
		}
		if (mx)
			count(&mx->t.tls[trust]);
		if (trust != LOGLINE_PLAINTEXT) {
			tally_name(d->proto, d->proto_n, LOGSCAN_DOMAIN_PROTOS, &d->proto_other,
				   p->sess_proto);
			tally_name(d->cipher, d->cipher_n, LOGSCAN_DOMAIN_CIPHERS, &d->cipher_other,
				   p->sess_cipher);
		}
		/* a relay named only by its address: names unknown */
		if (ev->relay_host.len == 0 ||
		    (ev->relay_host.len == ev->relay_addr.len &&
		     memcmp(ev->relay_host.p, ev->relay_addr.p, ev->relay_addr.len) == 0) ||
		    (ev->relay_host.len == 7 && memcmp(ev->relay_host.p, "unknown", 7) == 0))
			count(&d->ip_only);
		break;
	case LOGLINE_STATUS_DEFERRED:
		count(&d->t.deferred);
		if (mx)
			count(&mx->t.deferred);
		break;
	case LOGLINE_STATUS_BOUNCED:
		count(&d->t.bounced);
		if (mx)
			count(&mx->t.bounced);
		break;
	default:
		break;
	}
	if (q->t) {
		if (d->first == 0 || q->t < d->first)
			d->first = q->t;
		if (q->t > d->last)
			d->last = q->t;
	}
}

/* The day of t in ls->days (inserted in order), NULL when the table is
 * full or out of memory.  One localtime_r() per new day boundary. */
static struct logscan_day *day_get(struct logscan *ls, time_t t)
{
	struct logscan_day *d;
	struct tm tm, lo;
	size_t a = 0, b = ls->ndays;
	long key;

	if (ls->ndays && t >= ls->day_lo && t < ls->day_hi)
		return &ls->days[ls->day_last];
	if (localtime_r(&t, &tm) == NULL)
		return NULL;
	key = ((long)tm.tm_year * 13 + tm.tm_mon) * 32 + tm.tm_mday;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		long k = ((long)(ls->days[m].year - 1900) * 13 + ls->days[m].mon - 1) * 32 +
			 ls->days[m].mday;

		if (k < key)
			a = m + 1;
		else
			b = m;
	}
	if (a == ls->ndays || ls->days[a].year != tm.tm_year + 1900 ||
	    ls->days[a].mon != tm.tm_mon + 1 || ls->days[a].mday != tm.tm_mday) {
		if (ls->ndays >= LOGSCAN_MAX_DAYS)
			return NULL;
		if (ls->ndays == ls->days_cap) {
			size_t cap = ls->days_cap ? ls->days_cap * 2 : 32;
			struct logscan_day *nd = realloc(ls->days, cap * sizeof(*nd));

			if (nd == NULL)
				return NULL;
			ls->days = nd;
			ls->days_cap = cap;
		}
		memmove(&ls->days[a + 1], &ls->days[a], (ls->ndays - a) * sizeof(*ls->days));
		ls->ndays++;
		d = &ls->days[a];
		memset(d, 0, sizeof(*d));
		d->year = tm.tm_year + 1900;
		d->mon = tm.tm_mon + 1;
		d->mday = tm.tm_mday;
	}
	/* the local day's bounds: midnight to the next midnight */
	lo = tm;
	lo.tm_hour = lo.tm_min = lo.tm_sec = 0;
	lo.tm_isdst = -1;
	ls->day_lo = mktime(&lo);
	lo = tm;
	lo.tm_mday++;
	lo.tm_hour = lo.tm_min = lo.tm_sec = 0;
	lo.tm_isdst = -1;
	ls->day_hi = mktime(&lo);
	if (ls->day_lo == (time_t)-1 || ls->day_hi == (time_t)-1 || t < ls->day_lo ||
	    t >= ls->day_hi)
		ls->day_lo = ls->day_hi = 0;  /* no cache for this one */
	ls->day_last = a;
	return &ls->days[a];
}

size_t logscan_ndays(const struct logscan *ls)
{
	return ls->ndays;
}

const struct logscan_day *logscan_day(const struct logscan *ls, size_t i)
{
	return i < ls->ndays ? &ls->days[i] : NULL;
}

/* p[0..n) as a new string, lower-cased when lower; NULL on ENOMEM. */
static char *dup_n(const char *p, size_t n, int lower)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = lower && p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') : p[i];
	s[n] = '\0';
	return s;
}

/* The first occurrence of lit in p[0..n), or NULL. */
static const char *find_lit(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	for (size_t i = 0; l <= n && i <= n - l; i++)
		if (p[i] == lit[0] && memcmp(p + i, lit, l) == 0)
			return p + i;
	return NULL;
}

/* The first "tlspolicy" in p[0..n), or NULL.  This runs for every line
 * of other programs: memchr() to each 'y' (rarer in log text than 't',
 * and than the first bytes memmem() keys on) and a compare of the 8
 * bytes before it. */
static const char *find_tag(const char *p, size_t n)
{
	const char *q = p + 8, *e = p + n;

	if (n < 9)
		return NULL;
	for (; q < e && (q = memchr(q, 'y', (size_t)(e - q))) != NULL; q++)
		if (memcmp(q - 8, "tlspolic", 8) == 0)
			return q - 8;
	return NULL;
}

/* A tlspolicy "shadow:" line (struct logscan_shadow): 1 kept, 0 not one. */
static int shadow_line(struct logscan *ls, const char *line, size_t len, const struct logline *ll)
{
	static const char wa[] = " would answer ", fr[] = "\" (from ", tail[] = "); answered NOTFOUND";
	const char *tag = find_tag(line, len < 512 ? len : 512), *p, *end = line + len;
	const char *dom, *sp, *txt, *q, *from;
	struct logscan_shadow *sh;
	int temp = 0;

	if (tag == NULL || (p = find_lit(tag, (size_t)(end - tag) < 40 ? (size_t)(end - tag) : 40,
					 ": shadow: ")) == NULL)
		return 0;
	dom = p + 10;
	if ((sp = memchr(dom, ' ', (size_t)(end - dom))) == NULL || sp == dom ||
	    (size_t)(sp - dom) > LOGSCAN_NAME_MAX ||
	    (size_t)(end - sp) < sizeof(wa) - 1 || memcmp(sp, wa, sizeof(wa) - 1) != 0)
		return 0;
	txt = sp + sizeof(wa) - 1;
	if ((size_t)(end - txt) > 5 && memcmp(txt, "TEMP ", 5) == 0) {
		temp = 1;
		txt += 5;
	}
	if (txt >= end || *txt != '"')
		return 0;
	txt++;
	/* the last "\" (from " of the line: the text may hold anything */
	for (q = NULL, p = txt; (p = find_lit(p, (size_t)(end - p), fr)) != NULL; p++)
		q = p;
	if (q == NULL)
		return 0;
	from = q + sizeof(fr) - 1;
	if ((size_t)(end - from) < sizeof(tail) - 1 ||
	    memcmp(end - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
		return 0;
	if (ls->nshadow >= LOGSCAN_MAX_SHADOW) {
		ls->c.dropped++;
		return 1;
	}
	if (ls->nshadow == ls->shadow_cap) {
		size_t nc = ls->shadow_cap ? ls->shadow_cap * 2 : 64;
		struct logscan_shadow *nv = realloc(ls->shadow, nc * sizeof(*nv));

		if (nv == NULL) {
			ls->c.dropped++;
			return 1;
		}
		ls->shadow = nv;
		ls->shadow_cap = nc;
	}
	sh = &ls->shadow[ls->nshadow];
	sh->domain = dup_n(dom, (size_t)(sp - dom), 1);
	sh->text = dup_n(txt, (size_t)(q - txt), 0);
	sh->from = dup_n(from, (size_t)(end - (sizeof(tail) - 1) - from), 0);
	sh->temp = temp;
	sh->when = ll ? line_time(ls, ll) : 0;
	if (sh->domain == NULL || sh->text == NULL || sh->from == NULL) {
		free(sh->domain);
		free(sh->text);
		free(sh->from);
		ls->c.dropped++;
		return 1;
	}
	ls->nshadow++;
	return 1;
}

size_t logscan_shadows(const struct logscan *ls, const struct logscan_shadow **v)
{
	*v = ls->shadow;
	return ls->nshadow;
}

/*
 * The first half of a line: counts, the envelope and the smtp message
 * parsed, hashes taken and the first records prefetched.  Returns 1
 * when q holds an event for line_apply(), 0 when the line is done.
 */
static inline int line_parse(struct logscan *ls, const char *line, size_t len, struct qev *q)
{
	struct logline ll;
	enum logline_prog prog;
	struct proc *p;

	ls->c.lines++;
	if (logline_envelope(line, len, &ll) < 0) {
		ls->c.other_lines++;
		shadow_line(ls, line, len, NULL);
		return 0;
	}
	prog = logline_program(&ll);
	if (prog == LOGLINE_PROG_OTHER) {
		ls->c.other_lines++;
		shadow_line(ls, line, len, &ll);
		return 0;
	}
	ls->c.postfix_lines++;
	if (prog != LOGLINE_PROG_SMTP && prog != LOGLINE_PROG_LMTP)
		return 0;
	ls->c.smtp_lines++;
	/* the process state's set loads while the message is parsed */
	q->pkey = proc_key(&ll);
	p = proc_set(ls, q->pkey);
	for (int w = 0; w < LOGSCAN_PROC_WAYS; w++)
		__builtin_prefetch(&p[w]);
	switch (logline_smtp(&ll, &q->ev)) {
	case LOGLINE_UNKNOWN:
		ls->c.unknown_lines++;
		return 0;
	case LOGLINE_IGNORED:
		return 0;
	default:
		break;
	}
	q->t = 0;
	q->dn = 0;
	q->dh = 0;
	q->hh = 0;
	if (q->ev.kind == LOGLINE_DELIVERY || ls->opts.has_since || ls->opts.has_until) {
		q->t = line_time(ls, &ll);
		if ((ls->opts.has_since && q->t < ls->opts.since) ||
		    (ls->opts.has_until && q->t >= ls->opts.until)) {
			ls->c.out_of_range++;
			return 0;
		}
	}
	if (q->ev.kind == LOGLINE_DELIVERY) {
		q->dn = name_len(q->ev.domain.p, q->ev.domain.len);
		if (q->dn) {
			q->dh = hash_lower(q->ev.domain.p, q->dn);
			if (ls->domtab.slots)
				__builtin_prefetch(&ls->domtab.slots[(size_t)q->dh & ls->domtab.mask]);
		}
	}
	q->hn = host_len(q->ev.relay_host.p, q->ev.relay_host.len, &q->hh);
	if (q->hn && ls->hosts.slots)
		__builtin_prefetch(&ls->hosts.slots[(size_t)q->hh & ls->hosts.mask]);
	return 1;
}

/* Prefetch, an event later: the names the slots point to, and the
 * domain's record. */
static inline void line_prefetch1(const struct logscan *ls, const struct qev *q)
{
	const struct strslot *sl;

	if (q->dn && (sl = strtab_peek_slot(&ls->domtab, q->dh)) != NULL) {
		uint32_t id = SLOT_ID(sl);

		__builtin_prefetch(sl->name);
		if (id && id <= ls->domtab.n) {
			__builtin_prefetch(&ls->doms[id - 1]);
			__builtin_prefetch((const char *)&ls->doms[id - 1] + 64);
		}
	}
	if (q->hn && (sl = strtab_peek_slot(&ls->hosts, q->hh)) != NULL)
		__builtin_prefetch(sl->name);
}

/* Prefetch, two events later: the pair of the domain and the relay
 * host when it is one of the domain record's own (the record and the
 * host's slot have arrived by then). */
static inline void line_prefetch2(const struct logscan *ls, const struct qev *q)
{
	uint32_t id, host, mx;
	int c;

	if (q->dn && q->hn && (id = strtab_peek(&ls->domtab, q->dh)) != 0 && id <= ls->domtab.n &&
	    (host = strtab_peek(&ls->hosts, q->hh)) != 0 &&
	    (mx = pair_in_record(&ls->doms[id - 1], host, &c)) != 0 && mx <= ls->npairs) {
		__builtin_prefetch(&ls->pairs[mx]);
		__builtin_prefetch((const char *)&ls->pairs[mx] + 64);
	}
}

/* The second half of a line: the process state and the tallies. */
static void line_apply(struct logscan *ls, const struct qev *q)
{
	struct proc *p = proc_get(ls, q->pkey);

	switch (q->ev.kind) {
	case LOGLINE_TLS:
		on_tls(ls, p, q);
		break;
	case LOGLINE_DETAIL:
	case LOGLINE_POLICY_WARN:
		on_detail(ls, p, q);
		break;
	case LOGLINE_QID_FAIL:
		on_qid_fail(ls, p, q);
		break;
	case LOGLINE_DELIVERY:
		on_delivery(ls, p, q);
		break;
	default:
		break;
	}
}

/* Applies the oldest queued event (ls->qn > 0). */
static inline void queue_pop(struct logscan *ls)
{
	line_apply(ls, &ls->queue[ls->qhead]);
	ls->qhead = (ls->qhead + 1) % LOGSCAN_QDEPTH;
	ls->qn--;
}

/* Applies the queued events, oldest first. */
static void queue_flush(struct logscan *ls)
{
	while (ls->qn)
		queue_pop(ls);
}

/* logscan_line() through the queue (feed()); queue_flush() before the
 * line buffer changes. */
static inline void line_queued(struct logscan *ls, const char *line, size_t len)
{
	struct qev *q;

	if (ls->qn == LOGSCAN_QDEPTH)
		queue_pop(ls);
	q = &ls->queue[(ls->qhead + ls->qn) % LOGSCAN_QDEPTH];
	if (!line_parse(ls, line, len, q))
		return;
	ls->qn++;
	if (ls->qn >= 2)
		line_prefetch1(ls, &ls->queue[(ls->qhead + ls->qn - 2) % LOGSCAN_QDEPTH]);
	if (ls->qn >= 3)
		line_prefetch2(ls, &ls->queue[(ls->qhead + ls->qn - 3) % LOGSCAN_QDEPTH]);
}

void logscan_line(struct logscan *ls, const char *line, size_t len)
{
	struct qev q;

	queue_flush(ls);
	if (line_parse(ls, line, len, &q))
		line_apply(ls, &q);
}

/* ---- input ------------------------------------------------------------ */

/* Feeds the complete lines of buf[0..len); returns the bytes consumed.
 * At eof the last line need not end with a newline.  *skipping: the
 * first line is the tail of an overlong line already counted. */
static size_t feed(struct logscan *ls, const char *buf, size_t len, int eof, int *skipping)
{
	const char *p = buf, *e = buf + len, *nl;

	while (p < e) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL) {
			if (!eof)
				break;
			nl = e;
		}
		if (*skipping) {
			*skipping = 0;
		} else if ((size_t)(nl - p) > LOGSCAN_MAX_LINE) {
			ls->c.long_lines++;
			ls->c.lines++;
		} else {
			line_queued(ls, p, (size_t)(nl - p));
		}
		p = nl < e ? nl + 1 : e;
	}
	queue_flush(ls); /* the lines' strings are in buf */
	ls->c.bytes += (unsigned long long)(p - buf);
	return (size_t)(p - buf);
}

/* Processes the lines in ls->buf[0..*have) and keeps the incomplete tail
 * at the front.  A tail that fills the whole buffer is an overlong line:
 * it is dropped and the rest of it skipped. */
static void drain(struct logscan *ls, size_t *have, int eof, int *skipping)
{
	size_t used = feed(ls, ls->buf, *have, eof, skipping);

	if (used < *have)
		memmove(ls->buf, ls->buf + used, *have - used);
	*have -= used;
	if (*have == LOGSCAN_BLOCK) {
		if (!*skipping) {
			ls->c.long_lines++;
			ls->c.lines++;
		}
		ls->c.bytes += *have;
		*have = 0;
		*skipping = 1;
	}
}

static ssize_t read_some(int fd, void *buf, size_t n)
{
	ssize_t r;

	do {
		r = read(fd, buf, n);
	} while (r < 0 && errno == EINTR);
	return r;
}

struct source {
	int fd;
	const char *path;
	unsigned long long consumed; /* file bytes */
	logscan_progress_fn progress;
	void *arg;
};

static int scan_plain(struct logscan *ls, struct source *src, size_t have, struct errbuf *why)
{
	int skipping = 0;
	ssize_t r;

	for (;;) {
		drain(ls, &have, 0, &skipping);
		r = read_some(src->fd, ls->buf + have, LOGSCAN_BLOCK - have);
		if (r < 0)
			return errbuf_set(why, "%s: read: %s", src->path, strerror(errno));
		if (r == 0)
			break;
		have += (size_t)r;
		src->consumed += (unsigned long long)r;
		if (src->progress)
			src->progress(src->arg, src->consumed);
	}
	drain(ls, &have, 1, &skipping);
	return 0;
}

static int scan_gzip(struct logscan *ls, struct source *src, size_t have, struct errbuf *why)
{
	z_stream zs;
	int zr, skipping = 0, eof = 0, rc = -1, in_stream = 1;
	size_t out = 0;
	ssize_t r;

	memset(&zs, 0, sizeof(zs));
	memcpy(ls->zin, ls->buf, have); /* have <= ZIN_SIZE */
	zs.next_in = ls->zin;
	zs.avail_in = (uInt)have;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return errbuf_set(why, "%s: gzip: cannot initialise zlib", src->path);
	for (;;) {
		if (zs.avail_in == 0 && !eof) {
			r = read_some(src->fd, ls->zin, ZIN_SIZE);
			if (r < 0) {
				errbuf_set(why, "%s: read: %s", src->path, strerror(errno));
				goto done;
			}
			if (r == 0)
				eof = 1;
			src->consumed += (unsigned long long)r;
			if (src->progress)
				src->progress(src->arg, src->consumed);
			zs.next_in = ls->zin;
			zs.avail_in = (uInt)r;
		}
		if (zs.avail_in == 0 && eof) {
			if (in_stream) {
				errbuf_set(why, "%s: gzip: unexpected end of compressed data", src->path);
				goto done;
			}
			break;
		}
		if (!in_stream) {
			/* after a member: another member, or zero padding */
			if (zs.next_in[0] == 0x1f) {
				if (inflateReset(&zs) != Z_OK) {
					errbuf_set(why, "%s: gzip: cannot reset zlib", src->path);
					goto done;
				}
				in_stream = 1;
			} else if (zs.next_in[0] == 0) {
				zs.next_in++;
				zs.avail_in--;
				continue;
			} else {
				errbuf_set(why, "%s: gzip: trailing garbage after compressed data",
					   src->path);
				goto done;
			}
		}
		zs.next_out = (Bytef *)ls->buf + out;
		zs.avail_out = (uInt)(LOGSCAN_BLOCK - out);
		zr = inflate(&zs, Z_NO_FLUSH);
		out = LOGSCAN_BLOCK - zs.avail_out;
		if (zr == Z_STREAM_END) {
			in_stream = 0;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			errbuf_set(why, "%s: gzip: %s", src->path,
				   zs.msg ? zs.msg : "invalid compressed data");
			goto done;
		}
		drain(ls, &out, 0, &skipping);
	}
	drain(ls, &out, 1, &skipping);
	rc = 0;
done:
	inflateEnd(&zs);
	return rc;
}

int logscan_file(struct logscan *ls, const char *path,
		 logscan_progress_fn progress, void *arg, struct errbuf *why)
{
	struct source src = { .fd = -1, .path = path, .progress = progress, .arg = arg };
	struct stat st;
	int rc;
	ssize_t r;
	size_t have = 0;

	if (ls->buf == NULL && (ls->buf = malloc(LOGSCAN_BLOCK)) == NULL)
		return errbuf_set(why, "out of memory");
	if (ls->zin == NULL && (ls->zin = malloc(ZIN_SIZE)) == NULL)
		return errbuf_set(why, "out of memory");
	if (strcmp(path, "-") == 0) {
		src.fd = STDIN_FILENO;
		src.path = "(stdin)";
	} else if ((src.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return errbuf_set(why, "%s: %s", path, strerror(errno));
	}
	if (fstat(src.fd, &st) < 0) {
		rc = errbuf_set(why, "%s: %s", src.path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = errbuf_set(why, "%s: is a directory", src.path);
		goto out;
	}
	logscan_set_reftime(ls, S_ISREG(st.st_mode) ? st.st_mtime : time(NULL));
#ifdef POSIX_FADV_SEQUENTIAL
	if (S_ISREG(st.st_mode))
		(void)posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	/* The first piece, to look for the gzip magic number. */
	while (have < 2) {
		r = read_some(src.fd, ls->buf + have, FIRST_READ - have);
		if (r < 0) {
			rc = errbuf_set(why, "%s: read: %s", src.path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	src.consumed = have;
	if (progress)
		progress(arg, src.consumed);
	ls->c.files++;
	if (have >= 2 && (unsigned char)ls->buf[0] == 0x1f && (unsigned char)ls->buf[1] == 0x8b)
		rc = scan_gzip(ls, &src, have, why);
	else
		rc = scan_plain(ls, &src, have, why);
out:
	if (src.fd != STDIN_FILENO)
		close(src.fd);
	return rc;
}
