/*
 * ldap_err.h - error codes shared by the LDAP client (ldap_client.h), the
 * filter builder (ldap_filter.h) and the autocomplete engine
 * (ldap_complete.h). Functions return 0 or one of these (negative).
 */
#ifndef LDAP_ERR_H
#define LDAP_ERR_H

#define LDAP_ERR_BAD_ARGS        -0x0701 /* NULL, empty, out of range, CR/LF/NUL where refused */
#define LDAP_ERR_NO_ROOM         -0x0702 /* the output buffer cannot hold the request now */
#define LDAP_ERR_STATE           -0x0703 /* call out of order (search while another op runs, ...) */
#define LDAP_ERR_BAD_UTF8        -0x0704 /* the typed text is not valid UTF-8 */
#define LDAP_ERR_TOO_BIG         -0x0705 /* a PDU over LDAP_PDU_MAX */
#define LDAP_ERR_PROTOCOL        -0x0706 /* malformed PDU (bad tag, bad length, wrong structure) */
#define LDAP_ERR_TIMEOUT         -0x0707 /* no response in time */
#define LDAP_ERR_CLOSED          -0x0708 /* connection closed or failed */
#define LDAP_ERR_DISCONNECT      -0x0709 /* the server's Notice of Disconnection */
#define LDAP_ERR_CLEARTEXT       -0x070A /* a password bind on a channel that is not secure */
#define LDAP_ERR_BAD_CREDENTIALS -0x070B /* 49: wrong DN or password (AD data 52e) */
#define LDAP_ERR_ACCOUNT_LOCKED  -0x070C /* 49, AD data 775 */
#define LDAP_ERR_ACCOUNT_DISABLED -0x070D /* 49, AD data 533 */
#define LDAP_ERR_PASSWORD_EXPIRED -0x070E /* 49, AD data 532 or 773 (must change) */
#define LDAP_ERR_ACCOUNT_EXPIRED -0x070F /* 49, AD data 701 */
#define LDAP_ERR_LOGON_RESTRICTED -0x0710 /* 49, AD data 530/531 (time or workstation) */
#define LDAP_ERR_NEED_TLS        -0x0711 /* 8 strongerAuthRequired / 13 confidentialityRequired */
#define LDAP_ERR_UNWILLING       -0x0712 /* 53 unwillingToPerform (anonymous bind refused, ...) */
#define LDAP_ERR_NO_SUCH_OBJECT  -0x0713 /* 32: the base DN does not exist */
#define LDAP_ERR_REFERRAL        -0x0714 /* 10: the server refers elsewhere (not followed) */
#define LDAP_ERR_RESULT          -0x0715 /* any other non-success resultCode: see result_code */
#define LDAP_ERR_STARTTLS        -0x0716 /* StartTLS refused by the server */
#define LDAP_ERR_BUSY            -0x0717 /* too many results / cache full (internal budgets) */

/* A short English text for err (LDAP_ERR_*, 0: "ok"); never NULL. */
const char *ldap_strerror(int err);

#endif /* LDAP_ERR_H */
