/* Benchmark: the local address book with AB_MAX_ENTRIES entries (Latin,
 * accented and Cyrillic names): autocomplete per keystroke, load (parse and
 * index) of the whole image, one add and one delete in RAM. Prints figures;
 * never judges time. Instruction counts come from callgrind, one function
 * per figure:
 *
 *   cc -O2 -g -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iaddrbook/include \
 *      -Ismtp/include -o ab_bench tests/bench/ab_bench.c addrbook/ab_book.c \
 *      addrbook/ab_merge.c smtp/smtp_session.c smtp/smtp_reply.c \
 *      smtp/smtp_auth.c smtp/mime.c -lmbedcrypto -lz
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out ./ab_bench
 *   callgrind_annotate --inclusive=yes cg.out | grep ab_bench_
 *
 * and divide ab_bench_keystrokes' inclusive count by the keystrokes printed.
 */
#include <stdio.h>
#include <string.h>

#include "ab_book.h"
#include "ab_merge.h"

static ab_book_t bench_book;
static ab_book_t bench_copy;
static uint8_t bench_image[AB_POOL_BYTES];

static const char *const bench_first[] = {
    "Anna", "Émile", "Zoë", "Jürgen", "Łukasz", "Søren", "Юлия", "Борис", "Ольга", "Иван",
    "Marie", "Paul", "Chloé", "Günther", "Agnès", "Дмитрий", "Светлана", "Oscar", "Inès", "Élodie",
};
static const char *const bench_last[] = {
    "Martin", "Schmidt", "Dubois", "Müller", "Nowak", "Иванова", "Петров", "Smith", "Lefèvre",
    "Kowalski", "Øster", "Соколов", "García", "Rossi", "Novák", "Bernard", "Волкова", "Weber",
    "Moreau", "Jansen", "Кузнецов", "Dupont", "Fischer", "Laurent", "Lindqvist",
};
static const char *const bench_typed[] = {
    "anna martin", "ÉLODIE", "юлия", "Борис Пет", "zoe", "paul.dup", "günther w", "x",
};

/* Fills b with AB_MAX_ENTRIES distinct entries. */
static void bench_fill(ab_book_t *b)
{
    char alias[AB_ALIAS_MAX + 1], addr[64];
    size_t nf = sizeof(bench_first) / sizeof(bench_first[0]);
    size_t nl = sizeof(bench_last) / sizeof(bench_last[0]);

    ab_book_init(b, NULL);
    for (unsigned i = 0; i < AB_MAX_ENTRIES; i++) {
        snprintf(alias, sizeof(alias), "%s %s %u", bench_first[i % nf], bench_last[i / nf % nl],
                 i / (unsigned)(nf * nl));
        snprintf(addr, sizeof(addr), "u%04u.%c%c@example%u.test", i, 'a' + i % 26,
                 'a' + i / 26 % 26, i % 7);
        if (ab_book_add(b, alias, addr) != 0) {
            fprintf(stderr, "ab_bench: cannot add %s\n", addr);
            return;
        }
    }
}

/* Every prefix of every typed text, one character at a time, as the
 * keyboard screen asks. Returns the keystrokes. */
__attribute__((noinline)) static unsigned ab_bench_keystrokes(const ab_book_t *b, unsigned *hits)
{
    uint16_t ids[AB_SUGGEST_MAX];
    unsigned keys = 0;

    for (size_t t = 0; t < sizeof(bench_typed) / sizeof(bench_typed[0]); t++) {
        const char *s = bench_typed[t];
        size_t len = strlen(s);

        for (size_t n = 1; n <= len; n++) {
            if (n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
                continue; /* mid-character: the keyboard sends whole ones */
            *hits += ab_book_complete(b, s, n, ids, AB_SUGGEST_MAX) > 0;
            keys++;
        }
    }
    return keys;
}

__attribute__((noinline)) static int ab_bench_load(ab_book_t *b, const uint8_t *img, size_t len)
{
    return ab_book_parse(b, img, len);
}

__attribute__((noinline)) static int ab_bench_add(ab_book_t *b)
{
    return ab_book_add(b, "Ólafur Ægisson", "olafur@example.is");
}

__attribute__((noinline)) static int ab_bench_delete(ab_book_t *b)
{
    const char *sel[] = {"olafur@example.is"};

    return ab_book_delete(b, sel, 1);
}

int main(void)
{
    const char *one[] = {"u0000.aa@example0.test"};
    unsigned keys, hits = 0;
    size_t len;
    int rc;

    bench_fill(&bench_book);
    len = bench_book.used;
    memcpy(bench_image, bench_book.pool, len);
    rc = ab_bench_load(&bench_copy, bench_image, len);
    keys = ab_bench_keystrokes(&bench_copy, &hits);
    if (rc == 0)
        rc = ab_book_delete(&bench_copy, one, 1); /* room for the add */
    if (rc == 0)
        rc = ab_bench_add(&bench_copy);
    if (rc == 0)
        rc = ab_bench_delete(&bench_copy);
    printf("entries               %zu\n", ab_book_count(&bench_book));
    printf("image bytes           %zu\n", len);
    printf("book RAM bytes        %zu (pool %u)\n", ab_book_ram(), (unsigned)AB_POOL_BYTES);
    printf("keystrokes            %u (%u with a suggestion)\n", keys, hits);
    printf("result                %s\n", ab_strerror(rc));
    return rc == 0 ? 0 : 1;
}
