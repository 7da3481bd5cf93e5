/* Settings: the administrator's E-mail Setup and their defaults. Defaults
 * work out of the box in the lab (gateway mail.example.test:25).
 *
 * Persistence: the settings are one record of the record store
 * (fw_nvstore.h, two slots: a power cut keeps the old or the new version).
 * The payload is versioned and made of tagged fields, so that a field this
 * firmware does not know is skipped and a field it misses keeps its
 * default:
 *   "FS" u8 FW_SETTINGS_FORMAT u8 0, then per field:
 *   u8 tag, u16 length (little-endian), length bytes (strings without NUL,
 *   integers little-endian in 1, 2 or 8 bytes as the tag says).
 * Every field is validated on load; a field that fails its check gets its
 * default (and is counted), so a damaged or hostile image can never put a
 * CR/LF into a header or an impossible port into the job.
 *
 * Secrets: the SMTP password and the LDAP bind password are stored (the
 * job and the directory need them) but never shown back by the panel, never
 * logged, and left out of an export image (fw_settings_serialize with
 * FW_SETTINGS_PUBLIC).
 *
 * The directory (LDAP, fw_ldap.h) settings are checked field by field here
 * (what the loader needs: no control characters, sane ranges); the whole
 * set (bind DN with its password, TLS with a CA, ...) is checked by
 * fw_ldap_config_check() where the settings become an fw_ldap_config_t, so
 * that this module stays free of the network stack (the fuzzer links it
 * alone). An empty ldap_server means "no directory". */
#ifndef FW_SETTINGS_H
#define FW_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#define FW_SETTINGS_STR_MAX 255
#define FW_SETTINGS_FORMAT 1
/* Largest image: header, 30 fields of tag + length, 16 strings, integers. */
#define FW_SETTINGS_IMAGE_MAX (4 + 30 * 3 + 16 * FW_SETTINGS_STR_MAX + 64)
/* The record's name in the store. */
#define FW_SETTINGS_RECORD "settings"

#define FW_SETTINGS_ERR_BAD_ARG (-0x0A01) /* NULL pointer, buffer too small */
#define FW_SETTINGS_ERR_FORMAT (-0x0A02)  /* not a settings image (magic, a length) */
#define FW_SETTINGS_ERR_VERSION (-0x0A03) /* an image of another format version */
#define FW_SETTINGS_ERR_STORE (-0x0A04)   /* the record store failed (see *store_error) */

/* fw_settings_serialize flags. */
#define FW_SETTINGS_PUBLIC 1 /* leave the secrets (password) out: an export */

struct fw_settings {
    char gateway[FW_SETTINGS_STR_MAX + 1];   /* IPv4 address or FQDN */
    uint16_t port;
    int tls;                                 /* smtp_tls_mode_t: none, STARTTLS, implicit */
    char user[FW_SETTINGS_STR_MAX + 1];      /* SMTP sign-in, "" for none */
    char password[FW_SETTINGS_STR_MAX + 1];  /* secret: never shown back nor exported */
    char from_addr[FW_SETTINGS_STR_MAX + 1]; /* default From */
    char from_name[FW_SETTINGS_STR_MAX + 1]; /* default From display name */
    int from_locked;                         /* users may not change From */
    char subject[FW_SETTINGS_STR_MAX + 1];   /* default subject */
    char file_name[FW_SETTINGS_STR_MAX + 1]; /* default attachment base name */
    unsigned jpeg_quality;
    int file_type;                           /* enum fw_file_type: the default under More Options */
    uint64_t max_attachment;                 /* maximum attachment bytes per e-mail, 0: none */
    int sign_in_required;                    /* users sign in before E-mail opens */
    /* The directory (LDAP). */
    char ldap_server[FW_SETTINGS_STR_MAX + 1];   /* IPv4 address or FQDN, "" for none */
    uint16_t ldap_port;                          /* 0: 389, or 636 for LDAPS */
    int ldap_tls;                                /* ldap_tls_mode_t: none, StartTLS, LDAPS */
    int ldap_use_ca;                             /* verify with the installed CA (1), or
                                                    accept any certificate (0, insecure) */
    char ldap_bind_dn[FW_SETTINGS_STR_MAX + 1];  /* service account, "" for anonymous */
    char ldap_bind_pw[FW_SETTINGS_STR_MAX + 1];  /* secret: never shown back nor exported */
    char ldap_base_dn[FW_SETTINGS_STR_MAX + 1];
    char ldap_search_attrs[FW_SETTINGS_STR_MAX + 1]; /* space separated, "" for the defaults */
    char ldap_name_attr[FW_SETTINGS_STR_MAX + 1];
    char ldap_mail_attr[FW_SETTINGS_STR_MAX + 1];
    int ldap_login;                              /* enum fw_ldap_login below */
    unsigned ldap_max_results;                   /* 1..LDAP_COMPLETE_MAX (ldap_opts.h) */
    unsigned ldap_timeout_s;                     /* 1..300 */
    int ldap_sign_in;                            /* Sign in binds to the directory */
    int ldap_lock_from;                          /* From = the signed-in user's mail, locked */
};

