/* Local address book: text pool = file image, sorted indexes (see ab_book.h). */
#include "ab_book.h"

#include <string.h>

#include "smtp_session.h"

static const uint8_t ab_magic[2] = {'A', 'B'};

/* One entry's texts, from the pool or from the caller. */
struct ab_key {
    const char *alias; /* the display alias: the address when none was given */
    size_t alias_len;
    const char *raw_alias; /* what is stored ("" when none) */
    size_t raw_alias_len;
    const char *addr;
    size_t addr_len;
};

/* A change being saved: the new image is the kept records plus rec. */
struct ab_plan {
    const ab_book_t *b;
    uint16_t count;
    int dropping;
    const uint8_t *rec;
    size_t rec_len;
};

typedef int (*ab_cmp_fn)(const struct ab_key *a, const struct ab_key *b);

static void ab_key_of(const ab_book_t *b, uint16_t id, struct ab_key *k);
static void ab_key_make(struct ab_key *k, const char *alias, size_t alias_len, const char *addr,
                        size_t addr_len);
static int ab_cmp_alias(const struct ab_key *a, const struct ab_key *b);
static int ab_cmp_addr(const struct ab_key *a, const struct ab_key *b);
static size_t ab_upper_bound(const ab_book_t *b, const uint16_t *v, size_t n,
                             const struct ab_key *k, ab_cmp_fn cmp);
static int ab_find_key(const ab_book_t *b, const struct ab_key *k);
static void ab_sort(const ab_book_t *b, uint16_t *v, size_t n, ab_cmp_fn cmp);
static void ab_sift(const ab_book_t *b, uint16_t *v, size_t root, size_t n, ab_cmp_fn cmp);
static int ab_index(ab_book_t *b);
static int ab_scan_records(ab_book_t *b);
static int ab_make_record(uint8_t *rec, size_t *rec_len, const char *alias, const char *addr);
static int ab_commit(ab_book_t *b, uint16_t count, int dropping, const uint8_t *rec,
                     size_t rec_len);
static int ab_produce(void *arg, ab_emit_fn emit, void *sink);
static void ab_apply(ab_book_t *b, int dropping, const uint8_t *rec, size_t rec_len);
static void ab_compact(ab_book_t *b);
static void ab_reset(ab_book_t *b);
static void ab_put_header(uint8_t *hdr, uint16_t count);
static int ab_prefix_cmp(const char *s, size_t slen, const char *prefix, size_t plen);
static int ab_key_prefix_cmp(const struct ab_key *k, int by_addr, const char *prefix, size_t plen);
static uint32_t ab_next_folded(const uint8_t *s, size_t len, size_t *i);
static int ab_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp);
static uint32_t ab_fold(uint32_t c);
static int ab_drop_get(const ab_book_t *b, size_t id);

void ab_book_init(ab_book_t *b, const struct ab_book_io *io)
{
    if (b == NULL)
        return;
    memset(&b->io, 0, sizeof(b->io));
    if (io != NULL)
        b->io = *io;
    b->io_error = 0;
    ab_reset(b);
}

int ab_book_load(ab_book_t *b)
{
    size_t len = 0;
    int rc;

    if (b == NULL || b->io.load == NULL)
        return AB_ERR_BAD_ARG;
    rc = b->io.load(b->io.ctx, b->pool, sizeof(b->pool), &len);
    if (rc != 0) {
        b->io_error = rc;
        ab_reset(b);
        return AB_ERR_STORE;
    }
    return ab_book_parse(b, b->pool, len);
}

int ab_book_parse(ab_book_t *b, const uint8_t *buf, size_t len)
{
    int rc = AB_ERR_FORMAT;

    if (b == NULL || (buf == NULL && len > 0))
        return AB_ERR_BAD_ARG;
    if (len > sizeof(b->pool)) {
        rc = AB_ERR_FULL;
        goto exit;
    }
    if (len < AB_IMAGE_HDR_SIZE || memcmp(buf, ab_magic, sizeof(ab_magic)) != 0)
        goto exit;
    if (buf[2] != AB_FORMAT_VERSION) {
        rc = AB_ERR_VERSION;
        goto exit;
    }
    if (buf[3] != 0 || (size_t)(buf[4] | buf[5] << 8) > AB_MAX_ENTRIES)
        goto exit;
    if (buf != b->pool)
        memmove(b->pool, buf, len);
    b->used = (uint32_t)len;
    b->count = (uint16_t)(buf[4] | buf[5] << 8);
    rc = ab_scan_records(b);
    if (rc == 0)
        rc = ab_index(b);
exit:
    if (rc != 0)
        ab_reset(b);
    return rc;
}

