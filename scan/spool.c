/* Spool: page blobs committed data first, header last (see spool.h). */
#include "spool.h"

#include <stdio.h>
#include <string.h>

#include <zlib.h>

static const uint8_t spool_magic[4] = {'M', 'F', 'P', 'S'};

static int spool_header_name(char *out, size_t cap, const char *data_name);
static int spool_from_storage(int rc, int *keep);
static void spool_put_u16(uint8_t *p, uint16_t v);
static void spool_put_u32(uint8_t *p, uint32_t v);
static uint16_t spool_get_u16(const uint8_t *p);
static uint32_t spool_get_u32(const uint8_t *p);
static int spool_read_header(const struct hal_storage *st, const char *name, uint32_t *len,
                             uint32_t *crc, int *storage_error);
static int spool_check_data(struct spool_page *pg, uint32_t len, uint32_t crc);

int spool_page_name(char *out, size_t cap, const char *prefix, unsigned page_no, const char *ext)
{
    int n;

    if (out == NULL || cap == 0 || ext == NULL || page_no > 9999)
        return SPOOL_ERR_BAD_ARG;
    n = snprintf(out, cap, "%sp%04u.%s", prefix != NULL ? prefix : "", page_no, ext);
    if (n < 0 || (size_t)n >= cap || n > HAL_STORAGE_NAME_MAX) {
        out[0] = '\0';
        return SPOOL_ERR_NAME;
    }
    return 0;
}

int spool_writer_open(struct spool_writer *w, const struct hal_storage *st, const char *name)
{
    int rc;

    if (w == NULL || st == NULL || name == NULL)
        return SPOOL_ERR_BAD_ARG;
    memset(w, 0, sizeof(*w));
    if (strlen(name) > HAL_STORAGE_NAME_MAX)
        return SPOOL_ERR_NAME;
    rc = spool_header_name(w->hdr_name, sizeof(w->hdr_name), name);
    if (rc != 0)
        return rc;
    strcpy(w->name, name);
    w->st = st;
    w->crc = (uint32_t)crc32(0L, Z_NULL, 0);

    rc = hal_storage_remove(st, w->hdr_name);
    if (rc == 0 || rc == HAL_STORAGE_ERR_NOT_FOUND)
        rc = hal_storage_open(st, w->name, HAL_STORAGE_WRITE);
    if (rc < 0) {
        /* The storage refusing a name is the caller's naming problem. */
        w->storage_error = rc;
        return rc == HAL_STORAGE_ERR_BAD_ARG ? SPOOL_ERR_NAME
                                             : spool_from_storage(rc, &w->storage_error);
    }
    w->h = rc;
    w->open = 1;
    return 0;
}

int spool_writer_write(struct spool_writer *w, const void *buf, size_t len)
{
    int rc;

    if (w == NULL || !w->open || (buf == NULL && len > 0))
        return SPOOL_ERR_BAD_ARG;
    if (len > UINT32_MAX - w->len)
        return SPOOL_ERR_TOO_BIG;
    rc = hal_storage_write(w->st, w->h, buf, len);
    if (rc != 0)
        return spool_from_storage(rc, &w->storage_error);
    w->crc = (uint32_t)crc32(w->crc, buf, (uInt)len);
    w->len += (uint32_t)len;
    return 0;
}

int spool_writer_commit(struct spool_writer *w)
{
    uint8_t hdr[SPOOL_HDR_SIZE];
    int h = -1;
    int rc;

    if (w == NULL || !w->open)
        return SPOOL_ERR_BAD_ARG;
    w->open = 0; /* commit closes the data handle whatever it returns */
    rc = hal_storage_commit(w->st, w->h);
    if (rc != 0) {
        rc = spool_from_storage(rc, &w->storage_error);
        goto exit;
    }

    memcpy(hdr, spool_magic, sizeof(spool_magic));
    spool_put_u16(hdr + 4, SPOOL_VERSION);
    spool_put_u16(hdr + 6, SPOOL_HDR_SIZE);
    spool_put_u32(hdr + 8, w->len);
    spool_put_u32(hdr + 12, w->crc);
    spool_put_u32(hdr + 16, (uint32_t)crc32(crc32(0L, Z_NULL, 0), hdr, 16));

    h = hal_storage_open(w->st, w->hdr_name, HAL_STORAGE_WRITE);
    if (h < 0) {
        rc = spool_from_storage(h, &w->storage_error);
        goto exit;
    }
    rc = hal_storage_write(w->st, h, hdr, sizeof(hdr));
    if (rc != 0) {
        hal_storage_close(w->st, h);
        rc = spool_from_storage(rc, &w->storage_error);
        goto exit;
    }
    rc = hal_storage_commit(w->st, h);
    if (rc != 0)
        rc = spool_from_storage(rc, &w->storage_error);
exit:
    /* A data blob without its header is invisible anyway; removing it only
     * gives the space back (best effort: the storage may be failing). */
    if (rc != 0)
        (void)hal_storage_remove(w->st, w->name);
    return rc;
}

