/* unit.h: what every CMocka unit test includes. */
#ifndef MYC_UNIT_H
#define MYC_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
