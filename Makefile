# myc: a differentiating compiler for a small Python-like language.
#
#   make          build build/myc and build/libmyrt.a
#   make check    install missing packages, build, run every test (also under ASan+UBSan)
#   make demo     install missing packages, build, compile and run a sample
#   make bench    build, run the benchmark suite (bench/run.py; not part of check)
#   make install  PREFIX=/usr/local (default), DESTDIR honoured; make uninstall
#   make clean

CC      ?= cc
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L
WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
DEPFLAGS = -MMD -MP
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# LLVM 14 (Debian's llvm-dev).  From --cflags only the include path and the
# __STDC_* macros: it also says -D_GNU_SOURCE (our sources are POSIX 2008 C11)
# and, on some builds, -O/-g/-W flags that would override ours.
LLVM_CONFIG ?= llvm-config
LLVM_CFLAGS := $(filter -I% -D__STDC%,$(shell $(LLVM_CONFIG) --cflags 2>/dev/null))
LLVM_PARTS  := core orcjit native passes target analysis bitwriter
LLVM_LIBS   := $(shell $(LLVM_CONFIG) --ldflags --libs $(LLVM_PARTS) 2>/dev/null)
# build/myc links LLVM statically when llvm-dev ships the archives (Debian's
# does): the dynamic loader then has no libLLVM-14.so to map and relocate,
# which took 20 ms of every run, a third of compiling a small sample
# (docs/performance.md).  The test programs keep the shared library.
LLVM_STATIC := $(shell $(LLVM_CONFIG) --link-static --libs $(LLVM_PARTS) > /dev/null 2>&1 && echo yes)
ifeq ($(LLVM_STATIC),yes)
MYC_LLVM_LIBS := $(shell $(LLVM_CONFIG) --link-static --ldflags --libs $(LLVM_PARTS)) \
                 $(shell $(LLVM_CONFIG) --link-static --system-libs) -lstdc++
else
MYC_LLVM_LIBS := $(LLVM_LIBS)
endif

INC      = -Isrc -Iir -Ipasses -Igrammar -I$(GEN) $(LLVM_CFLAGS)
LIBS    := $(LLVM_LIBS) -lm -lpthread
MYC_LIBS := $(MYC_LLVM_LIBS) -lm -lpthread

# The runtime goes into users' programs and shared libraries: position-independent,
# and with unwind information (-fexceptions), so that a C++ exception thrown by a runtime
# error handler propagates through the runtime's frames (myrt_runtime_error) to the caller.
RT_FLAGS := -fPIC -fexceptions

# Installation (make install / uninstall).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
MAN1DIR  = $(PREFIX)/share/man/man1
PCDIR    = $(LIBDIR)/pkgconfig
VERSION := $(shell sed -n 's/^\#define MYC_VERSION "\([^"]*\)".*/\1/p' src/util/common.h | head -n 1)

B       := build
GEN     := $(B)/gen

