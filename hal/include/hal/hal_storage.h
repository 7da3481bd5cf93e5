/* Storage HAL: named blobs in flash (files in the simulator).
 *
 * A blob is written through a handle opened with HAL_STORAGE_WRITE; it becomes
 * visible under its name only when hal_storage_commit() returns 0, which
 * replaces any older blob of that name atomically: after a power cut a reader
 * sees either the whole old blob or the whole new one. A write handle closed
 * without commit is discarded. */
#ifndef HAL_STORAGE_H
#define HAL_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#define HAL_STORAGE_NAME_MAX 64

enum hal_storage_mode { HAL_STORAGE_READ = 0, HAL_STORAGE_WRITE = 1 };

#define HAL_STORAGE_ERR_NOT_FOUND (-2)
#define HAL_STORAGE_ERR_IO (-5)
#define HAL_STORAGE_ERR_FULL (-28)
#define HAL_STORAGE_ERR_BAD_ARG (-22)

struct hal_storage_api {
    /* Opens name; returns a handle >= 0 or a negative HAL_STORAGE_ERR_*. */
    int (*open)(void *ctx, const char *name, enum hal_storage_mode mode);
    /* Appends len bytes; returns 0 or a negative error. */
    int (*write)(void *ctx, int h, const void *buf, size_t len);
    /* Reads up to len bytes at off; returns bytes read (0 at the end) or a negative error. */
    long (*read)(void *ctx, int h, uint32_t off, void *buf, size_t len);
    /* Size in bytes of the blob behind h; negative on error. */
    long (*size)(void *ctx, int h);
    /* Makes a write handle's data durable and visible under its name; closes h. */
    int (*commit)(void *ctx, int h);
    /* Closes h; an uncommitted write handle is discarded. Always safe. */
    void (*close)(void *ctx, int h);
    /* Removes the blob; 0, or HAL_STORAGE_ERR_NOT_FOUND. */
    int (*remove)(void *ctx, const char *name);
};

struct hal_storage {
    const struct hal_storage_api *api;
    void *ctx;
};

static inline int hal_storage_open(const struct hal_storage *s, const char *name, enum hal_storage_mode m)
{
    return s->api->open(s->ctx, name, m);
}
static inline int hal_storage_write(const struct hal_storage *s, int h, const void *buf, size_t len)
{
    return s->api->write(s->ctx, h, buf, len);
}
static inline long hal_storage_read(const struct hal_storage *s, int h, uint32_t off, void *buf, size_t len)
{
    return s->api->read(s->ctx, h, off, buf, len);
}
static inline long hal_storage_size(const struct hal_storage *s, int h) { return s->api->size(s->ctx, h); }
static inline int hal_storage_commit(const struct hal_storage *s, int h) { return s->api->commit(s->ctx, h); }
static inline void hal_storage_close(const struct hal_storage *s, int h) { s->api->close(s->ctx, h); }
static inline int hal_storage_remove(const struct hal_storage *s, const char *name)
{
    return s->api->remove(s->ctx, name);
}

#endif
