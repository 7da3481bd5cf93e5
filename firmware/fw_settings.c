/* Settings: defaults, checks, the tagged image and its record (fw_settings.h). */
#include "fw_settings.h"

#include <stdio.h>
#include <string.h>

#include "ab_book.h"
#include "fw_job.h"
#include "fw_nvstore.h"
#include "ldap_filter.h"
#include "smtp_session.h"

/* Field tags of the image. Never reuse a number: old images keep theirs. */
enum {
    FW_ST_GATEWAY = 1,
    FW_ST_PORT,
    FW_ST_TLS,
    FW_ST_USER,
    FW_ST_PASSWORD,
    FW_ST_FROM_ADDR,
    FW_ST_FROM_NAME,
    FW_ST_FROM_LOCKED,
    FW_ST_SUBJECT,
    FW_ST_FILE_NAME,
    FW_ST_JPEG_QUALITY,
    FW_ST_FILE_TYPE,
    FW_ST_MAX_ATTACHMENT,
    FW_ST_SIGN_IN,
    FW_ST_LDAP_SERVER,
    FW_ST_LDAP_PORT,
    FW_ST_LDAP_TLS,
    FW_ST_LDAP_USE_CA,
    FW_ST_LDAP_BIND_DN,
    FW_ST_LDAP_BIND_PW,
    FW_ST_LDAP_BASE_DN,
    FW_ST_LDAP_SEARCH_ATTRS,
    FW_ST_LDAP_NAME_ATTR,
    FW_ST_LDAP_MAIL_ATTR,
    FW_ST_LDAP_LOGIN,
    FW_ST_LDAP_MAX_RESULTS,
    FW_ST_LDAP_TIMEOUT,
    FW_ST_LDAP_SIGN_IN,
    FW_ST_LDAP_LOCK_FROM,
};

#define FW_ST_LDAP_TIMEOUT_MAX 300 /* seconds: fw_ldap's FW_LDAP_TIMEOUT_MAX_MS */

#define FW_ST_HDR 4

/* Clears a buffer that held the password; volatile so it is not elided. */
static void fw_st_wipe(void *p, size_t n)
{
    volatile uint8_t *b = p;

    while (n-- > 0)
        *b++ = 0;
}
#define FW_ST_ATTACH_MAX (1ull << 40) /* a sane ceiling for a per-e-mail limit */

void fw_settings_defaults(struct fw_settings *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->gateway, sizeof(s->gateway), "mail.example.test");
    s->port = 25;
    s->tls = SMTP_TLS_NONE;  /* the lab's port 25; E-mail Setup picks STARTTLS on 587 */
    snprintf(s->from_addr, sizeof(s->from_addr), "mfp@example.test");
    snprintf(s->from_name, sizeof(s->from_name), "MFP Scanner");
    snprintf(s->subject, sizeof(s->subject), "Scanned document");
    snprintf(s->file_name, sizeof(s->file_name), "scan");
    s->jpeg_quality = 85;
    s->file_type = FW_FILE_PDF; /* as most MFPs default to */
    s->max_attachment = 0;      /* no limit: the gateway's SIZE still splits */
    /* No directory until the administrator names one; then StartTLS on 389,
     * verified with the installed CA, the usual inetOrgPerson attributes. */
    s->ldap_tls = 1; /* LDAP_TLS_STARTTLS */
    s->ldap_use_ca = 1;
    snprintf(s->ldap_name_attr, sizeof(s->ldap_name_attr), "displayName");
    snprintf(s->ldap_mail_attr, sizeof(s->ldap_mail_attr), "mail");
    s->ldap_login = FW_LDAP_LOGIN_UID;
    s->ldap_max_results = LDAP_COMPLETE_MAX;
    s->ldap_timeout_s = 10;
}

const char *fw_settings_login_attr(int login)
{
    return login == FW_LDAP_LOGIN_SAM ? "sAMAccountName" : login == FW_LDAP_LOGIN_MAIL ? "mail" : "uid";
}

size_t fw_settings_search_attrs(const struct fw_settings *s, char *buf, size_t cap, const char **attrs, size_t max)
{
    size_t n = 0;
    char *p;

    if (cap == 0)
        return 0;
    snprintf(buf, cap, "%s", s->ldap_search_attrs);
    for (p = buf; *p != '\0' && n < max;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        attrs[n++] = p;
        while (*p != '\0' && *p != ' ')
            p++;
    }
    return n;
}

