/*
 * libFuzzer target: the local address book's file parser (ab_book_parse)
 * on arbitrary images, then autocomplete and a change on whatever it
 * accepted. A damaged or hostile book file must give a clear error, never a
 * crash or a read past the image; an accepted book must stay consistent
 * (every entry findable by its address, the list sorted).
 * Built by the Makefile (make fuzz; a short run in make test).
 * The first byte is the length of the typed text taken from the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ab_book.h"
#include "ab_merge.h"

static ab_book_t fuzz_book;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t ids[AB_SUGGEST_MAX];
    ab_suggestion_t sugg[AB_SUGGEST_MAX], merged[AB_SUGGEST_MAX];
    size_t text_len;
    int n;

    if (size == 0)
        return 0;
    text_len = data[0] % 16;
    if (text_len > size - 1)
        text_len = size - 1;
    ab_book_init(&fuzz_book, NULL);
    if (ab_book_parse(&fuzz_book, data + 1, size - 1 - text_len) != 0) {
        if (ab_book_count(&fuzz_book) != 0)
            abort(); /* a refused image leaves an empty book */
        return 0;
    }
    for (size_t k = 0; k < ab_book_count(&fuzz_book); k++) {
        int id = ab_book_sorted(&fuzz_book, k);
        const char *addr = ab_book_address(&fuzz_book, id);

        if (ab_book_find(&fuzz_book, addr) != id || ab_address_check(addr) != 0)
            abort();
        if (k > 0 && ab_fold_cmp(ab_book_alias(&fuzz_book, ab_book_sorted(&fuzz_book, k - 1)),
                                 strlen(ab_book_alias(&fuzz_book, ab_book_sorted(&fuzz_book, k - 1))),
                                 ab_book_alias(&fuzz_book, id),
                                 strlen(ab_book_alias(&fuzz_book, id))) > 0)
            abort();
    }
    n = ab_book_complete(&fuzz_book, (const char *)data + size - text_len, text_len, ids,
                         AB_SUGGEST_MAX);
    if (n > AB_SUGGEST_MAX)
        abort();
    n = ab_book_suggest(&fuzz_book, (const char *)data + size - text_len, text_len, sugg,
                        AB_SUGGEST_MAX);
    if (n > 0 && ab_merge(sugg, (size_t)n, sugg, (size_t)n, merged, AB_SUGGEST_MAX) != (size_t)n)
        abort(); /* the book's suggestions never repeat an address */
    /* A change on the parsed book: delete the first entry, add it back. */
    if (ab_book_count(&fuzz_book) > 0) {
        const char *addr = ab_book_address(&fuzz_book, ab_book_sorted(&fuzz_book, 0));
        char copy[AB_ADDR_MAX + 1];
        size_t before = ab_book_count(&fuzz_book);

        strcpy(copy, addr);
        if (ab_book_delete(&fuzz_book, (const char *const[]){copy}, 1) != 0 ||
            ab_book_add(&fuzz_book, NULL, copy) != 0 || ab_book_count(&fuzz_book) != before)
            abort();
    }
    return 0;
}
