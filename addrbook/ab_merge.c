/* Merged suggestions: local first, de-duplicated by address (see ab_merge.h). */
#include "ab_merge.h"

#include <string.h>

static size_t ab_merge_add(const ab_suggestion_t *in, size_t n, ab_suggestion_t *out, size_t count,
                           size_t limit);
static size_t ab_utf8_cut(const char *s, size_t len, size_t max);

int ab_suggestion_set(ab_suggestion_t *s, const char *name, size_t name_len, const char *mail,
                      size_t mail_len, enum ab_source source)
{
    if (s == NULL || (name == NULL && name_len > 0) || mail == NULL)
        return AB_ERR_BAD_ARG;
    memset(s, 0, sizeof(*s));
    /* A NUL inside would hide the rest: refuse rather than truncate. */
    if (mail_len == 0 || mail_len > AB_ADDR_MAX || memchr(mail, 0, mail_len) != NULL)
        return AB_ERR_ADDRESS;
    memcpy(s->mail, mail, mail_len);
    if (ab_address_check(s->mail) != 0) {
        memset(s, 0, sizeof(*s));
        return AB_ERR_ADDRESS;
    }
    name_len = ab_utf8_cut(name, name_len, AB_SUGGEST_NAME_MAX);
    if (ab_text_check(name, name_len) != 0)
        name_len = 0;
    if (name_len > 0)
        memcpy(s->name, name, name_len);
    s->source = source;
    return 0;
}

const char *ab_suggestion_label(const ab_suggestion_t *s)
{
    if (s == NULL)
        return "";
    return s->name[0] != '\0' ? s->name : s->mail;
}

int ab_book_suggest(const ab_book_t *b, const char *text, size_t len, ab_suggestion_t *out,
                    size_t cap)
{
    uint16_t ids[AB_SUGGEST_MAX];
    int n;

    if (out == NULL && cap > 0)
        return AB_ERR_BAD_ARG;
    n = ab_book_complete(b, text, len, ids, cap < AB_SUGGEST_MAX ? cap : AB_SUGGEST_MAX);
    for (int i = 0; i < n; i++) {
        const char *mail = ab_book_address(b, ids[i]);
        int rc = ab_suggestion_set(&out[i], NULL, 0, mail, strlen(mail), AB_SOURCE_LOCAL);

        if (rc != 0)
            return rc; /* cannot happen: the book holds valid addresses only */
        /* No alias (the book shows the address): name stays "". */
        if (ab_book_alias(b, ids[i]) != mail)
            strcpy(out[i].name, ab_book_alias(b, ids[i]));
    }
    return n;
}

size_t ab_merge(const ab_suggestion_t *local, size_t n_local, const ab_suggestion_t *dir,
                size_t n_dir, ab_suggestion_t *out, size_t limit)
{
    size_t count = 0;

    if (out == NULL)
        return 0;
    if (local != NULL)
        count = ab_merge_add(local, n_local, out, count, limit);
    if (dir != NULL)
        count = ab_merge_add(dir, n_dir, out, count, limit);
    return count;
}

/* Appends the entries of in whose address out[0..count) does not hold yet. */
static size_t ab_merge_add(const ab_suggestion_t *in, size_t n, ab_suggestion_t *out, size_t count,
                           size_t limit)
{
    for (size_t i = 0; i < n && count < limit; i++) {
        size_t j = 0;

        while (j < count && !ab_addr_equal(out[j].mail, in[i].mail))
            j++;
        if (j == count)
            out[count++] = in[i];
    }
    return count;
}

/* The longest prefix of (s, len) of at most max bytes that does not end
 * inside a UTF-8 sequence. */
static size_t ab_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}
