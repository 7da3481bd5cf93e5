/* RAM-backed storage HAL for unit tests (see fake_storage.h). */
#include "fake_storage.h"

#include <stdlib.h>
#include <string.h>

static int fake_storage_open(void *ctx, const char *name, enum hal_storage_mode mode);
static int fake_storage_write(void *ctx, int h, const void *buf, size_t len);
static long fake_storage_read(void *ctx, int h, uint32_t off, void *buf, size_t len);
static long fake_storage_size(void *ctx, int h);
static int fake_storage_commit(void *ctx, int h);
static void fake_storage_close(void *ctx, int h);
static int fake_storage_remove(void *ctx, const char *name);

static const struct hal_storage_api fake_storage_api = {
    .open = fake_storage_open,
    .write = fake_storage_write,
    .read = fake_storage_read,
    .size = fake_storage_size,
    .commit = fake_storage_commit,
    .close = fake_storage_close,
    .remove = fake_storage_remove,
};

static int fake_storage_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    return n > 0 && n <= HAL_STORAGE_NAME_MAX && strchr(name, '/') == NULL;
}

static struct fake_storage_blob *fake_storage_find(struct fake_storage *fs, const char *name)
{
    for (size_t i = 0; i < FAKE_STORAGE_BLOBS; i++)
        if (fs->blobs[i].used && strcmp(fs->blobs[i].name, name) == 0)
            return &fs->blobs[i];
    return NULL;
}

static struct fake_storage_handle *fake_storage_handle(struct fake_storage *fs, int h)
{
    if (h < 0 || h >= FAKE_STORAGE_HANDLES || !fs->handles[h].used)
        return NULL;
    return &fs->handles[h];
}

/* Takes ownership of data. */
static int fake_storage_store(struct fake_storage *fs, const char *name, uint8_t *data, size_t len)
{
    struct fake_storage_blob *b = fake_storage_find(fs, name);

    for (size_t i = 0; b == NULL && i < FAKE_STORAGE_BLOBS; i++)
        if (!fs->blobs[i].used)
            b = &fs->blobs[i];
    if (b == NULL) {
        free(data);
        return HAL_STORAGE_ERR_FULL;
    }
    free(b->data);
    b->used = 1;
    strcpy(b->name, name);
    b->data = data;
    b->len = len;
    return 0;
}

void fake_storage_init(struct fake_storage *fs)
{
    memset(fs, 0, sizeof(*fs));
    fs->fail_after_bytes = -1;
}

void fake_storage_free(struct fake_storage *fs)
{
    for (size_t i = 0; i < FAKE_STORAGE_BLOBS; i++)
        free(fs->blobs[i].data);
    for (size_t i = 0; i < FAKE_STORAGE_HANDLES; i++)
        free(fs->handles[i].data);
    fake_storage_init(fs);
}

void fake_storage_hal(struct fake_storage *fs, struct hal_storage *out)
{
    out->api = &fake_storage_api;
    out->ctx = fs;
}

void fake_storage_fail_after(struct fake_storage *fs, long bytes)
{
    fs->fail_after_bytes = bytes < 0 ? -1 : fs->bytes_written + bytes;
}

void fake_storage_fail_commit(struct fake_storage *fs, unsigned nth)
{
    fs->fail_commit = nth;
    fs->commits = 0;
}

uint8_t *fake_storage_blob(struct fake_storage *fs, const char *name, size_t *len)
{
    struct fake_storage_blob *b = fake_storage_find(fs, name);

    if (b == NULL)
        return NULL;
    if (len != NULL)
        *len = b->len;
    return b->data;
}

int fake_storage_put(struct fake_storage *fs, const char *name, const void *data, size_t len)
{
    uint8_t *copy;

    if (!fake_storage_name_ok(name))
        return HAL_STORAGE_ERR_BAD_ARG;
    copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return HAL_STORAGE_ERR_FULL;
    if (len > 0)
        memcpy(copy, data, len);
    return fake_storage_store(fs, name, copy, len);
}

unsigned fake_storage_count(const struct fake_storage *fs)
{
    unsigned n = 0;
    for (size_t i = 0; i < FAKE_STORAGE_BLOBS; i++)
        n += fs->blobs[i].used ? 1 : 0;
    return n;
}

unsigned fake_storage_open_handles(const struct fake_storage *fs)
{
    unsigned n = 0;
    for (size_t i = 0; i < FAKE_STORAGE_HANDLES; i++)
        n += fs->handles[i].used ? 1 : 0;
    return n;
}

