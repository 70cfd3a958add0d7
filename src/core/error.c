/* The error table expanded into asyncz_strerror() and asyncz_err_name(). */
#include "asyncz/error.h"

const char *asyncz_strerror(int code)
{
    switch (code) {
    case ASYNCZ_OK:
        return "success";
#define ASYNCZ_ERR_TEXT_(name, value, text)                                                                  \
    case ASYNCZ_##name:                                                                                      \
        return text;
        ASYNCZ_ERRNO_MAP(ASYNCZ_ERR_TEXT_)
#undef ASYNCZ_ERR_TEXT_
    default:
        return "unknown error";
    }
}

const char *asyncz_err_name(int code)
{
    switch (code) {
    case ASYNCZ_OK:
        return "ASYNCZ_OK";
#define ASYNCZ_ERR_NAME_(name, value, text)                                                                  \
    case ASYNCZ_##name:                                                                                      \
        return "ASYNCZ_" #name;
        ASYNCZ_ERRNO_MAP(ASYNCZ_ERR_NAME_)
#undef ASYNCZ_ERR_NAME_
    default:
        return "ASYNCZ_UNKNOWN";
    }
}
