/* RAM-backed storage HAL for unit tests: the hal_storage contract (blobs
 * visible only after commit, atomic replace, uncommitted writes discarded),
 * with fault injection and inspection hooks. Test code only: it mallocs. */
#ifndef FAKE_STORAGE_H
#define FAKE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_storage.h"

#ifndef FAKE_STORAGE_BLOBS
#define FAKE_STORAGE_BLOBS 256
#endif
#ifndef FAKE_STORAGE_HANDLES
#define FAKE_STORAGE_HANDLES 8
#endif

struct fake_storage_blob {
    int used;
    char name[HAL_STORAGE_NAME_MAX + 1];
    uint8_t *data;
    size_t len;
};

struct fake_storage_handle {
    int used;
    enum hal_storage_mode mode;
    char name[HAL_STORAGE_NAME_MAX + 1];
    uint8_t *data; /* write handles: the pending blob */
    size_t len, cap;
};

struct fake_storage {
    struct fake_storage_blob blobs[FAKE_STORAGE_BLOBS];
    struct fake_storage_handle handles[FAKE_STORAGE_HANDLES];
    long fail_after_bytes; /* < 0: never; else writes fail once this many bytes were accepted */
    long bytes_written;    /* bytes accepted by write() since init */
    unsigned fail_commit;  /* 0: never; else the Nth commit from now fails */
    unsigned commits;      /* commits attempted since fake_storage_fail_commit() */
};

/* Empty storage, no faults armed. */
void fake_storage_init(struct fake_storage *fs);
/* Frees every blob and pending write. */
void fake_storage_free(struct fake_storage *fs);
/* Fills *out with the HAL view of fs. */
void fake_storage_hal(struct fake_storage *fs, struct hal_storage *out);

/* After `bytes` more bytes are accepted, every write fails with
 * HAL_STORAGE_ERR_IO (the write that crosses the limit keeps its first part,
 * like a cut flash program). Negative disarms. */
void fake_storage_fail_after(struct fake_storage *fs, long bytes);
/* The nth commit from now (1 = the next one) fails with HAL_STORAGE_ERR_IO
 * and discards its handle's data. 0 disarms. */
void fake_storage_fail_commit(struct fake_storage *fs, unsigned nth);

/* The committed blob's bytes (writable, to corrupt them) and length, or NULL. */
uint8_t *fake_storage_blob(struct fake_storage *fs, const char *name, size_t *len);
/* Creates or replaces a committed blob directly. 0 or HAL_STORAGE_ERR_*. */
int fake_storage_put(struct fake_storage *fs, const char *name, const void *data, size_t len);
/* Committed blobs. */
unsigned fake_storage_count(const struct fake_storage *fs);
/* Handles currently open (a leak check for the code under test). */
unsigned fake_storage_open_handles(const struct fake_storage *fs);

#endif
