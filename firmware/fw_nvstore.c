/* Record store: two slots with versioned, checksummed headers (see fw_nvstore.h). */
#include "fw_nvstore.h"

#include <string.h>

#include <zlib.h>

static const uint8_t fw_nvstore_magic[4] = {'M', 'F', 'P', 'R'};

/* One buffer as a producer, for fw_nvstore_save(). */
struct fw_nvstore_buf {
    const void *buf;
    size_t len;
};

/* The first pass of a save: length and CRC of what the producer emits. */
struct fw_nvstore_measure {
    uint32_t len;
    uint32_t crc;
    uint32_t len_max;
};

static int fw_nvstore_from_storage(struct fw_nvstore *s, int rc);
static int fw_nvstore_check_slot(struct fw_nvstore *s, int i);
static int fw_nvstore_newest(const struct fw_nvstore *s);
static int fw_nvstore_read_payload(struct fw_nvstore *s, int i, uint8_t *buf, size_t cap,
                                   struct fw_nvstore_header *hdr);
static int fw_nvstore_produce_buf(void *arg, fw_nvstore_emit_fn emit, void *sink);
static int fw_nvstore_emit_measure(void *sink, const void *buf, size_t len);
static int fw_nvstore_emit_write(void *sink, const void *buf, size_t len);
static int fw_nvstore_flush(struct fw_nvstore *s);
static void fw_nvstore_put_u16(uint8_t *p, uint16_t v);
static void fw_nvstore_put_u32(uint8_t *p, uint32_t v);
static uint16_t fw_nvstore_get_u16(const uint8_t *p);
static uint32_t fw_nvstore_get_u32(const uint8_t *p);

int fw_nvstore_init(struct fw_nvstore *s, const struct hal_storage *st, const char *name,
                    uint32_t len_max)
{
    size_t n;

    if (s == NULL)
        return FW_NVSTORE_ERR_BAD_ARG;
    memset(s, 0, sizeof(*s));
    s->h = -1;
    n = name != NULL ? strlen(name) : 0;
    if (st == NULL || n == 0 || n > FW_NVSTORE_NAME_MAX || len_max > FW_NVSTORE_LEN_MAX)
        return FW_NVSTORE_ERR_BAD_ARG;
    for (int i = 0; i < 2; i++) {
        memcpy(s->names[i], name, n);
        s->names[i][n] = '.';
        s->names[i][n + 1] = (char)('a' + i);
        s->names[i][n + 2] = '\0';
    }
    s->st = st;
    s->len_max = len_max;
    return 0;
}

int fw_nvstore_scan(struct fw_nvstore *s)
{
    int rc = 0;

    if (s == NULL || s->st == NULL)
        return FW_NVSTORE_ERR_BAD_ARG;
    s->scanned = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = fw_nvstore_check_slot(s, i);
    if (rc == 0)
        s->scanned = 1;
    return rc;
}

int fw_nvstore_load(struct fw_nvstore *s, void *buf, size_t cap, size_t *len)
{
    struct fw_nvstore_header hdr;
    int order[2], too_big = 0, rc;

    if (s == NULL || s->st == NULL || (buf == NULL && cap > 0) || len == NULL)
        return FW_NVSTORE_ERR_BAD_ARG;
    *len = 0;
    rc = fw_nvstore_scan(s);
    if (rc != 0)
        return rc;
    order[0] = fw_nvstore_newest(s);
    order[1] = order[0] == 0 ? 1 : 0;
    /* The scan verified the CRCs; the payload is checked again as it is
     * read, so a slot that changed in between is caught. */
    for (int k = 0; k < 2; k++) {
        int i = order[k];

        if (i < 0 || s->slots[i].state != FW_NVSTORE_SLOT_VALID)
            continue;
        if (s->slots[i].len > cap) {
            too_big = 1;
            continue;
        }
        rc = fw_nvstore_read_payload(s, i, buf, cap, &hdr);
        if (rc == 0) {
            *len = hdr.len;
            return 0;
        }
        if (rc == FW_NVSTORE_ERR_IO)
            return rc;
        s->slots[i].state = FW_NVSTORE_SLOT_BAD;
    }
    if (too_big)
        return FW_NVSTORE_ERR_TOO_BIG;
    if (s->slots[0].state == FW_NVSTORE_SLOT_MISSING &&
        s->slots[1].state == FW_NVSTORE_SLOT_MISSING)
        return FW_NVSTORE_ERR_EMPTY;
    if (s->slots[0].state == FW_NVSTORE_SLOT_VERSION ||
        s->slots[1].state == FW_NVSTORE_SLOT_VERSION)
        return FW_NVSTORE_ERR_VERSION;
    return FW_NVSTORE_ERR_CORRUPT;
}