static int fake_storage_open(void *ctx, const char *name, enum hal_storage_mode mode)
{
    struct fake_storage *fs = ctx;

    if (!fake_storage_name_ok(name) || (mode != HAL_STORAGE_READ && mode != HAL_STORAGE_WRITE))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (mode == HAL_STORAGE_READ && fake_storage_find(fs, name) == NULL)
        return HAL_STORAGE_ERR_NOT_FOUND;
    for (int h = 0; h < FAKE_STORAGE_HANDLES; h++) {
        struct fake_storage_handle *hd = &fs->handles[h];
        if (hd->used)
            continue;
        memset(hd, 0, sizeof(*hd));
        hd->used = 1;
        hd->mode = mode;
        strcpy(hd->name, name);
        return h;
    }
    return HAL_STORAGE_ERR_IO; /* handle table full */
}

static int fake_storage_write(void *ctx, int h, const void *buf, size_t len)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_handle *hd = fake_storage_handle(fs, h);
    size_t take = len;
    int rc = 0;

    if (hd == NULL || hd->mode != HAL_STORAGE_WRITE || (buf == NULL && len > 0))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (fs->fail_after_bytes >= 0 && fs->bytes_written + (long)len > fs->fail_after_bytes) {
        take = (size_t)(fs->fail_after_bytes - fs->bytes_written);
        rc = HAL_STORAGE_ERR_IO;
    }
    if (hd->len + take > hd->cap) {
        size_t cap = hd->cap > 0 ? hd->cap : 4096;
        uint8_t *p;
        while (cap < hd->len + take)
            cap *= 2;
        p = realloc(hd->data, cap);
        if (p == NULL)
            return HAL_STORAGE_ERR_FULL;
        hd->data = p;
        hd->cap = cap;
    }
    if (take > 0)
        memcpy(hd->data + hd->len, buf, take);
    hd->len += take;
    fs->bytes_written += (long)take;
    return rc;
}

static long fake_storage_read(void *ctx, int h, uint32_t off, void *buf, size_t len)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_handle *hd = fake_storage_handle(fs, h);
    struct fake_storage_blob *b;

    if (hd == NULL || hd->mode != HAL_STORAGE_READ || (buf == NULL && len > 0))
        return HAL_STORAGE_ERR_BAD_ARG;
    b = fake_storage_find(fs, hd->name);
    if (b == NULL)
        return HAL_STORAGE_ERR_IO; /* removed under an open handle */
    if (off >= b->len)
        return 0;
    if (len > b->len - off)
        len = b->len - off;
    memcpy(buf, b->data + off, len);
    return (long)len;
}

static long fake_storage_size(void *ctx, int h)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_handle *hd = fake_storage_handle(fs, h);
    struct fake_storage_blob *b;

    if (hd == NULL)
        return HAL_STORAGE_ERR_BAD_ARG;
    if (hd->mode == HAL_STORAGE_WRITE)
        return (long)hd->len;
    b = fake_storage_find(fs, hd->name);
    return b != NULL ? (long)b->len : HAL_STORAGE_ERR_IO;
}

static int fake_storage_commit(void *ctx, int h)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_handle *hd = fake_storage_handle(fs, h);
    int rc;

    if (hd == NULL || hd->mode != HAL_STORAGE_WRITE)
        return HAL_STORAGE_ERR_BAD_ARG;
    fs->commits++;
    if (fs->fail_commit != 0 && fs->commits == fs->fail_commit) {
        fake_storage_close(fs, h);
        return HAL_STORAGE_ERR_IO;
    }
    if (hd->data == NULL)
        hd->data = malloc(1); /* an empty blob still exists */
    rc = fake_storage_store(fs, hd->name, hd->data, hd->len);
    hd->data = NULL;
    fake_storage_close(fs, h);
    return rc;
}

static void fake_storage_close(void *ctx, int h)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_handle *hd = fake_storage_handle(fs, h);

    if (hd == NULL)
        return;
    free(hd->data);
    memset(hd, 0, sizeof(*hd));
}

static int fake_storage_remove(void *ctx, const char *name)
{
    struct fake_storage *fs = ctx;
    struct fake_storage_blob *b;

    if (!fake_storage_name_ok(name))
        return HAL_STORAGE_ERR_BAD_ARG;
    b = fake_storage_find(fs, name);
    if (b == NULL)
        return HAL_STORAGE_ERR_NOT_FOUND;
    free(b->data);
    memset(b, 0, sizeof(*b));
    return 0;
}
