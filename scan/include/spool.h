/* Spool: encoded pages as blobs in the storage HAL, all or nothing.
 *
 * A page is two blobs. The data blob (e.g. "p0001.jpg") is written and
 * committed first; then a small header blob with the same stem ("p0001.hdr")
 * holding a magic, the format version, the data length and the data's CRC32
 * (zlib) is committed last. A page exists only when its header exists and
 * matches its data, so a power cut at any point leaves either the whole page
 * or no page (an orphan data blob without a header is never shown).
 *
 * Header layout (little-endian, SPOOL_HDR_SIZE bytes):
 *   0  magic "MFPS"     4  u16 version      6  u16 header size
 *   8  u32 data length  12 u32 data CRC32   16 u32 CRC32 of bytes 0..15 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_storage.h"
#include "scan_opts.h"

#define SPOOL_VERSION 1
#define SPOOL_HDR_SIZE 20
#define SPOOL_HDR_EXT "hdr"

#define SPOOL_ERR_BAD_ARG (-1)    /* NULL pointer, bad state */
#define SPOOL_ERR_NAME (-2)       /* name too long, no extension, or refused by storage */
#define SPOOL_ERR_IO (-3)         /* the storage HAL failed (see spool_*_storage_error) */
#define SPOOL_ERR_FULL (-4)       /* the storage is full */
#define SPOOL_ERR_NO_PAGE (-5)    /* no header blob: the page was never committed */
#define SPOOL_ERR_BAD_HEADER (-6) /* header blob of the wrong size, magic or header CRC */
#define SPOOL_ERR_VERSION (-7)    /* header written by another format version */
#define SPOOL_ERR_LENGTH (-8)     /* data blob missing or not the length the header says */
#define SPOOL_ERR_CRC (-9)        /* data does not match the header's CRC32 */
#define SPOOL_ERR_TOO_BIG (-10)   /* a page of 4 GiB or more */

/* Writes "<prefix>pNNNN.<ext>" (page_no 0..9999, 4 digits) into out.
 * Returns 0, SPOOL_ERR_BAD_ARG, or SPOOL_ERR_NAME when it does not fit cap
 * or HAL_STORAGE_NAME_MAX. */
int spool_page_name(char *out, size_t cap, const char *prefix, unsigned page_no, const char *ext);

/* One page being written. Caller-owned; one write handle at a time. */
struct spool_writer {
    const struct hal_storage *st;
    int h;
    int open;
    uint32_t len;
    uint32_t crc;
    int storage_error; /* last HAL_STORAGE_ERR_* seen, 0 if none */
    char name[HAL_STORAGE_NAME_MAX + 1];
    char hdr_name[HAL_STORAGE_NAME_MAX + 1];
};

/* Starts the page `name` (the data blob's name; its header is the same stem
 * with ".hdr"). Removes an older header of that name first, so that an old
 * page being replaced is invisible from now on rather than mismatched.
 * Returns 0 or SPOOL_ERR_*. */
int spool_writer_open(struct spool_writer *w, const struct hal_storage *st, const char *name);

/* Appends len bytes to the data blob. Returns 0 or SPOOL_ERR_*; after an
 * error only spool_writer_abort() is useful. */
int spool_writer_write(struct spool_writer *w, const void *buf, size_t len);

/* Commits the data blob, then writes and commits the header. Closes the
 * writer whatever the result. On failure the page is not visible.
 * Returns 0 or SPOOL_ERR_*. */
int spool_writer_commit(struct spool_writer *w);

/* Discards the page in progress. Safe on a zeroed or closed writer. */
void spool_writer_abort(struct spool_writer *w);

/* Data bytes written so far. */
uint32_t spool_writer_length(const struct spool_writer *w);

/* One committed page opened for reading. Caller-owned. */
struct spool_page {
    const struct hal_storage *st;
    int h;
    int open;
    uint32_t size;
    uint32_t crc;
    int storage_error;
};

/* Opens page `name` (the data blob's name): reads its header, checks magic,
 * version, header CRC, the data length and the data's CRC32 (reading the
 * data once in SPOOL_VERIFY_CHUNK pieces). On success the data blob stays
 * open for spool_page_read(). Returns 0 or SPOOL_ERR_* (nothing to close). */
int spool_page_open(struct spool_page *pg, const struct hal_storage *st, const char *name);

/* Reads up to cap bytes of the page's data at off; arg is the struct
 * spool_page. Matches the MIME attachment reader callback. Returns bytes
 * read (0 at or past the end) or a negative SPOOL_ERR_*. */
long spool_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);

/* The page's data length in bytes (what an attachment will carry). */
uint32_t spool_page_size(const struct spool_page *pg);

/* Closes the page. Safe on a zeroed or closed page. */
void spool_page_close(struct spool_page *pg);

/* spool_page_open() + spool_page_close(): 0 when the page is whole; its size
 * in *size when size is not NULL. */
int spool_page_verify(const struct hal_storage *st, const char *name, uint32_t *size);

/* Removes a page: header first (the page disappears at once), then data.
 * Returns 0, SPOOL_ERR_NO_PAGE when neither blob existed, or SPOOL_ERR_*. */
int spool_page_remove(const struct hal_storage *st, const char *name);

#endif
