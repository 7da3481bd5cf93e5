/* Local address book: up to AB_MAX_ENTRIES entries of alias + e-mail
 * address, listed by alias, with autocomplete, in fixed arrays (no malloc).
 *
 * Entries: the address is checked like every address the firmware sends to
 * (smtp_address_check) and is unique: two addresses are the same when their
 * local parts are byte-equal and their domains equal ignoring case
 * (ab_addr_equal). The alias is UTF-8 of at most AB_ALIAS_MAX bytes without
 * control characters; an empty alias shows the address, as the manual says.
 *
 * Order: aliases compare by their case-folded characters (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic: "émile" sorts with "Émile", "юлия" with
 * "Юлия"), so the panel's list and autocomplete agree with what users type.
 *
 * Persistence: the book does not know where it is stored. It is handed a
 * load function and a save function (struct ab_book_io); the firmware wires
 * them to a record store (fw_nvstore_load_cb / fw_nvstore_save_cb), tests
 * to anything. Every change (add, delete, change) saves the whole new image
 * first and changes RAM only when the save succeeded, so the book in RAM is
 * always the one on flash; a store that keeps the old or the new version
 * across a power cut (fw_nvstore) then keeps the old or the new book.
 *
 * File image (the payload; little-endian):
 *   "AB" u8 version (AB_FORMAT_VERSION) u8 0  u16 entry count
 *   then per entry: u8 alias length, alias bytes, 0,
 *                   u8 address length, address bytes, 0
 * It is also the book's RAM layout (the text pool): load copies it in and
 * checks every length, terminator, alias, address and duplicate. */
#ifndef AB_BOOK_H
#define AB_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "ab_opts.h"

#define AB_FORMAT_VERSION 1
#define AB_IMAGE_HDR_SIZE 6
#define AB_ENTRY_OVERHEAD 4 /* two length bytes, two NULs */

#define AB_ERR_BAD_ARG (-0x0801)   /* NULL pointer, id out of range */
#define AB_ERR_ALIAS (-0x0802)     /* alias too long, not UTF-8, or with control characters */
#define AB_ERR_ADDRESS (-0x0803)   /* not a valid e-mail address (use name@domain) */
#define AB_ERR_DUPLICATE (-0x0804) /* the address is already in the book */
#define AB_ERR_TOO_MANY (-0x0805)  /* the book holds AB_MAX_ENTRIES entries already */
#define AB_ERR_FULL (-0x0806)      /* the text pool (AB_POOL_BYTES) is full */
#define AB_ERR_NOT_FOUND (-0x0807) /* no entry with that address */
#define AB_ERR_FORMAT (-0x0808)  /* the image is malformed (a length, terminator, entry or count)  \
                                  */
#define AB_ERR_VERSION (-0x0809) /* the image has another format version */
#define AB_ERR_STORE (-0x080A)   /* the store failed: see ab_book.io_error */
#define AB_ERR_UTF8 (-0x080B)    /* the typed text is not valid UTF-8 */

/* Emits len bytes of an image being saved; 0 or a negative error. */
typedef int (*ab_emit_fn)(void *sink, const void *buf, size_t len);
/* Produces the whole image through emit(sink, ...); may be called more than
 * once per save and emits the same bytes each time. */
typedef int (*ab_produce_fn)(void *arg, ab_emit_fn emit, void *sink);

/* Where the book is kept. Same shapes as fw_nvstore_load_cb/_save_cb. */
struct ab_book_io {
    /* Reads the saved image into buf (cap bytes), its length in *len;
     * 0 or a negative store error (e.g. "nothing saved yet"). */
    int (*load)(void *ctx, void *buf, size_t cap, size_t *len);
    /* Saves the image produce() emits; 0 or a negative store error, after
     * which the previous image must still be the saved one. */
    int (*save)(void *ctx, ab_produce_fn produce, void *arg);
    void *ctx;
};

/* The book. Caller-owned (about AB_POOL_BYTES + 10 bytes per entry: see
 * ab_book_ram()); every array is fixed. Entry ids are 0..count-1, valid
 * until the next change. */
typedef struct ab_book {
    struct ab_book_io io; /* io.save NULL: changes stay in RAM */
    int io_error;         /* the store's code behind the last AB_ERR_STORE */
    uint32_t used;        /* bytes of pool in use (the image length) */
    uint16_t count;
    uint32_t offset[AB_MAX_ENTRIES];        /* id -> record offset in pool */
    uint16_t by_alias[AB_MAX_ENTRIES];      /* ids in list order (folded alias) */
    uint16_t by_addr[AB_MAX_ENTRIES];       /* ids by folded address */
    uint8_t drop[(AB_MAX_ENTRIES + 7) / 8]; /* ids a pending change removes */
    uint8_t pool[AB_POOL_BYTES];            /* the image (see above) */
} ab_book_t;

