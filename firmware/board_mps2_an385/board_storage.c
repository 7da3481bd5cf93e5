/* RAM-backed storage HAL (see board_storage.h). */
#include "board_storage.h"

#include <string.h>

#define BOARD_STORAGE_END 0xffffu

static int bs_open(void *ctx, const char *name, enum hal_storage_mode mode);
static int bs_write(void *ctx, int h, const void *buf, size_t len);
static long bs_read(void *ctx, int h, uint32_t off, void *buf, size_t len);
static long bs_size(void *ctx, int h);
static int bs_commit(void *ctx, int h);
static void bs_close(void *ctx, int h);
static int bs_remove(void *ctx, const char *name);

static const struct hal_storage_api bs_api = {
    .open = bs_open,
    .write = bs_write,
    .read = bs_read,
    .size = bs_size,
    .commit = bs_commit,
    .close = bs_close,
    .remove = bs_remove,
};

void board_storage_init(struct board_storage *s)
{
    memset(s->blobs, 0, sizeof(s->blobs));
    memset(s->handles, 0, sizeof(s->handles));
    for (uint32_t i = 0; i < BOARD_STORAGE_BLOCKS; i++)
        s->next[i] = (uint16_t)(i + 1 < BOARD_STORAGE_BLOCKS ? i + 1 : BOARD_STORAGE_END);
    s->free_head = 0;
    s->free_blocks = BOARD_STORAGE_BLOCKS;
    s->peak_blocks = 0;
}

void board_storage_hal(struct board_storage *s, struct hal_storage *out)
{
    out->api = &bs_api;
    out->ctx = s;
}

uint32_t board_storage_peak_bytes(const struct board_storage *s)
{
    return s->peak_blocks * BOARD_STORAGE_BLOCK;
}

/* The same names the simulator's flash accepts: printable ASCII, no '/'. */
static int bs_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > HAL_STORAGE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
            return 0;
    return 1;
}

static struct board_storage_blob *bs_find(struct board_storage *s, const char *name)
{
    for (uint32_t i = 0; i < BOARD_STORAGE_BLOBS; i++)
        if (s->blobs[i].used && strcmp(s->blobs[i].name, name) == 0)
            return &s->blobs[i];
    return NULL;
}

static struct board_storage_handle *bs_handle(struct board_storage *s, int h)
{
    if (h < 0 || (unsigned)h >= BOARD_STORAGE_HANDLES || !s->handles[h].used)
        return NULL;
    return &s->handles[h];
}

static void bs_free_chain(struct board_storage *s, uint16_t b)
{
    while (b != BOARD_STORAGE_END) {
        uint16_t n = s->next[b];
        s->next[b] = s->free_head;
        s->free_head = b;
        s->free_blocks++;
        b = n;
    }
}

/* Read handles on a chain that is going away must not read reused blocks. */
static void bs_invalidate_readers(struct board_storage *s, uint16_t first)
{
    if (first == BOARD_STORAGE_END)
        return; /* an empty blob: nothing to reuse */
    for (uint32_t i = 0; i < BOARD_STORAGE_HANDLES; i++)
        if (s->handles[i].used && s->handles[i].mode == HAL_STORAGE_READ &&
            s->handles[i].first == first)
            s->handles[i].stale = 1;
}

static int bs_open(void *ctx, const char *name, enum hal_storage_mode mode)
{
    struct board_storage *s = ctx;
    struct board_storage_blob *b = NULL;

    if (!s || !bs_name_ok(name) || (mode != HAL_STORAGE_READ && mode != HAL_STORAGE_WRITE))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (mode == HAL_STORAGE_READ && (b = bs_find(s, name)) == NULL)
        return HAL_STORAGE_ERR_NOT_FOUND;
    for (int h = 0; h < (int)BOARD_STORAGE_HANDLES; h++) {
        struct board_storage_handle *hd = &s->handles[h];
        if (hd->used)
            continue;
        memset(hd, 0, sizeof(*hd));
        hd->used = 1;
        hd->mode = (uint8_t)mode;
        strcpy(hd->name, name);
        hd->first = b ? b->first : BOARD_STORAGE_END;
        hd->last = BOARD_STORAGE_END;
        hd->len = b ? b->len : 0;
        return h;
    }
    return HAL_STORAGE_ERR_FULL;
}

