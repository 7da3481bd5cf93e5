/* RAM-backed storage HAL for the emulated board: the hal_storage contract
 * (a blob is visible only after commit, commit replaces atomically, an
 * uncommitted write is discarded) over a fixed arena of blocks, standing in
 * for the NAND flash a real MFP spools to. Nothing is allocated: the arena
 * and its tables are one caller-owned struct, which main places in the
 * board's 16 MiB NVM region (the `.nvm` section, outside the RAM budget).
 * The contents do not survive a reset (QEMU starts with zeroed RAM).
 *
 * A blob is a chain of BOARD_STORAGE_BLOCK-byte blocks; a write handle
 * builds its own chain, and commit swaps it in for the old blob's chain and
 * frees that, so a reader never sees a partial blob. A read handle of a
 * blob that is then replaced or removed fails with HAL_STORAGE_ERR_IO
 * (POSIX would keep the old data; nothing in the firmware relies on it). */
#ifndef BOARD_STORAGE_H
#define BOARD_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_storage.h"

#ifndef BOARD_STORAGE_BLOCK
#define BOARD_STORAGE_BLOCK 4096u /* bytes per block (a flash sector) */
#endif
#ifndef BOARD_STORAGE_BLOCKS
#define BOARD_STORAGE_BLOCKS 3968u /* 15.5 MiB of blocks: the NVM region less the tables */
#endif
#ifndef BOARD_STORAGE_BLOBS
#define BOARD_STORAGE_BLOBS 256u /* committed blobs at once (pages, journals, records) */
#endif
#ifndef BOARD_STORAGE_HANDLES
#define BOARD_STORAGE_HANDLES 8u /* open blobs at once */
#endif
#if BOARD_STORAGE_BLOCKS >= 0xffffu
#error "BOARD_STORAGE_BLOCKS must fit a uint16_t block number below the chain's end mark"
#endif

struct board_storage_blob {
    uint8_t used;
    char name[HAL_STORAGE_NAME_MAX + 1];
    uint16_t first; /* first block, BOARD_STORAGE_END when empty */
    uint32_t len;
};

struct board_storage_handle {
    uint8_t used;
    uint8_t mode;   /* enum hal_storage_mode */
    uint8_t stale;  /* read handle whose blob was replaced or removed */
    char name[HAL_STORAGE_NAME_MAX + 1];
    uint16_t first, last; /* the chain being read or written */
    uint32_t len;
};

struct board_storage {
    uint16_t next[BOARD_STORAGE_BLOCKS]; /* chain links; free blocks form a list */
    uint16_t free_head;
    uint32_t free_blocks;
    struct board_storage_blob blobs[BOARD_STORAGE_BLOBS];
    struct board_storage_handle handles[BOARD_STORAGE_HANDLES];
    uint32_t peak_blocks; /* most blocks ever in use: the spool's high-water mark */
    uint8_t data[BOARD_STORAGE_BLOCKS][BOARD_STORAGE_BLOCK];
};

/* Empties the storage (every block free). */
void board_storage_init(struct board_storage *s);

/* Fills *out with the HAL view of s. */
void board_storage_hal(struct board_storage *s, struct hal_storage *out);

/* Bytes of blocks in use at the high-water mark. */
uint32_t board_storage_peak_bytes(const struct board_storage *s);

#endif