int ab_book_add(ab_book_t *b, const char *alias, const char *addr)
{
    uint8_t rec[AB_ENTRY_OVERHEAD + AB_ALIAS_MAX + AB_ADDR_MAX];
    size_t rec_len;
    struct ab_key k;
    int rc;

    if (b == NULL)
        return AB_ERR_BAD_ARG;
    rc = ab_make_record(rec, &rec_len, alias, addr);
    if (rc != 0)
        return rc;
    ab_key_make(&k, NULL, 0, addr, strlen(addr));
    if (ab_find_key(b, &k) >= 0)
        return AB_ERR_DUPLICATE;
    if (b->count >= AB_MAX_ENTRIES)
        return AB_ERR_TOO_MANY;
    if (rec_len > sizeof(b->pool) - b->used)
        return AB_ERR_FULL;
    return ab_commit(b, (uint16_t)(b->count + 1), 0, rec, rec_len);
}

int ab_book_delete(ab_book_t *b, const char *const *addrs, size_t n)
{
    size_t dropped = 0;
    int rc = 0;

    if (b == NULL || (addrs == NULL && n > 0))
        return AB_ERR_BAD_ARG;
    for (size_t i = 0; i < n; i++) {
        int id = addrs[i] != NULL ? ab_book_find(b, addrs[i]) : AB_ERR_NOT_FOUND;

        if (id < 0) {
            rc = AB_ERR_NOT_FOUND;
            goto exit;
        }
        if (!ab_drop_get(b, (size_t)id)) {
            b->drop[id / 8] |= (uint8_t)(1u << (id % 8));
            dropped++;
        }
    }
    if (dropped > 0)
        rc = ab_commit(b, (uint16_t)(b->count - dropped), 1, NULL, 0);
exit:
    memset(b->drop, 0, sizeof(b->drop));
    return rc;
}

int ab_book_change(ab_book_t *b, const char *old_addr, const char *alias, const char *addr)
{
    uint8_t rec[AB_ENTRY_OVERHEAD + AB_ALIAS_MAX + AB_ADDR_MAX];
    size_t rec_len, old_len;
    int old, other, rc;

    if (b == NULL || old_addr == NULL)
        return AB_ERR_BAD_ARG;
    old = ab_book_find(b, old_addr);
    if (old < 0)
        return AB_ERR_NOT_FOUND;
    rc = ab_make_record(rec, &rec_len, alias, addr);
    if (rc != 0)
        return rc;
    /* The same address may stay (a new alias); another entry's may not. */
    other = ab_book_find(b, addr);
    if (other >= 0 && other != old)
        return AB_ERR_DUPLICATE;
    old_len = (old + 1 < b->count ? b->offset[old + 1] : b->used) - b->offset[old];
    if (rec_len > sizeof(b->pool) - b->used + old_len)
        return AB_ERR_FULL;
    b->drop[old / 8] |= (uint8_t)(1u << (old % 8));
    rc = ab_commit(b, b->count, 1, rec, rec_len);
    memset(b->drop, 0, sizeof(b->drop));
    return rc;
}

size_t ab_book_count(const ab_book_t *b)
{
    return b != NULL ? b->count : 0;
}

int ab_book_sorted(const ab_book_t *b, size_t k)
{
    if (b == NULL || k >= b->count)
        return AB_ERR_BAD_ARG;
    return b->by_alias[k];
}

int ab_book_find(const ab_book_t *b, const char *addr)
{
    struct ab_key k;

    if (b == NULL || addr == NULL)
        return AB_ERR_NOT_FOUND;
    ab_key_make(&k, NULL, 0, addr, strnlen(addr, AB_ADDR_MAX + 1));
    return ab_find_key(b, &k);
}

const char *ab_book_alias(const ab_book_t *b, int id)
{
    struct ab_key k;

    if (b == NULL || id < 0 || id >= b->count)
        return NULL;
    ab_key_of(b, (uint16_t)id, &k);
    return k.alias;
}

