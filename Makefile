# Plinth: see README.md. Objects go to $(BUILD); `make asan` rebuilds in
# build/asan with ASan+UBSan and runs the same checks.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
WERROR  ?=
SAN     ?=

PKGS := libgit2 libarchive jansson openssl libcurl yaml-0.1 sqlite3 libzstd zlib libdeflate

CC      ?= cc
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
ifneq ($(WERROR),)
WARN    += -Werror
endif
OPT     ?= -O2 -g
ifneq ($(SAN),)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Ibuilder $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(OPT)
LDLIBS  += $(PKG_LIBS) -lisal -lpthread -lm

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)
CFLAGS  += -DPL_VERSION='"$(VERSION)"'

# MODS="cas fstree" restricts the library to util plus those modules, so one
# module's tests build while another module is half-written.
ifeq ($(MODS),)
LIB_SRC  := $(sort $(wildcard builder/util/*.c builder/lib/*.c builder/lib/*/*.c))
else
LIB_SRC  := $(sort $(wildcard builder/util/*.c $(foreach m,$(MODS),builder/lib/$(m).c builder/lib/$(m)/*.c)))
endif
CLI_SRC  := $(sort $(wildcard builder/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LIBA     := $(BUILD)/libplinth.a
PLINTH   := $(BUILD)/plinth
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/replay_%)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

# test and fuzz objects are intermediates of pattern rules: keep them
.SECONDARY:

.PHONY: all deps check unit integration fuzz-replay asan fuzz bench demo install clean format

all: $(PLINTH)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(PLINTH): $(CLI_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/obj/tests/unit/testutil.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/obj/tests/unit/testutil.o $(LIBA) $(LDLIBS) -lcmocka

$(BUILD)/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/obj/tests/fuzz/replay.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/obj/tests/fuzz/replay.o $(LIBA) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS)

deps:
	ci/deps.sh

# check and demo install the packages first, then re-run make so that
# pkg-config sees the libraries they brought.
check: deps
	$(MAKE) unit fuzz-replay integration

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# each fuzz_<x>.c replays tests/fuzz/corpus/fuzz_<x>/
fuzz-replay: $(FUZZ_BIN)
	@set -e; for t in $(FUZZ_BIN); do n=$${t##*/replay_}; \
	  echo "== fuzz replay $$n"; $$t tests/fuzz/corpus/$$n; done

integration: $(PLINTH) $(BUILD)/bench/bench_ledger
	PLINTH=$(abspath $(PLINTH)) BENCH_BIN=$(abspath $(BUILD)/bench) tests/integration/run.sh

asan:
	$(MAKE) BUILD=build/asan SAN=1 check

# libFuzzer builds (clang): make fuzz FUZZ_TIME=60
FUZZ_TIME ?= 30
fuzz:
	ci/fuzz.sh $(FUZZ_TIME)

bench: $(PLINTH) $(BENCH_BIN)
	PLINTH=$(abspath $(PLINTH)) BENCH_BIN=$(abspath $(BUILD)/bench) ci/bench.sh
	PLINTH=$(abspath $(PLINTH)) ci/bench-debian.sh
	BENCH_BIN=$(abspath $(BUILD)/bench) ci/bench-vuln.sh
	PLINTH=$(abspath $(PLINTH)) ci/bench-patch.sh
	PLINTH=$(abspath $(PLINTH)) ci/bench-push.sh
	PLINTH=$(abspath $(PLINTH)) BENCH_BIN=$(abspath $(BUILD)/bench) ci/bench-ledger.sh

demo: deps
	$(MAKE) $(PLINTH)
	PLINTH=$(abspath $(PLINTH)) ci/demo.sh

install: $(PLINTH)
	install -D -m 0755 $(PLINTH) $(DESTDIR)$(PREFIX)/bin/plinth
	install -D -m 0644 docs/plinth.1 $(DESTDIR)$(PREFIX)/share/man/man1/plinth.1

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) builder/*/*.h builder/lib/*/*.h

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
