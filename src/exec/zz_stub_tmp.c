#include "asyncz/error.h"
#include "asyncz/executor.h"
int asyncz_executor_threadpool_new(asyncz_executor **out, unsigned n) { (void)out; (void)n; return ASYNCZ_EUNSUPPORTED; }
