/* Widgets of each screen, laid out for 800 x 480 from the model.
 *
 * The layout is the one description of a screen that both sides use: the
 * state machine hit-tests touches against it, the renderer draws it. A
 * widget is plain data (kind, place, text, flags); its text points into the
 * model, into constant strings or into the layout's scratch buffer. */
#ifndef UI_LAYOUT_H
#define UI_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ui_model.h"

/* What a tap on a widget means (ui_press_event_t.id). Ranges carry an
 * index: UI_ID_FIELD + ui_field_t, UI_ID_KEY + key index, ... */
enum ui_wid {
    UI_ID_NONE = 0,
    UI_ID_HOME,
    UI_ID_HELP,
    UI_ID_WARNING,
    UI_ID_EMAIL,
    UI_ID_ADMIN,
    UI_ID_START,
    UI_ID_MORE,
    UI_ID_OK,
    UI_ID_CANCEL,
    UI_ID_STOP,
    UI_ID_SIGN_IN,
    UI_ID_AB_ADD,
    UI_ID_AB_REMOVE,
    UI_ID_AB_NEW,
    UI_ID_AB_DELETE,
    UI_ID_AB_UP,
    UI_ID_AB_DOWN,
    UI_ID_TEST,
    UI_ID_FIND,
    UI_ID_EMAIL_SETUP,
    UI_ID_LOCK_FROM,
    UI_ID_REQUIRE_SIGN_IN,
    UI_ID_SUGGESTION,
    UI_ID_DLG_YES,
    UI_ID_DLG_NO,
    UI_ID_DLG_OK,
    UI_ID_LDAP_SETUP,
    UI_ID_LDAP_CA,
    UI_ID_LDAP_SIGN_IN,
    UI_ID_LDAP_LOCK_FROM,
    UI_ID_FIELD = 0x100,  /* + ui_field_t: open the keyboard for it */
    UI_ID_BOOK = 0x200,   /* + ui_field_t: the Address Book button beside it */
    UI_ID_KEY = 0x300,    /* + key index of the current keyboard mode */
    UI_ID_ROW = 0x400,    /* + visible row of a list (address book, gateways) */
    UI_ID_DD = 0x500,     /* + ui_dropdown_t: open it */
    UI_ID_CHOICE = 0x600  /* + choice index of the open drop-down */
};

typedef enum ui_wkind {
    UI_W_PANEL = 0, /* a filled area (header, tile, dialog back) */
    UI_W_LABEL,     /* text only */
    UI_W_BUTTON,
    UI_W_FIELD,     /* text field */
    UI_W_ROW,       /* list row with a check box */
    UI_W_SCROLLBAR, /* value = first row, max = rows in all, aux = rows shown */
    UI_W_DROPDOWN,
    UI_W_CHECK,     /* check box with its label */
    UI_W_KEY,
    UI_W_PROGRESS,  /* value of max */
    UI_W_DIALOG,    /* a modal frame; widgets after it are its content */
    UI_W_ICON       /* aux = ui_icon_t */
} ui_wkind_t;

typedef enum ui_style {
    UI_ST_NORMAL = 0,
    UI_ST_PRIMARY,  /* blue */
    UI_ST_GO,       /* green: Start */
    UI_ST_DANGER,   /* red: Stop */
    UI_ST_HEADER,   /* title bar */
    UI_ST_FOOTER,   /* status bar */
    UI_ST_TILE,     /* Home tiles */
    UI_ST_TILE2,
    UI_ST_SPECIAL,  /* keyboard function keys */
    UI_ST_OK,       /* green text */
    UI_ST_ERROR,    /* red text */
    UI_ST_MUTED,    /* grey text */
    UI_ST_WARN,     /* amber */
    UI_ST_DIM       /* panel: darkens what is behind a dialog */
} ui_style_t;

typedef enum ui_icon { UI_ICON_MAIL = 0, UI_ICON_GEAR, UI_ICON_BOOK, UI_ICON_OK, UI_ICON_WARN } ui_icon_t;

#define UI_WF_FOCUS 0x01u
#define UI_WF_ERROR 0x02u
#define UI_WF_CHECKED 0x04u
#define UI_WF_DISABLED 0x08u
#define UI_WF_MASKED 0x10u /* draw one bullet per character */
#define UI_WF_TAIL 0x20u   /* text wider than the widget shows its end */
#define UI_WF_CENTER 0x40u
#define UI_WF_RIGHT 0x80u
#define UI_WF_CURSOR 0x100u
#define UI_WF_HINT 0x200u  /* text is a grey hint, not a value */

typedef struct ui_widget {
    uint16_t id;    /* enum ui_wid */
    uint8_t kind;   /* ui_wkind_t */
    uint8_t style;  /* ui_style_t */
    uint16_t flags; /* UI_WF_* */
    uint8_t font;   /* ui_font_id_t */
    int16_t x, y, w, h;
    const char *text;  /* UTF-8 or NULL */
    const char *text2; /* field: grey completion after the text; row: second column */
    uint32_t value, max, aux;
} ui_widget_t;

#ifndef UI_LAYOUT_SCRATCH
#define UI_LAYOUT_SCRATCH 768
#endif

typedef struct ui_layout {
    ui_widget_t w[UI_WIDGETS_MAX];
    size_t count;
    char scratch[UI_LAYOUT_SCRATCH]; /* formatted texts ("page 2 of 5") */
    size_t used;
    ui_widget_t overflow; /* where widgets beyond UI_WIDGETS_MAX go (a layout bug) */
} ui_layout_t;

/* Lays out the model's screen, its open drop-down and dialog. */
void ui_layout_build(ui_layout_t *l, const ui_model_t *m);

/* The id of the widget under (x, y), UI_ID_NONE for none. With a dialog
 * open only its widgets answer (modal). */
uint16_t ui_layout_hit(const ui_layout_t *l, int x, int y);

/* The first widget with this id, or NULL. */
const ui_widget_t *ui_layout_find(const ui_layout_t *l, uint16_t id);

/* Keyboard keys: the table of each mode, in the order of UI_ID_KEY + i. */
typedef enum ui_kb_action {
    UI_KA_INSERT = 0, /* insert `ins` */
    UI_KA_BACKSPACE,
    UI_KA_ENTER,
    UI_KA_SHIFT,
    UI_KA_SYMBOLS     /* letters <-> digits and symbols */
} ui_kb_action_t;

typedef struct ui_kb_key {
    const char *label;
    const char *ins;
    uint8_t action; /* ui_kb_action_t */
    uint8_t units;  /* width in key units (1 = 62 px) */
} ui_kb_key_t;

/* Keys of a mode; *count receives how many. */
const ui_kb_key_t *ui_kb_keys(ui_kb_mode_t mode, size_t *count);

/* Drop-down choices: title, number of choices, name of choice i. */
const char *ui_dropdown_title(ui_dropdown_t dd);
unsigned ui_dropdown_count(ui_dropdown_t dd);
const char *ui_dropdown_choice(ui_dropdown_t dd, unsigned i);
/* The model's current choice of dd. */
unsigned ui_dropdown_value(const ui_model_t *m, ui_dropdown_t dd);

#endif
