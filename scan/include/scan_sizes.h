/* Original sizes the scanner and the panel offer (ISO 216 and US paper), in
 * tenths of a millimetre, portrait. One table for the firmware (the "original
 * size" option, PDF MediaBox) and the simulator. */
#ifndef SCAN_SIZES_H
#define SCAN_SIZES_H

enum scan_size_id {
    SCAN_SIZE_LETTER,    /* 215.9 x 279.4 mm (8.5 x 11 in) */
    SCAN_SIZE_EXECUTIVE, /* 184.2 x 266.7 mm (7.25 x 10.5 in) */
    SCAN_SIZE_A4,        /* 210 x 297 mm */
    SCAN_SIZE_A5,        /* 148 x 210 mm */
    SCAN_SIZE_LEGAL,     /* 215.9 x 355.6 mm (8.5 x 14 in); ADF only on most glass */
    SCAN_SIZE_COUNT
};

typedef struct scan_size {
    const char *name;  /* lower case, as typed on the command line: "a4", "letter" */
    const char *label; /* as shown on the panel: "A4", "Letter" */
    unsigned width_mm10;
    unsigned height_mm10;
} scan_size_t;

/* The size with that id, or NULL when id is not a scan_size_id. */
const scan_size_t *scan_size_get(enum scan_size_id id);

/* The size whose name matches, ignoring case ("A4", "letter", "LEGAL"), or
 * NULL (also for a NULL name). */
const scan_size_t *scan_size_by_name(const char *name);

/* The size of exactly width_mm10 x height_mm10 (portrait), or NULL for a
 * custom size. */
const scan_size_t *scan_size_by_mm10(unsigned width_mm10, unsigned height_mm10);

#endif
