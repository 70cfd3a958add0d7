/* The asyncz command-line tool (being built: see the cli branch). */
#include <stdio.h>

#include "asyncz.h"

int main(void)
{
    printf("asyncz %s\n", asyncz_version());
    return 0;
}
