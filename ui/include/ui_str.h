/* Bounded string building for the panel (firmware has no stdio). A builder
 * writes into the caller's buffer, always NUL terminated, and truncates on
 * a UTF-8 character boundary when the buffer is full. */
#ifndef UI_STR_H
#define UI_STR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ui_sb {
    char *p;
    size_t cap; /* bytes of p, NUL included; > 0 */
    size_t len;
    int truncated;
} ui_sb_t;

void ui_sb_init(ui_sb_t *sb, char *buf, size_t cap);
void ui_sb_putn(ui_sb_t *sb, const char *s, size_t n);
void ui_sb_put(ui_sb_t *sb, const char *s); /* s may be NULL: nothing */
void ui_sb_put_u64(ui_sb_t *sb, uint64_t v);
/* A byte count for people: "850 bytes", "12 KB", "3.4 MB". */
void ui_sb_put_size(ui_sb_t *sb, uint64_t bytes);

/* Copies s[0..n) into dst[cap] like ui_sb_putn on an empty builder. */
void ui_strlcpy(char *dst, size_t cap, const char *s, size_t n);

/* ASCII case-insensitive prefix test: does s[0..slen) start with p[0..plen)?
 * Non-ASCII bytes compare exactly. */
int ui_prefix_icase(const char *s, size_t slen, const char *p, size_t plen);

#endif
