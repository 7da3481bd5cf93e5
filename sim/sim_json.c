#include "sim_json.h"

static void sim_json_key(sim_json_t *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = 0;
    if (key) {
        fputc('"', j->f);
        fputs(key, j->f);
        fputs("\":", j->f);
    }
}

static void sim_json_open(sim_json_t *j, const char *key, char open, char close)
{
    sim_json_key(j, key);
    fputc(open, j->f);
    if (j->depth + 1 < SIM_JSON_DEPTH) {
        j->depth++;
        j->first[j->depth] = 1;
        j->closer[j->depth] = close;
    }
}

void sim_json_begin(sim_json_t *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
    fputc('{', f);
    j->depth = 1;
    j->first[1] = 1;
    j->closer[1] = '}';
}

void sim_json_end(sim_json_t *j)
{
    while (j->depth > 0)
        sim_json_close(j);
    fputc('\n', j->f);
    fflush(j->f);
}

void sim_json_str(sim_json_t *j, const char *key, const char *val)
{
    sim_json_key(j, key);
    fputc('"', j->f);
    for (const unsigned char *p = (const unsigned char *)(val ? val : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(j->f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(j->f, "\\u%04x", *p);
        else
            fputc(*p, j->f);
    }
    fputc('"', j->f);
}

void sim_json_int(sim_json_t *j, const char *key, long long val)
{
    sim_json_key(j, key);
    fprintf(j->f, "%lld", val);
}

void sim_json_bool(sim_json_t *j, const char *key, int val)
{
    sim_json_key(j, key);
    fputs(val ? "true" : "false", j->f);
}

void sim_json_object(sim_json_t *j, const char *key) { sim_json_open(j, key, '{', '}'); }
void sim_json_array(sim_json_t *j, const char *key) { sim_json_open(j, key, '[', ']'); }

void sim_json_close(sim_json_t *j)
{
    if (j->depth == 0)
        return;
    fputc(j->closer[j->depth], j->f);
    j->depth--;
}