int fw_nvstore_save(struct fw_nvstore *s, const void *buf, size_t len)
{
    struct fw_nvstore_buf b = {buf, len};

    if (buf == NULL && len > 0)
        return FW_NVSTORE_ERR_BAD_ARG;
    return fw_nvstore_save_stream(s, fw_nvstore_produce_buf, &b);
}

int fw_nvstore_save_stream(struct fw_nvstore *s, fw_nvstore_produce_fn produce, void *arg)
{
    struct fw_nvstore_measure m;
    uint8_t *hdr;
    uint32_t seq = 1;
    int newest, target, rc;

    if (s == NULL || s->st == NULL || produce == NULL)
        return FW_NVSTORE_ERR_BAD_ARG;
    if (!s->scanned && (rc = fw_nvstore_scan(s)) != 0)
        return rc;

    m.len = 0;
    m.crc = (uint32_t)crc32(0L, Z_NULL, 0);
    m.len_max = s->len_max;
    rc = produce(arg, fw_nvstore_emit_measure, &m);
    if (rc != 0)
        return m.len_max == 0 ? FW_NVSTORE_ERR_BAD_ARG : FW_NVSTORE_ERR_PRODUCE;

    /* Never overwrite the newest valid copy: it is all there is if this
     * write is cut. */
    newest = fw_nvstore_newest(s);
    target = newest == 0 ? 1 : 0;
    if (newest >= 0)
        seq = s->slots[newest].seq + 1;

    /* The header goes first in the chunk buffer, the payload after it. */
    hdr = s->chunk;
    memcpy(hdr, fw_nvstore_magic, sizeof(fw_nvstore_magic));
    fw_nvstore_put_u16(hdr + 4, FW_NVSTORE_VERSION);
    fw_nvstore_put_u16(hdr + 6, FW_NVSTORE_HDR_SIZE);
    fw_nvstore_put_u32(hdr + 8, seq);
    fw_nvstore_put_u32(hdr + 12, m.len);
    fw_nvstore_put_u32(hdr + 16, m.crc);
    fw_nvstore_put_u32(hdr + 20, (uint32_t)crc32(0L, hdr, 20));
    s->chunk_len = FW_NVSTORE_HDR_SIZE;
    s->out_len = 0;
    s->out_crc = (uint32_t)crc32(0L, Z_NULL, 0);

    /* From here the target slot's old content counts as lost. */
    s->slots[target].state = FW_NVSTORE_SLOT_BAD;
    rc = hal_storage_open(s->st, s->names[target], HAL_STORAGE_WRITE);
    if (rc < 0)
        return fw_nvstore_from_storage(s, rc);
    s->h = rc;
    rc = produce(arg, fw_nvstore_emit_write, s);
    if (rc == 0)
        rc = fw_nvstore_flush(s);
    else if (rc != FW_NVSTORE_ERR_IO && rc != FW_NVSTORE_ERR_FULL)
        rc = FW_NVSTORE_ERR_PRODUCE;
    /* A producer that emitted other bytes the second time would commit a
     * slot whose CRC does not match: refuse it here instead. */
    if (rc == 0 && (s->out_len != m.len || s->out_crc != m.crc))
        rc = FW_NVSTORE_ERR_PRODUCE;
    if (rc != 0)
        goto exit;
    rc = hal_storage_commit(s->st, s->h);
    s->h = -1;
    if (rc != 0) {
        rc = fw_nvstore_from_storage(s, rc);
        goto exit;
    }
    s->slots[target].state = FW_NVSTORE_SLOT_VALID;
    s->slots[target].seq = seq;
    s->slots[target].len = m.len;
exit:
    if (s->h >= 0) {
        hal_storage_close(s->st, s->h);
        s->h = -1;
    }
    s->chunk_len = 0;
    return rc;
}

int fw_nvstore_erase(struct fw_nvstore *s)
{
    int first, rc = 0;

    if (s == NULL || s->st == NULL)
        return FW_NVSTORE_ERR_BAD_ARG;
    /* The newest goes first, so that a cut in between leaves an older
     * version, never a newer one than what the caller saw. */
    first = fw_nvstore_newest(s);
    first = first < 0 ? 0 : first;
    for (int k = 0; k < 2; k++) {
        int i = k == 0 ? first : 1 - first;
        int r = hal_storage_remove(s->st, s->names[i]);

        if (r != 0 && r != HAL_STORAGE_ERR_NOT_FOUND) {
            rc = fw_nvstore_from_storage(s, r);
            break;
        }
        s->slots[i].state = FW_NVSTORE_SLOT_MISSING;
    }
    s->scanned = rc == 0;
    return rc;
}

void fw_nvstore_free(struct fw_nvstore *s)
{
    if (s == NULL)
        return;
    if (s->st != NULL && s->h >= 0)
        hal_storage_close(s->st, s->h);
    memset(s, 0, sizeof(*s));
    s->h = -1;
}