static int bs_write(void *ctx, int h, const void *buf, size_t len)
{
    struct board_storage *s = ctx;
    struct board_storage_handle *hd = bs_handle(s, h);
    const uint8_t *p = buf;

    if (!hd || hd->mode != HAL_STORAGE_WRITE || (len && !buf))
        return HAL_STORAGE_ERR_BAD_ARG;
    while (len > 0) {
        uint32_t off = hd->len % BOARD_STORAGE_BLOCK;
        size_t n = BOARD_STORAGE_BLOCK - off;

        if (off == 0) { /* the last block is full (or there is none): take one */
            uint16_t b = s->free_head;
            if (b == BOARD_STORAGE_END)
                return HAL_STORAGE_ERR_FULL;
            s->free_head = s->next[b];
            s->free_blocks--;
            if (BOARD_STORAGE_BLOCKS - s->free_blocks > s->peak_blocks)
                s->peak_blocks = BOARD_STORAGE_BLOCKS - s->free_blocks;
            s->next[b] = BOARD_STORAGE_END;
            if (hd->last == BOARD_STORAGE_END)
                hd->first = b;
            else
                s->next[hd->last] = b;
            hd->last = b;
        }
        if (n > len)
            n = len;
        memcpy(&s->data[hd->last][off], p, n);
        p += n;
        len -= n;
        hd->len += (uint32_t)n;
    }
    return 0;
}

static long bs_read(void *ctx, int h, uint32_t off, void *buf, size_t len)
{
    struct board_storage *s = ctx;
    struct board_storage_handle *hd = bs_handle(s, h);
    uint8_t *p = buf;
    uint16_t b;
    long done = 0;

    if (!hd || (len && !buf))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (hd->stale)
        return HAL_STORAGE_ERR_IO;
    if (off >= hd->len)
        return 0;
    if (len > hd->len - off)
        len = hd->len - off;
    b = hd->first;
    for (uint32_t i = off / BOARD_STORAGE_BLOCK; i > 0; i--)
        b = s->next[b];
    off %= BOARD_STORAGE_BLOCK;
    while (len > 0) {
        size_t n = BOARD_STORAGE_BLOCK - off;
        if (n > len)
            n = len;
        memcpy(p, &s->data[b][off], n);
        p += n;
        len -= n;
        done += (long)n;
        off = 0;
        b = s->next[b];
    }
    return done;
}

static long bs_size(void *ctx, int h)
{
    struct board_storage_handle *hd = bs_handle(ctx, h);

    if (!hd)
        return HAL_STORAGE_ERR_BAD_ARG;
    return hd->stale ? HAL_STORAGE_ERR_IO : (long)hd->len;
}

static int bs_commit(void *ctx, int h)
{
    struct board_storage *s = ctx;
    struct board_storage_handle *hd = bs_handle(s, h);
    struct board_storage_blob *b;

    if (!hd || hd->mode != HAL_STORAGE_WRITE)
        return HAL_STORAGE_ERR_BAD_ARG;
    b = bs_find(s, hd->name);
    for (uint32_t i = 0; !b && i < BOARD_STORAGE_BLOBS; i++)
        if (!s->blobs[i].used)
            b = &s->blobs[i];
    if (!b) {
        bs_close(s, h);
        return HAL_STORAGE_ERR_FULL;
    }
    if (b->used) {
        bs_invalidate_readers(s, b->first);
        bs_free_chain(s, b->first);
    }
    b->used = 1;
    strcpy(b->name, hd->name);
    b->first = hd->first;
    b->len = hd->len;
    hd->used = 0;
    return 0;
}

static void bs_close(void *ctx, int h)
{
    struct board_storage *s = ctx;
    struct board_storage_handle *hd = bs_handle(s, h);

    if (!hd)
        return;
    if (hd->mode == HAL_STORAGE_WRITE)
        bs_free_chain(s, hd->first);
    hd->used = 0;
}

static int bs_remove(void *ctx, const char *name)
{
    struct board_storage *s = ctx;
    struct board_storage_blob *b;

    if (!s || !bs_name_ok(name))
        return HAL_STORAGE_ERR_BAD_ARG;
    if ((b = bs_find(s, name)) == NULL)
        return HAL_STORAGE_ERR_NOT_FOUND;
    bs_invalidate_readers(s, b->first);
    bs_free_chain(s, b->first);
    b->used = 0;
    return 0;
}