void spool_writer_abort(struct spool_writer *w)
{
    if (w != NULL && w->open) {
        hal_storage_close(w->st, w->h);
        w->open = 0;
    }
}

uint32_t spool_writer_length(const struct spool_writer *w) { return w->len; }

int spool_page_open(struct spool_page *pg, const struct hal_storage *st, const char *name)
{
    uint32_t len = 0, crc = 0;
    long size;
    int rc;

    if (pg == NULL || st == NULL || name == NULL)
        return SPOOL_ERR_BAD_ARG;
    memset(pg, 0, sizeof(*pg));
    pg->st = st;
    rc = spool_read_header(st, name, &len, &crc, &pg->storage_error);
    if (rc != 0)
        return rc;

    rc = hal_storage_open(st, name, HAL_STORAGE_READ);
    if (rc < 0)
        return rc == HAL_STORAGE_ERR_NOT_FOUND ? SPOOL_ERR_LENGTH
                                               : spool_from_storage(rc, &pg->storage_error);
    pg->h = rc;
    size = hal_storage_size(st, pg->h);
    if (size < 0) {
        rc = spool_from_storage((int)size, &pg->storage_error);
        goto exit;
    }
    if ((uint64_t)size != len) {
        rc = SPOOL_ERR_LENGTH;
        goto exit;
    }
    rc = spool_check_data(pg, len, crc);
exit:
    if (rc != 0) {
        hal_storage_close(st, pg->h);
        return rc;
    }
    pg->size = len;
    pg->crc = crc;
    pg->open = 1;
    return 0;
}

long spool_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct spool_page *pg = arg;
    long n;

    if (pg == NULL || !pg->open || (buf == NULL && cap > 0))
        return SPOOL_ERR_BAD_ARG;
    if (off >= pg->size)
        return 0;
    if (cap > pg->size - off)
        cap = pg->size - off;
    n = hal_storage_read(pg->st, pg->h, off, buf, cap);
    if (n < 0)
        return spool_from_storage((int)n, &pg->storage_error);
    return n;
}

uint32_t spool_page_size(const struct spool_page *pg) { return pg->size; }

void spool_page_close(struct spool_page *pg)
{
    if (pg != NULL && pg->open) {
        hal_storage_close(pg->st, pg->h);
        pg->open = 0;
    }
}

int spool_page_verify(const struct hal_storage *st, const char *name, uint32_t *size)
{
    struct spool_page pg;
    int rc = spool_page_open(&pg, st, name);

    if (rc != 0)
        return rc;
    if (size != NULL)
        *size = pg.size;
    spool_page_close(&pg);
    return 0;
}

int spool_page_remove(const struct hal_storage *st, const char *name)
{
    char hdr_name[HAL_STORAGE_NAME_MAX + 1];
    int keep = 0;
    int rc_hdr, rc_data;

    if (st == NULL || name == NULL)
        return SPOOL_ERR_BAD_ARG;
    rc_hdr = spool_header_name(hdr_name, sizeof(hdr_name), name);
    if (rc_hdr != 0)
        return rc_hdr;
    rc_hdr = hal_storage_remove(st, hdr_name);
    if (rc_hdr != 0 && rc_hdr != HAL_STORAGE_ERR_NOT_FOUND)
        return spool_from_storage(rc_hdr, &keep);
    rc_data = hal_storage_remove(st, name);
    if (rc_data != 0 && rc_data != HAL_STORAGE_ERR_NOT_FOUND)
        return spool_from_storage(rc_data, &keep);
    if (rc_hdr == HAL_STORAGE_ERR_NOT_FOUND && rc_data == HAL_STORAGE_ERR_NOT_FOUND)
        return SPOOL_ERR_NO_PAGE;
    return 0;
}