int fw_nvstore_header_parse(const uint8_t *buf, size_t len, struct fw_nvstore_header *out)
{
    if (buf == NULL || out == NULL || len < FW_NVSTORE_HDR_SIZE)
        return FW_NVSTORE_ERR_CORRUPT;
    if (memcmp(buf, fw_nvstore_magic, sizeof(fw_nvstore_magic)) != 0 ||
        fw_nvstore_get_u32(buf + 20) != (uint32_t)crc32(0L, buf, 20))
        return FW_NVSTORE_ERR_CORRUPT;
    out->version = fw_nvstore_get_u16(buf + 4);
    out->seq = fw_nvstore_get_u32(buf + 8);
    out->len = fw_nvstore_get_u32(buf + 12);
    out->crc = fw_nvstore_get_u32(buf + 16);
    /* A later format may grow the header; only ours is read. */
    if (out->version != FW_NVSTORE_VERSION)
        return FW_NVSTORE_ERR_VERSION;
    if (fw_nvstore_get_u16(buf + 6) != FW_NVSTORE_HDR_SIZE)
        return FW_NVSTORE_ERR_CORRUPT;
    return 0;
}

int fw_nvstore_load_cb(void *store, void *buf, size_t cap, size_t *len)
{
    return fw_nvstore_load(store, buf, cap, len);
}

int fw_nvstore_save_cb(void *store, fw_nvstore_produce_fn produce, void *arg)
{
    return fw_nvstore_save_stream(store, produce, arg);
}

const char *fw_nvstore_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
    case FW_NVSTORE_ERR_BAD_ARG:
        return "invalid argument or record over its size limit";
    case FW_NVSTORE_ERR_EMPTY:
        return "nothing saved yet";
    case FW_NVSTORE_ERR_CORRUPT:
        return "both copies are damaged";
    case FW_NVSTORE_ERR_VERSION:
        return "saved by another format version";
    case FW_NVSTORE_ERR_TOO_BIG:
        return "saved record is larger than the buffer";
    case FW_NVSTORE_ERR_IO:
        return "storage error";
    case FW_NVSTORE_ERR_FULL:
        return "storage full";
    case FW_NVSTORE_ERR_PRODUCE:
        return "record could not be produced";
    default:
        return "unknown error";
    }
}

/* Keeps the HAL's code for the caller and maps it to ours. */
static int fw_nvstore_from_storage(struct fw_nvstore *s, int rc)
{
    s->storage_error = rc;
    return rc == HAL_STORAGE_ERR_FULL ? FW_NVSTORE_ERR_FULL : FW_NVSTORE_ERR_IO;
}

/* Fills slots[i] from the blob: header, size, and the payload CRC read in
 * chunks. Only a HAL failure other than "not found" is an error. */
static int fw_nvstore_check_slot(struct fw_nvstore *s, int i)
{
    struct fw_nvstore_slot *slot = &s->slots[i];
    struct fw_nvstore_header hdr;
    int rc;

    memset(slot, 0, sizeof(*slot));
    rc = fw_nvstore_read_payload(s, i, NULL, 0, &hdr);
    switch (rc) {
    case 0:
        slot->state = FW_NVSTORE_SLOT_VALID;
        slot->seq = hdr.seq;
        slot->len = hdr.len;
        return 0;
    case FW_NVSTORE_ERR_EMPTY:
        slot->state = FW_NVSTORE_SLOT_MISSING;
        return 0;
    case FW_NVSTORE_ERR_VERSION:
        slot->state = FW_NVSTORE_SLOT_VERSION;
        return 0;
    case FW_NVSTORE_ERR_IO:
        return rc;
    default:
        slot->state = FW_NVSTORE_SLOT_BAD;
        return 0; /* includes over len_max */
    }
}

/* The valid slot with the higher sequence number, -1 when neither is valid.
 * Serial arithmetic: a wrapped counter still orders two neighbours. */
static int fw_nvstore_newest(const struct fw_nvstore *s)
{
    int a = s->slots[0].state == FW_NVSTORE_SLOT_VALID;
    int b = s->slots[1].state == FW_NVSTORE_SLOT_VALID;

    if (a && b)
        return (int32_t)(s->slots[1].seq - s->slots[0].seq) > 0 ? 1 : 0;
    return a ? 0 : b ? 1 : -1;
}

/* Opens slot i, parses its header into *hdr, checks the blob size and the
 * payload CRC. With buf, the payload is copied there (cap must hold it);
 * without, it is read FW_NVSTORE_CHUNK bytes at a time and only checked.
 * Returns 0, FW_NVSTORE_ERR_EMPTY (no blob), _CORRUPT, _VERSION, _TOO_BIG
 * (over len_max or cap) or _IO. */
