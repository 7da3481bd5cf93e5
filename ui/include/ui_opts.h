/* Budgets of the panel, each overridable by the board (-D or a board header
 * included first). Every buffer of the UI is sized from these. */
#ifndef UI_OPTS_H
#define UI_OPTS_H

/* Panel size in pixels; the layout is drawn for 800 x 480. */
#ifndef UI_SCREEN_W
#define UI_SCREEN_W 800
#endif
#ifndef UI_SCREEN_H
#define UI_SCREEN_H 480
#endif

/* Bytes of one text field (UTF-8, without the NUL). To, Cc and Bcc hold
 * several addresses, so they need the most; shorter fields have their own
 * limits in ui.c's field table. */
#ifndef UI_FIELD_MAX
#define UI_FIELD_MAX 511
#endif

/* Bytes of the status line, result lines and similar messages. */
#ifndef UI_TEXT_MAX
#define UI_TEXT_MAX 159
#endif

/* Bytes of an address book alias and of an address (RFC 5321: 254). */
#ifndef UI_ALIAS_MAX
#define UI_ALIAS_MAX 63
#endif
#ifndef UI_ADDR_MAX
#define UI_ADDR_MAX 254
#endif

/* Inactivity timeout: back to Home, the job's fields cleared. */
#ifndef UI_INACTIVITY_MS
#define UI_INACTIVITY_MS 60000
#endif

/* Address book: rows visible at once, selected entries at once. */
#ifndef UI_AB_ROWS
#define UI_AB_ROWS 6
#endif
#ifndef UI_AB_SELECT_MAX
#define UI_AB_SELECT_MAX 32
#endif
/* Press and hold on a scroll arrow: first repeat, then repeat period. */
#ifndef UI_SCROLL_HOLD_MS
#define UI_SCROLL_HOLD_MS 400
#endif
#ifndef UI_SCROLL_REPEAT_MS
#define UI_SCROLL_REPEAT_MS 80
#endif

/* Gateways listed by Find gateways. */
#ifndef UI_GATEWAYS_MAX
#define UI_GATEWAYS_MAX 6
#endif

/* Widgets on one screen (the keyboard has the most: about 50). */
#ifndef UI_WIDGETS_MAX
#define UI_WIDGETS_MAX 72
#endif

/* Renderer: dirty areas kept before they are merged (LVGL's
 * LV_INV_BUF_SIZE), and pixels of the caller's draw buffer (at least one
 * full row). */
#ifndef UI_DIRTY_MAX
#define UI_DIRTY_MAX 16
#endif
#ifndef UI_DRAW_BUF_MIN
#define UI_DRAW_BUF_MIN UI_SCREEN_W
#endif

#if UI_FIELD_MAX < UI_ADDR_MAX
#error "UI_FIELD_MAX must hold at least one address (UI_ADDR_MAX)"
#endif
#if UI_WIDGETS_MAX < 64
#error "UI_WIDGETS_MAX below 64 cannot hold the keyboard screen"
#endif
#if UI_DIRTY_MAX < 2
#error "UI_DIRTY_MAX must be at least 2"
#endif

#endif
