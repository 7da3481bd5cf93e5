/* What the panel asks of the rest of the firmware: the job manager, the
 * settings store and the address book, behind one table of functions so
 * tests can record what was asked (lwIP altcp's shape: api table + ctx).
 * The state machine calls these from its handlers; none may block. Long
 * operations (job, Test, Find gateways) answer later with an event. */
#ifndef UI_SERVICES_H
#define UI_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "ui_opts.h"

/* More Options choices: the indexes of the choice tables in ui_layout.c. */
typedef enum { UI_FILE_PDF = 0, UI_FILE_JPEG, UI_FILE_TIFF, UI_FILE_MTIFF, UI_FILE_COUNT } ui_file_type_t;
typedef enum { UI_COLOR_COLOR = 0, UI_COLOR_GREY, UI_COLOR_BW, UI_COLOR_COUNT } ui_color_t;
typedef enum { UI_RES_150 = 0, UI_RES_200, UI_RES_300, UI_RES_600, UI_RES_COUNT } ui_resolution_t;
typedef enum { UI_SIZE_A4 = 0, UI_SIZE_LETTER, UI_SIZE_LEGAL, UI_SIZE_A5, UI_SIZE_EXECUTIVE, UI_SIZE_COUNT } ui_size_t;
typedef enum { UI_SIDES_1 = 0, UI_SIDES_2, UI_SIDES_COUNT } ui_sides_t;
typedef enum { UI_QUALITY_HIGH = 0, UI_QUALITY_MEDIUM, UI_QUALITY_LOW, UI_QUALITY_COUNT } ui_quality_t;
typedef enum { UI_TLS_STARTTLS = 0, UI_TLS_IMPLICIT, UI_TLS_NONE, UI_TLS_COUNT } ui_tls_t;
/* Maximum attachment size choices: 1, 2, 5, 10 MB, no limit. */
typedef enum { UI_MAXATT_1M = 0, UI_MAXATT_2M, UI_MAXATT_5M, UI_MAXATT_10M, UI_MAXATT_NONE, UI_MAXATT_COUNT } ui_maxatt_t;

typedef struct ui_options {
    uint8_t file_type;  /* ui_file_type_t */
    uint8_t color;      /* ui_color_t */
    uint8_t resolution; /* ui_resolution_t */
    uint8_t size;       /* ui_size_t */
    uint8_t sides;      /* ui_sides_t */
    uint8_t quality;    /* ui_quality_t */
} ui_options_t;

/* A job as the user filled it in. Address lists are the fields as typed,
 * already validated: addresses separated by ';' (spaces around them
 * allowed). Strings belong to the panel and are valid during the call. */
typedef struct ui_job {
    const char *from;
    const char *to;
    const char *cc;
    const char *bcc;
    const char *subject;
    const char *message;
    const char *file_name;
    ui_options_t options;
} ui_job_t;

/* E-mail Setup. Strings: on load they belong to the service until its next
 * call (the panel copies them); on save they belong to the panel. */
typedef struct ui_setup {
    const char *gateway;      /* IPv4 address or FQDN */
    uint16_t port;
    uint8_t tls;              /* ui_tls_t */
    const char *user;         /* SMTP sign-in, "" for none */
    const char *password;     /* load: always NULL (never shown back);
                                 save: NULL or "" keeps the stored one */
    int password_set;         /* load: a password is stored */
    const char *from_addr;    /* default From */
    const char *from_name;    /* display name, shown as the From hint */
    int from_locked;          /* prevent the user from changing From */
    const char *subject;      /* default subject */
    uint8_t max_attachment;   /* ui_maxatt_t */
    int sign_in_required;     /* users sign in before E-mail opens */
} ui_setup_t;

typedef struct ui_ab_entry {
    char alias[UI_ALIAS_MAX + 1];
    char addr[UI_ADDR_MAX + 1];
} ui_ab_entry_t;

typedef enum { UI_BOOK_LOCAL = 0, UI_BOOK_ALL, UI_BOOK_COUNT } ui_book_t;

