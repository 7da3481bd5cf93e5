/*
 * ldap_filter.c - autocomplete and lookup filters as RFC 4515 strings and
 * RFC 4511 BER. Contract in ldap_filter.h.
 */
#include "ldap_filter.h"

#include <mbedtls/asn1write.h>
#include <stdio.h>
#include <string.h>

/* Filter CHOICE tags (RFC 4511 4.5.1, context-specific). */
#define LDAP_F_AND        0xA0
#define LDAP_F_OR         0xA1
#define LDAP_F_EQUALITY   0xA3
#define LDAP_F_SUBSTRINGS 0xA4
#define LDAP_F_PRESENT    0x87
#define LDAP_F_SUB_INITIAL 0x80

/* Longest attribute description accepted. */
#define LDAP_ATTR_NAME_MAX 64

/* Add what a mbedtls_asn1_write_* call wrote to len, or fail with NO_ROOM. */
#define LDAP_W(len, expr)                                                      \
    do {                                                                       \
        int w_ = (expr);                                                       \
        if (w_ < 0) {                                                          \
            return LDAP_ERR_NO_ROOM;                                           \
        }                                                                      \
        (len) += (size_t)w_;                                                   \
    } while (0)

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
} ldap_sbuf_t;

static int ldap_is_alpha(char c);
static int ldap_is_digit(char c);
static int ldap_is_keychar(char c);
static int ldap_item_write(unsigned char **p, unsigned char *start, const ldap_filter_spec_t *spec,
                           const char *attr);
static void ldap_sput(ldap_sbuf_t *s, const char *str, size_t n);
static void ldap_sput_escaped(ldap_sbuf_t *s, const char *v, size_t n);

const char *const ldap_filter_default_attrs[5] = {"cn", "displayName", "mail", "sn", "givenName"};

int ldap_filter_check(const ldap_filter_spec_t *spec)
{
    size_t i;

    if (spec != NULL && spec->attr_count == 0 && spec->value_len == 0) {
        /* Presence only: (present=*) */
        return spec->present != NULL && ldap_attr_check(spec->present) == 0 ? 0 : LDAP_ERR_BAD_ARGS;
    }
    if (spec == NULL || spec->value == NULL || spec->value_len == 0 ||
        spec->value_len > LDAP_PREFIX_MAX || spec->attrs == NULL || spec->attr_count == 0 ||
        spec->attr_count > LDAP_FILTER_ATTRS_MAX) {
        return LDAP_ERR_BAD_ARGS;
    }
    for (i = 0; i < spec->attr_count; i++) {
        if (ldap_attr_check(spec->attrs[i]) != 0) {
            return LDAP_ERR_BAD_ARGS;
        }
    }
    if (spec->present != NULL && ldap_attr_check(spec->present) != 0) {
        return LDAP_ERR_BAD_ARGS;
    }
    return ldap_utf8_check(spec->value, spec->value_len);
}

int ldap_filter_string(const ldap_filter_spec_t *spec, char *buf, size_t cap)
{
    ldap_sbuf_t s = {buf, cap, 0};
    size_t i;
    int rc = ldap_filter_check(spec);

    if (rc != 0) {
        return rc;
    }
    if (buf == NULL || cap == 0) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (spec->attr_count == 0) {
        ldap_sput(&s, "(", 1);
        ldap_sput(&s, spec->present, strlen(spec->present));
        ldap_sput(&s, "=*)", 3);
    } else if (spec->present != NULL) {
        ldap_sput(&s, "(&(", 3);
        ldap_sput(&s, spec->present, strlen(spec->present));
        ldap_sput(&s, "=*)", 3);
    }
    if (spec->attr_count > 1) {
        ldap_sput(&s, "(|", 2);
    }
    for (i = 0; i < spec->attr_count; i++) {
        ldap_sput(&s, "(", 1);
        ldap_sput(&s, spec->attrs[i], strlen(spec->attrs[i]));
        ldap_sput(&s, "=", 1);
        ldap_sput_escaped(&s, spec->value, spec->value_len);
        ldap_sput(&s, spec->equality ? ")" : "*)", spec->equality ? 1 : 2);
    }
    if (spec->attr_count > 1) {
        ldap_sput(&s, ")", 1);
    }
    if (spec->present != NULL && spec->attr_count > 0) {
        ldap_sput(&s, ")", 1);
    }
    if (s.len >= cap) {
        buf[0] = '\0';
        return LDAP_ERR_NO_ROOM;
    }
    buf[s.len] = '\0';
    return (int)s.len;
}

