/* Record store: one small record (settings, the local address book) kept in
 * the storage HAL so that a power cut at any write keeps either the old or
 * the new version, and a damaged copy falls back to the other one.
 *
 * A record "NAME" lives in two slot blobs, "NAME.a" and "NAME.b". Each save
 * writes the slot that does NOT hold the newest valid version, with the next
 * sequence number, and commits it; the newest valid copy is never touched.
 * Load reads both headers, then tries the slots newest first and returns the
 * first whose header and payload CRC check out. The HAL's commit is atomic
 * already; the second slot is what survives a backend that tears a blob
 * anyway (a raw flash sector cut mid-erase), bit rot, or a copy written by a
 * firmware that this one cannot read.
 *
 * Slot layout (little-endian, FW_NVSTORE_HDR_SIZE header then the payload):
 *   0 magic "MFPR"   4 u16 format version   6 u16 header size
 *   8 u32 sequence   12 u32 payload length  16 u32 payload CRC32 (zlib)
 *   20 u32 CRC32 of bytes 0..19
 * The payload is opaque here: its owner versions its own format inside.
 *
 * Memory: the context holds one write chunk (FW_NVSTORE_CHUNK bytes); the
 * caller owns every payload buffer. Nothing is allocated. */
#ifndef FW_NVSTORE_H
#define FW_NVSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_storage.h"

#ifndef FW_NVSTORE_CHUNK
#define FW_NVSTORE_CHUNK 256 /* bytes per HAL write and per verify read */
#endif
#ifndef FW_NVSTORE_LEN_MAX
#define FW_NVSTORE_LEN_MAX (1024u * 1024u) /* hard ceiling on any payload */
#endif
#if FW_NVSTORE_CHUNK < 32
#error "FW_NVSTORE_CHUNK must hold at least a slot header"
#endif

#define FW_NVSTORE_VERSION 1
#define FW_NVSTORE_HDR_SIZE 24
/* A record name leaves room for the ".a"/".b" slot suffix. */
#define FW_NVSTORE_NAME_MAX (HAL_STORAGE_NAME_MAX - 2)

#define FW_NVSTORE_ERR_BAD_ARG (-0x0901) /* NULL pointer, bad name, payload over the limit */
#define FW_NVSTORE_ERR_EMPTY (-0x0902)   /* neither slot exists: nothing was ever saved */
#define FW_NVSTORE_ERR_CORRUPT (-0x0903) /* slots exist but none has a valid header and CRC */
#define FW_NVSTORE_ERR_VERSION                                                                     \
    (-0x0904) /* no valid slot; one was written by another format version */
#define FW_NVSTORE_ERR_TOO_BIG                                                                     \
    (-0x0905)                       /* the newest valid payload does not fit the caller's buffer */
#define FW_NVSTORE_ERR_IO (-0x0906) /* the storage HAL failed (see storage_error) */
#define FW_NVSTORE_ERR_FULL (-0x0907)    /* the storage is full */
#define FW_NVSTORE_ERR_PRODUCE (-0x0908) /* the producer failed or emitted different bytes twice   \
                                          */

/* A parsed slot header. */
struct fw_nvstore_header {
    uint16_t version;
    uint32_t seq;
    uint32_t len;
    uint32_t crc;
};

/* What load found in one slot. */
enum fw_nvstore_slot_state {
    FW_NVSTORE_SLOT_MISSING = 0,
    FW_NVSTORE_SLOT_VALID = 1,
    FW_NVSTORE_SLOT_BAD = 2,     /* wrong size, magic, header CRC or payload CRC */
    FW_NVSTORE_SLOT_VERSION = 3, /* a well-formed header of another format version */
};

struct fw_nvstore_slot {
    enum fw_nvstore_slot_state state;
    uint32_t seq;
    uint32_t len;
};