/* LDAP Setup choices. */
typedef enum { UI_LDAP_TLS_NONE = 0, UI_LDAP_TLS_STARTTLS, UI_LDAP_TLS_LDAPS, UI_LDAP_TLS_COUNT } ui_ldap_tls_t;
typedef enum { UI_LOGIN_UID = 0, UI_LOGIN_SAM, UI_LOGIN_MAIL, UI_LOGIN_COUNT } ui_ldap_login_t;

/* LDAP Setup (the directory). Strings as in ui_setup_t. */
typedef struct ui_ldap_setup {
    const char *server;        /* IPv4 address or FQDN, "" for no directory */
    uint16_t port;             /* 0: the TLS mode's (389 / 636) */
    uint8_t tls;               /* ui_ldap_tls_t */
    int use_ca;                /* verify the server with the installed CA */
    const char *bind_dn;       /* "" for anonymous */
    const char *bind_password; /* load: NULL; save: NULL or "" keeps the stored one */
    int password_set;          /* load: a bind password is stored */
    const char *base_dn;
    const char *search_attrs;  /* space separated, "" for the defaults */
    const char *name_attr;
    const char *mail_attr;
    uint8_t login;             /* ui_ldap_login_t */
    unsigned max_results;
    unsigned timeout_s;
    int sign_in;               /* Sign in binds to the directory */
    int lock_from;             /* From = the signed-in user's mail, locked */
} ui_ldap_setup_t;

/* Every function returns 0 on success or a negative error unless told. */
typedef struct ui_services_api {
    /* Starts a scan-and-send job; progress and the result come as
     * UI_EV_JOB_PROGRESS / UI_EV_JOB_RESULT. */
    int (*start_job)(void *ctx, const ui_job_t *job);
    /* Stop: cancels the running job cleanly (a result event follows). */
    void (*cancel_job)(void *ctx);
    /* Autocomplete: the first entry of the local book whose alias or address
     * starts with prefix[0..len) (case-insensitive, UTF-8). 1 and *out
     * filled, 0 when none matches. */
    int (*complete)(void *ctx, const char *prefix, size_t len, ui_ab_entry_t *out);
    /* Address book listing: number of entries of a book, and entry i. */
    long (*ab_count)(void *ctx, ui_book_t book);
    int (*ab_get)(void *ctx, ui_book_t book, uint32_t i, ui_ab_entry_t *out);
    /* Local book: add (alias "" = the address), delete entry i. */
    int (*ab_add)(void *ctx, const char *alias, const char *addr);
    int (*ab_delete)(void *ctx, uint32_t i);
    /* Sign in before E-mail: 0 when accepted at once (*from_out receives the
     * user's address for From, may be left empty), UI_SVC_PENDING when the
     * answer comes later as UI_EV_SIGN_IN, negative when refused. The
     * password is read during the call only. */
    int (*sign_in)(void *ctx, const char *user, const char *password, char *from_out, size_t from_size);
    /* Settings. */
    int (*load_setup)(void *ctx, ui_setup_t *out);
    int (*save_setup)(void *ctx, const ui_setup_t *in);
    /* E-mail Setup Test and Find gateways: answered by UI_EV_TEST_RESULT and
     * UI_EV_GATEWAYS. */
    int (*test_gateway)(void *ctx, const ui_setup_t *setup);
    int (*find_gateways)(void *ctx);
    /* The members below may be NULL (no directory in this build). */
    /* LDAP Setup: load; save (checked as a whole: on refusal the reason is
     * in why); Test (checked, then answered by UI_EV_TEST_RESULT). */
    int (*load_ldap)(void *ctx, ui_ldap_setup_t *out);
    int (*save_ldap)(void *ctx, const ui_ldap_setup_t *in, char *why, size_t why_size);
    int (*test_ldap)(void *ctx, const ui_ldap_setup_t *in, char *why, size_t why_size);
    /* Address book All: the text the directory is searched for ("" none);
     * when its results arrive the service sends UI_EV_SUGGEST and ab_count /
     * ab_get (UI_BOOK_ALL) list the local entries merged with them. */
    int (*ab_filter)(void *ctx, const char *text, size_t len);
} ui_services_api_t;

#define UI_SVC_PENDING 1 /* sign_in: the answer comes as an event */

typedef struct ui_services {
    const ui_services_api_t *api;
    void *ctx;
} ui_services_t;

#endif