/* ---- checks: one per field, shared by fw_settings_check and the loader ---- */

static int fw_st_text_ok(const char *s, size_t len)
{
    /* UTF-8 without control characters: nothing here may end up as a CR or
     * LF in a header or on the SMTP command line. */
    return len <= FW_SETTINGS_STR_MAX && ab_text_check(s, len) == 0;
}

int fw_settings_host_ok(const char *s, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && s[len - 1] != '-';
}

static int fw_st_addr_ok(const char *s, size_t len)
{
    char tmp[FW_SETTINGS_STR_MAX + 1];

    if (len == 0 || len > FW_SETTINGS_STR_MAX || memchr(s, '\0', len) != NULL)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return smtp_address_check(tmp) == 0;
}

static int fw_st_file_name_ok(const char *s, size_t len)
{
    return len > 0 && len <= FW_JOB_FILE_NAME_MAX && fw_st_text_ok(s, len) && memchr(s, '/', len) == NULL &&
           memchr(s, '\\', len) == NULL;
}

/* "" (no directory) or a host. */
static int fw_st_ldap_host_ok(const char *s, size_t len)
{
    return len == 0 || fw_settings_host_ok(s, len);
}

/* An attribute name (the filter builder's rule: a descr or an OID). */
static int fw_st_attr_ok(const char *s, size_t len)
{
    char tmp[FW_SETTINGS_STR_MAX + 1];

    if (len == 0 || len > FW_SETTINGS_STR_MAX || memchr(s, '\0', len) != NULL)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return ldap_attr_check(tmp) == 0;
}

/* Space separated attribute names, at most LDAP_FILTER_ATTRS_MAX; "" for
 * the defaults. */
static int fw_st_attrs_ok(const char *s, size_t len)
{
    size_t count = 0;

    for (size_t i = 0; i < len;) {
        size_t j = i;

        while (j < len && s[j] != ' ')
            j++;
        if (j > i && (!fw_st_attr_ok(s + i, j - i) || ++count > LDAP_FILTER_ATTRS_MAX))
            return 0;
        i = j + 1;
    }
    return 1;
}

/* A DN-ish text: "" or something with an '=' and no control characters. */
static int fw_st_dn_ok(const char *s, size_t len)
{
    return fw_st_text_ok(s, len) && (len == 0 || memchr(s, '=', len) != NULL);
}

static int fw_st_why(char *why, size_t n, const char *msg)
{
    if (n > 0)
        snprintf(why, n, "%s", msg);
    return -1;
}