/* One record. Caller-owned; init, then load before the first save. */
struct fw_nvstore {
    const struct hal_storage *st;
    char names[2][HAL_STORAGE_NAME_MAX + 1];
    uint32_t len_max;
    struct fw_nvstore_slot slots[2];
    int scanned;       /* slots[] describe the storage */
    int storage_error; /* last HAL_STORAGE_ERR_* seen, 0 if none */
    /* Save in progress. */
    int h;
    uint32_t out_len;
    uint32_t out_crc;
    size_t chunk_len;
    uint8_t chunk[FW_NVSTORE_CHUNK];
};

/* Emits len bytes of the payload being saved; 0 or a negative error that
 * the producer must return. */
typedef int (*fw_nvstore_emit_fn)(void *sink, const void *buf, size_t len);
/* Produces the whole payload through emit(sink, ...). Called twice per save
 * (once to measure and checksum, once to write): it must emit the same
 * bytes both times. Returns 0 or a negative error. */
typedef int (*fw_nvstore_produce_fn)(void *arg, fw_nvstore_emit_fn emit, void *sink);

/* Binds the record `name` (1..FW_NVSTORE_NAME_MAX characters the storage
 * accepts) with payloads of at most len_max bytes (<= FW_NVSTORE_LEN_MAX).
 * Touches no storage. Returns 0 or FW_NVSTORE_ERR_BAD_ARG. */
int fw_nvstore_init(struct fw_nvstore *s, const struct hal_storage *st, const char *name,
                    uint32_t len_max);

/* Reads the newest valid version into buf (cap bytes) and its length into
 * *len. Returns 0, or FW_NVSTORE_ERR_EMPTY (first boot), FW_NVSTORE_ERR_CORRUPT,
 * FW_NVSTORE_ERR_VERSION, FW_NVSTORE_ERR_TOO_BIG, FW_NVSTORE_ERR_IO. After any
 * return but BAD_ARG and IO, save knows which slot it may overwrite. buf may
 * be clobbered by a candidate that failed its CRC. */
int fw_nvstore_load(struct fw_nvstore *s, void *buf, size_t cap, size_t *len);

/* Checks both slots (headers and payload CRCs, FW_NVSTORE_CHUNK bytes at a
 * time, no payload buffer) so that save knows which slot it may overwrite.
 * load does this itself. Returns 0 or FW_NVSTORE_ERR_IO. */
int fw_nvstore_scan(struct fw_nvstore *s);

/* Saves len bytes of buf as the new version. Returns 0 or FW_NVSTORE_ERR_*;
 * on failure the previous version stays the newest valid one. */
int fw_nvstore_save(struct fw_nvstore *s, const void *buf, size_t len);

/* Saves the payload that produce(arg, ...) emits, without a buffer of the
 * whole payload (see fw_nvstore_produce_fn). Same results as save. */
int fw_nvstore_save_stream(struct fw_nvstore *s, fw_nvstore_produce_fn produce, void *arg);

/* Removes both slots (factory reset). 0 or FW_NVSTORE_ERR_IO. */
int fw_nvstore_erase(struct fw_nvstore *s);

/* Forgets the context; the storage is untouched. Safe on a zeroed context. */
void fw_nvstore_free(struct fw_nvstore *s);

/* Parses a slot header from (buf, len): magic, header size and header CRC.
 * Returns 0 with *out filled, FW_NVSTORE_ERR_CORRUPT, or
 * FW_NVSTORE_ERR_VERSION (a well-formed header of another version). */
int fw_nvstore_header_parse(const uint8_t *buf, size_t len, struct fw_nvstore_header *out);

/* Callback-shaped wrappers, so that a module that must not link the
 * firmware (the address book: see ab_book.h) can be handed a store as
 * function pointers. store is a struct fw_nvstore *. */
int fw_nvstore_load_cb(void *store, void *buf, size_t cap, size_t *len);
int fw_nvstore_save_cb(void *store, fw_nvstore_produce_fn produce, void *arg);

/* A short English text for err (0: "ok"); never NULL. */
const char *fw_nvstore_strerror(int err);

#endif