/* Sign-in lookup attribute (fw_settings.ldap_login). */
enum fw_ldap_login { FW_LDAP_LOGIN_UID = 0, FW_LDAP_LOGIN_SAM, FW_LDAP_LOGIN_MAIL };

/* The attribute name of a login choice ("uid", "sAMAccountName", "mail"). */
const char *fw_settings_login_attr(int login);

/* Splits s->ldap_search_attrs (space separated) into pointers into buf
 * (cap bytes, a copy), at most max; returns the count (0: the defaults). */
size_t fw_settings_search_attrs(const struct fw_settings *s, char *buf, size_t cap, const char **attrs,
                                size_t max);

/* Fills s with the factory defaults. */
void fw_settings_defaults(struct fw_settings *s);

/* Checks every field of s; 0, or -1 with the first bad field's name and
 * the reason in why (NUL terminated) when why_size > 0. */
int fw_settings_check(const struct fw_settings *s, char *why, size_t why_size);

/* 1 when s[0..len) is an IPv4 address or a host name: labels of 1..63
 * letters, digits and '-' (never first or last in a label) separated by
 * dots, at most 253 characters; else 0. The check of the gateway and the
 * LDAP server here, and of the server fw_ldap connects to. */
int fw_settings_host_ok(const char *s, size_t len);

/* Writes the image of s into buf (cap bytes, FW_SETTINGS_IMAGE_MAX is
 * always enough), its length in *len. flags: FW_SETTINGS_PUBLIC. 0 or
 * FW_SETTINGS_ERR_BAD_ARG. */
int fw_settings_serialize(const struct fw_settings *s, unsigned flags, uint8_t *buf, size_t cap,
                          size_t *len);

/* Reads an image (buf, len): s gets the defaults, then every valid field
 * of the image. Returns the number of fields that failed their check and
 * kept their default (0: all good), or FW_SETTINGS_ERR_FORMAT /
 * FW_SETTINGS_ERR_VERSION with s holding only the defaults. Never reads
 * past len (the parser the fuzzer drives). */
int fw_settings_parse(struct fw_settings *s, const uint8_t *buf, size_t len);

/* Loads the settings record from store (a struct fw_nvstore bound to
 * FW_SETTINGS_RECORD, see fw_nvstore.h). Nothing saved yet: the defaults
 * and 0. Otherwise as fw_settings_parse, or FW_SETTINGS_ERR_STORE with the
 * store's code in *store_error (may be NULL); s is always usable. */
struct fw_nvstore;
int fw_settings_load(struct fw_settings *s, struct fw_nvstore *store, int *store_error);

/* Checks s (fw_settings_check) and saves it as the new version. 0,
 * FW_SETTINGS_ERR_BAD_ARG (s is invalid), or FW_SETTINGS_ERR_STORE. */
int fw_settings_save(const struct fw_settings *s, struct fw_nvstore *store, int *store_error);

#endif
