/* asyncz: a job scheduler for C programs. The umbrella header: include this one. */
#ifndef ASYNCZ_H
#define ASYNCZ_H

#include "asyncz/audit.h"
#include "asyncz/common.h"
#include "asyncz/error.h"
#include "asyncz/event.h"
#include "asyncz/executor.h"
#include "asyncz/history.h"
#include "asyncz/log.h"
#include "asyncz/run.h"
#include "asyncz/scheduler.h"
#include "asyncz/store.h"
#include "asyncz/task.h"
#include "asyncz/time.h"
#include "asyncz/trigger.h"
#include "asyncz/version.h"

#endif