int fw_settings_check(const struct fw_settings *s, char *why, size_t n)
{
    if (!fw_settings_host_ok(s->gateway, strnlen(s->gateway, sizeof(s->gateway))))
        return fw_st_why(why, n, "SMTP gateway: give an IPv4 address or a host name");
    if (s->port == 0)
        return fw_st_why(why, n, "Port: give 1 to 65535");
    if (s->tls < SMTP_TLS_NONE || s->tls > SMTP_TLS_IMPLICIT)
        return fw_st_why(why, n, "TLS: none, STARTTLS or implicit");
    if (!fw_st_text_ok(s->user, strnlen(s->user, sizeof(s->user))) ||
        !fw_st_text_ok(s->password, strnlen(s->password, sizeof(s->password))))
        return fw_st_why(why, n, "User name and password: no control characters");
    if (!fw_st_addr_ok(s->from_addr, strnlen(s->from_addr, sizeof(s->from_addr))))
        return fw_st_why(why, n, "Default From: give an address like name@example.com");
    if (!fw_st_text_ok(s->from_name, strnlen(s->from_name, sizeof(s->from_name))) ||
        !fw_st_text_ok(s->subject, strnlen(s->subject, sizeof(s->subject))))
        return fw_st_why(why, n, "Display name and subject: no control characters");
    if (!fw_st_file_name_ok(s->file_name, strnlen(s->file_name, sizeof(s->file_name))))
        return fw_st_why(why, n, "File name: 1 to 64 characters, no / or \\");
    if (s->jpeg_quality < 1 || s->jpeg_quality > 100)
        return fw_st_why(why, n, "JPEG quality: 1 to 100");
    if (s->file_type < FW_FILE_JPEG || s->file_type > FW_FILE_MTIFF)
        return fw_st_why(why, n, "File type: PDF, JPEG, TIFF or MTIFF");
    if (s->max_attachment > FW_ST_ATTACH_MAX)
        return fw_st_why(why, n, "Maximum attachment size: at most 1 TiB");
    if ((s->from_locked != 0 && s->from_locked != 1) || (s->sign_in_required != 0 && s->sign_in_required != 1))
        return fw_st_why(why, n, "Check boxes are 0 or 1");
    if (!fw_st_ldap_host_ok(s->ldap_server, strnlen(s->ldap_server, sizeof(s->ldap_server))))
        return fw_st_why(why, n, "LDAP server: give an IPv4 address or a host name");
    if (s->ldap_tls < 0 || s->ldap_tls > 2)
        return fw_st_why(why, n, "LDAP TLS: none, StartTLS or LDAPS");
    if (!fw_st_dn_ok(s->ldap_bind_dn, strnlen(s->ldap_bind_dn, sizeof(s->ldap_bind_dn))) ||
        !fw_st_dn_ok(s->ldap_base_dn, strnlen(s->ldap_base_dn, sizeof(s->ldap_base_dn))))
        return fw_st_why(why, n, "Bind DN and base DN: a DN like ou=people,dc=example,dc=com");
    if (!fw_st_text_ok(s->ldap_bind_pw, strnlen(s->ldap_bind_pw, sizeof(s->ldap_bind_pw))))
        return fw_st_why(why, n, "Bind password: no control characters");
    if (!fw_st_attrs_ok(s->ldap_search_attrs, strnlen(s->ldap_search_attrs, sizeof(s->ldap_search_attrs))))
        return fw_st_why(why, n, "Search attributes: attribute names separated by spaces (at most 8)");
    if (!fw_st_attr_ok(s->ldap_name_attr, strnlen(s->ldap_name_attr, sizeof(s->ldap_name_attr))) ||
        !fw_st_attr_ok(s->ldap_mail_attr, strnlen(s->ldap_mail_attr, sizeof(s->ldap_mail_attr))))
        return fw_st_why(why, n, "Name and mail attributes: attribute names");
    if (s->ldap_login < FW_LDAP_LOGIN_UID || s->ldap_login > FW_LDAP_LOGIN_MAIL)
        return fw_st_why(why, n, "Sign-in attribute: uid, sAMAccountName or mail");
    if (s->ldap_max_results < 1 || s->ldap_max_results > LDAP_COMPLETE_MAX)
        return fw_st_why(why, n, "Maximum results: 1 to 10");
    if (s->ldap_timeout_s < 1 || s->ldap_timeout_s > FW_ST_LDAP_TIMEOUT_MAX)
        return fw_st_why(why, n, "LDAP timeout: 1 to 300 seconds");
    if ((s->ldap_use_ca != 0 && s->ldap_use_ca != 1) || (s->ldap_sign_in != 0 && s->ldap_sign_in != 1) ||
        (s->ldap_lock_from != 0 && s->ldap_lock_from != 1))
        return fw_st_why(why, n, "Check boxes are 0 or 1");
    if (n > 0)
        why[0] = '\0';
    return 0;
}

/* ---- the image ---- */

typedef struct fw_st_writer {
    uint8_t *buf;
    size_t cap, len;
} fw_st_writer_t;

static void fw_st_put(fw_st_writer_t *w, unsigned tag, const void *data, size_t len)
{
    /* Callers keep within FW_SETTINGS_IMAGE_MAX; the check only guards cap. */
    if (w->len + 3 + len > w->cap) {
        w->cap = 0;
        return;
    }
    w->buf[w->len++] = (uint8_t)tag;
    w->buf[w->len++] = (uint8_t)(len & 0xFF);
    w->buf[w->len++] = (uint8_t)(len >> 8);
    memcpy(w->buf + w->len, data, len);
    w->len += len;
}

static void fw_st_put_str(fw_st_writer_t *w, unsigned tag, const char *s, size_t size)
{
    fw_st_put(w, tag, s, strnlen(s, size));
}

