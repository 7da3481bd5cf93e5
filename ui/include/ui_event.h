/* Events into the panel's state machine. Every event starts with a
 * ui_event_t; events with data embed it as their first member, so a handler
 * switches on e->type and casts to the event's struct. */
#ifndef UI_EVENT_H
#define UI_EVENT_H

#include <stddef.h>
#include <stdint.h>

typedef enum ui_event_type {
    UI_EV_ENTRY = 0,   /* internal: a state is entered (no data) */
    UI_EV_EXIT,        /* internal: a state is left (no data) */
    UI_EV_PRESS,       /* internal: a widget was tapped (ui_press_event_t) */
    UI_EV_TOUCH_DOWN,  /* ui_touch_event_t: finger down */
    UI_EV_TOUCH_UP,    /* ui_touch_event_t: finger lifted */
    UI_EV_KEY,         /* ui_key_event_t: a hardware key or a keyboard key */
    UI_EV_TEXT,        /* ui_text_event_t: typed text (UTF-8) on the keyboard */
    UI_EV_TICK,        /* ui_tick_event_t: the clock */
    UI_EV_JOB_PROGRESS,/* ui_progress_event_t: from the job manager */
    UI_EV_JOB_RESULT,  /* ui_result_event_t: the job ended */
    UI_EV_TEST_RESULT, /* ui_test_event_t: E-mail Setup Test ended */
    UI_EV_GATEWAYS,    /* ui_gateways_event_t: Find gateways ended */
    UI_EV_WARNING,     /* ui_warning_event_t: something to act on (status line) */
    UI_EV_SIGN_IN,     /* ui_sign_in_event_t: a pending sign-in ended */
    UI_EV_SUGGEST      /* ui_suggest_event_t: merged suggestions (local + directory) arrived */
} ui_event_type_t;

typedef struct ui_event {
    ui_event_type_t type;
} ui_event_t;

typedef struct ui_touch_event {
    ui_event_t base;
    int16_t x, y;
} ui_touch_event_t;

typedef enum ui_key {
    UI_KEY_HOME = 1, /* hardware keys */
    UI_KEY_START,
    UI_KEY_STOP,
    UI_KEY_RESET,
    UI_KEY_ENTER,    /* keyboard keys, as typed on a hardware keyboard */
    UI_KEY_BACKSPACE,
    UI_KEY_ESCAPE
} ui_key_t;

typedef struct ui_key_event {
    ui_event_t base;
    ui_key_t key;
} ui_key_event_t;

typedef struct ui_text_event {
    ui_event_t base;
    const char *text; /* UTF-8, need not be NUL terminated */
    size_t len;
} ui_text_event_t;

typedef struct ui_tick_event {
    ui_event_t base;
    uint32_t now_ms;
} ui_tick_event_t;

typedef struct ui_press_event {
    ui_event_t base;
    uint16_t id; /* ui_wid_t of the widget */
} ui_press_event_t;

typedef enum ui_job_stage {
    UI_STAGE_SCANNING = 0,
    UI_STAGE_PREPARING,
    UI_STAGE_CONNECTING,
    UI_STAGE_SENDING,
    UI_STAGE_WAITING /* the gateway deferred recipients: retrying later */
} ui_job_stage_t;

typedef struct ui_progress_event {
    ui_event_t base;
    ui_job_stage_t stage;
    unsigned page;      /* scanning: 1-based page being scanned */
    unsigned pages;     /* pages in all, 0 when not known yet */
    unsigned part;      /* sending: 1-based e-mail being sent */
    unsigned parts;     /* e-mails in all */
    uint64_t bytes;     /* bytes of this e-mail sent */
    uint64_t total;     /* bytes of this e-mail */
} ui_progress_event_t;

/* Strings are copied (and truncated to UI_TEXT_MAX) by the state machine. */
typedef struct ui_result_event {
    ui_event_t base;
    int ok;               /* 1: every recipient accepted */
    const char *summary;  /* what was sent to whom, e.g. "3 pages, PDF, 2 e-mails to a@x; b@y" */
    const char *stage;    /* failure: where, e.g. "sending (RCPT TO)" */
    const char *reply;    /* failure: the gateway's reply, e.g. "550 5.1.1 no such user" */
    const char *next;     /* failure: what to do next */
    const char *rejected; /* recipients refused, "; " separated, or NULL */
} ui_result_event_t;

typedef struct ui_test_event {
    ui_event_t base;
    int ok;
    const char *message; /* "Gateways OK" or the failure */
} ui_test_event_t;

typedef struct ui_gateways_event {
    ui_event_t base;
    size_t count;
    const char *const *host; /* count host names or addresses */
    const uint16_t *port;    /* count ports */
} ui_gateways_event_t;

typedef struct ui_warning_event {
    ui_event_t base;
    const char *what;    /* shown on the status line; NULL clears the warning */
    const char *action;  /* what to do, shown by the warning button */
} ui_warning_event_t;

/* Strings are copied by the state machine. */
typedef struct ui_sign_in_event {
    ui_event_t base;
    int ok;
    const char *message;  /* failure: what happened and what to do, for the status line */
    const char *from;     /* success: the user's address for From, or NULL */
    const char *name;     /* success: the user's display name, or NULL */
    int lock_from;        /* success: From stays the user's (administrator's choice) */
} ui_sign_in_event_t;

/* Suggestions for the text `prefix` (the address being typed when they were
 * asked); ignored when the user typed on since. Local entries come first.
 * notice: why the directory gave nothing (it failed, timed out, answered
 * garbage), shown on the status line so the user knows the list is local
 * only; NULL when the directory answered. */
typedef struct ui_suggest_event {
    ui_event_t base;
    const char *prefix;
    size_t prefix_len;
    size_t count;
    const struct ui_ab_entry *entry; /* count entries (ui_services.h) */
    const char *notice;
} ui_suggest_event_t;

#endif
