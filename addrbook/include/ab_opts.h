/* Budgets of the local address book (ab_book.h) and of the suggestion lists
 * (ab_merge.h). A board may override any of them before this header. */
#ifndef AB_OPTS_H
#define AB_OPTS_H

#include "smtp_opts.h"

/* Entries in the local book (the panel's 2,000). */
#ifndef AB_MAX_ENTRIES
#define AB_MAX_ENTRIES 2000
#endif

/* Bytes of an alias (UTF-8; 64 bytes hold 32 Cyrillic or accented letters). */
#ifndef AB_ALIAS_MAX
#define AB_ALIAS_MAX 64
#endif

/* Bytes of an address: what SMTP accepts in a path. */
#ifndef AB_ADDR_MAX
#define AB_ADDR_MAX (SMTP_PATH_MAX - 2)
#endif

/* Bytes of the book's text pool, which is also its file image: every entry
 * costs its alias and address plus AB_ENTRY_OVERHEAD. The default fits
 * AB_MAX_ENTRIES entries of 76 bytes of alias + address on average, a
 * quarter of the worst case (a fixed 64 + 254 bytes per entry would cost
 * 640 KB). A full pool is refused with AB_ERR_FULL. */
#ifndef AB_POOL_BYTES
#define AB_POOL_BYTES (AB_MAX_ENTRIES * 80u)
#endif

/* Matches one autocomplete or one merged list may hold (the panel's list). */
#ifndef AB_SUGGEST_MAX
#define AB_SUGGEST_MAX 16
#endif

/* Bytes of a suggestion's display name (directory names may be longer
 * than aliases; they are cut at a character boundary). */
#ifndef AB_SUGGEST_NAME_MAX
#define AB_SUGGEST_NAME_MAX 96
#endif

#if AB_MAX_ENTRIES < 1 || AB_MAX_ENTRIES > 65535
#error "AB_MAX_ENTRIES must be 1..65535: entries are indexed by uint16_t"
#endif
#if AB_ALIAS_MAX < 1 || AB_ALIAS_MAX > 255
#error "AB_ALIAS_MAX must be 1..255: the file stores it in one byte"
#endif
#if AB_ADDR_MAX < 6 || AB_ADDR_MAX > 255 || AB_ADDR_MAX > SMTP_PATH_MAX - 2
#error "AB_ADDR_MAX must be 6..255 and no more than SMTP accepts (SMTP_PATH_MAX - 2)"
#endif
#if AB_POOL_BYTES < 64 || AB_POOL_BYTES > 0x7fffffffu
#error "AB_POOL_BYTES out of range"
#endif
#if AB_SUGGEST_MAX < 1 || AB_SUGGEST_NAME_MAX < AB_ALIAS_MAX
#error "AB_SUGGEST_MAX must be >= 1 and AB_SUGGEST_NAME_MAX must hold an alias"
#endif

#endif
