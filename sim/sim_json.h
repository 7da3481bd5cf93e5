/* A small streaming JSON writer for mfp-sim --json output. */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stdio.h>

#define SIM_JSON_DEPTH 8

typedef struct sim_json {
    FILE *f;
    int depth;
    int first[SIM_JSON_DEPTH]; /* no member written yet at this depth */
    char closer[SIM_JSON_DEPTH]; /* '}' or ']' for each open level */
} sim_json_t;

/* Starts the top-level object. */
void sim_json_begin(sim_json_t *j, FILE *f);
/* Closes the top-level object and ends the line. */
void sim_json_end(sim_json_t *j);
/* Members; key is NULL inside an array. Strings are escaped. */
void sim_json_str(sim_json_t *j, const char *key, const char *val);
void sim_json_int(sim_json_t *j, const char *key, long long val);
void sim_json_bool(sim_json_t *j, const char *key, int val);
/* Opens a nested object or array; sim_json_close() closes it. */
void sim_json_object(sim_json_t *j, const char *key);
void sim_json_array(sim_json_t *j, const char *key);
void sim_json_close(sim_json_t *j);

#endif