# Every compiler source but the program's main().
CORE_SRCS := $(wildcard src/util/*.c src/*.c src/backend/*.c ir/*.c passes/*.c grammar/*.c)
CORE_SRCS := $(filter-out src/main.c,$(CORE_SRCS))
GEN_SRCS  := $(GEN)/parser.c $(GEN)/lexer.c
RT_SRCS   := $(wildcard runtime/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

OBJS      := $(patsubst %.c,$(B)/obj/%.o,$(CORE_SRCS)) $(B)/obj/gen/parser.o $(B)/obj/gen/lexer.o
SAN_OBJS  := $(patsubst %.c,$(B)/san/%.o,$(CORE_SRCS)) $(B)/san/gen/parser.o $(B)/san/gen/lexer.o
RT_OBJS   := $(patsubst %.c,$(B)/obj/%.o,$(RT_SRCS))
RT_SAN_OBJS := $(patsubst %.c,$(B)/san/%.o,$(RT_SRCS))
UNITS     := $(patsubst tests/unit/%.c,$(B)/units/%,$(UNIT_SRCS))

.PHONY: all deps check demo bench clean units e2e abi san install uninstall install-check layers
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

# The runtime is linked in too: `myc run`'s JIT resolves myrt_* to it.
$(B)/myc: $(OBJS) $(B)/obj/src/main.o $(RT_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(MYC_LIBS)

# The same compiler under AddressSanitizer and UndefinedBehaviorSanitizer.
$(B)/san/myc: $(SAN_OBJS) $(B)/san/src/main.o $(RT_SAN_OBJS)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

san: $(B)/san/myc

# ---- runtime library -----------------------------------------------------------
# (These rules win over the compiler's above: their stem is shorter.)
$(B)/obj/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(RT_FLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/san/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(RT_FLAGS) $(DEPFLAGS) -c $< -o $@

$(B)/libmyrt.a: $(RT_OBJS)
	@mkdir -p $(B)
	rm -f $@
	ar rcs $@ $^

# ---- unit tests (CMocka, under the sanitizers) ---------------------------------------
$(B)/units/%: tests/unit/%.c $(SAN_OBJS) $(RT_SAN_OBJS) tests/unit/unit.h tests/unit/compiled.h
	@mkdir -p $(B)/units
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(INC) -Iruntime -Itests/unit -o $@ $< $(SAN_OBJS) $(RT_SAN_OBJS) -lcmocka $(LIBS)

units: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

# ---- installation -------------------------------------------------------------------
install: all
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCDIR)' \
	           '$(DESTDIR)$(MAN1DIR)' '$(DESTDIR)$(PCDIR)'
	install -m 0755 $(B)/myc '$(DESTDIR)$(BINDIR)/myc'
	install -m 0644 $(B)/libmyrt.a '$(DESTDIR)$(LIBDIR)/libmyrt.a'
	install -m 0644 runtime/myrt.h '$(DESTDIR)$(INCDIR)/myrt.h'
	install -m 0644 docs/myc.1 '$(DESTDIR)$(MAN1DIR)/myc.1'
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' runtime/myrt.pc.in \
	    > '$(DESTDIR)$(PCDIR)/myrt.pc'
	chmod 0644 '$(DESTDIR)$(PCDIR)/myrt.pc'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/myc' '$(DESTDIR)$(LIBDIR)/libmyrt.a' '$(DESTDIR)$(INCDIR)/myrt.h' \
	      '$(DESTDIR)$(MAN1DIR)/myc.1' '$(DESTDIR)$(PCDIR)/myrt.pc'

# Installs into a temporary prefix and uses what it installed.
install-check: all
	MAKE='$(MAKE)' tests/install/check-install.sh

# ---- end-to-end tests ---------------------------------------------------------------
e2e: $(B)/myc $(B)/san/myc
	python3 tests/run_tests.py --myc $(B)/myc --san-myc $(B)/san/myc --run-flag=--verify-ir --fuzz 300 && python3 tests/tools/difftest.py --myc $(B)/myc --san $(B)/san/myc -n 150 --seed 1 --avoid-known && python3 tests/tools/gradcheck.py --myc $(B)/san/myc && python3 tests/tools/readme_tour.py --myc $(B)/myc

# No lower layer of the tree refers to a higher one (docs/design.md, "The
# map"): the includes, and the symbols each layer's objects use.
layers: all
	python3 tests/tools/layers.py --selftest
	python3 tests/tools/layers.py --obj $(B)/obj

# The C ABI: objects linked with C and C++ by gcc and clang, threads, the
# 512 KiB-stack loop, valgrind (tests/abi/run.sh).
abi: all
	tests/abi/run.sh --myc $(B)/myc --rt $(B)/libmyrt.a

# Nested differentiation through closures against an independent mpmath oracle
# (tests/tools/nesttest.py; tests/README.md).  nesttest, in `check`: the oracle's
# self-test, every chain of three operators under grad and jvp against central
# differences (chaintest.py), and a fixed sample, every mode, a fifth of it with lists
# (without the shapes of the known bugs, tests/e2e/pending_*) (about 5 minutes on 2 cores);
# check-long: 5,000 programs in the four modes that overlap least (about two hours).
.PHONY: nesttest check-long
nesttest: all
	python3 tests/tools/nesttest.py --selftest
	python3 tests/tools/chaintest.py --myc $(B)/myc
	python3 tests/tools/nesttest.py --myc $(B)/myc --rt $(B)/libmyrt.a -n 80 --seed 1 --lists 0.2 --avoid-known

check-long: all
	python3 tests/tools/nesttest.py --myc $(B)/myc --rt $(B)/libmyrt.a -n 5000 --seed 2 --modes jit,interp-grad,interp-closure,obj-O2 --stats

check: deps
	$(MAKE) all san
	$(MAKE) layers
	$(MAKE) units
	$(MAKE) install-check
	$(MAKE) e2e
	$(MAKE) abi
	$(MAKE) nesttest

demo: deps
	$(MAKE) all
	@scripts/demo

# The benchmark suite (docs/performance.md): runtime against hand-written C,
# compile time.  BENCH=names runs a part (`make bench BENCH="nn straight"`),
# BENCH_ARGS passes options (`make bench BENCH_ARGS=--quick` leaves out the
# 30,000-statement function; see `python3 bench/run.py --help`).
BENCH      ?=
BENCH_ARGS ?=
bench: all
	python3 bench/run.py $(BENCH_ARGS) $(BENCH)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
