/* Simulated flash (hal_storage backend): each blob is a file in a directory.
 *
 * A write handle writes NAME.tmp; commit does fsync, rename to NAME and an
 * fsync of the directory, so the host's crash semantics give the contract's
 * atomic replace. Uncommitted NAME.tmp files left by a power cut are never
 * visible (".tmp" names are refused) and sim_storage_init() deletes them.
 *
 * Names: 1..HAL_STORAGE_NAME_MAX characters, printable ASCII, no '/', no
 * "..", no leading '.', not ending in ".tmp".
 *
 * Fault injection simulates a power cut during a flash write: the write
 * that hits the cut stores only its first part, returns HAL_STORAGE_ERR_IO,
 * and from then on every call fails and nothing is cleaned up (the .tmp
 * stays on disk), as if the device had lost power. A new sim_storage_init()
 * on the same directory is the reboot. */
#ifndef SIM_STORAGE_H
#define SIM_STORAGE_H

#include <stddef.h>

#include "hal/hal_storage.h"

#ifndef SIM_STORAGE_HANDLES
#define SIM_STORAGE_HANDLES 8 /* open blobs at once */
#endif
#ifndef SIM_STORAGE_DIR_MAX
#define SIM_STORAGE_DIR_MAX 256 /* directory path, with its NUL */
#endif

struct sim_storage_handle {
    int used;
    int fd;
    enum hal_storage_mode mode;
    char name[HAL_STORAGE_NAME_MAX + 1];
};

struct sim_storage {
    char dir[SIM_STORAGE_DIR_MAX];
    int dirfd;
    struct sim_storage_handle handles[SIM_STORAGE_HANDLES];
    long cut_after_bytes; /* < 0: off; else the write that would pass this total is cut */
    unsigned cut_at_write; /* 0: off; else write() number N since arming is cut short */
    long bytes_written;    /* bytes written since init */
    unsigned writes;       /* write() calls since the cut was armed */
    int powered_off;       /* a cut happened */
};

/* Opens (creating it if missing, one level) the directory dir and deletes
 * the *.tmp files an earlier cut left there. Returns 0, HAL_STORAGE_ERR_BAD_ARG
 * (dir NULL or too long) or HAL_STORAGE_ERR_IO. */
int sim_storage_init(struct sim_storage *s, const char *dir);

/* Closes every handle (uncommitted writes are discarded, unless the power
 * was cut) and the directory. Safe on a zeroed context. */
void sim_storage_free(struct sim_storage *s);

/* Fills *out with the HAL view of s. */
void sim_storage_hal(struct sim_storage *s, struct hal_storage *out);

/* Cuts the power during the write that would take the bytes written past
 * `bytes` more than now: that write stores only the bytes up to the limit
 * (0: the next non-empty write stores nothing). Negative disarms. */
void sim_storage_cut_after(struct sim_storage *s, long bytes);

/* Cuts the power during the nth write() from now (1 = the next one), which
 * stores only the first half of its bytes. 0 disarms. */
void sim_storage_cut_write(struct sim_storage *s, unsigned nth);

/* 1 once a cut has happened. */
int sim_storage_powered_off(const struct sim_storage *s);

/* 1 when name is a valid blob name (rules above), else 0. */
int sim_storage_name_valid(const char *name);

#endif
