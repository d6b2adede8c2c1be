# myc: a differentiating compiler for a small Python-like language.
#
#   make          build build/myc and build/libmyrt.a
#   make check    install missing packages, build, run every test (also under ASan+UBSan)
#   make demo     install missing packages, build, compile and run a sample
#   make clean

CC      ?= cc
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
DEPFLAGS = -MMD -MP
INC     := -Isrc -Iir -Ipasses -Igrammar -Ibuild/gen
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LIBS    := -lm

B       := build
GEN     := $(B)/gen

# Every compiler source but the program's main().
CORE_SRCS := $(wildcard src/*.c ir/*.c passes/*.c grammar/*.c)
CORE_SRCS := $(filter-out src/main.c,$(CORE_SRCS))
GEN_SRCS  := $(GEN)/parser.c $(GEN)/lexer.c
RT_SRCS   := $(wildcard runtime/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

OBJS      := $(patsubst %.c,$(B)/obj/%.o,$(CORE_SRCS)) $(B)/obj/gen/parser.o $(B)/obj/gen/lexer.o
SAN_OBJS  := $(patsubst %.c,$(B)/san/%.o,$(CORE_SRCS)) $(B)/san/gen/parser.o $(B)/san/gen/lexer.o
RT_OBJS   := $(patsubst %.c,$(B)/obj/%.o,$(RT_SRCS))
RT_SAN_OBJS := $(patsubst %.c,$(B)/san/%.o,$(RT_SRCS))
UNITS     := $(patsubst tests/unit/%.c,$(B)/units/%,$(UNIT_SRCS))

.PHONY: all deps check demo clean units e2e san
# Objects are never intermediate files to delete.
.SECONDARY:
all: $(B)/myc $(B)/libmyrt.a

deps:
	@scripts/install-deps

# ---- generated parser and lexer ----------------------------------------------
$(GEN)/parser.c $(GEN)/parser.h &: grammar/parser.y
	@mkdir -p $(GEN)
	bison -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

$(GEN)/lexer.c: grammar/lexer.l $(GEN)/parser.h
	@mkdir -p $(GEN)
	flex -o $@ $<

# Generated code is compiled without -Wextra's pickier warnings it trips.
GENWARN := -Wall -Werror -Wno-unused-function -Wno-sign-compare -Wno-unused-but-set-variable

$(B)/obj/gen/%.o: $(GEN)/%.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(GENWARN) $(CFLAGS) $(INC) $(DEPFLAGS) -c $< -o $@

$(B)/san/gen/%.o: $(GEN)/%.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(GENWARN) -O1 -g $(SAN) $(INC) $(DEPFLAGS) -c $< -o $@

# ---- compiler ---------------------------------------------------------------------
$(B)/obj/%.o: %.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(INC) $(DEPFLAGS) -c $< -o $@

$(B)/san/%.o: %.c $(GEN)/parser.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INC) $(DEPFLAGS) -c $< -o $@

$(B)/myc: $(OBJS) $(B)/obj/src/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# The same compiler under AddressSanitizer and UndefinedBehaviorSanitizer.
$(B)/san/myc: $(SAN_OBJS) $(B)/san/src/main.o
	$(CC) $(SAN) -o $@ $^ $(LIBS)

san: $(B)/san/myc

# ---- runtime library -----------------------------------------------------------
$(B)/libmyrt.a: $(RT_OBJS)
	@mkdir -p $(B)
	rm -f $@
	ar rcs $@ $^

# ---- unit tests (CMocka, under the sanitizers) ---------------------------------------
$(B)/units/%: tests/unit/%.c $(SAN_OBJS) $(RT_SAN_OBJS) tests/unit/unit.h
	@mkdir -p $(B)/units
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INC) -Iruntime -Itests/unit -o $@ $< $(SAN_OBJS) $(RT_SAN_OBJS) -lcmocka $(LIBS)

units: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

# ---- end-to-end tests ---------------------------------------------------------------
e2e: $(B)/myc $(B)/san/myc
	python3 tests/run_tests.py --myc $(B)/myc --san-myc $(B)/san/myc --run-flag=--verify-ir --fuzz 300 && python3 tests/tools/difftest.py --myc $(B)/myc --san $(B)/san/myc -n 150 --seed 1 --avoid-known && python3 tests/tools/gradcheck.py --myc $(B)/san/myc

check: deps
	$(MAKE) all san
	$(MAKE) units
	$(MAKE) e2e

demo: deps
	$(MAKE) all
	@scripts/demo

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
