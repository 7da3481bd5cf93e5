/*
 * ldap_filter.h - search filters for autocomplete and sign-in lookups.
 *
 * A filter is described by ldap_filter_spec_t and produced in two forms
 * from the same description: the RFC 4515 string (for logs, the service
 * menu and comparison with ldapsearch) and the RFC 4511 BER Filter that goes
 * on the wire. Shapes produced (and only these):
 *   one attribute, no presence:  (cn=ann*)
 *   several attributes:          (|(cn=ann*)(mail=ann*))
 *   with presence:               (&(mail=*)(|(cn=ann*)(mail=ann*)))
 *   equality instead of prefix:  (uid=ann)
 *   presence only:               (mail=*)   (attr_count 0, value_len 0, present)
 * The value is the text as typed (UTF-8, validated). In the string form the
 * RFC 4515 specials are escaped: '*' \2a, '(' \28, ')' \29, '\' \5c, NUL
 * \00; in BER the value travels as raw bytes inside an initial substring
 * or an equality assertion, so "a*)(mail=*" only ever matches itself.
 */
#ifndef LDAP_FILTER_H
#define LDAP_FILTER_H

#include <stddef.h>

#include "ldap_err.h"
#include "ldap_opts.h"

typedef struct ldap_filter_spec {
    const char *value;            /* typed text, UTF-8, not NUL-terminated */
    size_t value_len;             /* 1..LDAP_PREFIX_MAX */
    const char *const *attrs;     /* attributes ORed together */
    size_t attr_count;            /* 1..LDAP_FILTER_ATTRS_MAX */
    int equality;                 /* 0: attr=value* (prefix), 1: attr=value */
    const char *present;          /* NULL, or an attribute that must be present ("mail") */
} ldap_filter_spec_t;

/* Default attributes for autocomplete: cn, displayName, mail, sn, givenName. */
extern const char *const ldap_filter_default_attrs[5];

/* Check spec: value valid UTF-8 of 1..LDAP_PREFIX_MAX bytes (NUL allowed,
 * it is escaped), attributes 1..LDAP_FILTER_ATTRS_MAX well-formed
 * RFC 4512 descriptions (a name that starts with a letter, then letters,
 * digits and '-'; or a dotted OID such as 2.5.4.3; each optionally followed
 * by ";option"s). 0,
 * LDAP_ERR_BAD_ARGS or LDAP_ERR_BAD_UTF8. */
int ldap_filter_check(const ldap_filter_spec_t *spec);

/* Write the RFC 4515 string with its NUL into buf[0..cap).
 * Returns the length (without NUL), LDAP_ERR_NO_ROOM, or a check error. */
int ldap_filter_string(const ldap_filter_spec_t *spec, char *buf, size_t cap);

/* Write the BER Filter backwards in mbedtls_asn1_write_* style: *p moves
 * down, never below start. Returns the bytes written or a negative code
 * (LDAP_ERR_NO_ROOM, or a check error). */
int ldap_filter_ber_write(unsigned char **p, unsigned char *start, const ldap_filter_spec_t *spec);

/* Write a BER length and tag in front of the len bytes already written
 * below *p (same style: *p moves down, never below start). Shared by the
 * filter and the LDAP messages of ldap_client. Returns the bytes written
 * (len not included) or LDAP_ERR_NO_ROOM. */
int ldap_ber_wrap(unsigned char **p, unsigned char *start, size_t len, unsigned char tag);

/* 0 when a (NUL-terminated, at most 64 characters) is an attribute
 * description (RFC 4512: a descr or a numeric OID, then ";option"s), the
 * rule the filter applies to every attribute; else LDAP_ERR_BAD_ARGS. */
int ldap_attr_check(const char *a);

/* 0 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF), else LDAP_ERR_BAD_UTF8. */
int ldap_utf8_check(const char *s, size_t len);

#endif /* LDAP_FILTER_H */