static void fw_st_put_uint(fw_st_writer_t *w, unsigned tag, uint64_t v, size_t bytes)
{
    uint8_t b[8];

    for (size_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fw_st_put(w, tag, b, bytes);
}

int fw_settings_serialize(const struct fw_settings *s, unsigned flags, uint8_t *buf, size_t cap, size_t *len)
{
    fw_st_writer_t w = {buf, cap, FW_ST_HDR};

    if (s == NULL || buf == NULL || len == NULL || cap < FW_ST_HDR)
        return FW_SETTINGS_ERR_BAD_ARG;
    buf[0] = 'F';
    buf[1] = 'S';
    buf[2] = FW_SETTINGS_FORMAT;
    buf[3] = 0;
    fw_st_put_str(&w, FW_ST_GATEWAY, s->gateway, sizeof(s->gateway));
    fw_st_put_uint(&w, FW_ST_PORT, s->port, 2);
    fw_st_put_uint(&w, FW_ST_TLS, (uint64_t)s->tls, 1);
    fw_st_put_str(&w, FW_ST_USER, s->user, sizeof(s->user));
    if (!(flags & FW_SETTINGS_PUBLIC))
        fw_st_put_str(&w, FW_ST_PASSWORD, s->password, sizeof(s->password));
    fw_st_put_str(&w, FW_ST_FROM_ADDR, s->from_addr, sizeof(s->from_addr));
    fw_st_put_str(&w, FW_ST_FROM_NAME, s->from_name, sizeof(s->from_name));
    fw_st_put_uint(&w, FW_ST_FROM_LOCKED, (uint64_t)s->from_locked, 1);
    fw_st_put_str(&w, FW_ST_SUBJECT, s->subject, sizeof(s->subject));
    fw_st_put_str(&w, FW_ST_FILE_NAME, s->file_name, sizeof(s->file_name));
    fw_st_put_uint(&w, FW_ST_JPEG_QUALITY, s->jpeg_quality, 1);
    fw_st_put_uint(&w, FW_ST_FILE_TYPE, (uint64_t)s->file_type, 1);
    fw_st_put_uint(&w, FW_ST_MAX_ATTACHMENT, s->max_attachment, 8);
    fw_st_put_uint(&w, FW_ST_SIGN_IN, (uint64_t)s->sign_in_required, 1);
    fw_st_put_str(&w, FW_ST_LDAP_SERVER, s->ldap_server, sizeof(s->ldap_server));
    fw_st_put_uint(&w, FW_ST_LDAP_PORT, s->ldap_port, 2);
    fw_st_put_uint(&w, FW_ST_LDAP_TLS, (uint64_t)s->ldap_tls, 1);
    fw_st_put_uint(&w, FW_ST_LDAP_USE_CA, (uint64_t)s->ldap_use_ca, 1);
    fw_st_put_str(&w, FW_ST_LDAP_BIND_DN, s->ldap_bind_dn, sizeof(s->ldap_bind_dn));
    if (!(flags & FW_SETTINGS_PUBLIC))
        fw_st_put_str(&w, FW_ST_LDAP_BIND_PW, s->ldap_bind_pw, sizeof(s->ldap_bind_pw));
    fw_st_put_str(&w, FW_ST_LDAP_BASE_DN, s->ldap_base_dn, sizeof(s->ldap_base_dn));
    fw_st_put_str(&w, FW_ST_LDAP_SEARCH_ATTRS, s->ldap_search_attrs, sizeof(s->ldap_search_attrs));
    fw_st_put_str(&w, FW_ST_LDAP_NAME_ATTR, s->ldap_name_attr, sizeof(s->ldap_name_attr));
    fw_st_put_str(&w, FW_ST_LDAP_MAIL_ATTR, s->ldap_mail_attr, sizeof(s->ldap_mail_attr));
    fw_st_put_uint(&w, FW_ST_LDAP_LOGIN, (uint64_t)s->ldap_login, 1);
    fw_st_put_uint(&w, FW_ST_LDAP_MAX_RESULTS, s->ldap_max_results, 1);
    fw_st_put_uint(&w, FW_ST_LDAP_TIMEOUT, s->ldap_timeout_s, 2);
    fw_st_put_uint(&w, FW_ST_LDAP_SIGN_IN, (uint64_t)s->ldap_sign_in, 1);
    fw_st_put_uint(&w, FW_ST_LDAP_LOCK_FROM, (uint64_t)s->ldap_lock_from, 1);
    if (w.cap == 0)
        return FW_SETTINGS_ERR_BAD_ARG;
    *len = w.len;
    return 0;
}

static uint64_t fw_st_uint(const uint8_t *p, size_t len)
{
    uint64_t v = 0;

    for (size_t i = len; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Copies a string field when its check passes; 1 when it was refused. */
static int fw_st_take_str(char *dst, const uint8_t *p, size_t len, int (*ok)(const char *, size_t))
{
    if (len > FW_SETTINGS_STR_MAX || !ok((const char *)p, len))
        return 1;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return 0;
}

/* One field of the image; 1 when it failed its check (the default stays). */
static int fw_st_field(struct fw_settings *s, unsigned tag, const uint8_t *p, size_t len)
{
    uint64_t v;

    switch (tag) {
    case FW_ST_GATEWAY: return fw_st_take_str(s->gateway, p, len, fw_settings_host_ok);
    case FW_ST_USER: return fw_st_take_str(s->user, p, len, fw_st_text_ok);
    case FW_ST_PASSWORD: return fw_st_take_str(s->password, p, len, fw_st_text_ok);
    case FW_ST_FROM_ADDR: return fw_st_take_str(s->from_addr, p, len, fw_st_addr_ok);
    case FW_ST_FROM_NAME: return fw_st_take_str(s->from_name, p, len, fw_st_text_ok);
    case FW_ST_SUBJECT: return fw_st_take_str(s->subject, p, len, fw_st_text_ok);
    case FW_ST_FILE_NAME: return fw_st_take_str(s->file_name, p, len, fw_st_file_name_ok);
    case FW_ST_LDAP_SERVER: return fw_st_take_str(s->ldap_server, p, len, fw_st_ldap_host_ok);
    case FW_ST_LDAP_BIND_DN: return fw_st_take_str(s->ldap_bind_dn, p, len, fw_st_dn_ok);
    case FW_ST_LDAP_BIND_PW: return fw_st_take_str(s->ldap_bind_pw, p, len, fw_st_text_ok);
    case FW_ST_LDAP_BASE_DN: return fw_st_take_str(s->ldap_base_dn, p, len, fw_st_dn_ok);
    case FW_ST_LDAP_SEARCH_ATTRS: return fw_st_take_str(s->ldap_search_attrs, p, len, fw_st_attrs_ok);
    case FW_ST_LDAP_NAME_ATTR: return fw_st_take_str(s->ldap_name_attr, p, len, fw_st_attr_ok);
    case FW_ST_LDAP_MAIL_ATTR: return fw_st_take_str(s->ldap_mail_attr, p, len, fw_st_attr_ok);
    default: break;
    }
    /* Integers: exactly the width the tag is written with. */
    v = fw_st_uint(p, len > 8 ? 8 : len);
    switch (tag) {
    case FW_ST_PORT:
        if (len != 2 || v == 0)
            return 1;
        s->port = (uint16_t)v;
        return 0;
    case FW_ST_TLS:
        if (len != 1 || v > SMTP_TLS_IMPLICIT)
            return 1;
        s->tls = (int)v;
        return 0;
    case FW_ST_FROM_LOCKED:
    case FW_ST_SIGN_IN:
    case FW_ST_LDAP_USE_CA:
    case FW_ST_LDAP_SIGN_IN:
    case FW_ST_LDAP_LOCK_FROM:
        if (len != 1 || v > 1)
            return 1;
        *(tag == FW_ST_SIGN_IN        ? &s->sign_in_required
          : tag == FW_ST_FROM_LOCKED  ? &s->from_locked
          : tag == FW_ST_LDAP_USE_CA  ? &s->ldap_use_ca
          : tag == FW_ST_LDAP_SIGN_IN ? &s->ldap_sign_in
                                      : &s->ldap_lock_from) = (int)v;
        return 0;
    case FW_ST_LDAP_PORT: /* 0: the TLS mode's port */
        if (len != 2)
            return 1;
        s->ldap_port = (uint16_t)v;
        return 0;
    case FW_ST_LDAP_TLS:
    case FW_ST_LDAP_LOGIN:
        if (len != 1 || v > 2)
            return 1;
        *(tag == FW_ST_LDAP_TLS ? &s->ldap_tls : &s->ldap_login) = (int)v;
        return 0;
    case FW_ST_LDAP_MAX_RESULTS:
        if (len != 1 || v < 1 || v > LDAP_COMPLETE_MAX)
            return 1;
        s->ldap_max_results = (unsigned)v;
        return 0;
    case FW_ST_LDAP_TIMEOUT:
        if (len != 2 || v < 1 || v > FW_ST_LDAP_TIMEOUT_MAX)
            return 1;
        s->ldap_timeout_s = (unsigned)v;
        return 0;
    case FW_ST_JPEG_QUALITY:
        if (len != 1 || v < 1 || v > 100)
            return 1;
        s->jpeg_quality = (unsigned)v;
        return 0;
    case FW_ST_FILE_TYPE:
        if (len != 1 || v > FW_FILE_MTIFF)
            return 1;
        s->file_type = (int)v;
        return 0;
    case FW_ST_MAX_ATTACHMENT:
        if (len != 8 || v > FW_ST_ATTACH_MAX)
            return 1;
        s->max_attachment = v;
        return 0;
    default:
        return 0; /* a field of a newer firmware: skipped */
    }
}

int fw_settings_parse(struct fw_settings *s, const uint8_t *buf, size_t len)
{
    size_t i = FW_ST_HDR;
    int refused = 0;

    if (s == NULL)
        return FW_SETTINGS_ERR_BAD_ARG;
    fw_settings_defaults(s);
    if (buf == NULL || len < FW_ST_HDR || buf[0] != 'F' || buf[1] != 'S')
        return FW_SETTINGS_ERR_FORMAT;
    if (buf[2] != FW_SETTINGS_FORMAT)
        return FW_SETTINGS_ERR_VERSION;
    /* First walk: the structure must be whole before any field is taken. */
    while (i < len) {
        size_t flen;

        if (len - i < 3)
            return FW_SETTINGS_ERR_FORMAT;
        flen = (size_t)buf[i + 1] | (size_t)buf[i + 2] << 8;
        if (flen > len - i - 3)
            return FW_SETTINGS_ERR_FORMAT;
        i += 3 + flen;
    }
    for (i = FW_ST_HDR; i < len;) {
        size_t flen = (size_t)buf[i + 1] | (size_t)buf[i + 2] << 8;

        refused += fw_st_field(s, buf[i], buf + i + 3, flen);
        i += 3 + flen;
    }
    return refused;
}

/* ---- the record ---- */

int fw_settings_load(struct fw_settings *s, struct fw_nvstore *store, int *store_error)
{
    uint8_t buf[FW_SETTINGS_IMAGE_MAX];
    size_t len = 0;
    int rc;

    if (store_error != NULL)
        *store_error = 0;
    if (s == NULL || store == NULL)
        return FW_SETTINGS_ERR_BAD_ARG;
    fw_settings_defaults(s);
    rc = fw_nvstore_load(store, buf, sizeof(buf), &len);
    if (rc == FW_NVSTORE_ERR_EMPTY)
        return 0; /* first boot: the factory defaults */
    if (rc != 0) {
        if (store_error != NULL)
            *store_error = rc;
        return FW_SETTINGS_ERR_STORE;
    }
    rc = fw_settings_parse(s, buf, len);
    fw_st_wipe(buf, sizeof(buf)); /* the password was in it */
    return rc;
}

int fw_settings_save(const struct fw_settings *s, struct fw_nvstore *store, int *store_error)
{
    uint8_t buf[FW_SETTINGS_IMAGE_MAX];
    size_t len = 0;
    int rc;

    if (store_error != NULL)
        *store_error = 0;
    if (s == NULL || store == NULL || fw_settings_check(s, NULL, 0) != 0 ||
        fw_settings_serialize(s, 0, buf, sizeof(buf), &len) != 0)
        return FW_SETTINGS_ERR_BAD_ARG;
    rc = fw_nvstore_save(store, buf, len);
    fw_st_wipe(buf, sizeof(buf));
    if (rc != 0) {
        if (store_error != NULL)
            *store_error = rc;
        return FW_SETTINGS_ERR_STORE;
    }
    return 0;
}