/* An empty book bound to io (NULL: RAM only). Cannot fail. */
void ab_book_init(ab_book_t *b, const struct ab_book_io *io);

/* Loads the saved image. 0; AB_ERR_STORE with the store's code in io_error
 * (its "nothing saved yet" is a first boot, anything else is worth a
 * warning); AB_ERR_FORMAT or AB_ERR_VERSION. On any error the book is empty
 * and usable: the next change saves over the damaged image. */
int ab_book_load(ab_book_t *b);

/* Replaces the book with the image (buf, len) after checking all of it
 * (the parser the fuzzer drives). buf may be b->pool. 0 or AB_ERR_FORMAT,
 * AB_ERR_VERSION, AB_ERR_FULL (image larger than the pool); the book is
 * empty after an error. Saves nothing. */
int ab_book_parse(ab_book_t *b, const uint8_t *buf, size_t len);

/* Adds an entry (alias NULL or "" shows the address) and saves. 0 or
 * AB_ERR_ALIAS, _ADDRESS, _DUPLICATE, _TOO_MANY, _FULL, _STORE. */
int ab_book_add(ab_book_t *b, const char *alias, const char *addr);

/* Deletes the entries with these addresses (the panel's "Delete selected
 * addresses?") and saves, all or nothing: 0, or AB_ERR_NOT_FOUND when one
 * is missing (nothing deleted), AB_ERR_BAD_ARG, AB_ERR_STORE. */
int ab_book_delete(ab_book_t *b, const char *const *addrs, size_t n);

/* The manual's change: deletes old_addr and adds (alias, addr), in one save
 * so that a power cut never leaves the entry deleted and not re-added.
 * Errors as delete and add. */
int ab_book_change(ab_book_t *b, const char *old_addr, const char *alias, const char *addr);

/* Entries in the book. */
size_t ab_book_count(const ab_book_t *b);
/* The id at position k (0..count-1) of the list sorted by alias. */
int ab_book_sorted(const ab_book_t *b, size_t k);
/* The id of the entry with addr, or AB_ERR_NOT_FOUND. */
int ab_book_find(const ab_book_t *b, const char *addr);
/* NUL-terminated texts of entry id, valid until the next change; the
 * alias is the address when none was given. NULL for a bad id. */
const char *ab_book_alias(const ab_book_t *b, int id);
const char *ab_book_address(const ab_book_t *b, int id);

/* Autocomplete: the entries whose alias or address starts with the typed
 * text (len bytes, case-insensitive as above). ids[0] is the suggestion the
 * keyboard shows (the first alias match, else the first address match);
 * then the other alias matches in list order, then the address matches not
 * already listed, at most cap in all. Returns the number of ids (0: no
 * match, or empty text) or AB_ERR_UTF8 / AB_ERR_BAD_ARG. O(log n + cap). */
int ab_book_complete(const ab_book_t *b, const char *text, size_t len, uint16_t *ids, size_t cap);

/* Bytes of RAM the book takes (sizeof(ab_book_t)). */
size_t ab_book_ram(void);

/* Forgets the book. Safe on a zeroed book. */
void ab_book_free(ab_book_t *b);

/* Checks an alias of len bytes: UTF-8, at most AB_ALIAS_MAX bytes, no
 * C0/C1 control or DEL. 0 or AB_ERR_ALIAS. */
int ab_alias_check(const char *alias, size_t len);
/* Checks any display text of len bytes: strict UTF-8, no C0/C1 control or
 * DEL. 0 or AB_ERR_ALIAS. */
int ab_text_check(const char *s, size_t len);
/* Checks an address: smtp_address_check and at most AB_ADDR_MAX bytes.
 * 0 or AB_ERR_ADDRESS. */
int ab_address_check(const char *addr);
/* 1 when a and b name the same mailbox: local parts byte-equal, domains
 * equal ignoring ASCII case. */
int ab_addr_equal(const char *a, const char *b);
/* Case-folded comparison of two UTF-8 strings (lengths in bytes), <0, 0, >0.
 * Invalid bytes compare as themselves. */
int ab_fold_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* A short English text for err (0: "ok"); never NULL. */
const char *ab_strerror(int err);

#endif