/* "stem.ext" -> "stem.hdr"; a name without an extension (or whose
 * extension is already .hdr) could collide with its own header. */
static int spool_header_name(char *out, size_t cap, const char *data_name)
{
    const char *dot = strrchr(data_name, '.');
    size_t stem;

    if (dot == NULL || dot == data_name || strcmp(dot + 1, SPOOL_HDR_EXT) == 0)
        return SPOOL_ERR_NAME;
    stem = (size_t)(dot - data_name);
    if (stem + 1 + strlen(SPOOL_HDR_EXT) > HAL_STORAGE_NAME_MAX || stem + 5 > cap)
        return SPOOL_ERR_NAME;
    memcpy(out, data_name, stem);
    snprintf(out + stem, cap - stem, ".%s", SPOOL_HDR_EXT);
    return 0;
}

static int spool_from_storage(int rc, int *keep)
{
    *keep = rc;
    return rc == HAL_STORAGE_ERR_FULL ? SPOOL_ERR_FULL : SPOOL_ERR_IO;
}

static int spool_read_header(const struct hal_storage *st, const char *name, uint32_t *len,
                             uint32_t *crc, int *storage_error)
{
    char hdr_name[HAL_STORAGE_NAME_MAX + 1];
    uint8_t hdr[SPOOL_HDR_SIZE];
    long size, n;
    int h, rc;

    rc = spool_header_name(hdr_name, sizeof(hdr_name), name);
    if (rc != 0)
        return rc;
    h = hal_storage_open(st, hdr_name, HAL_STORAGE_READ);
    if (h < 0)
        return h == HAL_STORAGE_ERR_NOT_FOUND ? SPOOL_ERR_NO_PAGE
                                              : spool_from_storage(h, storage_error);
    size = hal_storage_size(st, h);
    if (size < 0) {
        rc = spool_from_storage((int)size, storage_error);
        goto exit;
    }
    n = hal_storage_read(st, h, 0, hdr, sizeof(hdr));
    if (n < 0) {
        rc = spool_from_storage((int)n, storage_error);
        goto exit;
    }
    /* The version is checked before the layout: another version may have
     * another size, and deserves its own error rather than "corrupt". */
    if (n < 8 || memcmp(hdr, spool_magic, sizeof(spool_magic)) != 0) {
        rc = SPOOL_ERR_BAD_HEADER;
        goto exit;
    }
    if (spool_get_u16(hdr + 4) != SPOOL_VERSION) {
        rc = SPOOL_ERR_VERSION;
        goto exit;
    }
    if (size != SPOOL_HDR_SIZE || n != SPOOL_HDR_SIZE || spool_get_u16(hdr + 6) != SPOOL_HDR_SIZE ||
        spool_get_u32(hdr + 16) != (uint32_t)crc32(crc32(0L, Z_NULL, 0), hdr, 16)) {
        rc = SPOOL_ERR_BAD_HEADER;
        goto exit;
    }
    *len = spool_get_u32(hdr + 8);
    *crc = spool_get_u32(hdr + 12);
exit:
    hal_storage_close(st, h);
    return rc;
}

static int spool_check_data(struct spool_page *pg, uint32_t len, uint32_t crc)
{
    uint8_t chunk[SPOOL_VERIFY_CHUNK];
    uLong c = crc32(0L, Z_NULL, 0);
    uint32_t off = 0;

    while (off < len) {
        size_t want = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
        long n = hal_storage_read(pg->st, pg->h, off, chunk, want);
        if (n < 0)
            return spool_from_storage((int)n, &pg->storage_error);
        if (n == 0)
            return SPOOL_ERR_LENGTH;
        c = crc32(c, chunk, (uInt)n);
        off += (uint32_t)n;
    }
    return (uint32_t)c == crc ? 0 : SPOOL_ERR_CRC;
}

static void spool_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void spool_put_u32(uint8_t *p, uint32_t v)
{
    spool_put_u16(p, (uint16_t)v);
    spool_put_u16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t spool_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t spool_get_u32(const uint8_t *p)
{
    return (uint32_t)spool_get_u16(p) | ((uint32_t)spool_get_u16(p + 2) << 16);
}