int ldap_filter_ber_write(unsigned char **p, unsigned char *start, const ldap_filter_spec_t *spec)
{
    size_t len = 0;
    size_t or_len = 0;
    size_t i;
    int rc = ldap_filter_check(spec);

    if (rc != 0) {
        return rc;
    }
    /* Backwards: the last alternative first. */
    for (i = spec->attr_count; i-- > 0;) {
        LDAP_W(or_len, ldap_item_write(p, start, spec, spec->attrs[i]));
    }
    if (spec->attr_count > 1) {
        LDAP_W(or_len, ldap_ber_wrap(p, start, or_len, LDAP_F_OR));
    }
    len = or_len;
    if (spec->present != NULL) {
        LDAP_W(len, mbedtls_asn1_write_raw_buffer(p, start, (const unsigned char *)spec->present,
                                                  strlen(spec->present)));
        LDAP_W(len, mbedtls_asn1_write_len(p, start, strlen(spec->present)));
        LDAP_W(len, mbedtls_asn1_write_tag(p, start, LDAP_F_PRESENT));
        if (spec->attr_count > 0) {
            LDAP_W(len, ldap_ber_wrap(p, start, len, LDAP_F_AND));
        }
    }
    return (int)len;
}

int ldap_ber_wrap(unsigned char **p, unsigned char *start, size_t len, unsigned char tag)
{
    size_t n = 0;

    LDAP_W(n, mbedtls_asn1_write_len(p, start, len));
    LDAP_W(n, mbedtls_asn1_write_tag(p, start, tag));
    return (int)n;
}

int ldap_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = u[i];
        size_t n;
        unsigned cp;
        unsigned min;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return LDAP_ERR_BAD_UTF8;
        }
        if (len - i - 1 < n) {
            return LDAP_ERR_BAD_UTF8;
        }
        for (k = 1; k <= n; k++) {
            if ((u[i + k] & 0xC0) != 0x80) {
                return LDAP_ERR_BAD_UTF8;
            }
            cp = (cp << 6) | (u[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return LDAP_ERR_BAD_UTF8;
        }
        i += n + 1;
    }
    return 0;
}

/* RFC 4512 2.5: attributedescription = attributetype *(";" option), where
 * attributetype is a descr (ALPHA *(ALPHA / DIGIT / "-")) or a numericoid
 * (number 1*("." number), no leading zeros) and an option is
 * 1*(ALPHA / DIGIT / "-"). Anything else could smuggle filter syntax into
 * the string form, would be refused by the server, or worse, typed into the
 * settings by mistake and never noticed. */
int ldap_attr_check(const char *a)
{
    size_t i = 0;
    size_t dots = 0;
    size_t from;

    if (a == NULL || a[0] == '\0' || strlen(a) > LDAP_ATTR_NAME_MAX) {
        return LDAP_ERR_BAD_ARGS;
    }
    if (ldap_is_alpha(a[0])) {
        while (ldap_is_keychar(a[i])) {
            i++;
        }
    } else {
        for (;;) {
            if (!ldap_is_digit(a[i]) || (a[i] == '0' && ldap_is_digit(a[i + 1]))) {
                return LDAP_ERR_BAD_ARGS;
            }
            while (ldap_is_digit(a[i])) {
                i++;
            }
            if (a[i] != '.') {
                break;
            }
            i++;
            dots++;
        }
        if (dots == 0) {
            return LDAP_ERR_BAD_ARGS;
        }
    }
    while (a[i] == ';') {
        from = ++i;
        while (ldap_is_keychar(a[i])) {
            i++;
        }
        if (i == from) {
            return LDAP_ERR_BAD_ARGS;
        }
    }
    return a[i] == '\0' ? 0 : LDAP_ERR_BAD_ARGS;
}

static int ldap_is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ldap_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int ldap_is_keychar(char c)
{
    return ldap_is_alpha(c) || ldap_is_digit(c) || c == '-';
}

/* (attr=value*) as substrings with an initial, or (attr=value) as an
 * equality assertion. */
static int ldap_item_write(unsigned char **p, unsigned char *start, const ldap_filter_spec_t *spec,
                           const char *attr)
{
    size_t len = 0;
    size_t alen = strlen(attr);

    LDAP_W(len, mbedtls_asn1_write_raw_buffer(p, start, (const unsigned char *)spec->value,
                                              spec->value_len));
    LDAP_W(len, mbedtls_asn1_write_len(p, start, spec->value_len));
    if (spec->equality) {
        LDAP_W(len, mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_OCTET_STRING));
    } else {
        LDAP_W(len, mbedtls_asn1_write_tag(p, start, LDAP_F_SUB_INITIAL));
        LDAP_W(len, ldap_ber_wrap(p, start, len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    }
    LDAP_W(len, mbedtls_asn1_write_octet_string(p, start, (const unsigned char *)attr, alen));
    LDAP_W(len, ldap_ber_wrap(p, start, len, spec->equality ? LDAP_F_EQUALITY : LDAP_F_SUBSTRINGS));
    return (int)len;
}

/* Append; past the capacity only the length grows (checked at the end). */
static void ldap_sput(ldap_sbuf_t *s, const char *str, size_t n)
{
    if (s->len < s->cap && s->cap - s->len > n) {
        memcpy(s->buf + s->len, str, n);
    }
    s->len += n;
}

static void ldap_sput_escaped(ldap_sbuf_t *s, const char *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char ch = v[i];
        char esc[4];

        if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' || ch == '\0') {
            snprintf(esc, sizeof esc, "\\%02x", (unsigned)(unsigned char)ch);
            ldap_sput(s, esc, 3);
        } else {
            ldap_sput(s, &ch, 1);
        }
    }
}
