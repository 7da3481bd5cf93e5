/* Suggestions for the panel's address fields: the local book's matches and
 * the directory's (LDAP) in one list, de-duplicated by address, local first.
 *
 * Both sides fill the same small struct: the book through
 * ab_book_suggest(), the LDAP client through ab_suggestion_set() for each
 * entry it returns. Texts are copied, so a suggestion outlives the book's
 * next change and the LDAP response buffer. */
#ifndef AB_MERGE_H
#define AB_MERGE_H

#include <stddef.h>

#include "ab_book.h"
#include "ab_opts.h"

enum ab_source { AB_SOURCE_LOCAL = 0, AB_SOURCE_DIRECTORY = 1 };

typedef struct ab_suggestion {
    char name[AB_SUGGEST_NAME_MAX + 1]; /* display name, UTF-8; "" shows mail */
    char mail[AB_ADDR_MAX + 1];         /* a valid address (ab_address_check) */
    enum ab_source source;
} ab_suggestion_t;

/* Fills s from (name, name_len) and (mail, mail_len), neither needing a NUL.
 * The name is cut at a character boundary to AB_SUGGEST_NAME_MAX bytes;
 * a name with control characters or invalid UTF-8 is dropped (name ""), the
 * mail still shows. Returns 0, or AB_ERR_ADDRESS (the mail is not an
 * address we can send to: skip this entry), AB_ERR_BAD_ARG. */
int ab_suggestion_set(ab_suggestion_t *s, const char *name, size_t name_len, const char *mail,
                      size_t mail_len, enum ab_source source);

/* What the panel shows: the name, or the mail when there is none. */
const char *ab_suggestion_label(const ab_suggestion_t *s);

/* The local book's autocomplete matches for the typed text as suggestions
 * (see ab_book_complete), at most cap (<= AB_SUGGEST_MAX). Returns the
 * count or AB_ERR_UTF8 / AB_ERR_BAD_ARG. */
int ab_book_suggest(const ab_book_t *b, const char *text, size_t len, ab_suggestion_t *out,
                    size_t cap);

/* Merges: every local suggestion, then the directory's, skipping an address
 * already taken (ab_addr_equal: same local part, domain in any case), at most
 * limit in out. out must not overlap the inputs. Returns the count. */
size_t ab_merge(const ab_suggestion_t *local, size_t n_local, const ab_suggestion_t *dir,
                size_t n_dir, ab_suggestion_t *out, size_t limit);

#endif