static int fw_nvstore_read_payload(struct fw_nvstore *s, int i, uint8_t *buf, size_t cap,
                                   struct fw_nvstore_header *hdr)
{
    uint8_t tmp[FW_NVSTORE_CHUNK];
    uint32_t off, crc;
    long size, n;
    int h, rc;

    h = hal_storage_open(s->st, s->names[i], HAL_STORAGE_READ);
    if (h == HAL_STORAGE_ERR_NOT_FOUND)
        return FW_NVSTORE_ERR_EMPTY;
    if (h < 0)
        return fw_nvstore_from_storage(s, h);
    n = hal_storage_read(s->st, h, 0, tmp, FW_NVSTORE_HDR_SIZE);
    if (n < 0) {
        rc = fw_nvstore_from_storage(s, (int)n);
        goto exit;
    }
    rc = fw_nvstore_header_parse(tmp, (size_t)n, hdr);
    if (rc != 0)
        goto exit;
    size = hal_storage_size(s->st, h);
    if (size < 0) {
        rc = fw_nvstore_from_storage(s, (int)size);
        goto exit;
    }
    if ((uint64_t)size != (uint64_t)FW_NVSTORE_HDR_SIZE + hdr->len) {
        rc = FW_NVSTORE_ERR_CORRUPT; /* torn, or grown by garbage */
        goto exit;
    }
    if (hdr->len > s->len_max || (buf != NULL && hdr->len > cap)) {
        rc = FW_NVSTORE_ERR_TOO_BIG;
        goto exit;
    }
    crc = (uint32_t)crc32(0L, Z_NULL, 0);
    for (off = 0; off < hdr->len; off += (uint32_t)n) {
        uint8_t *dst = buf != NULL ? buf + off : tmp;
        size_t want = hdr->len - off;

        if (buf == NULL && want > sizeof(tmp))
            want = sizeof(tmp);
        n = hal_storage_read(s->st, h, FW_NVSTORE_HDR_SIZE + off, dst, want);
        if (n < 0) {
            rc = fw_nvstore_from_storage(s, (int)n);
            goto exit;
        }
        if (n == 0 || (size_t)n > want) {
            rc = FW_NVSTORE_ERR_CORRUPT;
            goto exit;
        }
        crc = (uint32_t)crc32(crc, dst, (uInt)n);
    }
    if (crc != hdr->crc)
        rc = FW_NVSTORE_ERR_CORRUPT;
exit:
    hal_storage_close(s->st, h);
    return rc;
}

static int fw_nvstore_produce_buf(void *arg, fw_nvstore_emit_fn emit, void *sink)
{
    const struct fw_nvstore_buf *b = arg;

    return emit(sink, b->buf, b->len);
}

static int fw_nvstore_emit_measure(void *sink, const void *buf, size_t len)
{
    struct fw_nvstore_measure *m = sink;

    if (buf == NULL && len > 0)
        return FW_NVSTORE_ERR_PRODUCE;
    if (len > m->len_max - m->len) {
        m->len_max = 0; /* tells save the payload is over the limit */
        return FW_NVSTORE_ERR_BAD_ARG;
    }
    m->crc = (uint32_t)crc32(m->crc, buf, (uInt)len);
    m->len += (uint32_t)len;
    return 0;
}

/* Buffers into FW_NVSTORE_CHUNK-sized HAL writes (flash programs whole
 * pages; the simulator makes one syscall per write), and sums what the
 * producer emits so that save can compare it with the first pass. */
static int fw_nvstore_emit_write(void *sink, const void *buf, size_t len)
{
    struct fw_nvstore *s = sink;
    const uint8_t *p = buf;

    if ((p == NULL && len > 0) || len > UINT32_MAX - s->out_len)
        return FW_NVSTORE_ERR_PRODUCE;
    s->out_len += (uint32_t)len;
    s->out_crc = (uint32_t)crc32(s->out_crc, p, (uInt)len);
    while (len > 0) {
        size_t take = sizeof(s->chunk) - s->chunk_len;
        int rc;

        if (take > len)
            take = len;
        memcpy(s->chunk + s->chunk_len, p, take);
        s->chunk_len += take;
        p += take;
        len -= take;
        if (s->chunk_len == sizeof(s->chunk) && (rc = fw_nvstore_flush(s)) != 0)
            return rc;
    }
    return 0;
}

static int fw_nvstore_flush(struct fw_nvstore *s)
{
    int rc;

    if (s->chunk_len == 0)
        return 0;
    rc = hal_storage_write(s->st, s->h, s->chunk, s->chunk_len);
    s->chunk_len = 0;
    return rc != 0 ? fw_nvstore_from_storage(s, rc) : 0;
}

static void fw_nvstore_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void fw_nvstore_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint16_t fw_nvstore_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t fw_nvstore_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