const char *ab_book_address(const ab_book_t *b, int id)
{
    struct ab_key k;

    if (b == NULL || id < 0 || id >= b->count)
        return NULL;
    ab_key_of(b, (uint16_t)id, &k);
    return k.addr;
}

int ab_book_complete(const ab_book_t *b, const char *text, size_t len, uint16_t *ids, size_t cap)
{
    size_t n = 0, lo, hi;
    struct ab_key k;
    uint32_t cp;

    if (b == NULL || (text == NULL && len > 0) || (ids == NULL && cap > 0))
        return AB_ERR_BAD_ARG;
    for (size_t i = 0; i < len;)
        if (ab_utf8_next((const uint8_t *)text, len, &i, &cp) != 0)
            return AB_ERR_UTF8;
    if (len == 0 || cap == 0)
        return 0;

    /* Folded order keeps every key with a given prefix in one run: binary
     * search its start, then walk it; aliases first, then addresses. */
    for (int by_addr = 0; by_addr < 2; by_addr++) {
        const uint16_t *v = by_addr ? b->by_addr : b->by_alias;

        for (lo = 0, hi = b->count; lo < hi;) {
            size_t mid = lo + (hi - lo) / 2;

            ab_key_of(b, v[mid], &k);
            if (ab_key_prefix_cmp(&k, by_addr, text, len) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < b->count && n < cap; lo++) {
            ab_key_of(b, v[lo], &k);
            if (ab_key_prefix_cmp(&k, by_addr, text, len) != 0)
                break;
            /* An entry whose alias matches too is listed already. */
            if (!by_addr || ab_key_prefix_cmp(&k, 0, text, len) != 0)
                ids[n++] = v[lo];
        }
    }
    return (int)n;
}

size_t ab_book_ram(void)
{
    return sizeof(ab_book_t);
}

void ab_book_free(ab_book_t *b)
{
    if (b == NULL)
        return;
    memset(&b->io, 0, sizeof(b->io));
    b->io_error = 0;
    ab_reset(b);
}

int ab_alias_check(const char *alias, size_t len)
{
    return len > AB_ALIAS_MAX ? AB_ERR_ALIAS : ab_text_check(alias, len);
}

int ab_text_check(const char *s, size_t len)
{
    uint32_t cp;

    if (s == NULL && len > 0)
        return AB_ERR_ALIAS;
    for (size_t i = 0; i < len;) {
        if (ab_utf8_next((const uint8_t *)s, len, &i, &cp) != 0)
            return AB_ERR_ALIAS;
        /* C0 (NUL, CR, LF among them), DEL and C1: nothing a name needs,
         * and what would break a header or the panel's line. */
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return AB_ERR_ALIAS;
    }
    return 0;
}

int ab_address_check(const char *addr)
{
    if (addr == NULL || strnlen(addr, AB_ADDR_MAX + 1) > AB_ADDR_MAX ||
        smtp_address_check(addr) != 0)
        return AB_ERR_ADDRESS;
    return 0;
}

int ab_addr_equal(const char *a, const char *b)
{
    struct ab_key ka, kb;

    if (a == NULL || b == NULL)
        return 0;
    ab_key_make(&ka, NULL, 0, a, strlen(a));
    ab_key_make(&kb, NULL, 0, b, strlen(b));
    return ab_cmp_addr(&ka, &kb) == 0;
}

int ab_fold_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;

    while (i < alen && j < blen) {
        uint32_t ca = (unsigned char)a[i], cb = (unsigned char)b[j];

        if ((ca | cb) < 0x80) { /* the common case, without a call */
            ca += ca - 'A' < 26u ? 32 : 0;
            cb += cb - 'A' < 26u ? 32 : 0;
            i++;
            j++;
        } else {
            ca = ab_next_folded((const uint8_t *)a, alen, &i);
            cb = ab_next_folded((const uint8_t *)b, blen, &j);
        }
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return (i < alen) - (j < blen);
}

const char *ab_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case AB_ERR_BAD_ARG:
        return "invalid argument";
    case AB_ERR_ALIAS:
        return "the name is too long or holds control characters";
    case AB_ERR_ADDRESS:
        return "not a valid e-mail address: use name@domain";
    case AB_ERR_DUPLICATE:
        return "this address is already in the address book";
    case AB_ERR_TOO_MANY:
        return "the address book is full: delete an entry first";
    case AB_ERR_FULL:
        return "the address book has no room left for this entry";
    case AB_ERR_NOT_FOUND:
        return "no such address in the address book";
    case AB_ERR_FORMAT:
        return "the saved address book is damaged";
    case AB_ERR_VERSION:
        return "the saved address book has another format version";
    case AB_ERR_STORE:
        return "the address book could not be saved or read";
    case AB_ERR_UTF8:
        return "the text is not valid UTF-8";
    default:
        return "unknown error";
    }
}

