/* Fuzz asyncz_duration_parse: any text fails cleanly or gives a duration that formats and reads back. */
#include <stdlib.h>
#include <string.h>

#include "asyncz.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    int64_t v;
    int col = 0;
    int rc = asyncz_duration_parse(&v, text, &col);
    if (rc == 0) {
        char buf[48];
        int64_t back;
        if (asyncz_duration_format(buf, sizeof buf, v) <= 0 || asyncz_duration_parse(&back, buf, NULL) != 0 ||
            back != v)
            abort();
    } else if (col < 1 || (size_t)col > strlen(text) + 1) {
        abort();
    }
    free(text);
    return 0;
}
