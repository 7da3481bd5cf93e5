/* The panel's model and state machine.
 *
 * The state machine (ui.c) turns events into changes of a ui_model_t and
 * calls the services (ui_services.h); it never draws. The renderer
 * (ui_render.h) draws the model; tests check the model. One function per
 * screen state; a top state handles Home, Stop, Reset, Help and the
 * inactivity timeout once for every screen (QP/C's calc.c shape: a state
 * returns UI_UNHANDLED and its parent, the top state, gets the event). */
#ifndef UI_MODEL_H
#define UI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ui_event.h"
#include "ui_opts.h"
#include "ui_services.h"

#define UI_ERR_BAD_ARG (-0x0601)
#define UI_ERR_INVALID (-0x0602) /* a field's value was refused: see model.status */

typedef enum ui_screen {
    UI_SCR_HOME = 0,
    UI_SCR_SIGN_IN,
    UI_SCR_SEND,     /* Send E-mail */
    UI_SCR_KEYBOARD,
    UI_SCR_ADDRBOOK,
    UI_SCR_OPTIONS,  /* More Options */
    UI_SCR_PROGRESS,
    UI_SCR_RESULT,
    UI_SCR_ADMIN,    /* Administration > Initial Setup */
    UI_SCR_SETUP,    /* E-mail Setup */
    UI_SCR_LDAP,     /* Administration > LDAP Setup (the directory) */
    UI_SCR_COUNT
} ui_screen_t;

/* Text fields. The first UI_F_JOB_COUNT are the job's and are cleared by
 * Reset and the inactivity timeout. */
typedef enum ui_field {
    UI_F_FROM = 0,
    UI_F_TO,
    UI_F_CC,
    UI_F_BCC,
    UI_F_SUBJECT,
    UI_F_MESSAGE,
    UI_F_FILE_NAME,
    UI_F_JOB_COUNT,
    UI_F_USER = UI_F_JOB_COUNT, /* Sign in */
    UI_F_PASSWORD,
    UI_F_AB_NAME,               /* a new local address book entry */
    UI_F_AB_ADDR,
    UI_F_GATEWAY,               /* E-mail Setup */
    UI_F_PORT,
    UI_F_SMTP_USER,
    UI_F_SMTP_PASS,
    UI_F_DEF_FROM,
    UI_F_DEF_NAME,
    UI_F_DEF_SUBJECT,
    UI_F_LDAP_SERVER,           /* LDAP Setup: UI_F_LDAP_SERVER..UI_F_LDAP_TIMEOUT */
    UI_F_LDAP_PORT,
    UI_F_LDAP_BASE,
    UI_F_LDAP_BIND_DN,
    UI_F_LDAP_BIND_PW,
    UI_F_LDAP_ATTRS,
    UI_F_LDAP_NAME_ATTR,
    UI_F_LDAP_MAIL_ATTR,
    UI_F_LDAP_MAX,
    UI_F_LDAP_TIMEOUT,
    UI_F_AB_FILTER,             /* Address book All: the directory search */
    UI_F_COUNT,
    UI_F_NONE = 0xFF
} ui_field_t;

typedef enum ui_dropdown {
    UI_DD_NONE = 0,
    UI_DD_FILE_TYPE,
    UI_DD_COLOR,
    UI_DD_RESOLUTION,
    UI_DD_SIZE,
    UI_DD_SIDES,
    UI_DD_QUALITY,
    UI_DD_TLS,
    UI_DD_MAXATT,
    UI_DD_BOOK,
    UI_DD_LDAP_TLS,
    UI_DD_LDAP_LOGIN,
    UI_DD_COUNT
} ui_dropdown_t;

typedef enum ui_dialog {
    UI_DLG_NONE = 0,
    UI_DLG_HELP,     /* help for the current screen, OK */
    UI_DLG_WARNING,  /* what happened and what to do, OK */
    UI_DLG_DELETE,   /* "Delete selected addresses?" Yes / No */
    UI_DLG_GATEWAYS  /* detected SMTP servers, pick one, OK / Cancel */
} ui_dialog_t;

typedef enum ui_status_kind { UI_STATUS_INFO = 0, UI_STATUS_OK, UI_STATUS_ERROR } ui_status_kind_t;

typedef enum ui_kb_mode { UI_KB_LOWER = 0, UI_KB_UPPER, UI_KB_SYMBOLS, UI_KB_MODES } ui_kb_mode_t;