/* Record layout: [alias len][alias][0][address len][address][0]. */
static void ab_key_of(const ab_book_t *b, uint16_t id, struct ab_key *k)
{
    const uint8_t *r = b->pool + b->offset[id];
    size_t alen = r[0];

    ab_key_make(k, (const char *)r + 1, alen, (const char *)r + alen + 3, r[alen + 2]);
}

static void ab_key_make(struct ab_key *k, const char *alias, size_t alias_len, const char *addr,
                        size_t addr_len)
{
    k->raw_alias = alias != NULL ? alias : "";
    k->raw_alias_len = alias != NULL ? alias_len : 0;
    k->addr = addr;
    k->addr_len = addr_len;
    k->alias = k->raw_alias_len > 0 ? k->raw_alias : addr;
    k->alias_len = k->raw_alias_len > 0 ? k->raw_alias_len : addr_len;
}

/* List order: folded alias, then the exact bytes (so "anna" and "Anna"
 * have a stable order), then the address. */
static int ab_cmp_alias(const struct ab_key *a, const struct ab_key *b)
{
    size_t n = a->alias_len < b->alias_len ? a->alias_len : b->alias_len;
    int c = ab_fold_cmp(a->alias, a->alias_len, b->alias, b->alias_len);

    if (c == 0 && (c = memcmp(a->alias, b->alias, n)) == 0)
        c = (a->alias_len > b->alias_len) - (a->alias_len < b->alias_len);
    return c != 0 ? c : ab_cmp_addr(a, b);
}

/* Address order: folded, then the local part's exact bytes. 0 exactly when
 * ab_addr_equal(), and equal addresses are neighbours in this order. */
static int ab_cmp_addr(const struct ab_key *a, const struct ab_key *b)
{
    int c = ab_fold_cmp(a->addr, a->addr_len, b->addr, b->addr_len);
    const char *at;

    if (c != 0)
        return c;
    /* Folded-equal ASCII: same length, '@' at the same place. */
    at = memchr(a->addr, '@', a->addr_len);
    return memcmp(a->addr, b->addr, at != NULL ? (size_t)(at - a->addr) : a->addr_len);
}

