/* asyncz-bench (being built). */
#include <stdio.h>

#include "asyncz.h"

int main(void)
{
    printf("asyncz-bench %s\n", asyncz_version());
    return 0;
}