typedef struct ui_model {
    ui_screen_t screen;
    ui_screen_t back;          /* where Keyboard / Address book / More Options return */
    ui_screen_t prev;          /* the screen left last (entry actions look at it) */
    ui_screen_t next;          /* the screen being entered (exit actions look at it) */
    char field[UI_F_COUNT][UI_FIELD_MAX + 1];
    uint8_t focus;             /* ui_field_t with the focus, or UI_F_NONE */
    uint8_t field_error;       /* ui_field_t refused last, or UI_F_NONE */
    char status[UI_TEXT_MAX + 1]; /* status line: state, or why a value was refused */
    uint8_t status_kind;       /* ui_status_kind_t */
    char warning[UI_TEXT_MAX + 1];        /* non-empty: the error/warning button shows */
    char warning_action[UI_TEXT_MAX + 1];
    uint8_t dropdown;          /* ui_dropdown_t open, or UI_DD_NONE */
    uint8_t dialog;            /* ui_dialog_t open, or UI_DLG_NONE */

    struct {                   /* Keyboard screen */
        uint8_t target;        /* ui_field_t being edited */
        uint8_t mode;          /* ui_kb_mode_t */
        uint8_t chain;         /* 1: New address book entry, Name then Address */
        uint16_t len;
        char text[UI_FIELD_MAX + 1];
        int has_suggestion;    /* autocomplete: the first match of the last address */
        ui_ab_entry_t suggestion;
    } kb;

    ui_options_t options;      /* More Options */

    struct {                   /* Progress screen */
        uint8_t stage;         /* ui_job_stage_t */
        unsigned page, pages, part, parts;
        uint64_t bytes, total;
        int active;            /* a job is running */
        int stopping;          /* Stop pressed, waiting for the result */
    } progress;

    struct {                   /* Result screen */
        int ok;
        char summary[UI_TEXT_MAX + 1];
        char stage[UI_TEXT_MAX + 1];
        char reply[UI_TEXT_MAX + 1];
        char next[UI_TEXT_MAX + 1];
        char rejected[UI_TEXT_MAX + 1];
    } result;

    struct {                   /* Address book screen */
        uint8_t book;          /* ui_book_t */
        uint8_t target;        /* ui_field_t receiving Add / Remove */
        uint8_t sel_count;
        uint8_t row_count;     /* rows filled below */
        uint32_t count;        /* entries in the book */
        uint32_t top;          /* index of the first visible row */
        uint32_t sel[UI_AB_SELECT_MAX]; /* selected entry indexes */
        ui_ab_entry_t row[UI_AB_ROWS];
        int8_t hold;           /* scroll arrow held: -1 up, +1 down, 0 none */
        uint32_t hold_next_ms; /* when the held arrow scrolls again */
    } ab;

    struct {                   /* E-mail Setup scalars (strings are fields) */
        uint16_t port;
        uint8_t tls;           /* ui_tls_t */
        uint8_t max_attachment;/* ui_maxatt_t */
        uint8_t from_locked;
        uint8_t sign_in_required;
        uint8_t password_set;
        uint8_t gw_count;
        uint8_t gw_pick;       /* picked row in the Find gateways dialog */
        char gw[UI_GATEWAYS_MAX][64];
        uint16_t gw_port[UI_GATEWAYS_MAX];
    } setup;

    struct {                   /* LDAP Setup scalars (strings are fields) */
        uint8_t tls;           /* ui_ldap_tls_t */
        uint8_t login;         /* ui_ldap_login_t */
        uint8_t use_ca;
        uint8_t sign_in;
        uint8_t lock_from;
        uint8_t password_set;
    } ldap;

    uint8_t signed_in;
    uint8_t signing_in;        /* Sign in sent, waiting for UI_EV_SIGN_IN */
    uint8_t from_locked_user;  /* From is the signed-in user's, locked */
    uint8_t from_is_hint;      /* From shows the display name as a hint */
    uint8_t prefilled;         /* the job's defaults (From, Subject) were filled in */
    char from_hint[UI_TEXT_MAX + 1]; /* the administrator's display name */
    uint32_t now_ms;           /* the last tick */
    uint32_t last_activity_ms; /* the last touch or key */
} ui_model_t;

struct ui_layout;

typedef struct ui {
    ui_model_t m;
    ui_services_t svc;
    uint16_t pressed; /* widget under the finger since TOUCH_DOWN */
} ui_t;

/* Starts at Home. Cannot fail. */
void ui_init(ui_t *ui, const ui_services_t *svc, uint32_t now_ms);

/* Feeds one event. Returns 0, UI_ERR_INVALID when the event was refused
 * with a reason on the status line, or UI_ERR_BAD_ARG. */
int ui_dispatch(ui_t *ui, const ui_event_t *e);

/* Wipes the model (passwords included). Always safe. */
void ui_free(ui_t *ui);

/* Label of a field ("To:", "SMTP gateway:"). */
const char *ui_field_label(ui_field_t f);

/* Validation, also used by the settings store's loader: 0 or UI_ERR_INVALID
 * with the reason in why (always NUL terminated). */
int ui_validate_field(ui_field_t f, const char *text, size_t len, char *why, size_t why_size);

#endif