static size_t ab_upper_bound(const ab_book_t *b, const uint16_t *v, size_t n,
                             const struct ab_key *k, ab_cmp_fn cmp)
{
    size_t lo = 0, hi = n;
    struct ab_key m;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        ab_key_of(b, v[mid], &m);
        if (cmp(&m, k) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The id whose address equals k's, or AB_ERR_NOT_FOUND. */
static int ab_find_key(const ab_book_t *b, const struct ab_key *k)
{
    size_t pos = ab_upper_bound(b, b->by_addr, b->count, k, ab_cmp_addr);
    struct ab_key m;

    if (pos == 0)
        return AB_ERR_NOT_FOUND;
    ab_key_of(b, b->by_addr[pos - 1], &m);
    return ab_cmp_addr(&m, k) == 0 ? b->by_addr[pos - 1] : AB_ERR_NOT_FOUND;
}

/* Heapsort: in place, no recursion, O(n log n) worst case (the target's
 * stack is small and the C library's qsort may allocate). */
static void ab_sort(const ab_book_t *b, uint16_t *v, size_t n, ab_cmp_fn cmp)
{
    for (size_t i = n / 2; i > 0; i--)
        ab_sift(b, v, i - 1, n, cmp);
    for (size_t end = n; end > 1; end--) {
        uint16_t t = v[0];

        v[0] = v[end - 1];
        v[end - 1] = t;
        ab_sift(b, v, 0, end - 1, cmp);
    }
}

static void ab_sift(const ab_book_t *b, uint16_t *v, size_t root, size_t n, ab_cmp_fn cmp)
{
    struct ab_key kc, kd;

    for (;;) {
        size_t child = 2 * root + 1;
        uint16_t t;

        if (child >= n)
            return;
        if (child + 1 < n) {
            ab_key_of(b, v[child], &kc);
            ab_key_of(b, v[child + 1], &kd);
            if (cmp(&kc, &kd) < 0)
                child++;
        }
        ab_key_of(b, v[root], &kc);
        ab_key_of(b, v[child], &kd);
        if (cmp(&kc, &kd) >= 0)
            return;
        t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

/* Sorts both indexes; AB_ERR_FORMAT on a duplicate address (an image the
 * book would never have written). */
static int ab_index(ab_book_t *b)
{
    struct ab_key ka, kb;

    for (uint16_t i = 0; i < b->count; i++)
        b->by_alias[i] = b->by_addr[i] = i;
    ab_sort(b, b->by_alias, b->count, ab_cmp_alias);
    ab_sort(b, b->by_addr, b->count, ab_cmp_addr);
    for (size_t i = 1; i < b->count; i++) {
        ab_key_of(b, b->by_addr[i - 1], &ka);
        ab_key_of(b, b->by_addr[i], &kb);
        if (ab_cmp_addr(&ka, &kb) == 0)
            return AB_ERR_FORMAT;
    }
    return 0;
}

/* Walks the pool's count records: every length within used, terminators
 * in place, aliases and addresses valid, nothing after the last record.
 * Fills offset[]. */
static int ab_scan_records(ab_book_t *b)
{
    const uint8_t *p = b->pool;
    size_t off = AB_IMAGE_HDR_SIZE, end = b->used;

    for (size_t i = 0; i < b->count; i++) {
        size_t alen, dlen;

        if (end - off < 1)
            return AB_ERR_FORMAT;
        alen = p[off];
        if (alen > AB_ALIAS_MAX || end - off < alen + 3)
            return AB_ERR_FORMAT;
        dlen = p[off + alen + 2];
        if (dlen == 0 || dlen > AB_ADDR_MAX || end - off < alen + dlen + AB_ENTRY_OVERHEAD)
            return AB_ERR_FORMAT;
        if (p[off + alen + 1] != 0 || p[off + alen + dlen + 3] != 0 ||
            ab_alias_check((const char *)p + off + 1, alen) != 0 ||
            memchr(p + off + alen + 3, 0, dlen) != NULL ||
            ab_address_check((const char *)p + off + alen + 3) != 0)
            return AB_ERR_FORMAT;
        b->offset[i] = (uint32_t)off;
        off += alen + dlen + AB_ENTRY_OVERHEAD;
    }
    return off == end ? 0 : AB_ERR_FORMAT;
}

/* Validates alias and address and lays out their record in rec. */
static int ab_make_record(uint8_t *rec, size_t *rec_len, const char *alias, const char *addr)
{
    size_t alen = alias != NULL ? strnlen(alias, AB_ALIAS_MAX + 1) : 0;
    size_t dlen;

    if (ab_alias_check(alias, alen) != 0)
        return AB_ERR_ALIAS;
    if (ab_address_check(addr) != 0)
        return AB_ERR_ADDRESS;
    dlen = strlen(addr);
    rec[0] = (uint8_t)alen;
    if (alen > 0)
        memcpy(rec + 1, alias, alen);
    rec[alen + 1] = 0;
    rec[alen + 2] = (uint8_t)dlen;
    memcpy(rec + alen + 3, addr, dlen);
    rec[alen + dlen + 3] = 0;
    *rec_len = alen + dlen + AB_ENTRY_OVERHEAD;
    return 0;
}

/* Saves the image without the dropped ids and with rec appended, then
 * changes RAM to match; RAM is untouched when the save fails. */
static int ab_commit(ab_book_t *b, uint16_t count, int dropping, const uint8_t *rec, size_t rec_len)
{
    struct ab_plan plan = {b, count, dropping, rec, rec_len};
    int rc;

    if (b->io.save != NULL) {
        rc = b->io.save(b->io.ctx, ab_produce, &plan);
        if (rc != 0) {
            b->io_error = rc;
            return AB_ERR_STORE;
        }
    }
    ab_apply(b, dropping, rec, rec_len);
    return 0;
}

static int ab_produce(void *arg, ab_emit_fn emit, void *sink)
{
    const struct ab_plan *plan = arg;
    const ab_book_t *b = plan->b;
    uint8_t hdr[AB_IMAGE_HDR_SIZE];
    size_t run = AB_IMAGE_HDR_SIZE; /* start of the records not yet emitted */
    int rc;

    ab_put_header(hdr, plan->count);
    if ((rc = emit(sink, hdr, sizeof(hdr))) != 0)
        return rc;
    /* Kept records go out in runs between dropped ones. */
    for (size_t id = 0; plan->dropping && id < b->count; id++) {
        if (!ab_drop_get(b, id))
            continue;
        if (b->offset[id] > run && (rc = emit(sink, b->pool + run, b->offset[id] - run)) != 0)
            return rc;
        run = id + 1 < b->count ? b->offset[id + 1] : b->used;
    }
    if (b->used > run && (rc = emit(sink, b->pool + run, b->used - run)) != 0)
        return rc;
    return plan->rec_len > 0 ? emit(sink, plan->rec, plan->rec_len) : 0;
}

static void ab_apply(ab_book_t *b, int dropping, const uint8_t *rec, size_t rec_len)
{
    struct ab_key k;
    size_t pos;
    uint16_t id;

    if (dropping)
        ab_compact(b);
    ab_put_header(b->pool, b->count);
    if (rec_len == 0)
        return;
    /* An added record: appended, then one binary search and one shift per
     * index. */
    id = b->count;
    memcpy(b->pool + b->used, rec, rec_len);
    b->offset[id] = b->used;
    b->used += (uint32_t)rec_len;
    b->count++;
    ab_put_header(b->pool, b->count);
    ab_key_of(b, id, &k);
    pos = ab_upper_bound(b, b->by_alias, id, &k, ab_cmp_alias);
    memmove(b->by_alias + pos + 1, b->by_alias + pos, (id - pos) * sizeof(uint16_t));
    b->by_alias[pos] = id;
    pos = ab_upper_bound(b, b->by_addr, id, &k, ab_cmp_addr);
    memmove(b->by_addr + pos + 1, b->by_addr + pos, (id - pos) * sizeof(uint16_t));
    b->by_addr[pos] = id;
}

/* Removes the dropped records from the pool and both indexes in O(n): the
 * kept records keep their order, so an id only moves down by the number of
 * dropped ids below it, and the indexes stay sorted without a new sort. */
static void ab_compact(ab_book_t *b)
{
    uint16_t below[sizeof(b->drop)]; /* dropped ids in the bytes before each */
    size_t out = AB_IMAGE_HDR_SIZE, kept = 0;
    uint16_t sum = 0;

    for (size_t i = 0; i < sizeof(b->drop); i++) {
        below[i] = sum;
        sum = (uint16_t)(sum + __builtin_popcount(b->drop[i]));
    }
    for (int which = 0; which < 2; which++) {
        uint16_t *v = which == 0 ? b->by_alias : b->by_addr;
        size_t n = 0;

        for (size_t k = 0; k < b->count; k++) {
            uint16_t id = v[k];
            unsigned lower = b->drop[id / 8] & ((1u << (id % 8)) - 1u);

            if (!ab_drop_get(b, id))
                v[n++] = (uint16_t)(id - below[id / 8] - __builtin_popcount(lower));
        }
    }
    for (size_t i = 0; i < b->count; i++) {
        size_t start = b->offset[i];
        size_t len = (i + 1 < b->count ? b->offset[i + 1] : b->used) - start;

        if (ab_drop_get(b, i))
            continue;
        memmove(b->pool + out, b->pool + start, len);
        b->offset[kept++] = (uint32_t)out;
        out += len;
    }
    b->used = (uint32_t)out;
    b->count = (uint16_t)kept;
}

static void ab_reset(ab_book_t *b)
{
    b->count = 0;
    b->used = AB_IMAGE_HDR_SIZE;
    ab_put_header(b->pool, 0);
    memset(b->drop, 0, sizeof(b->drop));
}

static void ab_put_header(uint8_t *hdr, uint16_t count)
{
    memcpy(hdr, ab_magic, sizeof(ab_magic));
    hdr[2] = AB_FORMAT_VERSION;
    hdr[3] = 0;
    hdr[4] = (uint8_t)count;
    hdr[5] = (uint8_t)(count >> 8);
}

/* <0 when s sorts before every string starting with prefix, 0 when it
 * starts with it, >0 after; folded, as ab_fold_cmp orders. */
static int ab_prefix_cmp(const char *s, size_t slen, const char *prefix, size_t plen)
{
    size_t i = 0, j = 0;

    while (j < plen) {
        uint32_t cp, cs;

        if (i >= slen)
            return -1;
        cs = (unsigned char)s[i];
        cp = (unsigned char)prefix[j];
        if ((cs | cp) < 0x80) { /* ASCII: fold inline */
            cs += cs - 'A' < 26u ? 32 : 0;
            cp += cp - 'A' < 26u ? 32 : 0;
            i++;
            j++;
        } else {
            cs = ab_next_folded((const uint8_t *)s, slen, &i);
            cp = ab_next_folded((const uint8_t *)prefix, plen, &j);
        }
        if (cs != cp)
            return cs < cp ? -1 : 1;
    }
    return 0;
}

/* ab_prefix_cmp on the key's address (by_addr) or its display alias. */
static int ab_key_prefix_cmp(const struct ab_key *k, int by_addr, const char *prefix, size_t plen)
{
    return by_addr ? ab_prefix_cmp(k->addr, k->addr_len, prefix, plen)
                   : ab_prefix_cmp(k->alias, k->alias_len, prefix, plen);
}

/* The next character folded; an invalid byte is itself, above every
 * character, and counts one byte. */
static uint32_t ab_next_folded(const uint8_t *s, size_t len, size_t *i)
{
    uint32_t cp;

    if (s[*i] < 0x80)
        return ab_fold(s[(*i)++]);
    if (ab_utf8_next(s, len, i, &cp) != 0)
        return 0x110000u + s[(*i)++];
    return ab_fold(cp);
}

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
 * above U+10FFFF. Advances *i past the character; -1 (and *i unchanged) on
 * an invalid or truncated sequence. */
static int ab_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
{
    size_t k = *i, n;
    uint32_t c = s[k], min;

    if (c < 0x80) {
        n = 0;
        min = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        c &= 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        c &= 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        c &= 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if (len - k - 1 < n)
        return -1;
    for (size_t j = 1; j <= n; j++) {
        if ((s[k + j] & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (s[k + j] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *i = k + n + 1;
    *cp = c;
    return 0;
}

/* Simple case folding for the scripts an office panel meets: ASCII,
 * Latin-1, Latin Extended-A, basic Greek and Cyrillic (with its historic
 * and extended letters), upper case to lower. */
static uint32_t ab_fold(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7)
        return c + 32;
    if (c < 0x100)
        return c;
    /* Latin Extended-A: pairs upper/lower, even or odd first. */
    if ((c <= 0x12f || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) && c % 2 == 0)
        return c + 1;
    if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && c % 2 == 1)
        return c + 1;
    if (c == 0x178)
        return 0xff;
    if (c == 0x130)
        return 'i';
    /* Greek capitals (U+03A2 is unassigned). */
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 32;
    if (c >= 0x386 && c <= 0x38f) {
        switch (c) {
        case 0x386:
            return 0x3ac;
        case 0x388:
            return 0x3ad;
        case 0x389:
            return 0x3ae;
        case 0x38a:
            return 0x3af;
        case 0x38c:
            return 0x3cc;
        case 0x38e:
            return 0x3cd;
        case 0x38f:
            return 0x3ce;
        default:
            return c;
        }
    }
    /* Cyrillic: Ѐ-Џ, А-Я, then the even/odd pairs. */
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    if (c >= 0x410 && c <= 0x42f)
        return c + 32;
    if (((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) || (c >= 0x4d0 && c <= 0x52f)) &&
        c % 2 == 0)
        return c + 1;
    if (c >= 0x4c1 && c <= 0x4ce && c % 2 == 1)
        return c + 1;
    if (c == 0x4c0)
        return 0x4cf;
    return c;
}

static int ab_drop_get(const ab_book_t *b, size_t id)
{
    return (b->drop[id / 8] >> (id % 8)) & 1;
}
